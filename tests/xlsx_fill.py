"""Filling data-entry templates the way a person would, for the xlsx tests."""

from __future__ import annotations

import copy
import io
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

# An 18-digit ID with a leading zero: a number cell would keep neither.
ID_WITH_ZERO = "040106199001011235"


def column_formats(ws: Worksheet) -> dict[str, str]:
    """Column letter → the number format of its column (ranges resolved)."""
    formats: dict[str, str] = {}
    for dim in ws.column_dimensions.values():
        for index in range(dim.min or 0, (dim.max or 0) + 1):
            if index:
                formats[get_column_letter(index)] = dim.number_format
    return formats


def header_columns(ws: Worksheet) -> dict[str, str]:
    """Wire name (the header's last line) → column letter."""
    return {
        str(cell.value).splitlines()[-1]: get_column_letter(cell.column or 0)
        for cell in ws[1]
        if cell.value
    }


def fill(template: bytes, rows: Mapping[int, Mapping[str, object]], path: Path) -> Path:
    """Writes ``rows`` (row number → wire name → value) into the template's first sheet.

    Each cell takes its column's number format, as a cell typed into in Excel does.
    """
    workbook = openpyxl.load_workbook(io.BytesIO(template))
    ws = workbook.worksheets[0]
    letters = header_columns(ws)
    formats = column_formats(ws)
    for row, values in rows.items():
        for name, value in values.items():
            cell = ws[f"{letters[name]}{row}"]
            cell.value = value
            cell.number_format = formats[letters[name]]
    workbook.save(path)
    return path


def accept_as_typed(pkg: ModuleType) -> tuple[dict[str, object], dict[str, Any]]:
    """(what a person types, the record it stands for): labels and "code label" in
    coded columns, a datetime cell, a number, an ID with a leading zero."""
    expected: dict[str, Any] = copy.deepcopy(pkg.EXAMPLES["accept"])
    expected["ApplyerPageCode"] = ID_WITH_ZERO
    expected["ContactCode"] = ID_WITH_ZERO
    typed: dict[str, object] = dict(expected)
    labels = {
        name: {m.value: m.label for m in pkg.codes.CODESETS[cs]}
        for name, cs in (
            ("ApplyerType", "service_object"),
            ("ApplyerPageType", "certificate_type"),
            ("ApplyType", "apply_type"),
            ("SLZTDM", "acceptance_status"),
        )
    }
    for name, by_code in labels.items():
        typed[name] = by_code[expected[name]]  # the label instead of the code
    contact = {m.value: m.label for m in pkg.codes.CODESETS["certificate_type"]}
    typed["ContactType"] = f"{expected['ContactType']} {contact[expected['ContactType']]}"
    typed["ApplyDate"] = datetime.strptime(expected["ApplyDate"], "%Y-%m-%d %H:%M:%S")
    return typed, expected
