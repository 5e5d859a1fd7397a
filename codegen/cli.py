"""The ``codegen`` command line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from codegen import record_files
from codegen.build import find_drift, render_all, write_all
from codegen.canonical import non_canonical, write_canonical
from codegen.cli_outbox import api_target, legacy_notice, opened, outbox_options, resolve_target
from codegen.jsonstream import Item
from codegen.loader import load_spec
from codegen.problems import SpecError
from codegen.render import RenderError
from codegen.runtime_package import load_generated_package

# The repository this codegen package lives in: spec/, templates/, generated/.
DEFAULT_ROOT = Path(__file__).resolve().parent.parent


def _paths(ctx: click.Context) -> tuple[Path, Path]:
    root: Path = ctx.obj["root"]
    return root / "spec", root / "generated"


def _spec_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turns spec and render errors into a report on stderr and exit code 1."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SpecError as exc:
            click.echo(exc.report(), err=True)
            sys.exit(1)
        except RenderError as exc:
            click.echo(f"生成失败 (render failed): {exc}", err=True)
            sys.exit(1)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_ROOT,
    show_default="this checkout",
    help="Project directory holding spec/ and generated/.",
)
@click.pass_context
def main(ctx: click.Context, root: Path) -> None:
    """gdzw-codegen: GDZW 0003-2019（广东政务服务网办件过程数据采集接口规范）的代码生成器.

    The standard is transcribed once in spec/; `codegen build` turns it into the
    Python package, JSON Schemas and OpenAPI document under generated/.
    """
    ctx.ensure_object(dict)
    ctx.obj["root"] = root


@main.command()
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; list stale, missing and orphan files in generated/ and spec "
    "files not in canonical layout, and exit 1 if there are any.",
)
@click.pass_context
@_spec_errors
def build(ctx: click.Context, check: bool) -> None:
    """Generate every artefact from spec/ into generated/ (all or nothing).

    The spec is checked first; any problem is reported with file and field and
    generated/ is left untouched. Output is deterministic: the same spec gives
    byte-identical files.
    """
    spec_dir, out_dir = _paths(ctx)
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
    write_all(rendered.files, out_dir)
    changed = len(drift.stale) + len(drift.missing) + len(drift.orphans)
    click.echo(
        f"wrote {len(rendered.files)} files to {out_dir} ({changed} changed), spec {rendered.spec.hash[:12]}."
    )
    for line in drift.lines():
        if line.startswith("not in canonical layout"):
            click.echo(line, err=True)


@main.command()
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 if a spec file is not canonical."
)
@click.pass_context
@_spec_errors
def fmt(ctx: click.Context, check: bool) -> None:
    """Rewrite spec/ files in the canonical layout (key order, quoting, indentation)."""
    spec_dir, _ = _paths(ctx)
    loaded = load_spec(spec_dir)
    if check:
        bad = non_canonical(loaded.docs, loaded.texts)
        for rel in bad:
            click.echo(f"not in canonical layout: spec/{rel}", err=True)
        sys.exit(1 if bad else 0)
    for rel in write_canonical(loaded.docs, spec_dir):
        click.echo(f"rewrote spec/{rel}")


@main.command()
@click.option("--interface", "key", required=True, help="Record type, e.g. accept.")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@outbox_options
@click.option(
    "--token-env",
    default="GDZW_TOKEN",
    show_default=True,
    help="Environment variable holding the token (never passed on the command line).",
)
@click.option(
    "--max-attempts",
    default=10,
    show_default=True,
    help="Tries per batch before it goes to the dead-letter state.",
)
@click.option(
    "--sequence-range",
    metavar="A-B",
    help="Daily Cd_Batch numbers this outbox may use (e.g. 1-49999), for independent outboxes "
    "of one organisation that share no database; stored in the outbox.",
)
@click.option(
    "--resend",
    is_flag=True,
    help="Send records even when they equal the version already delivered.",
)
@click.option(
    "--reconcile/--no-reconcile",
    default=True,
    show_default=True,
    help="Send 对账 records for delivered batches.",
)
@click.option(
    "--allow-insecure-http", is_flag=True, help="Allow plain http:// to a non-loopback host."
)
@click.pass_context
def send(
    ctx: click.Context,
    key: str,
    files: tuple[Path, ...],
    outbox_target: str | None,
    org_code: str | None,
    environment: str | None,
    base_url: str | None,
    token_env: str,
    max_attempts: int,
    sequence_range: str | None,
    resend: bool,
    reconcile: bool,
    allow_insecure_http: bool,
) -> None:
    """Send records in FILES (JSON array, JSON Lines or a filled .xlsx template) through the outbox.

    Records are validated and stored in the outbox first (invalid ones are refused and
    reported; ones equal to the version already delivered are skipped unless --resend),
    then delivered in batches of at most 99; a run that is interrupted resumes from the
    outbox, and several runs or processes may share it. Without --outbox the outbox is
    the user's one for the organisation and target (under $XDG_STATE_HOME, else
    ~/.local/state). Bodies delivered more than 30 days ago are pruned at the end. Exits 1
    if any record was refused or any batch ended in the dead-letter state.
    """
    import os

    if (environment is None) == (base_url is None):
        raise click.UsageError("give exactly one of --environment or --base-url")
    if org_code is None:
        raise click.UsageError("give --org-code, the sender's 统一社会信用代码")
    token = os.environ.get(token_env)
    if not token:
        raise click.UsageError(f"set the token in the environment variable {token_env}")
    _, out_dir = _paths(ctx)
    package = load_generated_package(out_dir)
    if key not in package.spec.RECONCILIATION_TABLES:
        raise click.BadParameter(
            f"{key!r}; choose from {', '.join(package.spec.RECONCILIATION_TABLES)}",
            param_hint="--interface",
        )
    try:
        client = package.client.Client(
            token,
            base_url=base_url,
            environment=environment,
            allow_insecure_http=allow_insecure_http,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if outbox_target is None:
        notice = legacy_notice()
        if notice:
            click.echo(notice, err=True)
    target = resolve_target(package, outbox_target, org_code, api_target(environment, base_url))
    read = refused = skipped = 0
    with opened(
        package,
        target,
        org_code,
        max_attempts=max_attempts,
        api_root=client.base_url,
        sequence_range=sequence_range,
    ) as outbox:
        try:
            for path in files:
                chunk: list[Item] = []
                for item in record_files.read_records(path, key, package):
                    read += 1
                    if item.error is not None:
                        refused += 1
                        click.echo(f"{record_files.where(path, item)}: {item.error}")
                        continue
                    chunk.append(item)
                    if len(chunk) >= 1000:  # bounded memory: enqueue as we read
                        refused, skipped = _enqueue(
                            outbox, key, path, chunk, resend, refused, skipped
                        )
                        chunk = []
                refused, skipped = _enqueue(outbox, key, path, chunk, resend, refused, skipped)
        except RuntimeError as exc:  # the day's sequence range is used up
            raise click.ClickException(str(exc)) from None
        waiting = [b for b in outbox.batches() if b.state in ("open", "pending") and b.records]
        with click.progressbar(
            length=len(waiting), label="delivering batches", file=sys.stderr
        ) as bar:
            report = outbox.deliver_all(
                client, on_batch=lambda info: bar.update(1) if info.state != "pending" else None
            )
        done_batches, dead_batches = len(report.done), len(report.dead)
        reconciled = 0
        if reconcile and not dead_batches:
            try:
                reconciled = outbox.send_reconciliation(client)
            except package.client.GatewayError as exc:
                click.echo(f"对账失败 (reconciliation refused): {exc}", err=True)
                dead_batches += 1
        outbox.prune()
        counts = outbox.counts()
        for batch in outbox.batches("dead"):
            click.echo(
                f"dead batch {batch.cd_batch} ({batch.records} records): {batch.last_error}",
                err=True,
            )
    click.echo(
        f"{read} 条读入，{refused} 条被拒，{skipped} 条与已送达（或已排队）的版本相同而跳过"
        f"{'' if not skipped else '（--resend 可强制重发）'}，{done_batches} 个批次已送达，"
        f"{dead_batches} 个批次失败，{reconciled} 条对账记录；发件箱 {outbox.location}：{counts} "
        f"({read} read, {refused} refused, {skipped} skipped as unchanged, "
        f"{done_batches} batches delivered, {dead_batches} failed, "
        f"{reconciled} reconciliation records)"
    )
    sys.exit(1 if refused or dead_batches else 0)


def _enqueue(
    outbox: Any,
    key: str,
    path: Path,
    items: list[Item],
    resend: bool,
    refused: int,
    skipped: int,
) -> tuple[int, int]:
    """Enqueues one chunk; returns the running totals of refused and skipped records."""
    if not items:
        return refused, skipped
    report = outbox.enqueue(key, [item.value for item in items], resend=resend)
    for index, problems in report.refused:
        for problem in problems:
            at = record_files.where(path, items[index], problem.field)
            click.echo(f"{at}: {problem.message} [{problem.code}]")
    return refused + len(report.refused), skipped + len(report.skipped)


# Registered here, defined in their own module.
from codegen.cli_data import refresh_data  # noqa: E402
from codegen.cli_diff import diff  # noqa: E402
from codegen.cli_outbox import outbox  # noqa: E402
from codegen.cli_validate import validate  # noqa: E402
from codegen.cli_xlsx import xlsx  # noqa: E402

main.add_command(xlsx)
main.add_command(diff)
main.add_command(validate)
main.add_command(refresh_data)
main.add_command(outbox)


if __name__ == "__main__":  # pragma: no cover
    main()
