"""One classified difference between two editions of the spec (see ``codegen.diff.compare``).

Breaking means a sender or a program built on the generated artefacts that worked
with the old spec may fail with the new one (something removed, renamed, narrowed or
tightened); compatible means everything that worked still works (something added as
optional, widened, loosened, or only described differently).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["breaking", "compatible"]


@dataclass(frozen=True)
class Change:
    kind: str  # e.g. "field-removed", "code-added"
    severity: Severity
    record: str | None  # record key, when the change is inside a record type
    field: str | None  # wire name, when the change is about one field
    message: str
    # What the change is about when it is not a field: a code set, rule, endpoint,
    # code, alias or gateway setting. Forms the id together with record and field.
    subject: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """A stable name for the change, e.g. ``accept.ApplyDate.type-changed``.

        A spec acknowledges a breaking change by listing this id.
        """
        parts = [p for p in (self.record, self.field) if p] + list(self.subject)
        return ".".join(parts + [self.kind])

    @property
    def breaking(self) -> bool:
        return self.severity == "breaking"


@dataclass(frozen=True)
class Scope:
    """Where changes happen (a record, a field, a code set …); makes Changes there."""

    record: str | None = None
    field: str | None = None
    subject: tuple[str, ...] = ()

    def breaking(self, kind: str, message: str, *subject: str) -> Change:
        return Change(kind, "breaking", self.record, self.field, message, self.subject + subject)

    def compatible(self, kind: str, message: str, *subject: str) -> Change:
        return Change(kind, "compatible", self.record, self.field, message, self.subject + subject)


def changed(old: object, new: object) -> str:
    """``old → new`` for messages; absent values shown as a dash."""
    return f"{_shown(old)} → {_shown(new)}"


def _shown(value: object) -> str:
    return "—" if value is None or value == "" else str(value)
