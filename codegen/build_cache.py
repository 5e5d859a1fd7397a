"""The build's caches: what a build costs is what changed since the last one.

Everything cached here is a pure function of its key, and every key starts with the
generator's digest: the source of the ``codegen`` package (targets and runtime modules
included), the templates, and the versions of Python, black, openpyxl, Jinja2 and PyYAML.
So a change to any of those, or to the spec, misses the cache, and a cache that cannot be
read or written only costs speed, never correctness.

- ``build``: the whole output of a spec (every file, and which spec files are not in the
  canonical layout), keyed by every file under spec/: a no-op build and ``build --check``
  of an unchanged spec render nothing.
- ``spec``: one spec file's parsed document and its problems, keyed by its text.
- ``layout``: whether one spec file's text is its canonical layout (PyYAML's pure-Python
  emitter costs about a second for the whole spec).
- ``yaml``: one spec document's canonical text, keyed by its plain data
  (codegen.spec.canonical.canonical_text): ``xlsx import`` and ``fmt`` of documents
  written before emit nothing.
- ``black``: black's output for a rendered module (codegen.render.black_cache).
- ``jinja``: compiled templates (Jinja's bytecode cache).

The cache lives outside the repository: ``$GDZW_CODEGEN_CACHE``, else the user's cache
folder (``$XDG_CACHE_HOME/gdzw-codegen``, ``~/.cache/gdzw-codegen``).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

CODEGEN_DIR = Path(__file__).resolve().parent
# The checkout's templates; a non-editable install has them in the wheel instead (setup.py).
_CHECKOUT_TEMPLATES = CODEGEN_DIR.parent / "templates"
DEFAULT_TEMPLATES_DIR = (
    _CHECKOUT_TEMPLATES if _CHECKOUT_TEMPLATES.is_dir() else CODEGEN_DIR / "_shipped" / "templates"
)
# Distributions whose version changes the output (or the pickled objects).
VERSIONED = ("black", "openpyxl", "jinja2", "pyyaml")
# Entries kept per kind of whole-output cache; older ones are removed.
KEEP_BUILDS = 6


def cache_root() -> Path:
    explicit = os.environ.get("GDZW_CODEGEN_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gdzw-codegen"


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


@cache
def _tree_digest(root: Path, suffixes: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        if suffixes and path.suffix not in suffixes:
            continue
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@cache
def generator_digest(templates_dir: Path = DEFAULT_TEMPLATES_DIR) -> str:
    """Everything besides the spec that decides the output."""
    digest = hashlib.sha256()
    digest.update(sys.version.encode() + b"\0")
    for name in VERSIONED:
        digest.update(f"{name}={_version(name)}\0".encode())
    digest.update(_tree_digest(CODEGEN_DIR, (".py",)).encode())
    digest.update(_tree_digest(templates_dir.resolve(), ()).encode())
    return digest.hexdigest()


def key_of(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


def load(kind: str, key: str) -> object | None:
    """The object stored under ``key``, or None (missing, unreadable or from another build)."""
    path = cache_root() / kind / key[:2] / f"{key}.pickle"
    try:
        with open(path, "rb") as handle:
            value: object = pickle.load(handle)
    except Exception:  # a missing, truncated or foreign entry is a miss
        return None
    return value


def store(kind: str, key: str, value: object, keep: int | None = None) -> None:
    """Stores ``value`` under ``key`` (atomically); with ``keep``, removes all but the newest."""
    folder = cache_root() / kind / key[:2]
    path = folder / f"{key}.pickle"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        if keep is not None:
            _prune(cache_root() / kind, keep)
    except OSError:
        pass


def _prune(folder: Path, keep: int) -> None:
    entries = sorted(folder.glob("*/*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[keep:]:
        old.unlink(missing_ok=True)
