"""Builds the spec documents from the spec workbook's sheets.

Besides the documents, it records where each document path came from (so the
loader's cross-reference checks can be reported at sheet!cell) and which paths
hold placeholders for cells already reported (so they are not reported twice).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, get_type_hints

from codegen.spec.binding import Binder
from codegen.spec.documents import (
    AliasDoc,
    CodeDoc,
    CodeSetDoc,
    CodeSetsDoc,
    ErrataDoc,
    ErratumDoc,
    FieldDoc,
    PlaceDoc,
    RecordDoc,
    RuleDoc,
    SpecDocs,
)
from codegen.spec.errors import SpecProblem
from codegen.spec.paths import CODESETS, ERRATA, record_path
from codegen.spec.suggest import did_you_mean
from codegen.spec.wire_types import Kind
from codegen.spec.yaml_io import read_yaml
from codegen.workbook.cells import Found, Row, read_table
from codegen.workbook.layout import (
    ALIAS,
    ERRATUM,
    ITEM,
    LENGTH,
    PLACE,
    RULE_RECORD,
    SHEET_CODESETS,
    SHEET_ERRATA,
    SHEET_README,
    SHEET_RECORDS,
    SHEET_RULES,
    SOURCE,
    TABLE_SHEETS,
    Column,
    codeset_columns,
    errata_columns,
    field_columns,
    record_columns,
    rule_columns,
    yaml_documents,
)
from codegen.workbook.rule_cells import parse_conditions
from codegen.workbook.values import from_cell

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

_TYPES = {kind.value.casefold(): kind.value for kind in Kind}
_SIZE_MAX = 999_999  # six digits, as codegen.spec.wire_types reads them
# Attributes that name something: a blank cell is a problem, not an empty string.
_NAMES = {"name", "key", "id", "code", "record", "field", "alias"}


@dataclass
class Built:
    docs: SpecDocs | None
    found: Found
    # (spec file, document path without <names>) → "sheet!A1", "sheet!3:3" or "sheet".
    locations: dict[tuple[str, str], str]
    suppressed: set[tuple[str, str]]
    # (spec file, path) whose problems at and below it are dropped: rules on broken fields.
    suppressed_below: set[tuple[str, str]]
    file_sheets: dict[str, str]  # spec file → the sheet its problems fall back to


def _value(row: Row, column: Column) -> Any:
    return from_cell(
        row, column.title, column.hint, column.default, must_fill=column.attr in _NAMES
    )


def _join(base: str, attr: str) -> str:
    return f"{base}.{attr}" if base else attr


def _title(columns: tuple[Column, ...], attr: str, group: str = "") -> str:
    return next(c.title for c in columns if c.attr == attr and (not group or c.group == group))


@dataclass
class _Builder:
    workbook: Workbook
    found: Found = field(default_factory=Found)
    locations: dict[tuple[str, str], str] = field(default_factory=dict)
    suppressed: set[tuple[str, str]] = field(default_factory=set)
    suppressed_below: set[tuple[str, str]] = field(default_factory=set)

    def locate(self, file: str, path: str, where: str) -> None:
        self.locations.setdefault((file, path), where)

    def locate_row(self, file: str, base: str, row: Row, columns: tuple[Column, ...]) -> None:
        for column in columns:
            if column.attr and column.title != LENGTH:
                self.locate(file, _join(base, column.attr), row.ref(column.title))

    def suppress_bad(self, file: str, base: str, row: Row, columns: tuple[Column, ...]) -> None:
        """Drops check problems about placeholders put in for cells already reported."""
        attrs = {c.title: c.attr for c in columns if c.attr}
        for title in row.bad:
            if attrs.get(title):
                self.suppressed.add((file, _join(base, attrs[title])))
        if row.bad:
            self.suppressed.add((file, base))  # e.g. "numeric fields need both bounds"

    def sheet(self, name: str) -> Worksheet | None:
        if name in self.workbook.sheetnames:
            return self.workbook[name]
        self.found.add(name, f"缺少工作表“{name}”")
        return None

    # ------------------------------------------------------------ YAML sheets

    def yaml_document(self, name: str, cls: type) -> object | None:
        ws = self.sheet(name)
        if ws is None:
            return None
        lines = []
        for (cell,) in ws.iter_rows(min_col=1, max_col=1):
            value = cell.value
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            lines.append("" if value is None else str(value))
        problems: list[SpecProblem] = []
        data = read_yaml("\n".join(lines) + "\n", name, problems)
        for p in problems:
            # YAML line N is row N (row 1 is a comment line).
            line = p.path.split(",")[0].removeprefix("line ").strip()
            self.found.add(f"{name}!A{line}" if line.isdigit() else name, p.message)
        if data is None:
            if not problems:
                self.found.add(name, "没有内容")
            return None
        binder = Binder(f"spec/{name}.yaml")
        doc = binder.parse(cls, data)
        for p in binder.problems:
            self.found.add(name, f"{p.path}: {p.message}")
        return doc

    # ------------------------------------------------------------ code sets

    def codesets(self) -> CodeSetsDoc | None:
        ws = self.sheet(SHEET_CODESETS)
        if ws is None:
            return None
        columns = codeset_columns()
        set_columns = tuple(c for c in columns if c.group == "代码集")
        code_columns = tuple(c for c in columns if c.group == "代码")
        id_title = _title(set_columns, "id")
        first: dict[str, Row] = {}
        heads: dict[str, dict[str, Any]] = {}
        codes: dict[str, list[CodeDoc]] = {}
        for row in read_table(ws, columns, self.found).rows:
            values = {c.attr: _value(row, c) for c in set_columns}
            set_id = values["id"]
            if set_id not in first:
                base = f"codesets[{len(first)}]"
                first[set_id], heads[set_id], codes[set_id] = row, values, []
                for path in ("", ".codes"):
                    self.locate(CODESETS, base + path, row.ref(id_title))
                self.locate_row(CODESETS, base, row, set_columns)
            else:
                for column in set_columns:
                    value, expected = values[column.attr], heads[set_id][column.attr]
                    if value != expected:
                        where = first[set_id].ref(column.title)
                        row.problem(
                            column.title, f"{value!r} 与同一代码集在 {where} 的 {expected!r} 不一致"
                        )
            i = list(first).index(set_id)
            base = f"codesets[{i}].codes[{len(codes[set_id])}]"
            self.locate(CODESETS, base, row.ref(_title(code_columns, "code")))
            self.locate_row(CODESETS, base, row, code_columns)
            codes[set_id].append(CodeDoc(**{c.attr: _value(row, c) for c in code_columns}))
            self.suppress_bad(CODESETS, base, row, code_columns)
        return CodeSetsDoc(
            tuple(CodeSetDoc(**heads[set_id], codes=tuple(codes[set_id])) for set_id in first)
        )

    # ------------------------------------------------------------ records

    def record_metas(self) -> list[tuple[Row, dict[str, Any]]]:
        ws = self.sheet(SHEET_RECORDS)
        if ws is None:
            return []
        columns = record_columns()
        metas: list[tuple[Row, dict[str, Any]]] = []
        seen: dict[str, str] = {}
        key_title = _title(columns, "key")
        for row in read_table(ws, columns, self.found).rows:
            values = {c.attr: _value(row, c) for c in columns}
            key = values["key"]
            if key in seen:
                row.problem(key_title, f"记录键 {key!r} 重复（与 {seen[key]} 相同）")
                continue
            seen[key] = row.ref(key_title)
            self.locate(record_path(key), "", row.ref(key_title))
            self.locate_row(record_path(key), "", row, columns)
            self.suppress_bad(record_path(key), "", row, columns)
            metas.append((row, values))
        return metas

    def record(
        self, meta: Row, values: dict[str, Any], rules: tuple[RuleDoc, ...]
    ) -> RecordDoc | None:
        key = values["key"]
        if key not in self.workbook.sheetnames:
            meta.problem(
                _title(record_columns(), "key"), f"没有名为“{key}”的工作表（每种记录一张表）"
            )
            return None
        file = record_path(key)
        self.locate(file, "fields", key)
        self.locate(file, "rules", SHEET_RULES)
        columns = field_columns()
        table = read_table(self.workbook[key], columns, self.found, frozenset({SOURCE}))
        fields = tuple(self.field(file, i, row, columns) for i, row in enumerate(table.rows))
        # A rule on a field with a placeholder would only repeat that field's problem.
        broken = {f.name for f, row in zip(fields, table.rows, strict=True) if row.bad}
        for j, rule in enumerate(rules):
            if broken & {rule.field, *rule.fields, *(c.field for c in rule.when)}:
                self.suppressed_below.add((file, f"rules[{j}]"))
        return RecordDoc(**values, fields=fields, rules=rules)

    def field(self, file: str, i: int, row: Row, columns: tuple[Column, ...]) -> FieldDoc:
        base = f"fields[{i}]"
        self.locate(file, base, row.ref(_title(columns, "name")))
        self.locate_row(file, base, row, columns)
        values: dict[str, Any] = {}
        for column in columns:
            if column.attr == "type" and column.title != LENGTH:
                values["type"] = _wire_type(row, column.title)
            elif column.attr and column.title != LENGTH:
                values[column.attr] = _value(row, column)
        self.suppress_bad(file, base, row, columns)
        if LENGTH in row.bad:
            self.suppressed.add((file, f"{base}.type"))
        return FieldDoc(**values)

    # ------------------------------------------------------------ rules

    def rules(self, keys: list[str]) -> dict[str, list[RuleDoc]]:
        ws = self.sheet(SHEET_RULES)
        out: dict[str, list[RuleDoc]] = {key: [] for key in keys}
        if ws is None:
            return out
        columns = rule_columns()
        for row in read_table(ws, columns, self.found).rows:
            key = row.name(RULE_RECORD)
            if key not in out:
                if key:
                    row.problem(
                        RULE_RECORD, f"未知的记录 {key!r}；应为“{SHEET_RECORDS}”表中的记录键"
                    )
                continue
            file, base = record_path(key), f"rules[{len(out[key])}]"
            self.locate(file, base, row.ref(_title(columns, "id")))
            self.locate_row(file, base, row, columns)
            values: dict[str, Any] = {}
            for column in columns[1:]:
                if column.attr == "when":
                    values["when"], errors = parse_conditions(row.text(column.title) or "")
                    if errors:
                        row.problem(column.title, "；".join(errors))
                else:
                    values[column.attr] = _value(row, column)
            out[key].append(RuleDoc(**values))
            self.suppress_bad(file, base, row, columns)
        return out

    # ------------------------------------------------------------ errata

    def errata(self) -> ErrataDoc | None:
        ws = self.sheet(SHEET_ERRATA)
        if ws is None:
            return None
        columns = errata_columns()
        groups = {g: tuple(c for c in columns if c.group == g) for g in (ERRATUM, PLACE, ALIAS)}
        id_title = _title(columns, "id", ERRATUM)
        kinds = {g: g for g in groups}
        rows = [
            (row, row.choice(ITEM, kinds, "")) for row in read_table(ws, columns, self.found).rows
        ]
        heads: list[dict[str, Any]] = []
        index: dict[str, int] = {}
        for row, kind in rows:
            if kind == ERRATUM:
                base = f"errata[{len(heads)}]"
                values = {c.attr: _value(row, c) for c in groups[ERRATUM]}
                index.setdefault(values["id"], len(heads))
                for path in ("", ".places", ".aliases"):
                    self.locate(ERRATA, base + path, row.ref(id_title))
                self.locate_row(ERRATA, base, row, groups[ERRATUM])
                self.suppress_bad(ERRATA, base, row, groups[ERRATUM])
                heads.append(values)
        items: list[dict[str, list[Any]]] = [{PLACE: [], ALIAS: []} for _ in heads]
        for row, kind in rows:
            if kind not in (PLACE, ALIAS):
                continue
            erratum_id = row.name(id_title)
            i = index.get(erratum_id)
            if i is None:
                if erratum_id:
                    row.problem(id_title, f"没有项为“{ERRATUM}”、勘误为 {erratum_id!r} 的行")
                continue
            listed = items[i][kind]
            base = f"errata[{i}].{'places' if kind == PLACE else 'aliases'}[{len(listed)}]"
            self.locate(ERRATA, base, row.ref(groups[kind][0].title))
            self.locate_row(ERRATA, base, row, groups[kind])
            cls = PlaceDoc if kind == PLACE else AliasDoc
            listed.append(cls(**{c.attr: _value(row, c) for c in groups[kind]}))
            self.suppress_bad(ERRATA, base, row, groups[kind])
        return ErrataDoc(
            tuple(
                ErratumDoc(**head, places=tuple(items[i][PLACE]), aliases=tuple(items[i][ALIAS]))
                for i, head in enumerate(heads)
            )
        )


def _wire_type(row: Row, title: str) -> str:
    """``String(50)`` from 类型 and 长度; "" (reported, and its check dropped) when unusable."""
    raw = row.text(title)
    length = row.integer(LENGTH)
    if row.bad & {title, LENGTH}:
        return ""
    if raw is None:
        row.problem(title, "不能为空")
        return ""
    name = _TYPES.get(raw.strip().casefold())
    if name is None:
        row.problem(
            title,
            f"未知的类型 {raw!r}{did_you_mean(raw.strip(), _TYPES.values())}；"
            f"应为 {'、'.join(_TYPES.values())} 之一",
        )
    elif name == Kind.DATETIME.value:
        if length is None:
            return name
        row.problem(LENGTH, "DateTime 不填长度")
    elif length is None:
        row.problem(LENGTH, f"{name} 须填长度")
    elif not 1 <= length <= _SIZE_MAX:
        row.problem(LENGTH, f"长度 {length} 应在 1 到 {_SIZE_MAX} 之间")
    else:
        return f"{name}({length})"
    return ""


def build_docs(workbook: Workbook) -> Built:
    b = _Builder(workbook)
    hints = get_type_hints(SpecDocs)
    yaml_docs = {name: b.yaml_document(name, hints[name]) for name in yaml_documents()}
    codesets = b.codesets()
    metas = b.record_metas()
    keys = [values["key"] for _, values in metas]
    rules = b.rules(keys)
    records = [b.record(row, values, tuple(rules[values["key"]])) for row, values in metas]
    errata = b.errata()
    known = {SHEET_README, *TABLE_SHEETS, *yaml_docs, *keys}
    for name in workbook.sheetnames:
        if name not in known:
            b.found.add(name, f"未知的工作表“{name}”；记录表须列在“{SHEET_RECORDS}”表中")
    standard = yaml_docs.get("standard")
    listed = getattr(standard, "records", None)
    if listed is not None and tuple(keys) != listed:
        b.found.add(
            SHEET_RECORDS,
            f"所列记录 {keys} 与 standard 表的 records {list(listed)} 不一致（顺序也须相同）",
        )
    complete = [r for r in records if r is not None]
    file_sheets = {CODESETS: SHEET_CODESETS, ERRATA: SHEET_ERRATA}
    file_sheets |= {f"spec/{name}.yaml": name for name in yaml_docs}
    docs = None
    missing_sheet = any(name not in workbook.sheetnames for name in TABLE_SHEETS)
    if (
        all(doc is not None for doc in yaml_docs.values())
        and codesets is not None
        and errata is not None
        and len(complete) == len(records)
        and not missing_sheet
    ):
        docs = SpecDocs(
            **yaml_docs,  # type: ignore[arg-type]
            codesets=codesets,
            records=tuple(complete),
            errata=errata,
        )
    return Built(docs, b.found, b.locations, b.suppressed, b.suppressed_below, file_sheets)
