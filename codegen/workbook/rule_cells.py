"""A rule's conditions as one spreadsheet cell, and back.

One condition per line; a rule applies when any line holds:

    ApplyerType in 2, 3, 4
    ApplyerPageType any_part_in 1, 3, 821
    Legal present

Values are separated by commas. A value a comma list cannot carry (empty, with
a comma, surrounding white space or a leading "[") makes the whole list a JSON
array: ``Field in ["a,b", "c"]``.
"""

from __future__ import annotations

import re
from typing import Any, get_args, get_type_hints

from codegen.spec.documents import ConditionDoc
from codegen.workbook.cell_lists import format_list, parse_list

# The operators ConditionDoc allows, read from its type so the two never disagree.
_OPS: dict[str, Any] = {op: op for op in get_args(get_type_hints(ConditionDoc)["op"])}
_LINE = re.compile(r"\s*(\S+)\s+(\S+)(?:\s+(.*?))?\s*")


def format_conditions(conditions: tuple[ConditionDoc, ...]) -> str:
    return "\n".join(_format(c) for c in conditions)


def _format(condition: ConditionDoc) -> str:
    text = f"{condition.field} {condition.op}"
    return f"{text} {format_list(condition.values)}" if condition.values else text


def parse_conditions(text: str) -> tuple[tuple[ConditionDoc, ...], list[str]]:
    """The conditions in ``text`` and a reason for each line that is not one."""
    conditions: list[ConditionDoc] = []
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            errors.append(f"第 {number} 行 {line.strip()!r} 应为“字段 运算 取值”")
            continue
        field, op, rest = match.group(1), match.group(2), match.group(3) or ""
        op_literal = _OPS.get(op)
        if op_literal is None:
            errors.append(f"第 {number} 行的运算 {op!r} 应为 {'、'.join(_OPS)} 之一")
            continue
        values = parse_list(rest)
        if values is None:
            errors.append(f"第 {number} 行的取值 {rest!r} 不是逗号分隔的列表或字符串的 JSON 数组")
            continue
        conditions.append(ConditionDoc(field, op_literal, values))
    return tuple(conditions), errors
