"""``codegen outbox status | requeue | prune | migrate``, and finding the outbox ``send`` uses.

Without ``--outbox`` the outbox is the user's default for the organisation and target
(``$XDG_STATE_HOME/gdzw_uppro/outbox/<org>-<target>.sqlite3``), never the working
directory, so every run of one organisation against one gateway shares one Cd_Batch
sequence. ``--outbox`` takes a SQLite path or a ``postgresql://`` URL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import click

from codegen.data.generated_package import load_generated_package
from codegen.project import data_root

# The previous release's default outbox: a file in the working directory.
LEGACY_OUTBOX = Path("gdzw-outbox.sqlite3")


def outbox_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--outbox, --org-code, --environment and --base-url: where the outbox is."""
    for option in reversed(
        [
            click.option(
                "--outbox",
                "outbox_target",
                metavar="PATH|URL",
                help="SQLite file or postgresql:// URL; by default the user's outbox for "
                "the organisation and target under $XDG_STATE_HOME (~/.local/state).",
            ),
            click.option(
                "--org-code",
                help="The sender's 18-character 统一社会信用代码; it starts every Cd_Batch.",
            ),
            click.option(
                "--environment",
                type=click.Choice(["test", "production"]),
                help="The standard's test or production API root (HTTPS).",
            ),
            click.option(
                "--base-url",
                help="This API root instead, e.g. http://127.0.0.1:8080/ebus/tysb-sjcj.",
            ),
        ]
    ):
        func = option(func)
    return func


def api_target(environment: str | None, base_url: str | None) -> str | None:
    """The target an outbox belongs to: an environment name or a base URL."""
    if environment is not None and base_url is not None:
        raise click.UsageError("give at most one of --environment or --base-url")
    return environment if environment is not None else base_url.rstrip("/") if base_url else None


def resolve_target(
    package: ModuleType, explicit: str | None, org_code: str | None, target: str | None
) -> str:
    """--outbox as given, or the default outbox of the organisation and target."""
    if explicit:
        return explicit
    if org_code is None or target is None:
        raise click.UsageError(
            "give --outbox, or --org-code with --environment or --base-url (the default outbox "
            "is one per organisation and target)"
        )
    path: Path = package.outbox.default_outbox_path(org_code, target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.UsageError(f"cannot create the outbox directory {path.parent}: {exc}") from None
    return str(path)


@contextmanager
def opened(package: ModuleType, target: str, org_code: str | None, **options: Any) -> Iterator[Any]:
    """The Outbox at ``target``; a problem opening it is a usage error (exit 2)."""
    try:
        outbox = package.outbox.Outbox(target, org_code, **options)
    except (ValueError, ImportError, sqlite3.Error, OSError) as exc:
        raise click.UsageError(f"发件箱 (outbox) {target}: {exc}") from None
    except Exception as exc:  # psycopg's errors: connection refused, bad URL, …
        if not type(exc).__module__.startswith("psycopg"):
            raise
        raise click.UsageError(f"发件箱 (outbox): {exc}") from None
    with outbox:
        yield outbox


def legacy_notice() -> str | None:
    """A warning when ./gdzw-outbox.sqlite3 (the old default) still holds unsent batches."""
    if not LEGACY_OUTBOX.is_file():
        return None
    try:
        db = sqlite3.connect(LEGACY_OUTBOX.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            (waiting,) = db.execute(
                "SELECT count(*) FROM batches WHERE state <> 'done' OR reconciled_at IS NULL"
            ).fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    if not waiting:
        return None
    return (
        f"注意：当前目录下的旧默认发件箱 ./{LEGACY_OUTBOX} 还有 {waiting} 个未送达或未对账的批次，"
        "它已不再是默认发件箱。用 `codegen outbox migrate` 把它并入现在的发件箱"
        "（同样的 --org-code 与 --environment/--base-url）。"
        f" (./{LEGACY_OUTBOX}, the previous default outbox, still holds {waiting} batches"
        " not delivered or not reconciled; move them with `codegen outbox migrate`.)"
    )


@click.group()
def outbox() -> None:
    """Inspect and repair an outbox (SQLite file or PostgreSQL database)."""


def _opened_from(
    ctx: click.Context,
    outbox_target: str | None,
    org_code: str | None,
    environment: str | None,
    base_url: str | None,
) -> Any:
    """The outbox the command's options name, opened (a context manager)."""
    root: Path = data_root(ctx)
    package = load_generated_package(root / "generated")
    target = resolve_target(package, outbox_target, org_code, api_target(environment, base_url))
    return opened(package, target, org_code)


@outbox.command()
@outbox_options
@click.pass_context
def status(
    ctx: click.Context,
    outbox_target: str | None,
    org_code: str | None,
    environment: str | None,
    base_url: str | None,
) -> None:
    """Counts per state, leases, reconciliation, and each dead batch with its last error."""
    with _opened_from(ctx, outbox_target, org_code, environment, base_url) as box:
        report = box.status()
    low, high = report.sequence_range
    click.echo(f"发件箱 (outbox): {report.location} [{report.backend}]")
    click.echo(
        f"组织 (org): {report.org_code}  接口地址 (API root): {report.api_root or '-'}  "
        f"序号段 (sequence range): {low}-{high}"
    )
    click.echo(f"{'状态 state':<14}{'批次 batches':>14}{'记录 records':>14}")
    for state in ("open", "pending", "done", "dead"):
        click.echo(
            f"{state:<14}{report.batches.get(state, 0):>14}{report.records.get(state, 0):>14}"
        )
    click.echo(
        f"租约中 (leased): {report.leased}  未对账 (unreconciled): {report.unreconciled}  "
        f"正文已清理 (pruned): {report.pruned}"
    )
    for batch in report.dead:
        click.echo(
            f"dead {batch.cd_batch} ({batch.key}, {batch.records} records, "
            f"{batch.attempts} tries): {batch.last_error}"
        )
    notice = legacy_notice()
    if notice and outbox_target is None:
        click.echo(notice, err=True)


@outbox.command()
@outbox_options
@click.option(
    "--batch",
    "cd_batches",
    multiple=True,
    metavar="CD_BATCH",
    help="Requeue only this dead batch (repeatable); all dead batches by default.",
)
@click.pass_context
def requeue(
    ctx: click.Context,
    outbox_target: str | None,
    org_code: str | None,
    environment: str | None,
    base_url: str | None,
    cd_batches: tuple[str, ...],
) -> None:
    """Move dead batches back to pending; newer versions delivered meanwhile are queued again."""
    with _opened_from(ctx, outbox_target, org_code, environment, base_url) as box:
        ids = None
        if cd_batches:
            known = {b.cd_batch: b.id for b in box.batches()}
            unknown = [cd for cd in cd_batches if cd not in known]
            if unknown:
                raise click.BadParameter(
                    f"no such batch: {', '.join(unknown)}", param_hint="--batch"
                )
            ids = [known[cd] for cd in cd_batches]
        count = box.requeue(ids)
    click.echo(f"{count} 个批次已重新排队 ({count} batches requeued)")


@outbox.command()
@outbox_options
@click.option(
    "--older-than-days",
    type=click.FloatRange(min=0),
    default=None,
    help="Delete bodies of records delivered more than this many days ago "
    "(default: the outbox's retention, 30 days).",
)
@click.pass_context
def prune(
    ctx: click.Context,
    outbox_target: str | None,
    org_code: str | None,
    environment: str | None,
    base_url: str | None,
    older_than_days: float | None,
) -> None:
    """Delete the stored bodies of records delivered long ago (counts and digests stay)."""
    with _opened_from(ctx, outbox_target, org_code, environment, base_url) as box:
        count = box.prune(older_than_days)
    click.echo(f"{count} 条已送达记录的正文已删除 ({count} delivered record bodies pruned)")


@outbox.command()
@click.argument(
    "old", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=LEGACY_OUTBOX
)
@outbox_options
@click.pass_context
def migrate(
    ctx: click.Context,
    old: Path,
    outbox_target: str | None,
    org_code: str | None,
    environment: str | None,
    base_url: str | None,
) -> None:
    """Move what OLD (default ./gdzw-outbox.sqlite3, the previous default) holds into the outbox.

    Its sequence numbers are never reused; its batches not yet delivered or reconciled
    move with their Cd_Batch (renumbered where the outbox already used it). OLD is then
    renamed to OLD.migrated.
    """
    with _opened_from(ctx, outbox_target, org_code, environment, base_url) as box:
        try:
            report = box.migrate_from(old)
        except (ValueError, sqlite3.Error) as exc:
            raise click.ClickException(f"{old}: {exc}") from None
        target = box.location
    for before, after in report.renumbered:
        click.echo(f"renumbered {before} → {after} (the outbox had used {before})")
    for cd_batch in report.skipped:
        click.echo(f"skipped delivered batch {cd_batch}: its number is used in the outbox")
    moved = old.with_name(old.name + ".migrated")
    old.rename(moved)
    click.echo(
        f"{report.batches} 个批次、{report.records} 条记录已并入 {target}；旧文件改名为 {moved} "
        f"({report.batches} batches, {report.records} records moved)"
    )
