"""black's output for rendered Python, remembered by content.

Formatting is the slowest step of a build (black parses every generated
module). Its result depends only on the source, black's version and the mode,
so it is cached under that key: a rebuild or ``build --check`` of an unchanged
spec reuses it, and any change to the source misses the cache. The cache lives
outside the repository (``$GDZW_CODEGEN_CACHE``, else the user's cache folder);
a cache that cannot be read or written only costs speed, never correctness.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from functools import cache
from importlib.metadata import version
from pathlib import Path

from codegen.build_cache import cache_root


def cache_dir() -> Path:
    return cache_root() / "black"


@cache
def _black_version() -> str:
    return version("black")


def cached(source: str, mode_key: str, formatter: Callable[[str], str]) -> str:
    key = hashlib.sha256(f"{_black_version()}\0{mode_key}\0{source}".encode()).hexdigest()
    path = cache_dir() / key[:2] / f"{key}.py"
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    formatted = formatter(source)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(formatted, encoding="utf-8")
        tmp.replace(path)  # atomic: a concurrent reader sees all or nothing
    except OSError:
        pass
    return formatted
