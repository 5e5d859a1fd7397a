"""Checks piecewise formatting against black on any Python files (a wider net than the tests).

    python scripts/check_black_pieces.py [PATH ...]

Each file (PATHs are files or folders, searched for ``*.py``; by default the standard
library's top-level modules and the Jinja2, PyYAML, click and openpyxl packages) is
formatted by black whole and by ``codegen.render.environment.format_python`` (pieces,
skeletons and runs, with an empty private cache), and the two must be equal. Files black
cannot parse are skipped. Prints a diff for each file that differs, then a summary line;
exit 1 if any differs.
"""

from __future__ import annotations

import difflib
import importlib.util
import os
import sys
import sysconfig
import tempfile
from pathlib import Path

PACKAGES = ("jinja2", "yaml", "click", "openpyxl")


def default_paths() -> list[Path]:
    paths = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin is not None:
            paths += sorted(Path(spec.origin).parent.rglob("*.py"))
    return paths


def python_files(arguments: list[str]) -> list[Path]:
    if not arguments:
        return default_paths()
    found: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


def main() -> int:
    os.environ["GDZW_CODEGEN_CACHE"] = tempfile.mkdtemp(prefix="gdzw-black-pieces-")
    import black
    from black.mode import Mode, TargetVersion

    from codegen.render.black_pieces import cut_module
    from codegen.render.environment import BLACK_LINE_LENGTH, BLACK_TARGET, format_python

    mode = Mode(target_versions={TargetVersion[BLACK_TARGET]}, line_length=BLACK_LINE_LENGTH)
    checked = differ = skipped = skeletons = 0
    for path in python_files(sys.argv[1:]):
        source = path.read_text(encoding="utf-8", errors="replace")
        try:
            expected = black.format_str(source, mode=mode)
        except Exception:  # black cannot read it (or its target version): not ours to check
            skipped += 1
            continue
        checked += 1
        skeletons += sum(1 for piece in cut_module(source) if piece.skeleton is not None)
        got = format_python(source, str(path))
        if got != expected:
            differ += 1
            diff = difflib.unified_diff(
                expected.splitlines(keepends=True), got.splitlines(keepends=True), "black", "pieces"
            )
            print(f"differs: {path}\n{''.join(diff)}")
    print(f"{checked} files checked ({skeletons} skeletons), {differ} differ, {skipped} skipped")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
