"""The machine codes of the problems generated validators report.

Their Chinese explanations are data in ``spec/standard.yaml`` (``problem_codes``);
the loader checks that every code here has one.
"""

from __future__ import annotations

PROBLEM_CODES = (
    "not_object",
    "unknown_field",
    "required",
    "type",
    "max_length",
    "minimum",
    "maximum",
    "code",
    "list_part",
    "datetime",
    "format",
    "required_if",
    "paired_lists",
)
