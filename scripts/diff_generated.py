"""Compares generated/ at a git revision with the work tree, ignoring the do-not-edit headers.

    python scripts/diff_generated.py REV [PATH]

PATH defaults to generated/python. Each file's leading comment lines (the do-not-edit
header) are dropped on both sides; what remains is compared and a unified diff is printed,
then a summary line. Exit 1 if anything differs, 0 if the two are identical apart from headers.
"""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _without_header(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    start = 0
    while start < len(lines) and lines[start].startswith("#"):
        start += 1
    return lines[start:]


def _files_at(rev: str, path: str) -> dict[str, str]:
    names = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", rev, "--", path],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return {
        name: subprocess.run(
            ["git", "show", f"{rev}:{name}"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
        for name in names
    }


def _files_now(path: str) -> dict[str, str]:
    base = ROOT / path
    return {
        str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
        for p in sorted(base.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def main(argv: list[str]) -> int:
    rev = argv[0]
    path = argv[1] if len(argv) > 1 else "generated/python"
    old, new = _files_at(rev, path), _files_now(path)
    changed = 0
    for name in sorted(old.keys() | new.keys()):
        a = _without_header(old.get(name, ""))
        b = _without_header(new.get(name, ""))
        if a != b:
            changed += 1
            sys.stdout.writelines(difflib.unified_diff(a, b, f"{rev}:{name}", name))
    same = len(old.keys() & new.keys()) - changed
    print(f"{same} files identical apart from headers, {changed} differ ({rev} → work tree)")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
