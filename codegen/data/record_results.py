"""What checking one record on its own gives: its findings, counts and index entry."""

from __future__ import annotations

from typing import NamedTuple

from codegen.data.datasets import IndexEntry


class Finding(NamedTuple):
    """One problem of a record; ``at`` is its cell in a workbook, "" for the record's
    place (:meth:`RecordResult.place`). ``field``, ``rule`` and ``value`` (as the
    validators show it) are the generated problem's, for ``--report``."""

    at: str
    message: str
    code: str | None
    warning: bool
    field: str | None = None
    rule: str | None = None
    value: str | None = None


class RecordResult(NamedTuple):
    """One record checked on its own (its cross-record problems come later, from the index).

    ``error`` is set when the record could not be read at all (its only finding);
    ``unreadable`` when that was an error of reading the file. ``entry`` is what the
    cross-record index needs from the record (empty when it is not an object).
    """

    file: str
    key: str
    number: int
    line: int | None  # the line of JSON Lines, the row of a workbook
    sheet: str | None
    findings: tuple[Finding, ...]
    errors: int
    error: str | None
    unreadable: bool
    entry: IndexEntry

    def place(self, finding: Finding | None = None) -> str:
        """Where the record (or its ``finding``) is: ``file:#3 (line 4)``, ``file 受理!C7``."""
        if finding is not None and finding.at:
            return finding.at
        return record_place(self.file, self.number, self.line)


def record_place(file: str, number: int, line: int | None) -> str:
    """Where a record is: ``file:#3 (line 4)`` (no line for a record of a JSON array)."""
    return f"{file}:#{number}" + (f" (line {line})" if line else "")
