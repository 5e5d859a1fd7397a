"""Records from a filled data-entry workbook (``generated/xlsx/<key>.xlsx``).

The first sheet is read: row 1 is the header, each non-blank row below is one
record. A header cell names its field by wire name (the template's second
line), by Chinese label (or one an earlier edition used), or by any identifier
``normalize()`` may know (an erratum's alias). Cell values become what the wire format wants: a code for a
code or label typed in a coded column, int / float for numeric columns,
"yyyy-MM-dd HH:mm:ss" for datetime cells, text for numbers in text columns.
What cannot be converted is passed on unchanged, for the validator to report.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import ModuleType
from typing import Literal, cast

from codegen.data.jsonstream import Item, shorten
from codegen.data.xlsx_guard import WorkbookRefused, check_workbook
from codegen.render.xlsx_style import REQUIRED_MARK
from codegen.spec.wire_types import DATETIME_STRFTIME

ColumnKind = Literal["string", "code", "code_list", "integer", "number", "datetime"]
# Whole numbers up to 15 digits are exact in a spreadsheet; longer ones (an ID
# typed into a General cell) have already lost digits and are not turned into text.
_EXACT_DIGITS = 10**15
# Numbers typed as text in numeric columns (no "nan", "inf" or thousands separators).
# At most 100 digits: longer text stays text for the validator to report (int() refuses
# thousands of digits, float() turns them into infinity).
_INTEGER = re.compile(r"[+-]?[0-9]{1,100}")
_DECIMAL = re.compile(r"(?=.{1,100}$)[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class ColumnSpec:
    wire_name: str
    label: str
    kind: ColumnKind
    separator: str | None = None
    codes: tuple[tuple[str, str], ...] = ()  # (code, label)
    former_labels: tuple[str, ...] = ()  # labels of earlier editions, still accepted


@dataclass(frozen=True)
class SheetItem(Item):
    """An Item that also knows its sheet, row and the column of each field."""

    sheet: str = ""
    row: int = 0
    columns: Mapping[str, str] = field(default_factory=dict)  # record key → column letter

    def cell(self, name: str | None = None) -> str:
        """``受理!C7`` for a field's cell, ``受理!7:7`` for the row as a whole."""
        letter = self.columns.get(name) if name is not None else None
        return (
            f"{self.sheet}!{letter}{self.row}" if letter else f"{self.sheet}!{self.row}:{self.row}"
        )


def columns_from_package(package: ModuleType, key: str) -> tuple[ColumnSpec, ...]:
    """The columns of record type ``key``, from the generated package's metadata."""
    codesets = package.codes.CODESETS
    columns = []
    for f in package.spec.FIELDS[key]:
        # The model's property kind; a list of free text is read as text.
        kind = cast(ColumnKind, "string" if f.kind == "string_list" else f.kind)
        codes = (
            tuple((str(m.value), str(m.label)) for m in codesets[f.codeset]) if f.codeset else ()
        )
        former = tuple(getattr(f, "former_labels", ()))  # absent in packages built before it
        columns.append(ColumnSpec(str(f.wire_name), str(f.label), kind, f.separator, codes, former))
    return tuple(columns)


def read_workbook_records(path: Path, columns: tuple[ColumnSpec, ...]) -> Iterator[Item]:
    """The records of the workbook's first sheet, streamed.

    The file is checked first (``xlsx_guard``: size, no entity declarations,
    no cell over Excel's 32,767 characters); a workbook that breaks partway
    gives the rows before the break, then an error item naming where it broke.
    """
    # openpyxl is imported when a workbook is read, not whenever the CLI starts.
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    try:
        check_workbook(path)
        workbook = load_workbook(path, read_only=True, data_only=True)
    except WorkbookRefused as exc:
        yield Item(1, None, error=f"无法读取工作簿 (cannot read workbook): {exc}", unreadable=True)
        return
    except Exception as exc:  # openpyxl raises many kinds on a damaged file  # noqa: BLE001
        yield Item(1, None, error=_broken(exc), unreadable=True)
        return
    number = 0
    title = ""
    row_no = 0  # the last row read
    try:
        ws = workbook.worksheets[0]
        title = ws.title
        ws.reset_dimensions()  # some writers record a wrong size; read to the real end
        rows = ws.iter_rows(values_only=True)
        head = next(rows, None)
        if head is None:
            return
        row_no = 1
        keys, errors = _header(head, columns)
        if errors:
            message = "；".join(errors)
            yield SheetItem(1, None, error=message, sheet=title, row=1)  # bad data, exit 1
            return
        letters = {key: get_column_letter(index + 1) for index, key in keys.items()}
        by_name = {c.wire_name: c for c in columns}
        for row_no, values in enumerate(rows, start=2):
            if all(_blank(v) for v in values):
                continue
            number += 1
            record: dict[str, object] = {}
            stray = []
            for index, value in enumerate(values):
                if _blank(value):
                    continue
                key = keys.get(index)
                if key is None:
                    stray.append(f"{get_column_letter(index + 1)}{row_no}")
                    continue
                record[key] = cell_value(by_name.get(key), value)
            error = f"单元格 {'、'.join(stray)} 有内容，但所在列没有表头" if stray else None
            yield SheetItem(number, None, record, error, sheet=title, row=row_no, columns=letters)
    except Exception as exc:  # a part that breaks while streamed  # noqa: BLE001
        after = f"第 {row_no} 行之后" if row_no else ""
        yield SheetItem(
            number + 1,
            None,
            error=f"工作表{after}无法读取：{_broken(exc)}",
            unreadable=True,
            sheet=title,
            row=row_no + 1,
        )
    finally:
        workbook.close()


def _broken(exc: BaseException) -> str:
    """A damaged workbook's error, short: the kind and the first 200 characters."""
    return f"无法读取工作簿 (cannot read workbook): {type(exc).__name__}: {shorten(str(exc), 200)}"


def _header(
    head: tuple[object, ...], columns: tuple[ColumnSpec, ...]
) -> tuple[dict[int, str], list[str]]:
    """Column index → record key, and a reason for each header cell that names nothing."""
    from openpyxl.utils import get_column_letter

    by_wire = {c.wire_name.casefold(): c.wire_name for c in columns}
    by_label: dict[str, str] = {}
    for c in columns:
        by_label.setdefault(c.label, c.wire_name)
    for c in columns:
        for former in c.former_labels:
            by_label.setdefault(former, c.wire_name)
    keys: dict[int, str] = {}
    errors = []
    for index, raw in enumerate(head):
        if _blank(raw):
            continue
        letter = get_column_letter(index + 1)
        lines = [line.strip().lstrip(REQUIRED_MARK).strip() for line in str(raw).splitlines()]
        lines = [line for line in lines if line]
        key = next(
            (by_wire[n.casefold()] for n in reversed(lines) if n.casefold() in by_wire), None
        )
        key = key or next((by_label[n] for n in lines if n in by_label), None)
        if key is None and lines and lines[-1].isidentifier() and lines[-1].isascii():
            key = lines[-1]  # perhaps an erratum's alias: normalize() decides
        if key is None:
            errors.append(f"表头 {letter}1 “{shorten(str(raw).strip())}” 不是字段名或中文名称")
        elif key in keys.values():
            first = next(get_column_letter(i + 1) for i, k in keys.items() if k == key)
            errors.append(f"表头 {letter}1 与 {first}1 是同一字段 {key}")
        else:
            keys[index] = key
    return keys, errors


def cell_value(column: ColumnSpec | None, value: object) -> object:
    """A cell's value as the wire format wants it, or unchanged when it cannot be."""
    if isinstance(value, (datetime, date, time, timedelta)):
        return _temporal(value)
    if column is None:
        return _text(value)
    if column.kind == "integer":
        return _integer(value)
    if column.kind == "number":
        return _number(value)
    text = _text(value)
    if not isinstance(text, str):
        return text
    if column.kind == "code":
        return _code(column, text)
    if column.kind == "code_list" and column.separator:
        return column.separator.join(_code(column, part) for part in text.split(column.separator))
    return text


def _temporal(value: datetime | date | time | timedelta) -> object:
    if isinstance(value, datetime):
        # Excel stores times as fractions of a day: 09:30:00 may read as 09:29:59.999999.
        if value.microsecond >= 500_000:
            value += timedelta(seconds=1)
        return value.replace(microsecond=0).strftime(DATETIME_STRFTIME)
    if isinstance(value, date):
        return datetime.combine(value, time()).strftime(DATETIME_STRFTIME)
    return str(value)


def _text(value: object) -> object:
    """Numbers typed into text columns become their digits (codes, short IDs)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, int):
        return str(value) if abs(value) < _EXACT_DIGITS else value
    if value.is_integer():
        return str(int(value)) if abs(value) < _EXACT_DIGITS else value
    return repr(value)


def _integer(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    return value


def _number(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        return float(value.strip())
    return value


def _code(column: ColumnSpec, text: str) -> str:
    """The code for "code", "label" or "code label"; the text itself otherwise."""
    wanted = text.strip()
    for code, _ in column.codes:
        if wanted == code:
            return code
    for code, label in column.codes:
        if wanted == label:
            return code
    for code, label in column.codes:
        rest = wanted[len(code) :]
        if wanted.startswith(code) and rest[:1].isspace() and rest.strip() == label:
            return code
    return text


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
