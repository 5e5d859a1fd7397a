"""``codegen xlsx import``: the spec workbook back into ``spec/``, all or nothing.

The workbook is read into the same documents the loader builds, checked with the
loader's own checks (each problem mapped back to sheet!cell where it can be),
written in the canonical layout to a temporary directory, loaded from there
once more, and only then copied over the spec files.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from codegen.data.jsonstream import shorten
from codegen.data.xlsx_guard import WorkbookRefused, check_workbook
from codegen.spec.canonical import canonical_texts
from codegen.spec.checks import check_docs
from codegen.spec.documents import SpecDocs
from codegen.spec.errors import SpecError, SpecProblem
from codegen.spec.loader import load_spec
from codegen.spec.paths import RECORDS_DIR
from codegen.workbook.sheets_to_documents import Built, build_docs

_NAMES = re.compile(r"<[^>]*>")
_LAST_STEP = re.compile(r"(\.[^.\[]+|\[\d+\])$")
# check_docs names an earlier duplicate by its index in the same list: "与 [19].name 相同".
_SAME = re.compile(r"与 (\[\d+\](?:\.\w+)?) 相同")
_ITEM_END = re.compile(r"\[\d+\](?:\.\w+)?$")


def read_spec_workbook(path: Path) -> SpecDocs:
    """The documents in the workbook; SpecError lists every problem by sheet!cell."""
    try:
        check_workbook(path)
        from openpyxl import load_workbook

        workbook = load_workbook(path)
    except WorkbookRefused as exc:
        message = f"无法读取工作簿 (cannot read workbook)：{exc}"
        raise SpecError([SpecProblem(path.name, "(文件)", message, unreadable=True)]) from None
    except Exception as exc:  # openpyxl raises many kinds on a damaged file  # noqa: BLE001
        message = (
            f"无法读取工作簿 (cannot read workbook)：{type(exc).__name__}: {shorten(str(exc), 200)}"
        )
        raise SpecError([SpecProblem(path.name, "(文件)", message, unreadable=True)]) from None
    built = build_docs(workbook)
    found = list(built.found.problems)
    if built.docs is not None:
        found += [_place(built, p) for p in check_docs(built.docs) if not _suppressed(built, p)]
    if found:
        raise SpecError([SpecProblem(path.name, where, message) for where, message in found])
    assert built.docs is not None
    return built.docs


def _suppressed(built: Built, problem: SpecProblem) -> bool:
    path = _NAMES.sub("", problem.path)
    if (problem.file, path) in built.suppressed:
        return True
    while path:
        if (problem.file, path) in built.suppressed_below:
            return True
        path = _LAST_STEP.sub("", path) if _LAST_STEP.search(path) else ""
    return False


def _place(built: Built, problem: SpecProblem) -> tuple[str, str]:
    """(sheet!cell, message) for a check problem: the nearest path that came from a cell."""
    path = _NAMES.sub("", problem.path)
    message = _SAME.sub(lambda m: _same_as(built, problem.file, path, m), problem.message)
    step = path
    while True:
        where = built.locations.get((problem.file, step))
        if where is not None:
            return where, message if step == path else f"{problem.path}: {message}"
        if not step:
            break
        step = _LAST_STEP.sub("", step) if _LAST_STEP.search(step) else ""
    sheet = built.file_sheets.get(problem.file, problem.file)
    return sheet, f"{problem.path}: {message}"


def _same_as(built: Built, file: str, path: str, match: re.Match[str]) -> str:
    """ "与 [19].name 相同" (an index into the same list) → "与 accept!A21 相同"."""
    collection = _ITEM_END.sub("", path)
    where = built.locations.get((file, collection + match.group(1)))
    return f"与 {where} 相同" if where else match.group(0)


def import_workbook(path: Path, spec_dir: Path) -> list[str]:
    """Replaces spec files from the workbook; returns the spec-relative paths it changed."""
    return replace_spec_files(canonical_texts(read_spec_workbook(path)), spec_dir)


def replace_spec_files(texts: dict[str, str], spec_dir: Path) -> list[str]:
    spec_dir = spec_dir.resolve()
    staging = Path(tempfile.mkdtemp(prefix=f"{spec_dir.name}.import-", dir=spec_dir.parent))
    try:
        for rel, text in texts.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))
        load_spec(staging)  # what the loader would say of these exact files
        changed = []
        for rel in texts:
            current = spec_dir / rel
            if not current.is_file() or current.read_bytes() != (staging / rel).read_bytes():
                current.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / rel, current)
                changed.append(rel)
        records = spec_dir / RECORDS_DIR
        for stale in sorted(records.glob("*.yaml")) if records.is_dir() else []:
            rel = f"{RECORDS_DIR}/{stale.name}"
            if rel not in texts:  # a record type the workbook no longer has
                stale.unlink()
                changed.append(rel)
        return changed
    finally:
        shutil.rmtree(staging, ignore_errors=True)
