# gdzw-codegen runtime module: `codegen build` copies it into the generated package and puts
# the do-not-edit header in place of these three lines, so line numbers stay the same.
# Spec facts come from the generated spec.py (relative imports resolve there).
"""字段名规范化 (map letter-case variants and errata aliases to canonical wire names).

The names each record type accepts are spec facts (spec.INPUT_NAMES).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .spec import INPUT_NAMES

__all__ = ["Normalized", "Renamed", "normalize"]


@dataclass(frozen=True)
class Renamed:
    """One key normalize() renamed: ``source`` → ``target``.

    ``erratum`` names the erratum in spec/errata.yaml that accepts the alias, or
    is None when only the letter case differed.
    """

    source: str
    target: str
    erratum: str | None

    def __str__(self) -> str:
        why = f"勘误 {self.erratum} 所列别名" if self.erratum else "仅大小写不同"
        return f"{self.source} → {self.target}（{why}）"


@dataclass(frozen=True)
class Normalized:
    """normalize()'s result: the record with canonical keys, and what was renamed.

    ``conflicts`` lists input keys left as they were because another key of the
    same record already supplied that field; the validator reports them as
    unknown fields, so nothing is dropped silently.
    """

    record: dict[str, object]
    renamed: tuple[Renamed, ...]
    conflicts: tuple[str, ...]


# Record key → its canonical wire names (spec facts, gathered once at import).
_CANONICAL: dict[str, frozenset[str]] = {
    key: frozenset(wire for wire, _ in names.values()) for key, names in INPUT_NAMES.items()
}


def canonical_record(key: str, mapping: Mapping[str, object]) -> dict[str, object]:
    """``normalize(key, mapping).record``, without building the report when nothing is
    renamed (the client's path for every record it sends)."""
    canonical = _CANONICAL.get(key)
    if canonical is not None and mapping.keys() <= canonical:
        return dict(mapping)  # a C-level copy; dict(mapping.items()) costs 10 times as much
    return normalize(key, mapping).record


def normalize(key: str, mapping: Mapping[str, object]) -> Normalized:
    """Maps keys to the canonical wire names of record type ``key``.

    A key equal to a canonical name is kept; one differing only in letter case
    (``acceptDate``, ``Table_Name``) or spelled as an erratum's alias
    (``ApplyUserIdCode``) is renamed and reported. Unknown keys are kept as they
    are, for the validator to report. Values are never changed.
    """
    names = INPUT_NAMES.get(key)
    if names is None:
        raise ValueError(
            f"未知的记录类型 {key!r}（unknown record type）；应为 {', '.join(INPUT_NAMES)} 之一"
        )
    canonical = _CANONICAL[key]
    if mapping.keys() <= canonical:
        # Every key is already a wire name (what a sender's own records and every
        # validated record hold): the record as it is, nothing renamed.
        return Normalized(dict(mapping), (), ())
    record: dict[str, object] = {}
    renamed: list[Renamed] = []
    conflicts: list[str] = []
    # Exact canonical names first, so they win over a variant of the same field.
    for source, value in mapping.items():
        if source in canonical:
            record[source] = value
    for source, value in mapping.items():
        if source in canonical:
            continue
        entry = names.get(source.casefold()) if isinstance(source, str) else None
        if entry is None:
            record[source] = value
        elif entry[0] in record:
            conflicts.append(source)
            record[source] = value
        else:
            record[entry[0]] = value
            renamed.append(Renamed(source, entry[0], entry[1]))
    return Normalized(record, tuple(renamed), tuple(conflicts))
