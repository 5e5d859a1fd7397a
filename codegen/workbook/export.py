"""``codegen xlsx export``: the whole spec as one workbook a maintainer can review.

Every attribute import needs is in a cell (layout: ``codegen.workbook.layout``),
so export followed by import gives byte-identical spec files.
"""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, get_args, get_origin

from codegen.render import xlsx_style
from codegen.render.xlsx_bytes import workbook_bytes
from codegen.render.xlsx_style import (
    TEXT_FORMAT,
    CellValue,
    column_letter,
    finish_table,
    header,
    put,
    set_widths,
)
from codegen.spec.canonical import canonical_texts
from codegen.spec.documents import CodeDoc, CodeSetDoc, ErratumDoc, FieldDoc, RecordDoc
from codegen.spec.loader import LoadedSpec
from codegen.spec.wire_types import Kind, parse_wire_type
from codegen.workbook.layout import (
    ALIAS,
    ERRATUM,
    LENGTH,
    PLACE,
    README_LINES,
    SHEET_CODESETS,
    SHEET_ERRATA,
    SHEET_README,
    SHEET_RECORDS,
    SHEET_RULES,
    SOURCE,
    Column,
    codeset_columns,
    errata_columns,
    field_columns,
    record_columns,
    rule_columns,
    yaml_documents,
    yaml_header,
)
from codegen.workbook.rule_cells import format_conditions
from codegen.workbook.values import LITERAL_WORDS, NO, YES, base_hint, to_cell

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

Row = list[CellValue]
TYPE_NAMES = tuple(kind.value for kind in Kind)


def export_workbook(loaded: LoadedSpec) -> bytes:
    docs = loaded.docs
    from openpyxl import Workbook

    workbook = Workbook()
    readme = workbook.active
    assert readme is not None
    readme.title = SHEET_README
    for number, line in enumerate(README_LINES, start=1):
        put(readme, number, 1, line or None)
    readme.column_dimensions["A"].width = 120

    columns = record_columns()
    _table(workbook, SHEET_RECORDS, columns, [_values(columns, r) for r in docs.records])
    columns = field_columns()
    for record in docs.records:
        rows = [_field_row(columns, record, f) for f in record.fields]
        ws = _table(workbook, record.key, columns, rows)
        ws.freeze_panes = "B2"  # the wire name stays in view while scrolling right
        _choices(ws, columns, "类型", TYPE_NAMES)
        _choices(ws, columns, "多值分隔", ("^", ";"))
    columns = codeset_columns()
    rows = [_code_row(columns, cs, code) for cs in docs.codesets.codesets for code in cs.codes]
    _table(workbook, SHEET_CODESETS, columns, rows)
    columns = rule_columns()
    rows = [[r.key, *_values(columns[1:], rule)] for r in docs.records for rule in r.rules]
    _table(workbook, SHEET_RULES, columns, rows)
    columns = errata_columns()
    errata = [row for e in docs.errata.errata for row in _erratum_rows(columns, e)]
    ws = _table(workbook, SHEET_ERRATA, columns, errata)
    _choices(ws, columns, "项", (ERRATUM, PLACE, ALIAS))

    texts = canonical_texts(docs)
    for name in yaml_documents():
        _yaml_sheet(workbook, name, texts[f"{name}.yaml"])

    info = docs.standard.standard
    return workbook_bytes(
        workbook,
        title=f"{info.id} {info.title}：规范工作簿",
        subject=info.id,
        description=f"Exported by gdzw-codegen from spec/. spec sha256 {loaded.hash}",
        keywords=f"spec-sha256:{loaded.hash}",
    )


def _values(columns: tuple[Column, ...], doc: object) -> Row:
    return [_cell(column, getattr(doc, column.attr)) for column in columns]


def _code_row(columns: tuple[Column, ...], cs: CodeSetDoc, code: CodeDoc) -> Row:
    # The set's own columns repeat on each of its codes.
    return [_cell(c, getattr(cs if c.group == "代码集" else code, c.attr)) for c in columns]


def _cell(column: Column, value: object) -> CellValue:
    if column.attr == "when":
        return format_conditions(value) or None  # type: ignore[arg-type]
    return to_cell(column.hint, value)


def _field_row(columns: tuple[Column, ...], record: RecordDoc, f: FieldDoc) -> Row:
    wire = parse_wire_type(f.type)
    row: Row = []
    for column in columns:
        if column.title == SOURCE:
            row.append(record.table)
        elif column.title == LENGTH:
            row.append(None if wire is None or wire.kind is Kind.DATETIME else wire.size)
        elif column.attr == "type":
            # A loaded spec's types always parse; keep the text rather than lose it.
            row.append(f.type if wire is None else wire.kind.value)
        else:
            row.append(_cell(column, getattr(f, column.attr)))
    return row


def _erratum_rows(columns: tuple[Column, ...], e: ErratumDoc) -> list[Row]:
    def row(item: str, doc: object) -> Row:
        out: Row = []
        for column in columns:
            if column.title == "项":
                out.append(item)
            elif column.attr == "id" and column.group == ERRATUM:
                out.append(e.id)
            elif column.group == item:
                out.append(_cell(column, getattr(doc, column.attr)))
            else:
                out.append(None)
        return out

    return (
        [row(ERRATUM, e)] + [row(PLACE, p) for p in e.places] + [row(ALIAS, a) for a in e.aliases]
    )


def _table(
    workbook: Workbook, title: str, columns: tuple[Column, ...], rows: list[Row]
) -> Worksheet:
    ws: Worksheet = workbook.create_sheet(title)
    header(ws, [c.title for c in columns])
    for r, row in enumerate(rows, start=2):
        for c, (column, value) in enumerate(zip(columns, row, strict=True), start=1):
            cell = put(ws, r, c, value)
            if column.wrap:
                cell.alignment = xlsx_style.WRAP
    set_widths(ws, [c.width for c in columns])
    for index, column in enumerate(columns, start=1):
        # New rows typed in Excel keep codes such as "01" and long numbers as text.
        ws.column_dimensions[column_letter(index)].number_format = TEXT_FORMAT
        _column_choices(ws, index, column)
    finish_table(ws, len(columns), len(rows) + 1)
    return ws


def _column_choices(ws: Worksheet, index: int, column: Column) -> None:
    """A dropdown for 是/否 and Literal columns: short fixed lists."""
    base, _ = base_hint(column.hint)
    if base is bool:
        _dropdown(ws, column_letter(index), (YES, NO))
    elif get_origin(base) is typing.Literal:
        values = tuple(LITERAL_WORDS.get(str(v), str(v)) for v in get_args(base))
        _dropdown(ws, column_letter(index), values)


def _choices(
    ws: Worksheet, columns: tuple[Column, ...], title: str, values: tuple[str, ...]
) -> None:
    _dropdown(ws, column_letter([c.title for c in columns].index(title) + 1), values)


def _dropdown(ws: Worksheet, letter: str, values: tuple[str, ...]) -> None:
    formula = f'"{",".join(values)}"'
    if len(formula) > 255:  # Excel's limit for inline lists: no dropdown rather than a broken one
        return
    from openpyxl.worksheet.datavalidation import DataValidation

    validation = DataValidation(type="list", formula1=formula, allow_blank=True)
    validation.add(f"{letter}2:{letter}1048576")
    ws.add_data_validation(validation)


def _yaml_sheet(workbook: Workbook, name: str, text: str) -> None:
    ws = workbook.create_sheet(name)
    for number, line in enumerate([yaml_header(name), *text.splitlines()], start=1):
        put(ws, number, 1, line or None, text=False)  # the column's text format covers it
    ws.column_dimensions["A"].width = 140
    ws.column_dimensions["A"].number_format = TEXT_FORMAT
    ws.freeze_panes = "A2"
