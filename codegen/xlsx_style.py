"""Cell writing and table styling shared by every workbook codegen writes."""

from __future__ import annotations

import unicodedata

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

TEXT_FORMAT = "@"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FONT = Font(bold=True, color="C00000")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")

CellValue = str | int | float | bool | None


def put(ws: Worksheet, row: int, column: int, value: CellValue, *, text: bool = True) -> Cell:
    """Writes one value; strings are always stored as text (openpyxl would make
    "=…" a formula), and ``text`` cells get the text number format."""
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
        ws.column_dimensions[get_column_letter(index)].width = width


def header(ws: Worksheet, titles: list[str]) -> None:
    """Row 1 as a header: bold, shaded, wrapped."""
    for index, title in enumerate(titles, start=1):
        cell = put(ws, 1, index, title)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = WRAP


def finish_table(ws: Worksheet, columns: int, rows: int, *, freeze: str = "A2") -> None:
    """Frozen header (and first columns up to ``freeze``), a filter over the table."""
    ws.freeze_panes = freeze
    last = get_column_letter(max(columns, 1))
    ws.auto_filter.ref = f"A1:{last}{max(rows, 1)}"
