"""The request examples printed in the standard (7.x.6), read from its text.

They are placeholders (see the errata) and not valid records, but they show how the
standard itself sends things: tests of rule decisions take them as evidence. Lines
are joined across page breaks (the ``` fences the text breaks them with are dropped).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from test_transcription import STANDARD_TEXT


def standard_lines() -> list[str]:
    """The standard's text; skips where it is absent, and fails in CI (where it must be)."""
    if not STANDARD_TEXT.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the standard's text is missing in CI: {STANDARD_TEXT}")
        pytest.skip("the standard's text is not beside this checkout")
    return STANDARD_TEXT.read_text(encoding="utf-8").splitlines()


def printed_bodies(clause: str) -> list[Any]:
    """The request bodies of example clause ``clause`` (e.g. "7.2.6"), in order: the
    single request's object, then the batch request's array."""
    lines = standard_lines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{clause} "))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(clause[:-1]))
    text = "\n".join(line for line in lines[start:end] if not line.startswith("```"))
    decoder = json.JSONDecoder()
    bodies = []
    for marker in ("单条请求 body", "批量请求 body"):
        at = text.index(marker)
        opening = min(i for i in (text.find("{", at), text.find("[", at)) if i >= 0)
        bodies.append(decoder.raw_decode(text, opening)[0])
    return bodies


def printed_records(clause: str) -> list[dict[str, Any]]:
    """Every record of the clause's examples: the single one, then the batch's."""
    single, batch = printed_bodies(clause)
    return [single, *batch]
