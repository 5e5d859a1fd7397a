"""``codegen validate --report``: the streaming collector, its bounds, masking of personal
data, the JSON summary against the printed one, and the HTML page's content."""

from __future__ import annotations

import json
import os
import random
import re
import tracemalloc
import uuid
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result
from xlsx_fill import accept_as_typed, fill, header_columns

from codegen.build import Rendered
from codegen.cli.main import main
from codegen.data.record_checks import RecordResult, finding
from codegen.data.report_collect import (
    CROSS_EXAMPLES_PER_CODE,
    EXAMPLES_PER_CODE,
    KEY_CAPACITY,
    OTHER_FIELD,
    TOP_VALUE_COUNTERS,
    ReportCollector,
)
from codegen.data.report_counts import CappedCounter, SpaceSaving
from codegen.data.report_html import render_html
from codegen.data.report_json import report_data
from codegen.model.types import Model
from report_data import ID_PREFIX, PERSONAL_NAME, phone_name, write_dataset

SUMMARY = re.compile(
    r"\((\d+) records, (\d+) invalid, (\d+) problems\) "
    r"\((\d+) errors, (\d+) warnings, (\d+) cross-record problems\)"
    r"(?:；(\d+) 处无法读取)?"
)


def run(project: Path, *args: str | Path) -> Result:
    return CliRunner().invoke(main, ["--root", str(project), "validate", *map(str, args)])


def printed_summary(output: str) -> dict[str, int]:
    match = SUMMARY.search(output)
    assert match, output
    records, invalid, problems, errors, warnings, cross, unreadable = match.groups()
    return {
        "records": int(records),
        "invalid": int(invalid),
        "problems": int(problems),
        "errors": int(errors),
        "warnings": int(warnings),
        "cross": int(cross),
        "unreadable": int(unreadable or 0),
    }


@pytest.fixture(scope="module")
def dataset(pkg: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(pkg, tmp_path_factory.mktemp("report") / "data")


# ---------------------------------------------------------------- counting


def test_space_saving_is_exact_while_it_has_room() -> None:
    stream = [n % 7 for n in range(100)]
    summary: SpaceSaving[int] = SpaceSaving(10)
    for n in stream:
        summary.add(n)
    assert summary.exact
    truth = Counter(stream)
    assert {e.item: e.count for e in summary.top(10)} == dict(truth)
    assert all(e.error == 0 for e in summary.top(10))


def test_space_saving_bounds_hold_on_a_skewed_stream() -> None:
    rng = random.Random(15)
    # A few heavy values among many that occur once or twice.
    stream = [
        rng.choice("abcde") if rng.random() < 0.3 else f"v{rng.randrange(5000)}"
        for _ in range(20000)
    ]
    capacity = 50
    summary: SpaceSaving[str] = SpaceSaving(capacity)
    for value in stream:
        summary.add(value)
    truth = Counter(stream)
    kept = summary.top(capacity)
    assert len(summary) == capacity and not summary.exact
    for e in kept:
        assert e.guaranteed <= truth[e.item] <= e.count
    # Every value occurring more than N/capacity times is kept, and the heaviest lead.
    for value, n in truth.items():
        if n > len(stream) / capacity:
            assert value in {e.item for e in kept}
    assert {e.item for e in summary.top(5)} == set("abcde")


def test_capped_counter_lumps_keys_past_its_capacity() -> None:
    counter: CappedCounter[str] = CappedCounter(3, "other")
    for key in ["a", "b", "a", "c", "d", "e", "a"]:
        counter.add(key)
    assert counter.most_common() == [("a", 3), ("other", 2), ("b", 1), ("c", 1)]


# ---------------------------------------------------------------- masking


def test_mask_personal_hides_names_addresses_phones_and_numbers(pkg: ModuleType) -> None:
    mask = pkg.problems.mask_personal
    assert mask("张三丰") == "张**"
    assert mask("广东省广州市天河区体育西路 1 号") == "广" + "*" * 16
    assert mask("13800138000") == "138******00"
    assert mask("020-87654321") == "020*******21"
    assert mask("440106199001011235") == "440*************35"
    # A number masked once (as the validators show it) stays as it is.
    assert mask(pkg.problems.mask_number("440106199001011235")) == "440*************35"
    assert mask("") == ""


def test_personal_fields_are_marked_in_model_package_and_schemas(
    model: Model, pkg: ModuleType, project: Path
) -> None:
    accept = next(r for r in model.records if r.key == "accept")
    personal = {f.wire_name for f in accept.fields if f.personal}
    assert {"ApplyerName", "ContactName", "Address", "ApplyerPageCode", "ContactMobile"} <= personal
    assert "TaskName" not in personal
    assert all(f.personal for r in model.records for f in r.fields if f.sensitive)
    specs = {f.wire_name: f for f in pkg.spec.FIELDS["accept"]}
    assert {name for name, f in specs.items() if f.personal} == personal
    schema = json.loads((project / "generated/jsonschema/accept.schema.json").read_text("utf-8"))
    flagged = {name for name, s in schema["properties"].items() if s.get("x-gdzw-personal")}
    assert flagged == personal


# ---------------------------------------------------------------- the collector


def _problem(pkg: ModuleType, field: str, code: str, value: str) -> Any:
    message = f"{field}：{pkg.spec.PROBLEM_LABELS[code]}，{value}"
    return pkg.Problem(field, code, message, rule=code, value=value)


def _result(file: str, problems: list[Any]) -> RecordResult:
    """A record's result as codegen validate hands it to the collector."""
    findings = tuple(finding(p) for p in problems)
    errors = sum(not f.warning for f in findings)
    return RecordResult(file, "accept", 1, 1, None, findings, errors, None, False, ())


def test_collector_masks_personal_values_in_values_and_examples(pkg: ModuleType) -> None:
    collector = ReportCollector(pkg, "standard", "char", "interface")
    problems = [
        _problem(pkg, "ApplyerName", "type", "'王小明'"),
        _problem(pkg, "Address", "type", "['广东省广州市']"),
        _problem(pkg, "TaskName", "type", "'事项'"),
    ]
    collector.add_result(_result("a.jsonl", problems))
    data = report_data(collector)
    text = json.dumps(data, ensure_ascii=False)
    assert "王小明" not in text and "广东省广州市" not in text
    values = {e["field"]: e["value"] for e in data["top_values"]["entries"]}
    assert values == {"ApplyerName": "'王**'", "Address": "[*********", "TaskName": "'事项'"}
    (example,) = [g for g in data["examples"] if g["code"] == "type"]
    assert [e["at"] for e in example["examples"]] == ["a.jsonl:#1 (line 1)"] * 3
    assert "'王**'" in example["examples"][0]["message"]


def test_collector_state_stays_bounded(pkg: ModuleType) -> None:
    """Distinct offending values, unknown field names and cross-record problems for every
    record: what the collector holds stops growing once its caps are reached."""
    collector = ReportCollector(pkg, "standard", "char", "dataset")

    def feed(start: int, stop: int) -> None:
        for i in range(start, stop):
            problems = [
                _problem(pkg, "ApplyerName", "type", f"'姓名{i}'"),
                _problem(pkg, "TaskName", "max_length", f"'事项{i}'"),
                _problem(pkg, f"Unknown{i}", "unknown_field", f"'Unknown{i}'"),
            ]
            collector.add_result(_result("accept.jsonl", problems))
            collector.add_cross("duplicate_row_guid", f"accept.jsonl:#{i}", f"重复 {i}")

    feed(0, 5000)
    held = collector.retained()
    tracemalloc.start()
    try:
        feed(5000, 10000)
        before = tracemalloc.take_snapshot()
        feed(10000, 60000)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    assert collector.retained() == held
    assert len(collector.values) == TOP_VALUE_COUNTERS
    assert all(len(kept) <= EXAMPLES_PER_CODE for kept in collector.examples.values())
    assert all(len(kept) <= CROSS_EXAMPLES_PER_CODE for kept in collector.cross_examples.values())
    assert len(collector.by_field) <= KEY_CAPACITY + 1
    assert ("accept", OTHER_FIELD) in collector.by_field.counts
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert grown < 256 * 1024, grown  # 50,000 more records, a few kilobytes at most
    assert collector.summary.records == 60000
    assert collector.summary.cross == 60000


# ---------------------------------------------------------------- the command


def test_json_report_counts_equal_the_printed_summary(
    project: Path, dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.json"
    result = run(project, dataset, "--profile", "strict", "--report", out)
    assert result.exit_code == 2, result.output  # a line cannot be read
    printed = printed_summary(result.output)
    data = json.loads(out.read_text("utf-8"))
    assert data["summary"] == printed
    assert printed["cross"] > 0 and printed["unreadable"] == 1 and printed["invalid"] > 0
    # Per type and file: each record's own problems (cross-record ones are counted apart).
    own = printed | {"errors": printed["errors"] - printed["cross"]}
    for part in ("record_types", "files"):
        for name in ("records", "invalid", "errors", "warnings"):
            assert sum(row[name] for row in data[part]) == own[name], (part, name)
    per_record = printed["errors"] + printed["warnings"] - printed["cross"]
    assert sum(row["count"] for row in data["problem_codes"]) == per_record
    assert sum(row["count"] for row in data["rules"]) == per_record - printed["unreadable"]
    assert sum(row["count"] for row in data["fields"]) == per_record - printed["unreadable"]
    assert data["cross_record"]["count"] == printed["cross"]
    codes = {row["code"] for row in data["cross_record"]["codes"]}
    assert codes == {"duplicate_row_guid", "unknown_project", "reconciliation_count"}
    assert data["top_values"]["exact"] is True
    # Every example names its file and line.
    for group in data["examples"] + data["cross_record"]["examples"]:
        for example in group["examples"]:
            assert re.search(r"\.jsonl(:#\d+ \(line \d+\))?$", example["at"]), example


def test_reports_hide_personal_values(project: Path, dataset: Path, tmp_path: Path) -> None:
    html, js = tmp_path / "r.html", tmp_path / "r.json"
    result = run(project, dataset, "--profile", "strict", "-q", "--report", html, "--report", js)
    assert result.exit_code == 2, result.output
    for path in (html, js):
        text = path.read_text("utf-8")
        assert str(phone_name(1)) not in text
        assert ID_PREFIX not in text
        assert f"'{PERSONAL_NAME}'" not in text
    data = json.loads(js.read_text("utf-8"))
    shown = {e["value"] for e in data["top_values"]["entries"] if e["field"] == "ApplyerName"}
    assert "138******01" in shown


def test_html_report_is_self_contained_with_chinese_labels(
    project: Path, pkg: ModuleType, dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    result = run(project, dataset, "--profile", "strict", "--report", out)
    assert result.exit_code == 2, result.output
    page = out.read_text("utf-8")
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert page.count('<svg class="chart"') == 4  # types, rules, fields, cross-record
    for text in ("按规则", "按字段", "按记录类型", "按输入文件", "最常见的问题值", "跨记录问题"):
        assert text in page
    labels = pkg.spec.PROBLEM_LABELS
    assert f"{labels['code']} · code" in page  # a rule bar's Chinese label
    assert "受理状态代码 SLZTDM · accept" in page  # a field bar's
    assert pkg.spec.RECORD_LABELS["process"] in page
    assert "精确计数" in page
    assert "记录唯一标识重复" in page and "办件编号无受理记录" in page
    assert str(dataset / "accept.jsonl") + ":#" in page


def test_report_extension_decides_and_unknown_is_refused_before_validating(
    project: Path, dataset: Path, tmp_path: Path
) -> None:
    result = run(project, dataset, "--report", tmp_path / "report.pdf")
    assert result.exit_code == 2
    assert ".html, .htm, .json" in result.output
    assert "records" not in result.output  # nothing was validated
    assert not (tmp_path / "report.pdf").exists()
    result = run(project, dataset, "--report", tmp_path / "missing" / "report.json")
    assert result.exit_code == 2 and "no such folder" in result.output
    (tmp_path / "folder.html").mkdir()
    result = run(project, dataset, "--report", tmp_path / "folder.html")
    assert result.exit_code == 2 and "是目录，不能写入报告 (is a folder)" in result.output
    assert "records" not in result.output
    # A report never overwrites the data it reports on, however the path is spelt.
    data = tmp_path / "in" / "a.json"
    data.parent.mkdir()
    data.write_text("[]", encoding="utf-8")
    spelt = tmp_path / "in" / ".." / "in" / "a.json"
    result = run(project, "--interface", "accept", data, "--report", spelt)
    assert result.exit_code == 2 and "is an input file" in result.output, result.output
    assert "records" not in result.output
    assert data.read_text("utf-8") == "[]"
    # Nor the accept list or the index the run reads and keeps.
    for option in ("--accept-list", "--index"):
        kept = tmp_path / f"kept{option}.json"
        kept.write_text("P1\n", encoding="utf-8")
        result = run(project, dataset, option, kept, "--report", kept)
        assert result.exit_code == 2 and "is an input file" in result.output, result.output
        assert "records" not in result.output
        assert kept.read_text("utf-8") == "P1\n"


def test_interface_mode_report(project: Path, dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "REPORT.JSON"
    result = run(project, "--interface", "process", dataset / "process.jsonl", "--report", out)
    data = json.loads(out.read_text("utf-8"))
    assert data["mode"] == "interface"
    assert data["summary"] == printed_summary(result.output)
    assert [t["key"] for t in data["record_types"]] == ["process"]
    assert not list(tmp_path.glob(".*.tmp"))  # written through a temporary file, renamed


def test_html_marks_approximate_counts(pkg: ModuleType) -> None:
    collector = ReportCollector(pkg, "standard", "char", "interface")
    for i in range(TOP_VALUE_COUNTERS + 100):
        problems = [_problem(pkg, "TaskName", "type", f"'事项{i % (TOP_VALUE_COUNTERS + 50)}'")]
        collector.add_result(_result("a.jsonl", problems))
    data = report_data(collector)
    assert data["top_values"]["exact"] is False
    page = render_html(data)
    assert "近似计数" in page and "≈ " in page and "精确计数" not in page


def test_workbook_rows_are_named_by_sheet_and_cell(
    project: Path, pkg: ModuleType, rendered: Rendered, tmp_path: Path
) -> None:
    typed, _ = accept_as_typed(pkg)
    broken = dict(typed, ApplyType="不存在的类型", RowGuid=str(uuid.UUID(int=7)))
    template = rendered.files["xlsx/accept.xlsx"]
    assert isinstance(template, bytes)
    path = fill(template, {2: typed, 7: broken}, tmp_path / "accept.xlsx")
    out = tmp_path / "report.json"
    result = run(project, "--interface", "accept", path, "--report", out)
    assert result.exit_code == 1, result.output
    data = json.loads(out.read_text("utf-8"))
    assert data["summary"] == printed_summary(result.output)
    letter = header_columns(openpyxl.load_workbook(path).worksheets[0])["ApplyType"]
    ats = [e["at"] for g in data["examples"] for e in g["examples"]]
    assert f"{path} 受理!{letter}7" in ats


def test_a_report_name_as_long_as_the_file_system_allows_is_written(
    project: Path, dataset: Path, tmp_path: Path
) -> None:
    """The scratch file written first must fit the file system's name limit as well."""
    path = tmp_path / ("r" * (os.pathconf(tmp_path, "PC_NAME_MAX") - 5) + ".json")
    result = run(project, dataset, "--report", path)
    assert "(report written)" in result.output, result.output
    assert result.exit_code == run(project, dataset).exit_code
    assert json.loads(path.read_text(encoding="utf-8"))["summary"]["records"] > 0
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
