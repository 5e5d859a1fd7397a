"""The ``codegen`` command line."""

from __future__ import annotations

import pickle
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import click

from codegen import record_files
from codegen.build import find_drift, render_all, write_all
from codegen.canonical import non_canonical, write_canonical
from codegen.cli_outbox import api_target, legacy_notice, opened, outbox_options, resolve_target
from codegen.jsonstream import Item, shorten
from codegen.loader import load_spec
from codegen.problems import SpecError
from codegen.project import data_root, find_project, spec_root
from codegen.render import RenderError
from codegen.runtime_package import load_generated_package

# The repository this codegen package lives in: spec/, templates/, generated/.


def _paths(ctx: click.Context) -> tuple[Path, Path]:
    root = spec_root(ctx)
    return root / "spec", root / "generated"


def _spec_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turns spec and render errors into a report on stderr and exit code 1
    (2 when a spec file cannot be read at all)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SpecError as exc:
            click.echo(exc.report(), err=True)
            sys.exit(exc.exit_code)
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
    default=None,
    help="Project directory holding spec/ and generated/ (default: the nearest folder "
    "from the working directory upward that holds spec/ and pyproject.toml).",
)
@click.pass_context
def main(ctx: click.Context, root: Path | None) -> None:
    """gdzw-codegen: GDZW 0003-2019（广东政务服务网办件过程数据采集接口规范）的代码生成器.

    The standard is transcribed once in spec/; `codegen build` turns it into
    everything under generated/:

    \b
      python/gdzw_uppro/      the Python package (stdlib only): records, validators,
                              client, outbox, mock gateway, examples
      jsonschema/KEY.schema.json  a JSON Schema (2020-12) per record type
      openapi.json            OpenAPI 3.1: the 16 endpoints, headers, examples
      openapi-3.0.json        the same in OpenAPI 3.0.3, for tools that read only 3.0
      xlsx/KEY.xlsx           an Excel data-entry template per data record type
      docs/index.html         the HTML reference (fields, rules, code sets, errata)
    """
    ctx.ensure_object(dict)
    ctx.obj["root"] = root if root is not None else find_project(Path.cwd())


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
        if not bad:
            click.echo("spec/ 已是规范布局 (spec/ is in canonical layout).")
        sys.exit(1 if bad else 0)
    rewritten = write_canonical(loaded.docs, spec_dir)
    for rel in rewritten:
        click.echo(f"rewrote spec/{rel}")
    click.echo(
        f"spec/ 已是规范布局，改写了 {len(rewritten)} 个文件 "
        f"(spec/ is in canonical layout; {len(rewritten)} file(s) rewritten)."
    )


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
    "--profile",
    type=click.Choice(("gateway", "standard", "strict")),
    default="standard",
    show_default=True,
    help="Validation profile records are checked under before they are enqueued.",
)
@click.option(
    "--length-unit",
    type=click.Choice(("char", "utf8")),
    default="char",
    show_default=True,
    help="Count String(n) lengths in characters or in UTF-8 bytes.",
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
    profile: str,
    length_unit: str,
    resend: bool,
    reconcile: bool,
    allow_insecure_http: bool,
) -> None:
    """Send records in FILES (JSON array, JSON Lines or a filled .xlsx template) through the outbox.

    Records are validated and stored in the outbox first (invalid ones are refused and
    reported; ones equal to the version already delivered are skipped unless --resend),
    then delivered in batches of at most 99; a run that is interrupted resumes from the
    outbox, and several runs or processes may share it. Each file is read and checked whole
    first: one that cannot be read whole (broken JSON, invalid UTF-8, an over-size record,
    a broken workbook) puts nothing in the outbox. Without --outbox the outbox is the
    user's one for the organisation and target (under $XDG_STATE_HOME, else
    ~/.local/state). Bodies delivered more than 30 days ago are pruned at the end. Exits 2
    if a file could not be read, 1 if any record was refused, any batch ended in the
    dead-letter state or a reconciliation was refused.
    """
    import os

    if (environment is None) == (base_url is None):
        raise click.UsageError(
            "--environment 与 --base-url 须且只须给出一个 "
            "(give exactly one of --environment or --base-url)"
        )
    if org_code is None:
        raise click.UsageError(
            "请用 --org-code 给出发送方的统一社会信用代码 "
            "(give --org-code, the sender's 统一社会信用代码)"
        )
    token = os.environ.get(token_env)
    if not token:
        raise click.UsageError(
            f"请在环境变量 {token_env} 中设置令牌 (set the token in the environment variable "
            f"{token_env})"
        )
    package = load_generated_package(data_root(ctx) / "generated")
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
    read = refused = skipped = unreadable = 0
    with opened(
        package,
        target,
        org_code,
        max_attempts=max_attempts,
        profile=profile,
        length_unit=length_unit,
        api_root=client.base_url,
        sequence_range=sequence_range,
    ) as outbox:
        try:
            for path in files:
                with tempfile.TemporaryFile(prefix="codegen-send-") as spool:
                    count, breaks = _read_whole(path, key, package, spool)
                    read += count
                    if breaks:
                        unreadable += 1
                        for message in breaks:
                            click.echo(message)
                        click.echo(
                            f"{path}: 文件无法完整读取，未放入发件箱 "
                            "(cannot be read whole; nothing enqueued)"
                        )
                        continue
                    chunk: list[Item] = []
                    for item in _unspool(spool):
                        if item.error is not None:
                            refused += 1
                            click.echo(f"{record_files.where(path, item)}: {item.error}")
                            continue
                        chunk.append(item)
                        if len(chunk) >= 1000:  # bounded memory: enqueue as we go
                            refused, skipped = _enqueue(
                                outbox, key, path, chunk, resend, refused, skipped
                            )
                            chunk = []
                    refused, skipped = _enqueue(outbox, key, path, chunk, resend, refused, skipped)
        except RuntimeError as exc:  # the day's sequence range is used up
            raise click.ClickException(str(exc)) from None
        waiting = [b for b in outbox.batches() if b.state in ("open", "pending") and b.records]
        with click.progressbar(
            length=len(waiting), label="正在送达批次 (delivering batches)", file=sys.stderr
        ) as bar:
            report = outbox.deliver_all(
                client, on_batch=lambda info: bar.update(1) if info.state != "pending" else None
            )
        done_batches, dead_batches = len(report.done), len(report.dead)
        reconciled = 0
        reconciliation_refused = False
        if reconcile and not dead_batches:
            try:
                reconciled = outbox.send_reconciliation(client)
            except package.client.GatewayError as exc:
                click.echo(f"对账被拒 (reconciliation refused): {exc}", err=True)
                reconciliation_refused = True
        outbox.prune()
        counts = outbox.counts()
        for batch in outbox.batches("dead"):
            click.echo(
                f"死信批次 (dead batch) {batch.cd_batch}（{batch.records} 条 records）："
                f"{batch.last_error}",
                err=True,
            )
    click.echo(
        f"{read} 条读入，{refused} 条被拒，{skipped} 条与已送达（或已排队）的版本相同而跳过"
        f"{'' if not skipped else '（--resend 可强制重发）'}，{done_batches} 个批次已送达，"
        f"{dead_batches} 个批次失败，{reconciled} 条对账记录"
        f"{'（对账被拒）' if reconciliation_refused else ''}；"
        f"发件箱 {outbox.location}：{_state_counts(counts)} "
        f"({read} read, {refused} refused, {skipped} skipped as unchanged, "
        f"{done_batches} batches delivered, {dead_batches} failed, "
        f"{reconciled} reconciliation records"
        f"{', reconciliation refused' if reconciliation_refused else ''})"
        + (f"；{unreadable} 个文件无法读取 ({unreadable} unreadable files)" if unreadable else "")
    )
    failed = refused or dead_batches or reconciliation_refused
    sys.exit(2 if unreadable else 1 if failed else 0)


# Batch states as the summary names them (records per state).
_STATE_LABELS = {
    "open": "待封批",
    "pending": "待送达",
    "done": "已送达",
    "dead": "死信",
}


def _state_counts(counts: dict[str, int]) -> str:
    """``已送达 120 条 (done)、死信 3 条 (dead)``: records per batch state."""
    if not counts:
        return "无记录 (empty)"
    return "、".join(
        f"{_STATE_LABELS.get(state, state)} {n} 条 ({state})" for state, n in sorted(counts.items())
    )


def _read_whole(path: Path, key: str, package: Any, spool: IO[bytes]) -> tuple[int, list[str]]:
    """Reads and checks ``path`` whole before anything from it is enqueued.

    Its records go to ``spool`` (a temporary file, so memory stays flat and a file
    changed meanwhile cannot slip in records that were not checked). Returns the
    number of records read and the places where reading failed; records are
    enqueued from the spool only when there are none.
    """
    count = 0
    breaks: list[str] = []
    try:
        for item in record_files.read_records(path, key, package):
            count += 1
            if item.unreadable:
                breaks.append(f"{record_files.where(path, item)}: {item.error}")
            elif not breaks:
                pickle.dump(item, spool, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError as exc:
        breaks.append(f"{path}: 无法读取 (cannot read): {shorten(str(exc), 200)}")
    spool.seek(0)
    return count, breaks


def _unspool(spool: IO[bytes]) -> Iterator[Item]:
    """The items _read_whole spooled, in order (written by this process: safe to unpickle)."""
    while True:
        try:
            item = pickle.load(spool)  # noqa: S301 - our own temporary file
        except EOFError:
            return
        assert isinstance(item, Item)
        yield item


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
