"""An optional faster JSON decoder (orjson, the ``fast`` extra) where it provably agrees
with ``json``; ``None`` tells the caller to decode with ``json`` as before.

orjson differs from the standard decoder: it rejects a lone surrogate (``"\\ud800"``),
``NaN`` and ``Infinity``, and the UTF-8 byte-order mark; it turns an integer outside
64 bits into a float and refuses a float beyond the double range; it stops at 1024
levels of nesting. Every one of those either raises (then ``json`` decodes the line and
gives its own outcome and message) or yields a float or a nested value. So a result is
used only when it is an object whose values are all text, integers, booleans or null:
such an object decodes identically under both (orjson keeps integers up to 64 bits
exactly, and keeps the last of duplicate keys at the first one's place, as ``json``
does; ``tests/test_fast_json.py`` checks a corpus of hostile lines). Anything else —
a float anywhere, an array, a nested object, a scalar, an error — goes to ``json``.
Records are flat objects of text and integers, so nearly every line takes the fast path.

``GDZW_CODEGEN_JSON=json`` in the environment (or :func:`use_fast` ``False``) forces
the standard decoder, e.g. to compare the two.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

_loads: Callable[[bytes], Any] | None = None
_chosen = False


def use_fast(enabled: bool) -> bool:
    """Turns the fast decoder on (when installed) or off; returns whether it is on."""
    global _loads, _chosen
    _loads = None
    if enabled:
        try:
            _loads = importlib.import_module("orjson").loads
        except ImportError:
            _loads = None
    _chosen = True
    return _loads is not None


def fast_name() -> str:
    """``orjson`` or ``json``: which decoder JSON Lines are read with."""
    _choose()
    return "orjson" if _loads is not None else "json"


def _choose() -> None:
    if not _chosen:
        use_fast(os.environ.get("GDZW_CODEGEN_JSON", "").strip().lower() != "json")


def decode_flat(raw: bytes) -> dict[str, object] | None:
    """The object ``raw`` holds when the fast decoder reads it as ``json`` would, else None."""
    if not _chosen:
        _choose()
    loads = _loads
    if loads is None:
        return None
    try:
        value = loads(raw)
    except ValueError:  # orjson.JSONDecodeError is a ValueError
        return None
    if type(value) is not dict or not _FLAT.issuperset(map(type, value.values())):
        return None
    return value


# The value types for which orjson and json agree (see above); exact types, not subclasses.
_FLAT = frozenset((str, int, bool, type(None)))
