"""``codegen validate``: records checked one by one, and a dataset's records against each other.

With ``--interface KEY`` every file holds records of type KEY and each record
is checked on its own. Without it the arguments form a dataset of mixed types
(type from the file name or ``KEY=PATH``): each record is checked on its own
and, through an on-disk index, against the others (duplicate RowGuids,
ProjectNo without an accept record, reconciliation counts; see
``codegen.data.datasets``).
"""

from __future__ import annotations

import errno
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, BinaryIO

import click

from codegen.data.datasets import CrossProblem, DatasetError, DatasetIndex, rules_from_package
from codegen.data.generated_package import load_generated_package
from codegen.data.inputs import DataFile, InputError, resolve_inputs
from codegen.data.jsonstream import read_lines, shorten
from codegen.data.pieces import PieceResult, placed_lines, placed_records, placed_rows
from codegen.data.record_checks import RecordChecker, Settings, WorkerError
from codegen.project import data_root

if TYPE_CHECKING:
    from codegen.data.report_collect import ReportCollector

# The generated validators' options (gdzw_uppro.PROFILES and LENGTH_UNITS).
PROFILES = ("gateway", "standard", "strict")
LENGTH_UNITS = ("char", "utf8")
# A line of --accept-list holds one ProjectNo (tens of characters).
_ACCEPT_LINE_MAX_BYTES = 4096


@dataclass
class Tally:
    """What a run found; ``errors`` includes the cross-record problems."""

    records: int = 0
    invalid: int = 0  # records with an error of their own (or unreadable)
    errors: int = 0
    warnings: int = 0
    cross: int = 0
    unreadable: int = 0  # places where a file could not be read (also counted as errors)

    def summary(self) -> str:
        """One line; ``(N records, M invalid, P problems)`` as before warnings existed."""
        problems = self.errors + self.warnings
        line = (
            f"{self.records} 条记录，{self.invalid} 条有问题，共 {problems} 处问题："
            f"{self.errors} 个错误，{self.warnings} 个警告，{self.cross} 处跨记录问题 "
            f"({self.records} records, {self.invalid} invalid, {problems} problems) "
            f"({self.errors} errors, {self.warnings} warnings, {self.cross} cross-record problems)"
        )
        if self.unreadable:
            line += f"；{self.unreadable} 处无法读取 ({self.unreadable} unreadable)"
        return line

    @property
    def exit_code(self) -> int:
        """2 if some input could not be read, 1 if any record is invalid, else 0."""
        return 2 if self.unreadable else 1 if self.errors else 0


@dataclass(frozen=True)
class Options:
    profile: str
    length_unit: str
    quiet: bool
    jobs: int  # 0: the idle processors, decided when a file is large enough
    # Fed every record's result and every cross-record problem when --report is given.
    report: ReportCollector | None = None


def _report_paths(
    ctx: click.Context, param: click.Parameter, value: tuple[Path, ...]
) -> tuple[Path, ...]:
    """Checked before anything is validated: a known extension, a folder that exists."""
    if not value:
        return value
    from codegen.data.report_output import FORMATS, report_format

    for path in value:
        if report_format(path) is None:
            raise click.BadParameter(
                f"{path}: 报告格式由扩展名决定，可用 {', '.join(FORMATS)} "
                f"(the format follows the extension: {', '.join(FORMATS)})",
                ctx,
                param,
            )
        if not path.parent.is_dir():
            raise click.BadParameter(f"{path}: 目录不存在 (no such folder)", ctx, param)
        if path.is_dir():
            raise click.BadParameter(f"{path}: 是目录，不能写入报告 (is a folder)", ctx, param)
    return value


@click.command("validate")
@click.option(
    "--interface",
    "key",
    default=None,
    help="Every FILE holds records of this type (accept, process, result, specialprocedure, "
    "material, correction, receive or reconciliation); records are checked one by one. "
    "Without it the FILES are one dataset, also checked across records.",
)
@click.argument("paths", metavar="FILES...", nargs=-1, required=True)
@click.option(
    "--profile",
    type=click.Choice(PROFILES),
    default="standard",
    show_default=True,
    help="gateway: what the gateway surely checks; standard: every format and rule the "
    "standard states; strict: also check digits, division codes and cross-field order.",
)
@click.option(
    "--length-unit",
    type=click.Choice(LENGTH_UNITS),
    default="char",
    show_default=True,
    help="Count String(n) lengths in characters or in UTF-8 bytes.",
)
@click.option(
    "--accept-list",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Text file of ProjectNo values (one a line) whose accept records exist upstream.",
)
@click.option(
    "--index",
    "index_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file for the cross-record key index (kept; default a temporary file).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary.")
@click.option(
    "--report",
    "reports",
    multiple=True,
    type=click.Path(path_type=Path),  # the callback says what is wrong, in Chinese too
    callback=_report_paths,
    help="Also write a data-quality report: .html (one self-contained page with charts) or "
    ".json (the same summary for CI dashboards), by the extension. May be repeated.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=0,
    help="Processes that check a large JSON Lines file (8 MiB or more) together; 0 (the "
    "default) uses the processors that are idle (measured over the first tenth of a second "
    "of checking the first such file; at most a container's CPU quota, and 8), 1 checks in "
    "this process only. Output and exit code are the same either way.",
)
@click.pass_context
def validate(
    ctx: click.Context,
    key: str | None,
    paths: tuple[str, ...],
    profile: str,
    length_unit: str,
    accept_list: Path | None,
    index_path: Path | None,
    quiet: bool,
    reports: tuple[Path, ...],
    jobs: int,
) -> None:
    """Validate records in FILES (JSON array, JSON Lines or a filled .xlsx template), streamed.

    Each of FILES is a file, a directory (its .json, .jsonl and .xlsx files) or
    KEY=PATH. Without --interface a file's record type is the key its name
    starts with (accept.jsonl, process-2024-01.json) or the KEY given, and the
    records are also checked against each other: RowGuids unique per type,
    every ProjectNo of an accept record in the set (or in --accept-list), and
    reconciliation Cd_count equal to the records held per table and Cd_batch.

    Keys are normalized first (letter case, errata aliases); every problem is
    reported with file, record number (sheet!cell for .xlsx), field, Chinese
    label and reason; warnings are marked and do not fail. Exits 1 if there is
    any error, 2 if some input cannot be read (the records before the place
    where a file breaks are still checked).
    """
    root: Path = data_root(ctx)
    package = load_generated_package(root / "generated")
    if key is not None and key not in package.RECORD_KEYS:
        raise click.BadParameter(
            f"{key!r}; choose from {', '.join(package.RECORD_KEYS)}", param_hint="--interface"
        )
    if key is not None and (accept_list is not None or index_path is not None):
        raise click.UsageError(
            "--accept-list and --index are for cross-record checks, which run without --interface"
        )
    try:
        inputs = resolve_inputs(paths, package.RECORD_KEYS, key)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="FILES") from None
    # The report must not replace any file the run reads or keeps.
    kept = [data.path for data in inputs] + [p for p in (accept_list, index_path) if p]
    collector = _collector(package, profile, length_unit, key, reports, kept)
    options = Options(profile, length_unit, quiet, jobs, collector)
    tally = Tally()
    try:
        if key is not None:
            _check_interface(package, inputs, options, tally)
        else:
            _check_dataset(package, inputs, options, tally, accept_list, index_path)
    except sqlite3.Error as exc:  # say, the disk under the index is full
        raise _OutputError(f"无法写入键索引 (cannot write the key index): {exc}") from None
    _echo(tally.summary(), err=bool(tally.errors))
    if collector is not None:
        _write_reports(collector, reports)
    sys.exit(tally.exit_code)


def _collector(
    package: ModuleType,
    profile: str,
    length_unit: str,
    key: str | None,
    reports: tuple[Path, ...],
    inputs: list[Path],
) -> ReportCollector | None:
    if not reports:
        return None
    from codegen.data.report_collect import ReportCollector
    from codegen.data.report_output import input_clash

    clash = input_clash(reports, inputs)
    if clash is not None:
        raise click.BadParameter(
            f"{clash}: 是输入文件，不会被报告覆盖 (is an input file; not overwritten)",
            param_hint="--report",
        )
    return ReportCollector(package, profile, length_unit, "interface" if key else "dataset")


def _write_reports(collector: ReportCollector, reports: tuple[Path, ...]) -> None:
    from codegen.data.report_output import write_report

    for path in dict.fromkeys(reports):
        try:
            write_report(collector, path)
        except OSError as exc:
            click.echo(f"{path}: 无法写入报告 (cannot write the report): {exc}", err=True)
            sys.exit(2)
        click.echo(f"报告已写入 {path} (report written)", err=True)


def _check_interface(
    package: ModuleType, inputs: list[DataFile], options: Options, tally: Tally
) -> None:
    """Records of one type: each on its own, and RowGuids unique across the files (a later
    record of the same RowGuid with Cd_Operation U or D is a change, not a duplicate)."""
    try:
        index = DatasetIndex(rules_from_package(package, across_types=False))
    except (DatasetError, sqlite3.Error, OSError) as exc:
        raise click.ClickException(f"无法建立索引 (cannot create the key index): {exc}") from None
    with index, _Output(options) as out:
        _check_files(package, inputs, options, tally, index, out)
        for problem in index.duplicate_row_guids():
            _cross(options, tally, problem, out)


def _check_dataset(
    package: ModuleType,
    inputs: list[DataFile],
    options: Options,
    tally: Tally,
    accept_list: Path | None,
    index_path: Path | None,
) -> None:
    try:
        index = DatasetIndex(rules_from_package(package), index_path)
    except (DatasetError, sqlite3.Error, OSError) as exc:
        raise click.BadParameter(str(exc), param_hint="--index") from None
    with index, _Output(options) as out:
        if accept_list is not None:
            try:
                with open(accept_list, "rb") as stream:
                    index.add_accept_list(_accept_lines(stream))
            except (OSError, _UnreadableLine) as exc:
                click.echo(f"{accept_list}: 无法读取 (cannot read): {exc}", err=True)
                sys.exit(2)
        _check_files(package, inputs, options, tally, index, out)
        for problem in index.problems():
            _cross(options, tally, problem, out)


def _check_files(
    package: ModuleType,
    inputs: list[DataFile],
    options: Options,
    tally: Tally,
    index: DatasetIndex,
    out: _Output,
) -> None:
    """Validates every record of every file, in this process or across worker processes."""
    settings = Settings(options.profile, options.length_unit, index.rules)
    keep = options.report is not None
    try:
        with RecordChecker(package, settings, index.file_id, options.jobs, keep) as checker:
            for data in inputs:
                base = 0  # records of the file taken so far
                pieces = checker.pieces(data.key, data.path)
                try:
                    while True:
                        # Only reading the file is caught here: an error writing the
                        # output (a closed pipe, a full disk) is not the input's.
                        try:
                            piece = next(pieces, None)
                        except OSError as exc:
                            _unreadable(data, exc, tally, out, options.report)
                            break
                        if piece is None:
                            break
                        _consume(piece, base, tally, index, out, options.report)
                        base += piece.size
                finally:
                    pieces.close()  # before the workers stop: what they still send is read
    except WorkerError as exc:
        out.flush()
        raise click.ClickException(
            f"{exc}；可用 --jobs 1 在单个进程中检查 (try --jobs 1)"
        ) from None


def _unreadable(
    data: DataFile,
    exc: OSError,
    tally: Tally,
    out: _Output,
    report: ReportCollector | None,
) -> None:
    """A file that cannot be read (from the start or partway): one error of its own."""
    tally.invalid += 1
    tally.errors += 1
    tally.unreadable += 1
    message = f"无法读取 (cannot read): {shorten(str(exc), 200)}"
    out.emit(str(data.path), message)
    if report is not None:
        report.add_unreadable_file(data.key, data.path, message)


def _consume(
    piece: PieceResult,
    base: int,
    tally: Tally,
    index: DatasetIndex,
    out: _Output,
    report: ReportCollector | None,
) -> None:
    """Takes the results of a piece of a file (its records numbered after ``base``
    others), in input order, in this process: the one place where they are counted,
    printed, indexed and reported."""
    tally.records += piece.size
    tally.invalid += piece.invalid
    tally.errors += piece.errors
    tally.warnings += piece.warnings
    tally.unreadable += piece.unreadable
    if piece.lines and not out.quiet:
        out.extend(placed_lines(piece, base))
    for table, rows in placed_rows(piece, base):
        index.add_rows(table, rows)
    if report is not None:
        for result in placed_records(piece, base):
            report.add_result(result)


def _cross(options: Options, tally: Tally, problem: CrossProblem, out: _Output) -> None:
    tally.errors += 1
    tally.cross += 1
    out.emit(str(problem.place), problem.message, problem.code)
    if options.report is not None:
        options.report.add_cross(problem.code, str(problem.place), problem.message)


class _UnreadableLine(Exception):
    pass


def _accept_lines(stream: BinaryIO) -> Iterator[str]:
    """The accept list's lines; one that is not UTF-8 or longer than a ProjectNo could be
    (by far) stops the run."""
    for _, text, error in read_lines(stream, _ACCEPT_LINE_MAX_BYTES):
        if error is not None or text is None:
            raise _UnreadableLine(error)
        yield text


def _echo(text: str, nl: bool = True, err: bool = False) -> None:
    """click.echo, with an output that cannot be written (a full disk) as a clean error;
    a reader that is gone (``| head``) is left to click, which ends the run quietly."""
    try:
        click.echo(text, nl=nl, err=err)
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            raise
        raise _OutputError(f"无法写出结果 (cannot write the output): {exc}") from None


class _OutputError(click.ClickException):
    """The problems or the key index could not be written (a full disk, say): exit 2,
    like input that cannot be read."""

    exit_code = 2


class _Output:
    """Problems printed in batches (one write per many lines, not one per problem)."""

    _BATCH = 512

    def __init__(self, options: Options) -> None:
        self.quiet = options.quiet
        self.lines: list[str] = []
        self.failed = False

    def __enter__(self) -> _Output:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()

    def emit(self, at: str, message: str, code: str | None = None, warning: bool = False) -> None:
        if self.quiet:
            return
        marker = "warning: " if warning else ""
        suffix = f" [{code}]" if code else ""
        self.lines.append(f"{at}: {marker}{message}{suffix}\n")
        if len(self.lines) >= self._BATCH:
            self.flush()

    def extend(self, lines: list[str]) -> None:
        self.lines.extend(lines)
        if len(self.lines) >= self._BATCH:
            self.flush()

    def flush(self) -> None:
        if self.lines and not self.failed:
            text = "".join(self.lines)
            self.lines.clear()
            self.failed = True  # until written: nothing more if it fails, not even on exit
            _echo(text, nl=False)
            self.failed = False
