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
from codegen.jsonstream import Item, shorten
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
    default=DEFAULT_ROOT,
    show_default="this checkout",
    help="Project directory holding spec/ and generated/.",
)
@click.pass_context
def main(ctx: click.Context, root: Path) -> None:
    """gdzw-codegen: GDZW 0003-2019（广东政务服务网办件过程数据采集接口规范）的代码生成器.

    The standard is transcribed once in spec/; `codegen build` turns it into
    everything under generated/:

    \b
      python/gdzw_uppro/      the Python package (stdlib only): records, validators,
                              client, outbox, mock gateway, examples
      jsonschema/KEY.schema.json  a JSON Schema (2020-12) per record type
      openapi.json            OpenAPI 3.1: the 16 endpoints, headers, examples
      xlsx/KEY.xlsx           an Excel data-entry template per data record type
      docs/index.html         the HTML reference (fields, rules, code sets, errata)
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
@click.option(
    "--environment",
    type=click.Choice(["test", "production"]),
    help="Send to the standard's test or production API root (HTTPS).",
)
@click.option(
    "--base-url", help="Send to this API root instead, e.g. http://127.0.0.1:8080/ebus/tysb-sjcj."
)
@click.option(
    "--org-code",
    required=True,
    help="The sender's 18-character 统一社会信用代码; it starts every Cd_Batch.",
)
@click.option(
    "--outbox",
    "outbox_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("gdzw-outbox.sqlite3"),
    show_default=True,
    help="SQLite outbox file; a later run resumes what an earlier one left.",
)
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
    environment: str | None,
    base_url: str | None,
    org_code: str,
    outbox_path: Path,
    token_env: str,
    max_attempts: int,
    reconcile: bool,
    allow_insecure_http: bool,
) -> None:
    """Send records in FILES (JSON array, JSON Lines or a filled .xlsx template) through the outbox.

    Records are validated and stored in the outbox first (invalid ones are
    refused and reported), then delivered in batches of at most 99; a run that
    is interrupted resumes from the outbox. Each file is read and checked whole
    first: one that cannot be read whole (broken JSON, invalid UTF-8, an
    over-size record, a broken workbook) puts nothing in the outbox. Exits 2 if
    a file could not be read, 1 if any record was refused or any batch ended in
    the dead-letter state.
    """
    import os

    if (environment is None) == (base_url is None):
        raise click.UsageError("give exactly one of --environment or --base-url")
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
        outbox = package.outbox.Outbox(outbox_path, org_code, max_attempts=max_attempts)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    read = refused = unreadable = 0
    with outbox:
        for path in files:
            with tempfile.TemporaryFile(prefix="codegen-send-") as spool:
                count, breaks = _read_whole(path, key, package, spool)
                read += count
                if breaks:
                    unreadable += 1
                    for message in breaks:
                        click.echo(message)
                    click.echo(
                        f"{path}: 文件无法完整读取，未放入发件箱 (cannot be read whole; nothing enqueued)"
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
                        refused += _enqueue(outbox, key, path, chunk)
                        chunk = []
                refused += _enqueue(outbox, key, path, chunk)
        waiting = [b for b in outbox.batches() if b.state in ("open", "pending") and b.records]
        done_batches = dead_batches = 0
        with click.progressbar(
            length=len(waiting), label="delivering batches", file=sys.stderr
        ) as bar:
            while True:
                report = outbox.deliver(
                    client, on_batch=lambda info: bar.update(1) if info.state != "pending" else None
                )
                done_batches += len(report.done)
                dead_batches += len(report.dead)
                if not report.remaining:
                    break
        reconciled = 0
        if reconcile and not dead_batches:
            try:
                reconciled = outbox.send_reconciliation(client)
            except package.client.GatewayError as exc:
                click.echo(f"对账失败 (reconciliation refused): {exc}", err=True)
                dead_batches += 1
        counts = outbox.counts()
        for batch in outbox.batches("dead"):
            click.echo(
                f"dead batch {batch.cd_batch} ({batch.records} records): {batch.last_error}",
                err=True,
            )
    click.echo(
        f"{read} 条读入，{refused} 条被拒，{done_batches} 个批次已送达，{dead_batches} 个批次失败，"
        f"{reconciled} 条对账记录；发件箱：{counts} "
        f"({read} read, {refused} refused, {done_batches} batches delivered, {dead_batches} failed, "
        f"{reconciled} reconciliation records)"
        + (f"；{unreadable} 个文件无法读取 ({unreadable} unreadable files)" if unreadable else "")
    )
    sys.exit(2 if unreadable else 1 if refused or dead_batches else 0)


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


def _enqueue(outbox: Any, key: str, path: Path, items: list[Item]) -> int:
    if not items:
        return 0
    report = outbox.enqueue(key, [item.value for item in items])
    for index, problems in report.refused:
        for problem in problems:
            at = record_files.where(path, items[index], problem.field)
            click.echo(f"{at}: {problem.message} [{problem.code}]")
    return len(report.refused)


# Registered here, defined in their own module.
from codegen.cli_data import refresh_data  # noqa: E402
from codegen.cli_diff import diff  # noqa: E402
from codegen.cli_validate import validate  # noqa: E402
from codegen.cli_xlsx import xlsx  # noqa: E402

main.add_command(xlsx)
main.add_command(diff)
main.add_command(validate)
main.add_command(refresh_data)


if __name__ == "__main__":  # pragma: no cover
    main()
