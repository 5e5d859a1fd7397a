"""``codegen xlsx export|import``: spec → workbook → spec, and broken workbooks."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from codegen.cli.main import main
from codegen.spec.loader import LoadedSpec, load_spec
from codegen.workbook.export import export_workbook
from codegen.workbook.layout import yaml_documents

Edit = Callable[[openpyxl.Workbook], None]


def run(root: Path, *args: str | Path) -> Result:
    return CliRunner().invoke(main, ["--root", str(root), "xlsx", *map(str, args)])


def snapshot(spec_dir: Path) -> dict[str, bytes]:
    return {
        p.relative_to(spec_dir).as_posix(): p.read_bytes()
        for p in sorted(spec_dir.rglob("*"))
        if p.is_file()
    }


@pytest.fixture()
def root(spec_copy: Path) -> Path:
    """A project root holding a private copy of spec/."""
    return spec_copy.parent


@pytest.fixture(scope="module")
def book(spec_workbook: Path) -> openpyxl.Workbook:
    """The exported workbook, for finding cells (tests must not change it)."""
    return openpyxl.load_workbook(spec_workbook)


def edited(spec_workbook: Path, tmp_path: Path, *edits: Edit) -> Path:
    workbook = openpyxl.load_workbook(spec_workbook)
    for edit in edits:
        edit(workbook)
    path = tmp_path / "edited.xlsx"
    workbook.save(path)
    return path


def row_of(ws: Worksheet, value: str, column: int = 1) -> int:
    for row in range(2, ws.max_row + 1):
        if ws.cell(row=row, column=column).value == value:
            return row
    raise KeyError(value)


def problems_of(result: Result) -> list[str]:
    """The reported locations and messages, without the leading file name."""
    return [line.strip().split(" ", 1)[1] for line in result.stderr.splitlines()[1:]]


# ---------------------------------------------------------------- round trip


def test_export_then_import_is_byte_identical(root: Path, spec_workbook: Path) -> None:
    before = snapshot(root / "spec")
    result = run(root, "import", spec_workbook)
    assert result.exit_code == 0, result.output
    assert "spec/ already matches the workbook." in result.stdout
    assert snapshot(root / "spec") == before


def test_import_rebuilds_deleted_spec_files(root: Path, spec_workbook: Path) -> None:
    before = snapshot(root / "spec")
    for rel in ("records/accept.yaml", "codesets.yaml", "errata.yaml", "standard.yaml"):
        (root / "spec" / rel).unlink()
    result = run(root, "import", spec_workbook)
    assert result.exit_code == 0, result.output
    assert "spec/records/accept.yaml: 已改写 (rewrote)" in result.stdout
    assert snapshot(root / "spec") == before


def test_export_is_deterministic(loaded: LoadedSpec, spec_workbook: Path) -> None:
    assert export_workbook(loaded) == spec_workbook.read_bytes()


def test_workbook_layout(spec_workbook: Path, loaded: LoadedSpec) -> None:
    workbook = openpyxl.load_workbook(spec_workbook)
    keys = [r.key for r in loaded.docs.records]
    yaml_sheets = list(yaml_documents())
    assert yaml_sheets[0] == "standard"  # and the reference data, as YAML text
    assert workbook.sheetnames == ["说明", "记录", *keys, "代码集", "规则", "勘误", *yaml_sheets]
    accept = workbook["accept"]
    titles = [c.value for c in accept[1]]
    assert titles[:9] == [
        "字段名",
        "中文名称",
        "必选",
        "类型",
        "长度",
        "代码集",
        "多值分隔",
        "说明",
        "来源",
    ]
    extras = ["格式", "最小值", "最大值", "中文名来源", "Python 名", "示例", "备注"]
    assert [t for t in titles[9:] if t in extras] == extras
    for name in ("记录", "accept", "代码集", "规则", "勘误"):
        ws = workbook[name]
        assert ws.freeze_panes in ("A2", "B2"), name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), name
        assert all(ws.column_dimensions[c].width >= 6 for c in "ABC"), name
    row = row_of(accept, "ApplyerPageType")
    assert [accept.cell(row=row, column=c).value for c in range(3, 8)] == [
        "是",
        "String",
        70,
        "certificate_type",
        "^",
    ]
    # Codes are text, not numbers, so "01" stays "01" in a spreadsheet.
    codes = workbook["代码集"]
    code = column_of(codes, "代码")
    assert all(
        isinstance(codes.cell(row=r, column=code).value, str) for r in range(2, codes.max_row)
    )


def test_edit_in_workbook_reaches_spec(root: Path, spec_workbook: Path, tmp_path: Path) -> None:
    relabel = set_cell("accept", "ZipCode", "中文名称", "邮政编码")
    result = run(root, "import", edited(spec_workbook, tmp_path, relabel))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "spec/records/accept.yaml: 已改写 (rewrote)"
    record = next(r for r in load_spec(root / "spec").docs.records if r.key == "accept")
    assert next(f.label for f in record.fields if f.name == "ZipCode") == "邮政编码"


def test_rules_and_conditions_survive_editing(
    root: Path, spec_workbook: Path, tmp_path: Path
) -> None:
    def add_value(workbook: openpyxl.Workbook) -> None:
        ws = workbook["规则"]
        row = row_of(ws, "refusal-reason-required", column_of(ws, "规则"))
        cell = ws.cell(row=row, column=column_of(ws, "条件"))
        assert cell.value == "SLZTDM in 2, 4"
        cell.value = "SLZTDM in 2, 3, 4"

    result = run(root, "import", edited(spec_workbook, tmp_path, add_value))
    assert result.exit_code == 0, result.output
    record = next(r for r in load_spec(root / "spec").docs.records if r.key == "accept")
    rule = next(r for r in record.rules if r.id == "refusal-reason-required")
    assert rule.when[0].values == ("2", "3", "4")


# ---------------------------------------------------------------- broken workbooks


def column_of(ws: Worksheet, title: str) -> int:
    return [c.value for c in ws[1]].index(title) + 1


def set_cell(sheet: str, name: str, title: str, value: Any, *, key: str = "") -> Edit:
    """Sets the cell under ``title`` in the row whose key column (``key``, else A) is ``name``."""

    def edit(workbook: openpyxl.Workbook) -> None:
        ws = workbook[sheet]
        row = row_of(ws, name, column_of(ws, key) if key else 1)
        ws.cell(row=row, column=column_of(ws, title)).value = value

    return edit


def cell_of(book: openpyxl.Workbook, sheet: str, name: str, title: str, *, key: str = "") -> str:
    """Where the ``title`` cell of ``name``'s row is in the exported workbook."""
    ws = book[sheet]
    row = row_of(ws, name, column_of(ws, key) if key else 1)
    return f"{sheet}!{get_column_letter(column_of(ws, title))}{row}"


# (field, column, bad value, what the problem says); each on its own accept row.
BAD_CELLS = [
    ("ApplyDate", "类型", "Strng", "未知的类型 'Strng'"),
    ("AcceptDate", "长度", 19, "DateTime 不填长度"),
    ("RowGuid", "长度", "fifty", "应为整数"),
    ("ProjectNo", "长度", None, "String 须填长度"),
    ("ApplyerType", "代码集", "no_such_set", "未知的代码集 'no_such_set'"),
    ("ApplyType", "必选", "maybe", "应为 “是”、“否” 之一"),
    ("TaskVersion", "最小值", "-1.5", "应为整数"),
    ("ProjectType", "多值分隔", "|", "分隔符应为"),
]


def test_each_bad_cell_is_named_once_by_sheet_and_cell(
    root: Path, spec_workbook: Path, book: openpyxl.Workbook, tmp_path: Path
) -> None:
    before = snapshot(root / "spec")
    edits = [set_cell("accept", name, title, value) for name, title, value, _ in BAD_CELLS]
    result = run(root, "import", edited(spec_workbook, tmp_path, *edits))
    assert result.exit_code == 1
    found = problems_of(result)
    # One problem per bad cell: the placeholders put in for them cause no follow-on problems.
    assert len(found) == len(BAD_CELLS), found
    for name, title, _, fragment in BAD_CELLS:
        where = cell_of(book, "accept", name, title)
        assert any(p.startswith(f"{where}: ") and fragment in p for p in found), (where, found)
    assert snapshot(root / "spec") == before


def test_duplicate_field_is_named_at_the_second_row(
    root: Path, spec_workbook: Path, book: openpyxl.Workbook, tmp_path: Path
) -> None:
    path = edited(spec_workbook, tmp_path, set_cell("accept", "ZipCode", "字段名", "ContactMobile"))
    result = run(root, "import", path)
    assert result.exit_code == 1
    where = cell_of(book, "accept", "ZipCode", "字段名")
    first = cell_of(book, "accept", "ContactMobile", "字段名")
    message = f"{where}: 字段名 'ContactMobile' 重复（与 {first} 相同）"
    assert message in problems_of(result)


def test_missing_column(root: Path, spec_workbook: Path, tmp_path: Path) -> None:
    def drop_type(workbook: openpyxl.Workbook) -> None:
        workbook["process"].delete_cols(4)

    result = run(root, "import", edited(spec_workbook, tmp_path, drop_type))
    assert result.exit_code == 1
    assert problems_of(result) == ["process!1:1: 缺少列“类型”"]


def test_every_problem_at_once_and_spec_untouched(
    root: Path, spec_workbook: Path, book: openpyxl.Workbook, tmp_path: Path
) -> None:
    def drop_type(workbook: openpyxl.Workbook) -> None:
        workbook["process"].delete_cols(4)

    def rename_one_code_row(workbook: openpyxl.Workbook) -> None:
        ws = workbook["代码集"]
        ws.cell(row=row_of(ws, "service_object") + 1, column=column_of(ws, "名称")).value = (
            "服务对像"
        )

    def bad_alias_field(workbook: openpyxl.Workbook) -> None:
        ws = workbook["勘误"]
        row = row_of(ws, "别名", column_of(ws, "项"))
        ws.cell(row=row, column=column_of(ws, "字段")).value = "NoSuchField"

    edits = [
        drop_type,
        set_cell("accept", "ApplyDate", "类型", "Strng"),
        set_cell("accept", "ApplyerType", "代码集", "no_such_set"),
        set_cell("result", "RowGuid", "长度", "fifty"),
        set_cell("accept", "ZipCode", "字段名", "ContactMobile"),
        rename_one_code_row,  # one row disagrees with the rest of its set
        set_cell("规则", "refusal-reason-required", "条件", "SLZTDM within 2", key="规则"),
        bad_alias_field,
    ]
    before = snapshot(root / "spec")
    result = run(root, "import", edited(spec_workbook, tmp_path, *edits))
    assert result.exit_code == 1
    assert snapshot(root / "spec") == before
    assert not list(root.glob("spec.import-*"))  # no staging left behind
    found = "\n".join(problems_of(result))
    codes_row = row_of(book["代码集"], "service_object")
    expected = [
        "process!1:1: 缺少列“类型”",
        f"{cell_of(book, 'accept', 'ApplyDate', '类型')}: 未知的类型",
        f"{cell_of(book, 'accept', 'ApplyerType', '代码集')}: 未知的代码集",
        f"{cell_of(book, 'result', 'RowGuid', '长度')}: 应为整数",
        f"{cell_of(book, 'accept', 'ZipCode', '字段名')}: 字段名 'ContactMobile' 重复",
        f"代码集!B{codes_row + 1}: '服务对像' 与同一代码集在 代码集!B{codes_row} 的 '服务对象' 不一致",
        f"{cell_of(book, '规则', 'refusal-reason-required', '条件', key='规则')}: 第 1 行的运算 'within'",
    ]
    for fragment in expected:
        assert fragment in found, (fragment, found)
    alias_column = get_column_letter(column_of(book["勘误"], "字段"))
    assert f"勘误!{alias_column}" in found and "没有字段 'NoSuchField'" in found
    assert result.stderr.splitlines()[0].startswith("工作簿有 ")


def test_yaml_error_in_standard_sheet_names_its_row(
    root: Path, spec_workbook: Path, tmp_path: Path
) -> None:
    def break_yaml(workbook: openpyxl.Workbook) -> None:
        workbook["standard"]["A3"] = "  id: [unclosed"

    result = run(root, "import", edited(spec_workbook, tmp_path, break_yaml))
    assert result.exit_code == 1
    (found,) = problems_of(result)
    # The parser notices the unclosed list on the next line.
    assert found.startswith("standard!A4: YAML 语法错误"), found


def test_unknown_sheet_and_record_without_sheet(
    root: Path, spec_workbook: Path, book: openpyxl.Workbook, tmp_path: Path
) -> None:
    def rename(workbook: openpyxl.Workbook) -> None:
        workbook["receive"].title = "receipts"

    result = run(root, "import", edited(spec_workbook, tmp_path, rename))
    assert result.exit_code == 1
    found = problems_of(result)
    ws = book["记录"]
    assert f"记录!A{row_of(ws, 'receive')}: 没有名为“receive”的工作表（每种记录一张表）" in found
    assert any(p.startswith("receipts: 未知的工作表") for p in found)


def test_not_a_workbook(root: Path, tmp_path: Path) -> None:
    path = tmp_path / "spec.xlsx"
    path.write_text("not a zip", encoding="utf-8")
    result = run(root, "import", path)
    assert result.exit_code == 2 and "无法读取工作簿" in result.stderr  # unreadable input


def test_check_writes_nothing(root: Path, spec_workbook: Path, tmp_path: Path) -> None:
    shutil.rmtree(root / "spec" / "records")
    result = run(root, "import", "--check", spec_workbook)
    assert result.exit_code == 0, result.output
    assert not (root / "spec" / "records").exists()
