"""One document attribute ↔ one cell, driven by the attribute's type in ``spec_docs``.

Because conversion follows the dataclass field types, an attribute added to a
spec document gets a workbook column without changes here: text for ``str``,
是/否 for ``bool``, digits as text for ``int`` (a spreadsheet keeps only 15
significant digits), one of the values for a ``Literal``, a comma list (or a
JSON array when a value needs it) for ``tuple[str, ...]`` and a comma list of
integers for ``tuple[int, ...]``.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Union, get_args, get_origin

from codegen.render.xlsx_style import CellValue
from codegen.workbook.cell_lists import format_list, parse_list
from codegen.workbook.cells import Row
from codegen.workbook.layout import NO_DEFAULT

YES, NO = "是", "否"
BOOLEANS = {YES: True, NO: False}
# Friendlier words for some Literal values; the values themselves are accepted too.
LITERAL_WORDS = {"text": "原文", "editor": "编者"}


def base_hint(hint: Any) -> tuple[Any, bool]:
    """(the type without None, whether None is allowed)."""
    if get_origin(hint) in (Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        return args[0], True
    return hint, False


def to_cell(hint: Any, value: object) -> CellValue:
    base, _ = base_hint(hint)
    if value is None:
        return None
    if base is bool:
        return YES if value else NO
    if base is int:
        return str(value)
    if base is str:
        assert isinstance(value, str)
        return value
    if get_origin(base) is typing.Literal:
        return LITERAL_WORDS.get(str(value), str(value))
    if get_origin(base) is tuple and get_args(base)[0] is str:
        assert isinstance(value, tuple)
        return format_list(value) or None
    if get_origin(base) is tuple and get_args(base)[0] is int:
        assert isinstance(value, tuple)
        return ", ".join(str(v) for v in value) or None
    raise TypeError(f"no spreadsheet cell for {hint!r}")  # a new kind of attribute: add it here


def from_cell(row: Row, title: str, hint: Any, default: Any, *, must_fill: bool = False) -> Any:
    """The attribute from the cell under ``title``; a blank cell is ``default``.

    A blank cell for an attribute without a default is "" for text (the spec has
    empty descriptions) and a problem otherwise; ``must_fill`` makes blank text a
    problem too where the attribute is required (names and ids).
    """
    base, optional = base_hint(hint)
    fallback = None if optional and default is NO_DEFAULT else default
    if base is str:
        required = fallback is NO_DEFAULT
        value = row.name(title) if must_fill and required else row.text(title)
        if value is None:
            return "" if fallback is NO_DEFAULT else fallback
        return value
    if base is bool:
        return row.choice(title, BOOLEANS, False if fallback is NO_DEFAULT else fallback)
    if base is int:
        number = row.integer(title)
        if number is None and fallback is NO_DEFAULT:
            if title not in row.bad:
                row.problem(title, "不能为空")
            return 0
        return fallback if number is None else number
    if get_origin(base) is typing.Literal:
        values = [str(v) for v in get_args(base)]
        choices = {**{LITERAL_WORDS.get(v, v): v for v in values}, **{v: v for v in values}}
        if fallback is NO_DEFAULT and row.text(title) is None and title not in row.bad:
            row.problem(title, "不能为空")
        return row.choice(title, choices, values[0] if fallback is NO_DEFAULT else fallback)
    if get_origin(base) is tuple and get_args(base)[0] is str:
        text = row.text(title)
        if text is None:
            return () if fallback is NO_DEFAULT else fallback
        items = parse_list(text)
        if items is None:
            row.problem(title, "应为逗号分隔的列表，或字符串的 JSON 数组")
            return ()
        return items
    if get_origin(base) is tuple and get_args(base)[0] is int:
        text = row.text(title)
        if text is None:
            return () if fallback is NO_DEFAULT else fallback
        parts = [part.strip() for part in text.split(",")]
        if not all(part.isascii() and part.isdigit() for part in parts):
            row.problem(title, "应为逗号分隔的整数，如 870, 871")
            return ()
        return tuple(int(part) for part in parts)
    raise TypeError(f"no spreadsheet cell for {hint!r}")
