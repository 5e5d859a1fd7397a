"""``codegen build``: render every target and replace generated/ as a whole (``--check``: write nothing)."""

from __future__ import annotations

import sys

import click

from codegen.build import find_drift, render_all, write_all
from codegen.cli.common import spec_errors, spec_paths
from codegen.spec.canonical import NOT_CANONICAL


@click.command()
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; list stale, missing and orphan files in generated/ and spec "
    "files not in canonical layout, and exit 1 if there are any.",
)
@click.pass_context
@spec_errors
def build(ctx: click.Context, check: bool) -> None:
    """Generate every artefact from spec/ into generated/ (all or nothing).

    The spec is checked first; any problem is reported with file and field and
    generated/ is left untouched. Output is deterministic: the same spec gives
    byte-identical files.
    """
    spec_dir, out_dir = spec_paths(ctx)
    rendered = render_all(spec_dir)
    drift = find_drift(rendered, out_dir)
    if check:
        if drift.clean:
            click.echo(
                f"generated/ 已是最新（{len(rendered.files)} 个文件，spec {rendered.spec.hash[:12]}）"
                f"(generated/ is up to date: {len(rendered.files)} files)."
            )
            return
        for line in drift.lines():
            click.echo(line, err=True)
        click.echo(
            "generated/ 已过时：请运行 `codegen build`（及 `codegen fmt`）"
            "(generated/ is out of date: run `codegen build` and `codegen fmt`).",
            err=True,
        )
        sys.exit(1)
    recovered = write_all(rendered.files, out_dir)
    if recovered:
        click.echo(recovered, err=True)
    changed = len(drift.stale) + len(drift.missing) + len(drift.orphans)
    click.echo(
        f"已写入 {len(rendered.files)} 个文件到 {out_dir}（{changed} 个有变化），spec "
        f"{rendered.spec.hash[:12]} (wrote {len(rendered.files)} files, {changed} changed)."
    )
    for line in drift.lines():
        if line.endswith(NOT_CANONICAL):
            click.echo(line, err=True)
