"""A list of strings in one spreadsheet cell: ``a, b, c``, or a JSON array when needed."""

from __future__ import annotations

import json


def format_list(values: tuple[str, ...]) -> str:
    """``a, b, c``; a JSON array when a value is empty, has a comma, outer spaces or a "["."""
    if all(_plain(v) for v in values):
        return ", ".join(values)
    return json.dumps(list(values), ensure_ascii=False)


def _plain(value: str) -> bool:
    return bool(value) and value == value.strip() and "," not in value and value[0] != "["


def parse_list(text: str) -> tuple[str, ...] | None:
    """The inverse of ``format_list``; None when ``text`` is neither form."""
    text = text.strip()
    if not text:
        return ()
    if text.startswith("["):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError:
            return None
        if not isinstance(loaded, list) or not all(isinstance(v, str) for v in loaded):
            return None
        return tuple(loaded)
    parts = tuple(part.strip() for part in text.split(","))
    return None if any(not part for part in parts) else parts
