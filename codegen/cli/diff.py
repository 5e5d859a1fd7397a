"""``codegen diff OLD [NEW]``: a Markdown changelog between two specs; exit 1 on a breaking change."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from codegen.diff.changelog import ACK_FIELD, render_changelog
from codegen.diff.compare import diff_specs
from codegen.diff.source import SpecSourceError, resolve_spec
from codegen.project import spec_root
from codegen.spec.errors import SpecError
from codegen.spec.loader import LoadedSpec, load_spec

# Exit codes as diff(1): 0 nothing breaking, 1 unacknowledged breaking changes, 2 trouble.
EXIT_BREAKING = 1
EXIT_TROUBLE = 2


@click.command("diff")
@click.argument("old")
@click.argument("new", required=False)
@click.pass_context
def diff(ctx: click.Context, old: str, new: str | None) -> None:
    """Compare two specs and print a Markdown changelog, breaking changes first.

    OLD and NEW are each a spec directory, a project directory holding spec/, or a
    git revision of this repository (HEAD~3, a tag, a commit); NEW defaults to the
    project's spec/. Every change is classified: breaking (field removed or renamed,
    required field added, optional made required, length shortened, code removed,
    type changed, format or rule tightened, alias or endpoint removed) or compatible
    (optional field or code added, length widened, rule loosened, description changed).

    Exit codes: 0 nothing breaking (or every breaking change acknowledged); 1 NEW
    makes a breaking change it does not acknowledge (list the change ids printed
    here in transcription.acknowledged_breaking of spec/standard.yaml); 2 a side
    cannot be read (not a spec directory or revision, or not a valid spec).
    """
    root: Path = spec_root(ctx)
    with tempfile.TemporaryDirectory(prefix="codegen-diff-") as scratch:
        old_spec = _load(old, root, Path(scratch) / "old", "OLD")
        new_spec = (
            _load(new, root, Path(scratch) / "new", "NEW")
            if new is not None
            else _load(str(root / "spec"), root, Path(scratch) / "new", "NEW")
        )
    result = diff_specs(old_spec, new_spec)
    click.echo(render_changelog(result), nl=False)
    unacknowledged = result.unacknowledged
    click.echo(
        f"{len(result.breaking)} breaking ({len(unacknowledged)} not acknowledged), "
        f"{len(result.compatible)} compatible changes.",
        err=True,
    )
    if unacknowledged:
        click.echo(
            f"breaking changes not acknowledged in {ACK_FIELD}: "
            + ", ".join(c.id for c in unacknowledged),
            err=True,
        )
        sys.exit(EXIT_BREAKING)


def _load(where: str, root: Path, scratch: Path, side: str) -> LoadedSpec:
    try:
        # Only compared, never built: an older edition need not describe problem codes
        # today's validators added since.
        return load_spec(resolve_spec(where, root, scratch), for_build=False)
    except SpecSourceError as exc:
        click.echo(f"{side}: {exc}", err=True)
    except SpecError as exc:
        click.echo(f"{side} ({where}) is not a valid spec:\n{exc.report()}", err=True)
        # Both sides are read by today's loader: an old revision written before a
        # change to the spec's layout fails here rather than being misread.
        click.echo("(both specs must load with this version of codegen)", err=True)
    sys.exit(EXIT_TROUBLE)
