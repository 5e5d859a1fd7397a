"""The spec workbook's layout, shared by export and import: sheets and columns.

Every table has its header in row 1 (frozen, with a filter) and one item per row:

- 说明: this layout in words (ignored on import).
- 记录: one row per record type, in ``standard.yaml``'s order: its metadata.
- <key> (one sheet per record type, e.g. ``accept``): one row per field. The nine
  review columns come first (来源, the table the field is printed in, is derived
  and ignored on import); one column per remaining field attribute follows.
- 代码集: one row per code; the set's own columns repeat on each of its rows.
- 规则: one row per rule, grouped by 记录; conditions one per line in 条件
  (``codegen.workbook.rule_cells``).
- 勘误: one row per erratum (项 = 勘误), one per place in the text (项 = 原文) and
  one per accepted alias (项 = 别名), all keyed by the erratum's id.
- standard, and every other document without a table of its own (reference
  data): the document as canonical YAML, one line per row in column A (row 1 is
  a YAML comment, so YAML line N is row N); import parses it again.

Columns follow the dataclasses in ``codegen.spec.documents``: an attribute added there
gets a column (titled with its name unless a Chinese title is given below), so
the round trip stays lossless as the documents grow.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, get_type_hints

from codegen.spec.documents import (
    AliasDoc,
    CodeDoc,
    CodeSetDoc,
    ErratumDoc,
    FieldDoc,
    PlaceDoc,
    RecordDoc,
    RuleDoc,
    SpecDocs,
)

SHEET_README = "说明"
SHEET_RECORDS = "记录"
SHEET_CODESETS = "代码集"
SHEET_RULES = "规则"
SHEET_ERRATA = "勘误"
TABLE_SHEETS = (SHEET_RECORDS, SHEET_CODESETS, SHEET_RULES, SHEET_ERRATA)
# SpecDocs attributes with tables of their own; every other one is a YAML sheet.
TABLE_DOCUMENTS = ("codesets", "records", "errata")


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


# An attribute without a default (dataclasses.MISSING cannot be a field default here).
NO_DEFAULT: Any = _NoDefault()


@dataclass(frozen=True)
class Column:
    title: str
    attr: str  # the document attribute it holds; "" for a column that is not read back
    width: int = 16
    wrap: bool = False
    hint: Any = None  # the attribute's type
    default: Any = NO_DEFAULT
    group: str = ""  # which document of a row the attribute belongs to (code sets, errata)


# attr → (title, width, wrap); the order here is the column order of known attributes.
Titles = dict[str, tuple[str, int, bool]]


def doc_columns(
    cls: type, titles: Titles, skip: tuple[str, ...] = (), group: str = ""
) -> tuple[Column, ...]:
    """Columns for the attributes of ``cls``: titled ones in ``titles`` order, then the rest."""
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in skip}
    order = [a for a in titles if a in fields] + [a for a in fields if a not in titles]
    columns = []
    for attr in order:
        field = fields[attr]
        default = NO_DEFAULT if field.default is dataclasses.MISSING else field.default
        if callable(field.default_factory):
            default = field.default_factory()
        fallback = f"{group}:{attr}" if group else attr
        title, width, wrap = titles.get(attr, (fallback, 18, False))
        columns.append(Column(title, attr, width, wrap, hints[attr], default, group))
    return tuple(columns)


def yaml_documents() -> tuple[str, ...]:
    """SpecDocs attributes kept as YAML text, each in a sheet named after it."""
    return tuple(f.name for f in dataclasses.fields(SpecDocs) if f.name not in TABLE_DOCUMENTS)


def yaml_header(name: str) -> str:
    return f"# spec/{name}.yaml：以 YAML 文本保存，每行一格（本行为注释）"


# ---------------------------------------------------------------- record sheets

LENGTH = "长度"
SOURCE = "来源"
_FIELD_TITLES: Titles = {
    "name": ("字段名", 22, False),
    "label": ("中文名称", 20, False),
    "required": ("必选", 6, False),
    "type": ("类型", 10, False),
    # 长度 is inserted after 类型: both come from the one ``type`` attribute.
    "codeset": ("代码集", 20, False),
    "separator": ("多值分隔", 9, False),
    "description": ("说明", 60, True),
    # 来源 follows: derived from the record, written for review and not read back.
    "format": ("格式", 16, False),
    "minimum": ("最小值", 22, False),
    "maximum": ("最大值", 22, False),
    "domain": ("值域校验", 14, False),
    "sensitive": ("敏感信息", 9, False),
    "personal": ("个人信息", 9, False),
    "label_origin": ("中文名来源", 11, False),
    "former_labels": ("旧中文名称", 24, False),
    "python_name": ("Python 名", 24, False),
    "example": ("示例", 30, True),
    "note": ("备注", 50, True),
}


def field_columns() -> tuple[Column, ...]:
    columns = list(doc_columns(FieldDoc, _FIELD_TITLES))
    at = [c.attr for c in columns].index("type")
    columns.insert(at + 1, Column(LENGTH, "type", 7))
    at = [c.attr for c in columns].index("description")
    columns.insert(at + 1, Column(SOURCE, "", 8))
    return tuple(columns)


RECORD_TITLES: Titles = {
    "key": ("记录键", 18, False),
    "label": ("中文名称", 16, False),
    "interface": ("接口名称", 28, False),
    "clause": ("条款", 8, False),
    "table": ("请求表", 9, False),
    "reply_table": ("应答表", 9, False),
    "python_name": ("Python 类名", 26, False),
    "reconciliation_table": ("对账表名", 28, False),
    "reconciliation_table_inferred": ("对账表名为推定", 10, False),
}


def record_columns() -> tuple[Column, ...]:
    return doc_columns(RecordDoc, RECORD_TITLES, skip=("fields", "rules"))


# ---------------------------------------------------------------- code sets

_SET_TITLES: Titles = {
    "id": ("代码集", 22, False),
    "name": ("名称", 16, False),
    "clause": ("条款", 14, False),
    "table": ("表", 12, False),
    "python_name": ("Python 类名", 20, False),
}
_CODE_TITLES: Titles = {
    "code": ("代码", 10, False),
    "label": ("中文名称", 36, True),
    "python_name": ("成员名", 40, False),
}


def codeset_columns() -> tuple[Column, ...]:
    sets = doc_columns(CodeSetDoc, _SET_TITLES, skip=("codes",), group="代码集")
    return sets + doc_columns(CodeDoc, _CODE_TITLES, group="代码")


# ---------------------------------------------------------------- rules

RULE_RECORD = "记录"
_RULE_TITLES: Titles = {
    "id": ("规则", 32, False),
    "kind": ("类型", 14, False),
    "field": ("字段", 18, False),
    "when": ("条件", 40, True),
    "fields": ("成对字段", 34, False),
    "id_types": ("身份证号码证件类型", 14, False),
    "uscc_types": ("统一社会信用代码证件类型", 14, False),
    "offset": ("日期起始位置", 10, False),
    "clause": ("条款", 24, False),
    "profile": ("校验配置", 10, False),
    "origin": ("出处", 8, False),
    "text": ("原文或编者规则", 60, True),
    "lines": ("原文行号", 12, False),
    "reason": ("编者理由", 60, True),
}


def rule_columns() -> tuple[Column, ...]:
    return (Column(RULE_RECORD, "", 16),) + doc_columns(RuleDoc, _RULE_TITLES)


# ---------------------------------------------------------------- errata

ERRATUM, PLACE, ALIAS = "勘误", "原文", "别名"
ITEM = "项"
_ERRATUM_TITLES: Titles = {
    "id": ("勘误", 30, False),
    "title": ("标题", 36, True),
    "clause": ("条款", 24, True),
    "resolution": ("处理决定", 60, True),
    "reversed_in": ("改判版次", 9, False),
    "previously": ("原决定", 40, True),
    "reversal_reason": ("改判理由", 40, True),
}
_PLACE_TITLES: Titles = {"where": ("位置", 30, True), "says": ("原文", 50, True)}
_ALIAS_TITLES: Titles = {
    "record": ("记录", 14, False),
    "field": ("字段", 18, False),
    "alias": ("别名", 18, False),
}


def errata_columns() -> tuple[Column, ...]:
    errata = doc_columns(ErratumDoc, _ERRATUM_TITLES, skip=("places", "aliases"), group=ERRATUM)
    item = (Column(ITEM, "", 6),)
    places = doc_columns(PlaceDoc, _PLACE_TITLES, group=PLACE)
    aliases = doc_columns(AliasDoc, _ALIAS_TITLES, group=ALIAS)
    return errata[:1] + item + errata[1:] + places + aliases


README_LINES = (
    "GDZW 0003-2019 规范工作簿（由 `codegen xlsx export` 生成；`codegen xlsx import` 写回 spec/）",
    "",
    "记录：每种记录一行（记录键、中文名称、接口、条款、请求表、应答表、Python 类名、对账表名）。",
    "每种记录一张表（表名为记录键）：每个字段一行。必选填“是”或“否”；类型为 String、Int、Long、"
    "Double 或 DateTime，长度为 String(n) 等的 n（DateTime 不填）；数值（最小值、最大值等）以文本填写，"
    "以免电子表格只保留 15 位有效数字。来源列由记录的请求表导出，仅供审阅，导入时忽略。",
    "代码集：每个代码一行；代码集、名称、条款、表、Python 类名在同一代码集的各行须一致。",
    "规则：每条规则一行。条件每行一条，满足任一条即适用：“字段 in 代码, 代码”、"
    "“字段 any_part_in 代码, 代码”或“字段 present”。校验配置为 gateway、standard 或 strict："
    "规则只在该配置及更严的配置中检查。出处为“原文”时，“原文或编者规则”一栏是标准原文的引文"
    "（出自原文行号所列的行，多处以 … 相连）；出处为“编者”时是编者自己的规则，须在编者理由中写明"
    "为何原文之外还要检查。",
    "列表（成对字段、条件的取值等）以逗号分隔；含逗号的取值写成 JSON 数组，如 " '["a,b", "c"]。',
    "勘误：项为“勘误”的行给出标题、条款、处理决定（改判了早前版次的决定时，另写改判版次、原决定与改判理由）；"
    "项为“原文”的行给出位置与原文，项为“别名”的行给出记录、字段与别名；各行以勘误 id 关联。",
    "字段的“旧中文名称”是早前版次用过的中文名称，填好的数据录入模板仍可用作表头。",
    "standard 等以 YAML 保存的表：spec/ 中同名文件的 YAML 文本，每行一格；导入时重新解析。",
    "空行被忽略；可选的单元格留空即不填。导入前会检查整个工作簿，任何问题都会以“表!单元格”列出，"
    "有问题时 spec/ 保持不变。",
)
