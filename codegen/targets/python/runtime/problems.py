# gdzw-codegen runtime module: `codegen build` copies it into the generated package and puts
# the do-not-edit header in place of these three lines, so line numbers stay the same.
# Spec facts come from the generated spec.py (relative imports resolve there).
"""校验问题与异常 (validation problems and errors).

The problem codes' labels, profiles and severities are spec facts (spec.py); they are
re-exported here, where the validators and their callers look for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .spec import PROBLEM_LABELS, PROBLEM_PROFILES, PROBLEM_SEVERITIES, PROFILES

__all__ = [
    "PROBLEM_LABELS",
    "PROBLEM_PROFILES",
    "PROBLEM_SEVERITIES",
    "PROFILES",
    "InvalidRecordError",
    "Problem",
    "errors",
    "mask_number",
    "mask_personal",
]


@dataclass(frozen=True)
class Problem:
    """校验发现的一个问题 (one problem found in a record).

    ``field`` is the canonical wire name (None for the record as a whole),
    ``code`` a machine code from ``PROBLEM_LABELS``, ``message`` a Chinese
    sentence naming the field, its label, the rule, the offending value and the
    standard's table. ``rule`` names the check (e.g. ``format:project_no`` or a
    rule id from the spec), ``value`` is the offending value as shown (truncated;
    ID and mobile numbers masked), ``severity`` is "error" or "warning".
    """

    field: str | None
    code: str
    message: str
    label: str | None = None
    source: str | None = None
    rule: str | None = None
    severity: str = "error"
    value: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        return self.message


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that make a record invalid (severity "error")."""
    return [p for p in problems if p.severity == "error"]


def mask_number(text: str) -> str:
    """A personal number (ID card, mobile) as shown: its first 3 and last 2 characters kept.

    Masking its own output gives the same text, so a value shown masked once can be
    passed through again safely.
    """
    if len(text) <= 5:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 5) + text[-2:]


def mask_personal(text: str) -> str:
    """Any personal value as a report shows it (spec ``personal: true``).

    Text that is mostly digits (a phone, an account or ID number, or one masked already)
    is masked as ``mask_number`` does; other text (a name, an address) keeps only its
    first character, so 张三丰 becomes 张** and an address its first character.
    """
    digits = sum(1 for c in text if c.isdigit() or c == "*")
    if digits * 2 >= len(text):
        return mask_number(text)
    return text[:1] + "*" * (len(text) - 1)


class InvalidRecordError(ValueError):
    """记录未通过校验 (a record failed validation); carries every problem found."""

    def __init__(self, key: str, problems: list[Problem]) -> None:
        self.key = key
        self.problems = list(problems)
        lines = "\n".join(f"  - {p.message}" for p in self.problems)
        super().__init__(f"{key} 记录有 {len(self.problems)} 处问题:\n{lines}")
