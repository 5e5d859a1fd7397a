"""Data-entry templates: structure, determinism, and filled templates read back."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path
from types import ModuleType

import openpyxl
from click.testing import CliRunner, Result
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from xlsx_fill import ID_WITH_ZERO, accept_as_typed, column_formats, fill, header_columns

from codegen.build import Rendered
from codegen.cli.main import main
from codegen.data.xlsx_records import SheetItem, columns_from_package, read_workbook_records
from codegen.model.types import Field, Model
from codegen.targets import xlsx_templates
from codegen.targets.xlsx_templates import LIST_SHEET, header_text, sheet_title
from needs import need

DATA_KEYS = ["accept", "process", "result", "specialprocedure", "material", "correction", "receive"]


def workbook(rendered: Rendered, key: str) -> openpyxl.Workbook:
    data = rendered.files[f"xlsx/{key}.xlsx"]
    assert isinstance(data, bytes)
    return openpyxl.load_workbook(io.BytesIO(data))


def template(rendered: Rendered, key: str) -> bytes:
    data = rendered.files[f"xlsx/{key}.xlsx"]
    assert isinstance(data, bytes)
    return data


def validation_of(ws: Worksheet, letter: str) -> DataValidation:
    found = [dv for dv in ws.data_validations.dataValidation if f"{letter}2" in dv.sqref]
    assert len(found) == 1, (letter, found)
    validation: DataValidation = found[0]
    return validation


def validate(project: Path, *args: str | Path) -> Result:
    return CliRunner().invoke(main, ["--root", str(project), "validate", *map(str, args)])


# ---------------------------------------------------------------- structure


def test_one_template_per_data_record(rendered: Rendered) -> None:
    paths = sorted(p for p in rendered.files if p.startswith("xlsx/"))
    assert paths == sorted(f"xlsx/{key}.xlsx" for key in DATA_KEYS)  # not reconciliation


def test_templates_are_deterministic(model: Model, rendered: Rendered) -> None:
    again = xlsx_templates.render(model)
    assert again == {p: c for p, c in rendered.files.items() if p.startswith("xlsx/")}
    with zipfile.ZipFile(io.BytesIO(template(rendered, "accept"))) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == sorted(i.filename for i in infos)
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.external_attr >> 16 for i in infos} == {0o100644}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("2019-08-12T00:00:00Z") == 2  # created and modified, never "now"
    assert "<dc:creator>gdzw-codegen</dc:creator>" in core
    assert model.spec_hash in core


def test_header_row(model: Model, rendered: Rendered) -> None:
    for key in DATA_KEYS:
        record = model.record(key)
        ws = workbook(rendered, key).worksheets[0]
        assert ws.title == sheet_title(record)
        assert [c.value for c in ws[1]] == [header_text(f) for f in record.fields]
        assert ws.max_row == 1 and ws.freeze_panes == "A2"
        for cell, f in zip(ws[1], record.fields, strict=True):
            assert str(cell.value).startswith("*") == f.required
            assert str(cell.value).splitlines() == [
                ("*" if f.required else "") + f.label,
                f.wire_name,
            ]
    assert sheet_title(model.record("accept")) == "受理"


def test_code_columns_drop_down_from_hidden_sheet(model: Model, rendered: Rendered) -> None:
    for key in DATA_KEYS:
        book = workbook(rendered, key)
        ws, lists = book.worksheets[0], book[LIST_SHEET]
        assert lists.sheet_state == "hidden"
        letters = header_columns(ws)
        for f in model.record(key).fields:
            dv = validation_of(ws, letters[f.wire_name])
            assert not (dv.formula1 or "").startswith('"'), "inline lists break past 255 chars"
            if f.kind != "code":
                assert dv.type != "list", f.wire_name  # ^-lists get a hint, not a dropdown
                continue
            assert f.codeset is not None
            assert dv.type == "list" and dv.showErrorMessage
            sheet, cells = str(dv.formula1).split("!")
            assert sheet == f"'{LIST_SHEET}'"
            entries = [c.value for row in lists[cells.replace("$", "")] for c in row]
            assert entries == [f"{c.code} {c.label}" for c in f.codeset.codes]


def test_list_valued_code_column_gets_a_hint(model: Model, rendered: Rendered) -> None:
    ws = workbook(rendered, "accept").worksheets[0]
    dv = validation_of(ws, header_columns(ws)["ApplyerPageType"])
    assert dv.type == "textLength" and "“^”分隔" in (dv.prompt or "")


def test_column_formats_keep_ids_and_codes(model: Model, rendered: Rendered) -> None:
    expected = {
        "string": "@",
        "string_list": "@",
        "code": "@",
        "code_list": "@",
        "integer": "0",
        "number": "0.00",
        "datetime": "yyyy-mm-dd hh:mm:ss",
    }
    for key in DATA_KEYS:
        ws = workbook(rendered, key).worksheets[0]
        formats, letters = column_formats(ws), header_columns(ws)
        for f in model.record(key).fields:
            assert formats[letters[f.wire_name]] == expected[f.kind], (key, f.wire_name)


def test_input_messages_carry_descriptions(model: Model, rendered: Rendered) -> None:
    def described(f: Field, prompt: str) -> bool:
        body = prompt.split("。", 1)[1]
        return f.description.startswith(body.removesuffix("…"))

    for key in DATA_KEYS:
        ws = workbook(rendered, key).worksheets[0]
        letters = header_columns(ws)
        for f in model.record(key).fields:
            dv = validation_of(ws, letters[f.wire_name])
            prompt = dv.prompt or ""
            assert dv.showInputMessage and dv.promptTitle == f.label[:32]
            assert len(prompt) <= 255 and described(f, prompt), (key, f.wire_name, prompt)
            assert prompt.startswith("必填" if f.required else "选填")


# ---------------------------------------------------------------- filled templates


def test_filled_template_validates_and_reads_back(
    project: Path, pkg: ModuleType, rendered: Rendered, tmp_path: Path
) -> None:
    typed, expected = accept_as_typed(pkg)
    # The second row is an update of the first (Cd_Operation U): no repeated RowGuid.
    update = {**typed, "Cd_Operation": "U"}
    expected_update = {**expected, "Cd_Operation": "U"}
    path = fill(template(rendered, "accept"), {2: typed, 5: update}, tmp_path / "accept.xlsx")
    result = validate(project, "--interface", "accept", path)
    assert result.exit_code == 0, result.output
    assert "(2 records, 0 invalid, 0 problems)" in result.output

    items = list(read_workbook_records(path, columns_from_package(pkg, "accept")))
    assert [i.value for i in items] == [expected, expected_update]
    assert [(i.number, i.error) for i in items] == [(1, None), (2, None)]
    assert isinstance(items[1], SheetItem) and items[1].cell("ApplyerPageCode").endswith("5")
    assert items[0].value["ApplyerPageCode"] == ID_WITH_ZERO  # type: ignore[index]


def test_problems_are_named_by_sheet_row_and_column(
    project: Path, pkg: ModuleType, rendered: Rendered, tmp_path: Path
) -> None:
    typed, _ = accept_as_typed(pkg)
    broken = {k: v for k, v in typed.items() if k != "ApplyDate"}
    broken["ApplyType"] = "不存在的类型"
    broken["RowGuid"] = str(uuid.UUID(int=7))  # a record of its own, not a repeat
    path = fill(template(rendered, "accept"), {2: typed, 7: broken}, tmp_path / "accept.xlsx")
    result = validate(project, "--interface", "accept", path)
    assert result.exit_code == 1
    letters = header_columns(openpyxl.load_workbook(path).worksheets[0])
    lines = result.stdout.splitlines()
    assert any(
        line.startswith(f"{path} 受理!{letters['ApplyDate']}7: ApplyDate（申请时间）")
        for line in lines
    ), lines
    assert any(line.startswith(f"{path} 受理!{letters['ApplyType']}7: ApplyType") for line in lines)
    assert "(2 records, 1 invalid, 2 problems)" in result.output


def test_headers_by_label_or_alias(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    """A sheet people made themselves: labels or an erratum's alias as headers, any order."""
    _, expected = accept_as_typed(pkg)
    names = list(reversed(expected))
    labels = {f.wire_name: f.label for f in pkg.spec.FIELDS["accept"]}
    headers = [labels[n] if i % 2 else n for i, n in enumerate(names)]
    headers[names.index("ApplyerName")] = "ApplierName"  # an erratum's alias
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.append(headers)
    ws.append([expected[n] for n in names])
    path = tmp_path / "own.xlsx"
    book.save(path)
    result = validate(project, "--interface", "accept", path)
    assert result.exit_code == 0, result.output


def test_unknown_header_is_reported_at_its_cell(
    project: Path, pkg: ModuleType, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "数据"
    ws.append(["RowGuid", "备注（自用）"])
    ws.append([str(uuid.uuid4()), "x"])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    result = validate(project, "--interface", "accept", path)
    assert result.exit_code == 1
    assert f"{path} 数据!1:1: 表头 B1 “备注（自用）” 不是字段名或中文名称" in result.stdout


def test_send_reads_filled_templates(
    project: Path, pkg: ModuleType, rendered: Rendered, tmp_path: Path
) -> None:
    import importlib

    mock = importlib.import_module("gdzw_uppro.mock")
    typed, expected = accept_as_typed(pkg)
    rows: dict[int, dict[str, object]] = {
        row: dict(typed, RowGuid=str(uuid.UUID(int=row))) for row in (2, 3)
    }
    rows[4] = dict(typed, RowGuid=str(uuid.UUID(int=4)), ApplyType="不存在的类型")
    path = fill(template(rendered, "accept"), rows, tmp_path / "accept.xlsx")
    letters = header_columns(openpyxl.load_workbook(path).worksheets[0])
    with mock.MockGateway("xlsx-token") as gateway:
        args = ["--root", str(project), "send", "--interface", "accept", str(path)]
        args += ["--base-url", gateway.base_url, "--org-code", "11440000MB2D0461X4"]
        args += ["--outbox", str(tmp_path / "outbox.sqlite3")]
        result = CliRunner().invoke(main, args, env={"GDZW_TOKEN": "xlsx-token"})
        stored = gateway.records("accept")
    assert result.exit_code == 1, result.output  # one record refused
    assert f"{path} 受理!{letters['ApplyType']}4: ApplyType（申请类型）" in result.output
    assert sorted(r["RowGuid"] for r in stored) == [str(uuid.UUID(int=2)), str(uuid.UUID(int=3))]
    assert {r["ApplyerPageCode"] for r in stored} == {ID_WITH_ZERO}
    assert {r["ApplyerType"] for r in stored} == {expected["ApplyerType"]}


# ---------------------------------------------------------------- a real spreadsheet program

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
CSV_UTF8 = "csv:Text - txt - csv (StarCalc):44,34,76,1"  # comma, double quote, UTF-8


def soffice(sources: list[Path], target: str, out_dir: Path, profile: Path) -> list[Path]:
    """Converts ``sources`` with LibreOffice headless; returns the converted files."""
    assert SOFFICE is not None, "CI must have LibreOffice: see .ci/run"
    out_dir.mkdir(exist_ok=True)
    subprocess.run(
        # A private profile, so a LibreOffice already running elsewhere does not interfere.
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless"]
        + ["--convert-to", target, "--outdir", str(out_dir), *map(str, sources)],
        check=True,
        capture_output=True,
        timeout=600,
        env={**os.environ, "HOME": str(profile.parent)},
    )
    converted = [out_dir / f"{s.stem}.{target.split(':')[0]}" for s in sources]
    for path in converted:
        assert path.is_file(), f"LibreOffice wrote no {path.name}"
    return converted


def test_libreoffice_keeps_ids_codes_and_datetimes(
    project: Path, pkg: ModuleType, rendered: Rendered, tmp_path: Path
) -> None:
    need(SOFFICE is not None, "LibreOffice (soffice; .ci/run installs libreoffice-calc-nogui)")
    typed, expected = accept_as_typed(pkg)
    # A single-code column whose codes have leading zeros ("01"), wherever the spec has one.
    other, column = next(
        (key, f.wire_name)
        for key in DATA_KEYS
        for f in pkg.spec.FIELDS[key]
        if f.codeset
        and not f.separator
        and "01" in {m.value for m in pkg.codes.CODESETS[f.codeset]}
    )
    zero = dict(pkg.EXAMPLES[other], **{column: "01"})
    records = {"accept": expected, other: zero}
    sources = [
        fill(template(rendered, "accept"), {2: typed}, tmp_path / "accept.xlsx"),
        fill(template(rendered, other), {2: zero}, tmp_path / f"{other}.xlsx"),
    ]
    profile = tmp_path / "profile"

    # CSV shows what the program itself holds in each cell, as text.
    csvs = soffice(sources, CSV_UTF8, tmp_path / "csv", profile)
    shown = {}
    for key, path in zip(records, csvs, strict=True):
        with open(path, encoding="utf-8", newline="") as handle:
            header, first, *_ = list(csv.reader(handle))
        shown[key] = dict(zip((h.splitlines()[-1] for h in header), first, strict=True))
    assert shown["accept"]["ApplyerPageCode"] == ID_WITH_ZERO
    assert shown["accept"]["ApplyDate"] == expected["ApplyDate"]  # the template's format
    assert shown["accept"]["ZipCode"] == expected["ZipCode"]
    assert shown["accept"]["ApplyChannel"] == expected["ApplyChannel"]
    assert shown[other][column] == "01"

    # The workbooks LibreOffice saves keep the template's parts and read back the same.
    for key, resaved in zip(
        records, soffice(sources, "xlsx", tmp_path / "xlsx", profile), strict=True
    ):
        book = openpyxl.load_workbook(resaved)
        ws = book.worksheets[0]
        assert book[LIST_SHEET].sheet_state == "hidden"
        assert any(dv.type == "list" for dv in ws.data_validations.dataValidation)
        if key == "accept":
            assert column_formats(ws)[header_columns(ws)["ApplyerPageCode"]] == "@"
        items = list(read_workbook_records(resaved, columns_from_package(pkg, key)))
        assert [i.value for i in items] == [records[key]]
        result = validate(project, "--interface", key, resaved)
        assert result.exit_code == 0, result.output
