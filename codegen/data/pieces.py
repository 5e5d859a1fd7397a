"""Records' results taken a piece at a time: what ``codegen validate`` prints, counts and
indexes for up to a thousand records (or a worker's piece of a file), made where the
records were checked.

A worker process cannot number its records in the whole file (the pieces before its own
may still be in other workers), so a piece numbers them from 1 and the caller, which
takes the pieces in file order, adds the records of the pieces before (``base``). All
the per-record work — counting, writing each problem's text, the rows for the
cross-record index — is done here, where the records were checked; the caller does one
step per problem (its place) and per index row (its number), never per record. That
keeps the process which orders the output from becoming the bottleneck of the workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from codegen.data.datasets import entry_rows, renumbered
from codegen.data.record_results import Finding, RecordResult, record_place

#: A problem as a piece holds it: (number in the piece, line, its cell or "", the text
#: after the place: "warning: " for a warning, the message, " [code]").
PieceLine = tuple[int, int | None, str, str]


class PieceResult(NamedTuple):
    """The results of ``size`` consecutive records of one file, numbered from 1 here."""

    file: str
    key: str
    size: int  # records in the piece
    invalid: int  # records with an error of their own (or unreadable)
    errors: int
    warnings: int
    unreadable: int
    lines: list[PieceLine]
    rows: dict[str, list[tuple[object, ...]]]  # index table → rows, numbered in the piece
    # Every record's result, for a --report (None when no report is written).
    kept: tuple[RecordResult, ...] | None


def summarize(
    file: str,
    key: str,
    results: Sequence[RecordResult],
    offset: int,
    file_id: Callable[[str | None], int],
    keep: bool,
) -> PieceResult:
    """``results`` (numbered ``offset`` + 1 on in the file) as one piece; ``file_id`` gives
    the index's id of the file (its sheet); ``keep`` keeps each result for a report."""
    invalid = errors = warnings = unreadable = 0
    lines: list[PieceLine] = []
    rows: dict[str, list[tuple[object, ...]]] = {}
    ids: dict[str | None, int] = {}
    for result in results:
        number = result.number - offset
        if result.errors:
            invalid += 1
            errors += result.errors
        warnings += len(result.findings) - result.errors
        unreadable += result.unreadable
        for found in result.findings:
            lines.append((number, result.line, found.at, problem_text(found)))
        if result.entry:
            sheet = result.sheet
            if sheet not in ids:
                ids[sheet] = file_id(sheet)
            for table, row in entry_rows(result.entry, ids[sheet], number, result.line):
                rows.setdefault(table, []).append(row)
    kept = None
    if keep:
        kept = tuple(r._replace(number=r.number - offset) for r in results)
    return PieceResult(
        file, key, len(results), invalid, errors, warnings, unreadable, lines, rows, kept
    )


def problem_text(found: Finding) -> str:
    """What follows a problem's place in the output."""
    return line_text(found.message, found.code, found.warning)


def line_text(message: str, code: str | None, warning: bool) -> str:
    """What follows a place in the output: the message, marked when a warning, with its
    code when it has one."""
    marker = "warning: " if warning else ""
    suffix = f" [{code}]" if code else ""
    return f"{marker}{message}{suffix}"


def placed_lines(piece: PieceResult, base: int) -> list[str]:
    """The piece's problems as output lines, records numbered after ``base`` others."""
    file = piece.file
    return [
        f"{at or record_place(file, number + base, line)}: {text}\n"
        for number, line, at, text in piece.lines
    ]


def placed_rows(piece: PieceResult, base: int) -> Iterator[tuple[str, list[tuple[object, ...]]]]:
    """The piece's index rows per table, records numbered after ``base`` others."""
    for table, rows in piece.rows.items():
        yield table, renumbered(table, rows, base)


def placed_records(piece: PieceResult, base: int) -> Iterator[RecordResult]:
    """The piece's kept results (for a report), numbered in the whole file."""
    for result in piece.kept or ():
        yield result._replace(number=result.number + base)
