"""Cell writing and table styling shared by every workbook codegen writes.

openpyxl is imported when a workbook is first written, not when this module is: the
style constants are made on first use (a module ``__getattr__``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.worksheet import Worksheet

    HEADER_FONT: Font
    HEADER_FILL: PatternFill
    REQUIRED_FONT: Font
    REQUIRED_FILL: PatternFill
    WRAP: Alignment
    TOP: Alignment

TEXT_FORMAT = "@"
# Marks a required field's header cell in the data-entry templates (and is ignored when a
# filled template's headers are read).
REQUIRED_MARK = "*"

CellValue = str | int | float | bool | None


@dataclass(frozen=True)
class _Styles:
    header_font: Font
    header_fill: PatternFill
    required_font: Font
    required_fill: PatternFill
    wrap: Alignment
    top: Alignment


@cache
def _styles() -> _Styles:
    from openpyxl.styles import Alignment, Font, PatternFill

    return _Styles(
        header_font=Font(bold=True),
        header_fill=PatternFill("solid", fgColor="DDEBF7"),
        required_font=Font(bold=True, color="C00000"),
        required_fill=PatternFill("solid", fgColor="FCE4D6"),
        wrap=Alignment(wrap_text=True, vertical="top"),
        top=Alignment(vertical="top"),
    )


if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        if name in {"HEADER_FONT", "HEADER_FILL", "REQUIRED_FONT", "REQUIRED_FILL", "WRAP", "TOP"}:
            return getattr(_styles(), name.lower())
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def column_letter(index: int) -> str:
    """A 1-based column number as its letters (1 → A, 27 → AA), as openpyxl's
    get_column_letter gives it, without importing openpyxl."""
    if not 1 <= index <= 18278:
        raise ValueError(f"invalid column index {index}")
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """Column letters as their 1-based number (A → 1, AA → 27)."""
    if not (1 <= len(letters) <= 3 and letters.isascii() and letters.isalpha()):
        raise ValueError(f"invalid column letters {letters!r}")
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - ord("A") + 1
    return index


def put(ws: Worksheet, row: int, column: int, value: CellValue, *, text: bool = True) -> Cell:
    """Writes one value; strings are always stored as text (openpyxl would make
    "=…" a formula), and ``text`` cells get the text number format."""
    from openpyxl.cell.cell import Cell

    cell = ws.cell(row=row, column=column)
    assert isinstance(cell, Cell)  # nothing codegen writes is merged
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    if text:
        cell.number_format = TEXT_FORMAT
    return cell


def display_width(text: str) -> int:
    """Width in character cells: CJK and other wide characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def set_widths(ws: Worksheet, widths: list[int]) -> None:
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[column_letter(index)].width = width


def header(ws: Worksheet, titles: list[str]) -> None:
    """Row 1 as a header: bold, shaded, wrapped."""
    for index, title in enumerate(titles, start=1):
        cell = put(ws, 1, index, title)
        styles = _styles()
        cell.font = styles.header_font
        cell.fill = styles.header_fill
        cell.alignment = styles.wrap


def finish_table(ws: Worksheet, columns: int, rows: int, *, freeze: str = "A2") -> None:
    """Frozen header (and first columns up to ``freeze``), a filter over the table."""
    ws.freeze_panes = freeze
    last = column_letter(max(columns, 1))
    ws.auto_filter.ref = f"A1:{last}{max(rows, 1)}"
