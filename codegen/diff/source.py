"""Finds a spec to compare: a directory, or the ``spec/`` of a git revision.

A revision is read with ``git archive`` into a temporary directory, so neither the
work tree nor the index is touched and uncommitted edits stay where they are.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

from codegen.spec.paths import STANDARD_FILE

SPEC_DIR = "spec"


class SpecSourceError(Exception):
    """The argument is neither a spec directory nor a revision of this repository."""


def resolve_spec(where: str, repo: Path, scratch: Path) -> Path:
    """The spec directory ``where`` names: a directory (the spec itself, or a project
    holding ``spec/``), else a git revision of ``repo``, extracted under ``scratch``."""
    path = Path(where)
    if path.is_dir():
        if (path / STANDARD_FILE).is_file():
            return path
        if (path / SPEC_DIR / STANDARD_FILE).is_file():
            return path / SPEC_DIR
        raise SpecSourceError(f"{where}: no {STANDARD_FILE} in it or in its {SPEC_DIR}/")
    return _from_git(where, repo, scratch)


def _from_git(revision: str, repo: Path, scratch: Path) -> Path:
    commit = _git(repo, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if commit is None:
        raise SpecSourceError(f"{revision}: not a directory, nor a git revision of {repo}")
    # The project may sit below the repository's top level; git archive run from a
    # subdirectory would archive only that part of the tree, so it runs at the top.
    prefix = (_git(repo, "rev-parse", "--show-prefix") or b"").decode().strip()
    top = Path((_git(repo, "rev-parse", "--show-toplevel") or b".").decode().strip())
    tree = f"{commit.decode().strip()}:{prefix}{SPEC_DIR}"
    archive = _git(top, "archive", "--format=tar", tree)
    if archive is None:
        raise SpecSourceError(f"{revision}: has no {prefix}{SPEC_DIR}/ directory")
    target = scratch / _safe_name(revision)
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(target, filter="data")
        else:  # Python before 3.10.12; the archive is git's own, without links out
            tar.extractall(target)
    return target


def _git(repo: Path, *args: str) -> bytes | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, check=False, timeout=60
        )
    except FileNotFoundError:
        raise SpecSourceError("git is not installed") from None
    return done.stdout if done.returncode == 0 else None


def _safe_name(revision: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in revision) or "rev"
