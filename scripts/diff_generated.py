"""Compares generated/ at a git revision with the work tree, ignoring the do-not-edit headers.

    python scripts/diff_generated.py [--summary] REV [PATH]

PATH defaults to generated/ (every target). Each text file's leading comment lines (the
do-not-edit header) are dropped on both sides; what remains is compared and a unified diff
is printed (with --summary only the names of the files that differ, were added or were
removed), then a summary line. Binary files (the workbooks) are compared byte for byte.
Exit 1 if anything differs, 0 if the two are identical apart from headers.
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
            ["git", "show", f"{rev}:{name}"], cwd=ROOT, check=True, capture_output=True
        ).stdout
        for name in names
    }


def _files_now(path: str) -> dict[str, str]:
    base = ROOT / path
    return {
        str(p.relative_to(ROOT)): p.read_bytes()
        for p in sorted(base.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def _text(content: bytes) -> str | None:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def main(argv: list[str]) -> int:
    summary = "--summary" in argv
    args = [a for a in argv if a != "--summary"]
    rev = args[0]
    path = args[1] if len(args) > 1 else "generated"
    old, new = _files_at(rev, path), _files_now(path)
    changed = 0
    for name in sorted(old.keys() | new.keys()):
        if name not in old or name not in new:
            changed += 1
            print(f"{'added' if name in new else 'removed'}: {name}")
            continue
        before, after = _text(old[name]), _text(new[name])
        if before is None or after is None:
            if old[name] != new[name]:
                changed += 1
                print(f"binary files differ: {name}")
            continue
        a, b = _without_header(before), _without_header(after)
        if a != b:
            changed += 1
            if summary:
                print(f"differs: {name}")
            else:
                sys.stdout.writelines(difflib.unified_diff(a, b, f"{rev}:{name}", name))
    same = len(old.keys() | new.keys()) - changed
    print(f"{same} files identical apart from headers, {changed} differ ({rev} → work tree)")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
