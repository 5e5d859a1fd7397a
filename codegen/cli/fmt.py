"""``codegen fmt``: rewrite spec/ in its canonical layout."""

from __future__ import annotations

import sys

import click

from codegen.cli.common import spec_errors, spec_paths
from codegen.spec.canonical import NOT_CANONICAL, non_canonical, write_canonical
from codegen.spec.loader import load_spec


@click.command()
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 if a spec file is not canonical."
)
@click.pass_context
@spec_errors
def fmt(ctx: click.Context, check: bool) -> None:
    """Rewrite spec/ files in the canonical layout (key order, quoting, indentation)."""
    spec_dir, _ = spec_paths(ctx)
    loaded = load_spec(spec_dir)
    if check:
        bad = non_canonical(loaded.docs, loaded.texts)
        for rel in bad:
            click.echo(f"spec/{rel}: {NOT_CANONICAL}", err=True)
        if not bad:
            click.echo("spec/ 已是规范布局 (spec/ is in canonical layout).")
        sys.exit(1 if bad else 0)
    rewritten = write_canonical(loaded.docs, spec_dir)
    for rel in rewritten:
        click.echo(f"spec/{rel}: 已改写 (rewrote)")
    click.echo(
        f"spec/ 现为规范布局，改写了 {len(rewritten)} 个文件 "
        f"(spec/ is in canonical layout; {len(rewritten)} file(s) rewritten)."
    )
