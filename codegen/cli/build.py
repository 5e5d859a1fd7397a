"""``codegen build``: render every target and replace generated/ as a whole (``--check``: write nothing)."""

from __future__ import annotations

import sys

import click

from codegen.build import find_drift, render_all, write_all
from codegen.cli.common import spec_errors, spec_paths


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
                f"generated/ is up to date ({len(rendered.files)} files, spec {rendered.spec.hash[:12]})."
            )
            return
        for line in drift.lines():
            click.echo(line, err=True)
        click.echo("generated/ is out of date: run `codegen build` (and `codegen fmt`).", err=True)
        sys.exit(1)
    recovered = write_all(rendered.files, out_dir)
    if recovered:
        click.echo(recovered, err=True)
    changed = len(drift.stale) + len(drift.missing) + len(drift.orphans)
    click.echo(
        f"wrote {len(rendered.files)} files to {out_dir} ({changed} changed), spec {rendered.spec.hash[:12]}."
    )
    for line in drift.lines():
        if line.startswith("not in canonical layout"):
            click.echo(line, err=True)
