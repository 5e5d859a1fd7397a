"""What ``codegen validate --report`` gathers while the records stream past.

Counts per record type, file, rule, field and problem code, the most frequent offending
values (Space-Saving, see ``report_counts``), the first few examples of each problem code
and of each cross-record problem: the state is bounded by the spec and these caps, never
by the number of records. Values of fields the spec marks ``personal`` are masked with the
generated package's own masking (``problems.mask_personal``) before they are kept.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import click

from codegen.data.jsonstream import shorten
from codegen.data.record_checks import RecordResult
from codegen.data.report_counts import CappedCounter, SpaceSaving

# How much of each kind the report keeps.
EXAMPLES_PER_CODE = 5
CROSS_EXAMPLES_PER_CODE = 10
TOP_VALUE_COUNTERS = 500
TOP_VALUES_SHOWN = 25
KEY_CAPACITY = 2000  # distinct rules or fields (the spec has a few hundred)
MESSAGE_CHARS = 300
# Buckets for what is not one field of the record type.
WHOLE_RECORD = "(整条记录)"
OTHER_FIELD = "(规范之外的字段)"
OTHER = "(其他)"
UNREADABLE = "unreadable"


@dataclass
class Counts:
    records: int = 0
    invalid: int = 0
    errors: int = 0
    warnings: int = 0


@dataclass
class FileCounts(Counts):
    key: str = ""
    unreadable: int = 0


@dataclass(frozen=True)
class Example:
    at: str
    message: str
    severity: str


@dataclass
class Summary:
    """The same totals as the printed summary line (``codegen.cli.validate.Tally``)."""

    records: int = 0
    invalid: int = 0
    errors: int = 0
    warnings: int = 0
    cross: int = 0
    unreadable: int = 0


@dataclass
class ReportCollector:
    """Fed in input order by ``codegen validate``; read by the report writers."""

    package: ModuleType
    profile: str
    length_unit: str
    mode: str  # "interface" or "dataset"
    cross: int = 0  # cross-record problems
    by_type: dict[str, Counts] = field(default_factory=dict)
    by_file: dict[str, FileCounts] = field(default_factory=dict)
    by_code: CappedCounter[str] = field(default_factory=lambda: CappedCounter(KEY_CAPACITY, OTHER))
    by_rule: CappedCounter[tuple[str, str]] = field(
        default_factory=lambda: CappedCounter(KEY_CAPACITY, (OTHER, OTHER))
    )
    by_field: CappedCounter[tuple[str, str]] = field(
        default_factory=lambda: CappedCounter(KEY_CAPACITY, (OTHER, OTHER))
    )
    values: SpaceSaving[tuple[str, str, str, str]] = field(
        default_factory=lambda: SpaceSaving(TOP_VALUE_COUNTERS)
    )
    examples: dict[str, list[Example]] = field(default_factory=dict)
    cross_by_code: CappedCounter[str] = field(
        default_factory=lambda: CappedCounter(KEY_CAPACITY, OTHER)
    )
    cross_examples: dict[str, list[Example]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        spec = self.package.spec
        self._fields: dict[str, dict[str, Any]] = {
            key: {f.wire_name: f for f in specs} for key, specs in spec.FIELDS.items()
        }
        self._personal = {
            key: frozenset(f.wire_name for f in specs if getattr(f, "personal", False))
            for key, specs in spec.FIELDS.items()
        }
        problems = importlib.import_module(self.package.__name__ + ".problems")
        mask = getattr(problems, "mask_personal", None)
        if mask is None:  # a package built before personal data was marked
            raise click.ClickException(
                f"{self.package.__name__} 早于 --report（没有 mask_personal）：请先运行 codegen build "
                "(the generated package predates --report: run codegen build)"
            )
        self._mask: Callable[[str], str] = mask

    # ------------------------------------------------------------ fed by codegen validate

    def add_result(self, result: RecordResult) -> None:
        """One record read and checked on its own (``codegen.data.record_checks``); one
        that could not be read counts as one invalid record with one error, as the
        summary does."""
        key, file = result.key, result.file
        if result.error is not None:
            self._count(key, file, 1, 1, 1, 0)
            at = result.place(result.findings[0] if result.findings else None)
            self._unreadable(key, file, at, result.error, int(result.unreadable))
            return
        errors = result.errors
        self._count(key, file, 1, 1 if errors else 0, errors, len(result.findings) - errors)
        personal = self._personal.get(key, frozenset())
        fields = self._fields.get(key, {})
        for f in result.findings:
            field_name = f.field if f.field is not None else WHOLE_RECORD
            if f.field is not None and field_name not in fields:
                field_name = OTHER_FIELD
            code = f.code or OTHER
            self.by_code.add(code)
            self.by_rule.add((f.rule or code, code))
            self.by_field.add((key, field_name))
            value = f.value
            message = f.message
            if value is not None and f.field in personal:
                masked = _mask_shown(value, self._mask)
                message = message.replace(value, masked)
                value = masked
            if value is not None:
                self.values.add((key, field_name, code, value))
            kept = _room(self.examples, code, EXAMPLES_PER_CODE)
            if kept is not None:
                severity = "warning" if f.warning else "error"
                kept.append(Example(result.place(f), shorten(message, MESSAGE_CHARS), severity))

    def add_unreadable_file(self, key: str, path: Path, message: str) -> None:
        """A file that failed while being read: one error, no record."""
        self._count(key, str(path), 0, 1, 1, 0)
        self._unreadable(key, str(path), str(path), message, 1)

    def add_cross(self, code: str | None, at: str, message: str) -> None:
        """A cross-record problem (duplicate RowGuid, unknown project, count mismatch)."""
        code = code or OTHER
        self.cross += 1
        self.cross_by_code.add(code)
        kept = _room(self.cross_examples, code, CROSS_EXAMPLES_PER_CODE)
        if kept is not None:
            kept.append(Example(at, shorten(message, MESSAGE_CHARS), "error"))

    # ------------------------------------------------------------ helpers

    def _count(
        self, key: str, path: str, records: int, invalid: int, errors: int, warnings: int
    ) -> None:
        kind = self.by_type.get(key)
        if kind is None:
            kind = self.by_type[key] = Counts()
        per_file = self.by_file.get(path)
        if per_file is None:
            per_file = self.by_file[path] = FileCounts(key=key)
        for counts in (kind, per_file):
            counts.records += records
            counts.invalid += invalid
            counts.errors += errors
            counts.warnings += warnings

    def _unreadable(self, key: str, path: str, at: str, message: str, places: int) -> None:
        self.by_file[path].unreadable += places
        self.by_code.add(UNREADABLE)
        kept = _room(self.examples, UNREADABLE, EXAMPLES_PER_CODE)
        if kept is not None:
            kept.append(Example(at, shorten(message, MESSAGE_CHARS), "error"))

    @property
    def summary(self) -> Summary:
        """The totals, from the counts per record type and per file (the cross-record
        problems are errors too)."""
        s = Summary(cross=self.cross, errors=self.cross)
        for kind in self.by_type.values():
            s.records += kind.records
            s.invalid += kind.invalid
            s.errors += kind.errors
            s.warnings += kind.warnings
        s.unreadable = sum(counts.unreadable for counts in self.by_file.values())
        return s

    def retained(self) -> int:
        """How many things the collector holds (a test's measure of its bound)."""
        return (
            len(self.by_type)
            + len(self.by_file)
            + len(self.by_code)
            + len(self.by_rule)
            + len(self.by_field)
            + len(self.values)
            + sum(len(v) + 1 for v in self.examples.values())
            + len(self.cross_by_code)
            + sum(len(v) + 1 for v in self.cross_examples.values())
        )


def _room(store: dict[str, list[Example]], code: str, limit: int) -> list[Example] | None:
    """The examples kept for ``code`` if there is room for one more, else None."""
    kept = store.get(code)
    if kept is None:
        if len(store) >= KEY_CAPACITY:
            return None
        kept = store[code] = []
    return kept if len(kept) < limit else None


def _mask_shown(shown: str, mask: Callable[[str], str]) -> str:
    """A value as the validators show it (``repr``, cut to 60 characters with ``...``), its
    text masked and its quotes and cut mark kept."""
    cut = shown.endswith("...") and len(shown) >= 60
    body = shown[:-3] if cut else shown
    quote = body[:1] if body[:1] in ("'", '"') else ""
    inner = body[len(quote) :]
    if quote and inner.endswith(quote) and not cut:
        return quote + mask(inner[:-1]) + quote
    return quote + mask(inner) + ("..." if cut else "")
