"""Regular expressions declared in the spec.

Spec patterns are unanchored and may name shared fragments as ``${name}``. They
must mean the same in Python's ``re`` (the generated validators, with
``fullmatch``) and in ECMA-262 (JSON Schema ``pattern``, anchored as
``^(?:…)`` and END), so constructs whose meaning differs between the two are refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_REFERENCE = re.compile(r"\$\{([a-z][a-z0-9_]*)\}")

# Unicode-aware classes (\d matches "٣" in Python), Python-only syntax, and
# inline flags are not portable between Python and ECMA-262.
_NON_PORTABLE = (
    (re.compile(r"\\[dDwWsSbB]"), "use explicit classes like [0-9] instead of \\d, \\w, \\s, \\b"),
    (re.compile(r"\(\?P"), "named groups (?P…) are Python-only"),
    (re.compile(r"\\[AZz]"), "\\A and \\Z are Python-only"),
    (re.compile(r"\(\?[aiLmsux]"), "inline flags are not portable"),
    (re.compile(r"(?<!\\)[\^$]"), "patterns are anchored by the generator; do not use ^ or $"),
)


def references(pattern: str) -> list[str]:
    return _REFERENCE.findall(pattern)


def expand(pattern: str, fragments: Mapping[str, str]) -> str:
    """Replaces each ``${name}`` with its (already expanded) fragment in a group."""
    return _REFERENCE.sub(lambda m: f"(?:{fragments[m.group(1)]})", pattern)


def portability_problems(pattern: str) -> list[str]:
    # Escaped anchors inside character classes are fine; unescaped ^ at the start
    # of a class ([^…]) is a negation, which is portable.
    stripped = re.sub(r"\[\^", "[", _REFERENCE.sub("", pattern))
    return [reason for regex, reason in _NON_PORTABLE if regex.search(stripped)]


def compile_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"正则表达式无效：{exc}"
    return None


# Exact end of input in both ECMA-262 and Python's re.search, where "$" also
# matches before a final "\n" (the jsonschema package uses re.search).
END = "(?![\\s\\S])"


def anchored(pattern: str) -> str:
    """The JSON Schema form of a spec pattern (ECMA-262 has no fullmatch)."""
    return f"^(?:{pattern}){END}"


def escape_literal(text: str) -> str:
    """Escapes regex metacharacters portably (``re.escape`` over-escapes for ECMA ``u`` mode)."""
    # "-" is not escaped: ECMA's unicode mode rejects "\-" outside a class.
    return re.sub(r"([\\^$.|?*+()\[\]{}/])", r"\\\1", text)
