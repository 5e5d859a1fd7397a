"""Reading the spec workbook's tables cell by cell, every problem named by sheet!cell.

A cell that cannot be used (or a column that is missing) is reported once and
marked bad on its row; the builder then puts a placeholder in the document and
tells the import to drop the follow-on problems the checks would report for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, TypeVar

from codegen.render.xlsx_style import column_index, column_letter
from codegen.workbook.layout import Column

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

T = TypeVar("T")
# At most 100 digits: int() refuses thousands, and no bound or length has more than 19.
_INTEGER = re.compile(r"[+-]?[0-9]{1,100}")
_EXACT_FLOAT = 2**53  # beyond this a spreadsheet number has lost digits


@dataclass
class Found:
    """Problems as (location, message), in the order they were found."""

    problems: list[tuple[str, str]] = field(default_factory=list)

    def add(self, location: str, message: str) -> None:
        self.problems.append((location, message))


@dataclass
class Table:
    sheet: str
    letters: dict[str, str]  # column title → letter, for the columns present
    rows: list[Row]


@dataclass
class Row:
    table: Table
    number: int
    values: dict[str, object]
    found: Found
    formulas: set[str] = field(default_factory=set)  # titles whose cell holds a formula
    bad: set[str] = field(default_factory=set)  # titles whose value is a placeholder

    def ref(self, title: str) -> str:
        letter = self.table.letters.get(title)
        return f"{self.table.sheet}!{letter}{self.number}" if letter else self.where

    @property
    def where(self) -> str:
        """The whole row, e.g. ``accept!7:7``."""
        return f"{self.table.sheet}!{self.number}:{self.number}"

    def problem(self, title: str, message: str) -> None:
        """Reports the cell under ``title``; once, however often it is read."""
        if title in self.bad:
            return
        self.bad.add(title)
        self.found.add(self.ref(title), message)

    def text(self, title: str) -> str | None:
        """The cell as text, or None when blank; numbers Excel made of codes become text."""
        if title not in self.table.letters:
            self.bad.add(title)  # the missing column is reported once, at the header
            return None
        value = self.values.get(title)
        if title in self.formulas:
            self.problem(title, "不支持公式，请直接填写取值")
            return None
        if value is None or value == "":
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool) or isinstance(value, (datetime, date, time, timedelta)):
            self.problem(title, f"应为文本，实为 {value!r}（请把单元格设为文本格式）")
            return None
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT_FLOAT:
            return str(int(value))
        return str(value)

    def text_or_empty(self, title: str) -> str:
        """For required text that may be empty: a blank cell is ""."""
        return self.text(title) or ""

    def name(self, title: str) -> str:
        """An identifier-like cell that must be filled."""
        value = self.text(title)
        if value is None:
            if title in self.table.letters:
                self.problem(title, "不能为空")
            return ""
        return value

    def integer(self, title: str) -> int | None:
        if title not in self.table.letters:
            self.bad.add(title)
            return None
        value = self.values.get(title)
        if title in self.formulas:
            self.problem(title, "不支持公式，请直接填写取值")
            return None
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            if abs(value) < _EXACT_FLOAT:
                return int(value)
            self.problem(title, f"{value!r} 超出电子表格数值的精度，请以文本填写")
            return None
        if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
            return int(value.strip())
        self.problem(title, f"应为整数，实为 {value!r}")
        return None

    def choice(self, title: str, choices: Mapping[str, T], default: T) -> T:
        """One of ``choices`` (a blank cell is ``default``)."""
        raw = self.values.get(title)
        # Excel turns a typed "TRUE" into a boolean; name it as typed in the problem.
        value = ("TRUE" if raw else "FALSE") if isinstance(raw, bool) else self.text(title)
        if value is None:
            return default
        if value.strip() in choices:
            return choices[value.strip()]
        shown = "、".join(f"“{c}”" for c in choices)
        self.problem(title, f"{value!r} 应为 {shown} 之一")
        return default


def read_table(
    ws: Worksheet, columns: tuple[Column, ...], found: Found, optional: frozenset[str] = frozenset()
) -> Table:
    """The table in ``ws``: header in row 1 naming ``columns`` (any order), data below;
    ``optional`` columns may be left out."""
    titles = {c.title for c in columns}
    letters: dict[str, str] = {}
    for cell in ws[1] if ws.max_row >= 1 else ():
        if cell.value is None or str(cell.value).strip() == "":
            continue
        title = str(cell.value).strip()
        where = f"{ws.title}!{cell.coordinate}"
        if title not in titles:
            found.add(where, f"未知的列“{title}”；应为 {'、'.join(c.title for c in columns)}")
        elif title in letters:
            found.add(where, f"列“{title}”重复（已在 {letters[title]} 列）")
        else:
            letters[title] = column_letter(cell.column)
    for column in columns:
        if column.title not in letters and column.title not in optional:
            found.add(f"{ws.title}!1:1", f"缺少列“{column.title}”")
    table = Table(ws.title, letters, [])
    by_index = {column_index(letter): title for title, letter in letters.items()}
    for number, cells in enumerate(ws.iter_rows(min_row=2), start=2):
        values: dict[str, object] = {}
        formulas: set[str] = set()
        for index, cell in enumerate(cells, start=1):
            name = by_index.get(index)
            if name is not None:
                values[name] = cell.value
                if cell.data_type == "f":
                    formulas.add(name)
        if not all(_blank(v) for v in values.values()):
            table.rows.append(Row(table, number, values, found, formulas))
    return table


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
