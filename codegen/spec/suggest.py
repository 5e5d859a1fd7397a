"""“Did you mean …?” hints for names the spec does not know."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(wrong: str, known: Iterable[str]) -> str | None:
    """The known name most like ``wrong`` (ignoring letter case), if any is close."""
    by_folded: dict[str, str] = {}
    for name in known:
        by_folded.setdefault(name.casefold(), name)
    if wrong.casefold() in by_folded:
        return by_folded[wrong.casefold()]
    found = difflib.get_close_matches(wrong.casefold(), list(by_folded), n=1, cutoff=0.6)
    return by_folded[found[0]] if found else None


def did_you_mean(wrong: str, known: Iterable[str]) -> str:
    """``；是否应为 'x'？(did you mean 'x'?)`` for the closest known name, else ""."""
    hit = closest(wrong, known)
    return hint(hit) if hit is not None else ""


def hint(guess: str) -> str:
    return f"；是否应为 {guess!r}？(did you mean {guess!r}?)"
