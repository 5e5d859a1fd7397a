"""Record files by suffix: a filled xlsx template, or JSON (array or JSON Lines).

Also how a record or one of its fields is named in a report: ``file:#3 (line 4)``
for JSON, ``file 受理!C7`` (sheet, column, row) for a workbook.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from codegen.data import jsonstream
from codegen.data.jsonstream import Item
from codegen.data.xlsx_records import SheetItem, columns_from_package, read_workbook_records

XLSX_SUFFIXES = (".xlsx", ".xlsm")


def read_records(path: Path, key: str, package: ModuleType) -> Iterator[Item]:
    """The records of ``path``, streamed; a workbook's columns are those of ``key``.

    One record may take at most the gateway's request body limit
    (``spec.BODY_MAX_BYTES``): a larger one could never be sent.
    """
    if path.suffix.lower() in XLSX_SUFFIXES:
        return read_workbook_records(path, columns_from_package(package, key))
    return jsonstream.read_records(path, int(package.spec.BODY_MAX_BYTES))


def where(path: Path, item: Item, field: str | None = None, renamed: Iterable[Any] = ()) -> str:
    """Where ``item`` (or its ``field``, a canonical wire name) is in ``path``.

    ``renamed`` is ``normalize()``'s list of renamed keys, so a field whose column
    header was an alias is still found in its column.
    """
    if isinstance(item, SheetItem):
        name = field
        for rename in renamed:
            if rename.target == field and field not in item.columns:
                name = rename.source
        return f"{path} {item.cell(name)}"
    return f"{path}:#{item.number}" + (f" (line {item.line})" if item.line else "")
