"""Hostile input: every bad file gets a clean error naming the place, within bounded memory.

Each test asserts the exact outcome: exit code (1 invalid records, 2 input that
cannot be read), the message (file and place), that nothing was stored or
written, and, for inputs built to exhaust memory, that the command finishes
under an address-space limit far below what reading them whole would take.
"""

from __future__ import annotations

import copy
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result
from xlsx_fill import accept_as_typed, fill

from codegen import build
from codegen.build import Rendered, as_bytes, recover, write_all
from codegen.cli.main import main
from codegen.data import jsonstream
from codegen.data.jsonstream import read_lines, read_records
from codegen.data.xlsx_guard import CELL_MAX_CHARS, PART_MAX_BYTES

REPO = Path(__file__).resolve().parent.parent
TOKEN = "hostile-token"
ORG = "11440000MB2D0461X4"
MIB = 1024 * 1024
# The address space a CLI run may use: the interpreter with codegen, openpyxl and
# the generated package needs about 80 MiB; every hostile file below would take
# several times this if it were read whole.
LIMIT_BYTES = 256 * MIB


# ---------------------------------------------------------------- helpers


def accept(pkg: ModuleType, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = copy.deepcopy(pkg.EXAMPLES["accept"])
    record["RowGuid"] = str(uuid.uuid4())
    record.update(changes)
    return record


def line(record: object) -> bytes:
    """One JSON Lines line; lone surrogates become \\ud800 escapes, as any JSON writer does."""
    return json.dumps(record, ensure_ascii=True).encode("ascii") + b"\n"


def run(project: Path, *args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["--root", str(project), *map(str, args)], env=env)


def run_limited(project: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process whose address space is capped at LIMIT_BYTES."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))

    return subprocess.run(
        [sys.executable, "-m", "codegen.cli.main", "--root", str(project), *map(str, args)],
        preexec_fn=cap,  # noqa: PLW1509 - no threads in the test process start children
        capture_output=True,
        text=True,
        timeout=300,
    )


def no_traceback(output: str) -> None:
    assert "Traceback" not in output, output[-3000:]


def validate(project: Path, path: Path) -> Result:
    result = run(project, "validate", "--interface", "accept", path)
    no_traceback(result.output)
    return result


def summary(records: int, invalid: int, problems: int) -> str:
    return f"({records} records, {invalid} invalid, {problems} problems)"


@pytest.fixture()
def gateway(pkg: ModuleType) -> Iterator[Any]:
    import importlib

    importlib.import_module("gdzw_uppro.mock")
    with pkg.mock.MockGateway(TOKEN) as server:
        yield server


def send(project: Path, gateway: Any, outbox: Path, *files: Path) -> Result:
    args = ["send", "--interface", "accept", *files, "--base-url", gateway.base_url]
    args += ["--org-code", ORG, "--outbox", str(outbox)]
    result = run(project, *args, env={"GDZW_TOKEN": TOKEN})
    no_traceback(result.output)
    return result


def outbox_counts(pkg: ModuleType, path: Path) -> dict[str, int]:
    with pkg.outbox.Outbox(path, ORG) as outbox:
        counts: dict[str, int] = outbox.counts()
        return counts


# ---------------------------------------------------------------- A. lone surrogates


def text_fields(pkg: ModuleType, key: str) -> list[str]:
    """One field of every kind whose wire value is a string."""
    kinds: dict[str, str] = {}
    for f in pkg.spec.FIELDS[key]:
        type_name = str(f.type).split("(")[0]
        if type_name in ("Int", "Long", "Double"):
            continue
        kind = "datetime" if type_name == "DateTime" else "code" if f.codeset else "string"
        kind += "_list" if f.separator else ""
        kinds.setdefault(kind, str(f.wire_name))
    return sorted(kinds.values())


@pytest.mark.parametrize("profile", ["gateway", "standard", "strict"])
@pytest.mark.parametrize("length_unit", ["char", "utf8"])
def test_lone_surrogate_is_one_problem_in_every_profile(
    pkg: ModuleType, profile: str, length_unit: str
) -> None:
    names = text_fields(pkg, "accept")
    assert len(names) >= 4  # string, code, datetime and a list at least
    for name in names:
        record = accept(pkg)
        record[name] = "ab\ud800c" if name != "ApplyDate" else "2019-06-20 09:30:0\udfff"
        problems = pkg.validate("accept", record, profile, length_unit)
        [problem] = [p for p in problems if p.code == "unencodable"]
        assert (problem.field, problem.severity) == (name, "error")
        if profile != "strict":  # strict's cross-field rules may judge the value too
            assert problems == [problem], name
        message = problem.message
        assert message.startswith(f"{name}（") and "孤立的代理码点" in message
        assert "U+D800" in message or "U+DFFF" in message
        message.encode("utf-8")  # printable: the value is shown escaped
        assert pkg.problems.PROBLEM_PROFILES["unencodable"] == "gateway"


def test_lone_surrogate_in_an_unknown_key_is_reported_printably(pkg: ModuleType) -> None:
    record = accept(pkg)
    record["Bad\udc80Key" * 20] = "x"
    [problem] = pkg.validate("accept", record)
    assert problem.code == "unknown_field"
    problem.message.encode("utf-8")
    assert len(problem.message) < 200 and "\\udc80" in problem.message


def test_outbox_refuses_a_lone_surrogate_and_stores_the_others(
    pkg: ModuleType, tmp_path: Path
) -> None:
    good = [accept(pkg), accept(pkg)]
    bad = accept(pkg, TaskName="事项\ud800")
    with pkg.outbox.Outbox(tmp_path / "ob.sqlite3", ORG) as outbox:
        report = outbox.enqueue("accept", [good[0], bad, good[1]])
        assert report.accepted == 2
        [(index, problems)] = report.refused
        assert index == 1 and [p.code for p in problems] == ["unencodable"]
        assert outbox.counts() == {"open": 2}


def test_client_refuses_a_lone_surrogate_before_sending(pkg: ModuleType, gateway: Any) -> None:
    client = pkg.client.Client(TOKEN, base_url=gateway.base_url)
    bad = accept(pkg, TaskName="\udfff")
    with pytest.raises(pkg.InvalidRecordError) as raised:
        client.accept.save(bad)
    assert [p.code for p in raised.value.problems] == ["unencodable"]
    good = accept(pkg)
    report = client.accept.batch_save([bad, good])
    assert [o.status for o in report.outcomes] == ["refused", "sent"]
    assert gateway.row_guids("accept") == {good["RowGuid"]}


def test_codegen_validate_reports_a_lone_surrogate(
    project: Path, pkg: ModuleType, tmp_path: Path
) -> None:
    path = tmp_path / "accept.jsonl"
    path.write_bytes(line(accept(pkg)) + line(accept(pkg, TaskName="a\ud800")) + line(accept(pkg)))
    result = validate(project, path)
    assert result.exit_code == 1
    [problem] = [out for out in result.stdout.splitlines() if out.endswith("[unencodable]")]
    assert problem.startswith(f"{path}:#2 (line 2): TaskName（事项名称）")
    assert summary(3, 1, 1) in result.stderr


def test_codegen_send_refuses_a_lone_surrogate_and_sends_the_others(
    project: Path, pkg: ModuleType, gateway: Any, tmp_path: Path
) -> None:
    good = [accept(pkg), accept(pkg)]
    path = tmp_path / "accept.jsonl"
    path.write_bytes(line(good[0]) + line(accept(pkg, TaskName="\ud800")) + line(good[1]))
    result = send(project, gateway, tmp_path / "ob.sqlite3", path)
    assert result.exit_code == 1, result.output
    assert f"{path}:#2 (line 2): TaskName（事项名称）" in result.output
    assert "[unencodable]" in result.output
    assert (
        "3 read, 1 refused, 0 skipped as unchanged, 1 batches delivered, 0 failed" in result.output
    )
    assert "已送达 2 条 (done)" in result.output and "{" not in result.output.splitlines()[-1]
    assert gateway.row_guids("accept") == {r["RowGuid"] for r in good}


def test_dataset_check_skips_unencodable_keys(
    project: Path, pkg: ModuleType, tmp_path: Path
) -> None:
    """Without --interface the keys go to a SQLite index, which cannot store a lone
    surrogate: the record is reported, its keys are left out of the cross checks."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "accept.jsonl").write_bytes(line(accept(pkg, RowGuid="\ud800", ProjectNo="\udc00")))
    process = copy.deepcopy(pkg.EXAMPLES["process"])
    (data / "process.jsonl").write_bytes(line(dict(process, ProjectNo="\udc00")))
    result = run(project, "validate", data)
    no_traceback(result.output)
    assert result.exit_code == 1
    assert [out.rsplit(" ", 1)[1] for out in result.stdout.splitlines()] == ["[unencodable]"] * 3
    assert "(2 records, 2 invalid, 3 problems) (3 errors, 0 warnings, 0 cross-record" in (
        result.stderr
    )


def test_unreadable_accept_list_exits_2(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    data = tmp_path / "accept.jsonl"
    data.write_bytes(line(accept(pkg)))
    listed = tmp_path / "accepted.txt"
    listed.write_bytes(b"2019-440106-70-03-000001\n\xff\n")
    result = run(project, "validate", data, "--accept-list", listed)
    no_traceback(result.output)
    assert result.exit_code == 2
    assert f"{listed}: 无法读取 (cannot read): 第 2 行第 1 字节起不是有效的 UTF-8" in result.stderr


# ---------------------------------------------------------------- B. JSON files


def deep(depth: int) -> bytes:
    return b'{"RowGuid": ' + b"[" * depth + b"]" * depth + b"}"


HOSTILE_LINES = {
    "deep nesting": (deep(100_000), "第 2 行 JSON 嵌套过深"),
    "5,000-digit number": (
        b'{"TaskVersion": ' + b"9" * 5000 + b"}",
        "数字有 5000 位，超过 4300 位",
    ),
    "number out of range": (b'{"Charge": 1e999}', "数字 1e999 超出双精度浮点数的范围"),
    "NaN": (b'{"Charge": NaN}', "NaN 不是 JSON 数值"),
    "invalid UTF-8": (b'{"TaskName": "\xff\xfe"}', "第 2 行第 15 字节起不是有效的 UTF-8"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_LINES))
def test_hostile_json_line_is_named_and_the_others_are_checked(
    project: Path, pkg: ModuleType, tmp_path: Path, case: str
) -> None:
    bad, expected = HOSTILE_LINES[case]
    path = tmp_path / "accept.jsonl"
    path.write_bytes(line(accept(pkg)) + bad + b"\n" + line(accept(pkg)))
    result = validate(project, path)
    assert result.exit_code == 2  # a line that cannot be read
    lines = [out for out in result.stdout.splitlines() if out.startswith(str(path))]
    assert len(lines) == 1 and lines[0].startswith(f"{path}:#2 (line 2): "), result.stdout
    assert expected in lines[0]
    assert summary(3, 1, 1) in result.stderr and "1 unreadable" in result.stderr


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (deep(100_000), "记录嵌套过深"),
        (b'{"TaskVersion": ' + b"9" * 5000 + b"}", "数字有 5000 位"),
        (b'{"TaskName": "\xe4\xb8"}', "字节起不是有效的 UTF-8"),
    ],
    ids=["deep nesting", "5,000-digit number", "invalid UTF-8"],
)
def test_array_breaking_partway_reports_the_records_before_and_the_break(
    project: Path, pkg: ModuleType, tmp_path: Path, bad: bytes, expected: str
) -> None:
    first, third = accept(pkg), accept(pkg)
    path = tmp_path / "accept.json"
    path.write_bytes(b"[" + line(first) + b"," + line(accept(pkg, RowGuid="")) + b"," + bad)
    path.write_bytes(path.read_bytes() + b"," + line(third) + b"]")
    result = validate(project, path)
    assert result.exit_code == 2
    assert f"{path}:#2: RowGuid（" in result.stdout  # the invalid record before the break
    [broken] = [out for out in result.stdout.splitlines() if out.startswith(f"{path}:#3")]
    assert expected in broken and "JSON 数组" in broken
    assert f"{path}:#4" not in result.stdout  # an array cannot be read past a break
    assert summary(3, 2, 2) in result.stderr


def test_invalid_utf8_offset_is_the_byte_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_bytes(b'[{"a": "x"}, {"b": "\xff"}]')
    items = list(read_records(path))
    assert [(i.number, i.value, i.error) for i in items] == [
        (1, {"a": "x"}, None),
        (2, None, "JSON 数组第 21 字节起不是有效的 UTF-8"),
    ]
    assert items[1].unreadable and path.read_bytes()[20:21] == b"\xff"


def endless(path: Path, head: bytes, size: int) -> Path:
    """``head`` and then ``size`` zero bytes without a line end (a sparse file: no disk)."""
    with open(path, "wb") as stream:
        stream.write(head)
        stream.truncate(len(head) + size)
    return path


def test_line_that_never_ends_is_bounded(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    """A 1 GiB line under a 256 MiB address-space limit: skipped at the body limit,
    and the record after it still checked."""
    path = endless(tmp_path / "accept.jsonl", line(accept(pkg)) + b'{"TaskName": "', 1024 * MIB)
    with open(path, "ab") as stream:
        stream.write(b'"}\n' + line(accept(pkg)))
    result = run_limited(project, "validate", "--interface", "accept", path)
    no_traceback(result.stderr)
    assert result.returncode == 2, result.stderr[-2000:]
    limit = pkg.spec.BODY_MAX_BYTES
    assert f"{path}:#2 (line 2): 第 2 行超过 {limit} 字节（未读入）" in result.stdout
    assert summary(3, 1, 1) in result.stderr


def test_array_element_that_never_ends_is_bounded(
    project: Path, pkg: ModuleType, tmp_path: Path
) -> None:
    """An element that goes on valid (300 MiB of white space, more than the whole
    address space allowed) under a 256 MiB limit: refused at the body limit."""
    head = b"[" + line(accept(pkg)) + b', {"TaskName": '
    path = tmp_path / "accept.json"
    try:
        with open(path, "wb") as stream:
            stream.write(head)
            spaces = b" " * (4 * MIB)
            for _ in range(75):
                stream.write(spaces)
        result = run_limited(project, "validate", "--interface", "accept", path)
    finally:
        path.unlink()  # not kept among pytest's last runs
    no_traceback(result.stderr)
    assert result.returncode == 2, result.stderr[-2000:]
    limit = pkg.spec.BODY_MAX_BYTES
    start = len(line(accept(pkg))) + 4
    assert f"{path}:#2: JSON 数组第 {start} 个字符起的记录超过 {limit} 字节" in result.stdout
    assert summary(2, 1, 1) in result.stderr


def test_array_reader_buffer_stays_near_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The streaming reader never holds much more than one record's limit of text."""
    path = tmp_path / "a.json"
    path.write_bytes(b'[{"a": 1}, {"b": "' + b"y" * (40 * MIB) + b'"}, {"c": 3}]')
    largest = 0
    more = jsonstream._Buffer.more

    def measured(self: Any, size: int = jsonstream._CHUNK) -> bool:
        nonlocal largest
        grew = more(self, size)
        largest = max(largest, len(self.text))
        return grew

    monkeypatch.setattr(jsonstream._Buffer, "more", measured)
    items = list(read_records(path, 8 * MIB))
    assert [(i.number, i.value, i.error) for i in items] == [
        (1, {"a": 1}, None),
        (2, None, f"JSON 数组第 12 个字符起的记录超过 {8 * MIB} 字节"),
    ]
    assert 8 * MIB < largest <= 8 * MIB + 2 * jsonstream._MAX_READ


def test_array_element_with_nul_bytes_stops_at_the_first(
    project: Path, pkg: ModuleType, tmp_path: Path
) -> None:
    """A 1 GiB sparse file of zero bytes inside a string: invalid at the first one."""
    head = b"[" + line(accept(pkg)) + b', {"TaskName": "'
    path = endless(tmp_path / "accept.json", head, 1024 * MIB)
    result = run_limited(project, "validate", "--interface", "accept", path)
    no_traceback(result.stderr)
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"{path}:#2: JSON 数组在第 {len(head) + 1} 个字符处无效：Invalid control character" in (
        result.stdout
    )


def test_line_reader_keeps_at_most_the_limit(tmp_path: Path) -> None:
    path = endless(tmp_path / "x.jsonl", b"", 10 * MIB)
    with open(path, "ab") as stream:
        stream.write(b"\nok\r\nlast")
    with open(path, "rb") as stream:
        assert list(read_lines(stream, 1000)) == [
            (1, None, "第 1 行超过 1000 字节（未读入）"),
            (2, "ok", None),
            (3, "last", None),
        ]


def test_send_enqueues_nothing_from_a_file_that_breaks_partway(
    project: Path, pkg: ModuleType, gateway: Any, tmp_path: Path
) -> None:
    whole = tmp_path / "accept-whole.jsonl"
    good = [accept(pkg), accept(pkg)]
    whole.write_bytes(b"".join(line(r) for r in good))
    broken = tmp_path / "accept-broken.jsonl"
    broken.write_bytes(
        line(accept(pkg)) + line(accept(pkg)) + b'{"RowGuid": "x\n' + line(accept(pkg))
    )
    outbox = tmp_path / "ob.sqlite3"
    result = send(project, gateway, outbox, broken, whole)
    assert result.exit_code == 2, result.output
    assert f"{broken}:#3 (line 3): 第 3 行不是有效的 JSON" in result.output
    assert f"{broken}: 文件无法完整读取，未放入发件箱" in result.output
    assert "6 read, 0 refused, 0 skipped as unchanged, 1 batches delivered" in result.output
    assert "1 unreadable files" in result.output
    # Only the whole file's records reached the outbox and the gateway.
    assert gateway.row_guids("accept") == {r["RowGuid"] for r in good}
    assert outbox_counts(pkg, outbox) == {"done": 2}


def test_send_of_an_unreadable_file_alone_stores_nothing(
    project: Path, pkg: ModuleType, gateway: Any, tmp_path: Path
) -> None:
    path = tmp_path / "accept.json"
    path.write_bytes(b"[" + line(accept(pkg)) + b"," + line(accept(pkg))[:-20])  # truncated
    outbox = tmp_path / "ob.sqlite3"
    result = send(project, gateway, outbox, path)
    assert result.exit_code == 2
    assert f"{path}:#2: JSON 数组" in result.output
    assert gateway.row_guids("accept") == set()
    assert outbox_counts(pkg, outbox) == {}


# ---------------------------------------------------------------- B. workbooks


def replace_part(source: bytes, name: str, data: Iterator[bytes] | bytes, path: Path) -> Path:
    """The workbook ``source`` with part ``name`` replaced by ``data`` (streamed, deflated)."""
    original = zipfile.ZipFile(io.BytesIO(source))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in original.infolist():
            if info.filename != name:
                out.writestr(info.filename, original.read(info.filename))
        target = zipfile.ZipInfo(name)
        target.compress_type = zipfile.ZIP_DEFLATED
        with out.open(target, "w", force_zip64=True) as stream:
            for chunk in [data] if isinstance(data, bytes) else data:
                stream.write(chunk)
    return path


def simple_workbook(second_cell: str = "x") -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws["A1"], ws["A2"] = "RowGuid", second_cell
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_with(cell_text: Iterator[bytes] | bytes) -> Iterator[bytes]:
    """sheet1.xml of simple_workbook() with A2 holding ``cell_text``."""
    xml = zipfile.ZipFile(io.BytesIO(simple_workbook("HOLE"))).read("xl/worksheets/sheet1.xml")
    head, tail = xml.split(b"HOLE")
    yield head
    yield from [cell_text] if isinstance(cell_text, bytes) else cell_text
    yield tail


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workbook of a few MB whose sheet holds one 800 MB string."""
    path = tmp_path_factory.mktemp("bomb") / "accept.xlsx"
    block = b"a" * MIB
    replace_part(
        simple_workbook(), "xl/worksheets/sheet1.xml", sheet_with(block for _ in range(800)), path
    )
    assert path.stat().st_size < 5 * MIB
    return path


def test_workbook_bomb_is_refused_before_it_is_inflated(project: Path, bomb: Path) -> None:
    result = run_limited(project, "validate", "--interface", "accept", bomb)
    no_traceback(result.stderr)
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"{bomb}:#1: 无法读取工作簿 (cannot read workbook): 部件 xl/worksheets/sheet1.xml" in (
        result.stdout
    )
    assert f"超过 {PART_MAX_BYTES // MIB} MiB" in result.stdout


def test_spec_import_refuses_the_bomb(root_copy: Path, bomb: Path) -> None:
    before = snapshot(root_copy / "spec")
    result = run_limited(root_copy, "xlsx", "import", bomb)
    no_traceback(result.stderr)
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"{bomb.name} (文件): 无法读取工作簿 (cannot read workbook)：部件 xl/worksheets" in (
        result.stderr
    )
    assert snapshot(root_copy / "spec") == before


@pytest.mark.parametrize(
    ("part", "data", "expected"),
    [
        (
            "xl/worksheets/sheet1.xml",
            b"".join(sheet_with(b"a" * (CELL_MAX_CHARS + 1))),
            f"部件 xl/worksheets/sheet1.xml 中单元格 A2 超过 Excel 的 {CELL_MAX_CHARS} 个字符上限",
        ),
        (
            "xl/worksheets/sheet1.xml",
            b"".join(sheet_with(b"</t><t>".join([b"a" * 20_000] * 3))),  # runs of one cell
            "中单元格 A2 超过 Excel 的",
        ),
        (
            "xl/sharedStrings.xml",
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
            + b"b" * 40_000
            + b"</t></si></sst>",
            "部件 xl/sharedStrings.xml 中一个单元格超过",
        ),
        (
            "xl/workbook.xml",
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + b"".join(
                b'<!ENTITY lol%d "&lol%d;&lol%d;">' % (i, i - 1, i - 1) for i in range(1, 40)
            )
            + b"]><workbook>&lol39;</workbook>",
            "部件 xl/workbook.xml 含有 DOCTYPE 声明",
        ),
        ("xl/styles.xml", b"<styleSheet><broken", "部件 xl/styles.xml 不是有效的 XML（第 1 行"),
    ],
    ids=["long cell", "long rich-text cell", "long shared string", "entity bomb", "broken part"],
)
def test_workbook_parts_are_checked_before_openpyxl(
    project: Path, tmp_path: Path, part: str, data: bytes, expected: str
) -> None:
    path = replace_part(simple_workbook(), part, data, tmp_path / "accept.xlsx")
    result = validate(project, path)
    assert result.exit_code == 2
    assert f"{path}:#1: 无法读取工作簿 (cannot read workbook): " in result.stdout
    assert expected in result.stdout
    assert summary(1, 1, 1) in result.stderr


@pytest.mark.parametrize("damage", ["not a zip", "truncated", "zip without a workbook"])
def test_broken_workbooks(project: Path, rendered: Rendered, tmp_path: Path, damage: str) -> None:
    template = rendered.files["xlsx/accept.xlsx"]
    assert isinstance(template, bytes)
    path = tmp_path / "accept.xlsx"
    if damage == "not a zip":
        path.write_bytes(b"PK\x03\x04 this is no workbook" * 100)
    elif damage == "truncated":
        path.write_bytes(template[: len(template) // 2])
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("hello.txt", "no workbook here")
    result = validate(project, path)
    assert result.exit_code == 2
    [message] = [out for out in result.stdout.splitlines() if out.startswith(str(path))]
    assert message.startswith(f"{path}:#1: 无法读取工作簿 (cannot read workbook): ")
    assert len(message) < 400


def test_workbook_breaking_partway_reports_the_rows_before(
    project: Path, pkg: ModuleType, rendered: Rendered, tmp_path: Path
) -> None:
    template = rendered.files["xlsx/accept.xlsx"]
    assert isinstance(template, bytes)
    typed, _ = accept_as_typed(pkg)
    filled = fill(template, {2: typed, 3: dict(typed, RowGuid="")}, tmp_path / "filled.xlsx")
    name = "xl/worksheets/sheet1.xml"
    xml = zipfile.ZipFile(filled).read(name)
    cut = xml.index(b"</row>", xml.index(b'<row r="3"')) + len(b"</row>")
    broken = xml[:cut] + b'<row r="4"><c r="A4" t="inlineStr"><is><t>x</t></is></c><oops'
    path = replace_part(filled.read_bytes(), name, broken, tmp_path / "accept.xlsx")
    result = validate(project, path)
    assert result.exit_code == 2
    sheet = openpyxl.load_workbook(filled, read_only=True).worksheets[0].title
    assert f"{path} {sheet}!" in result.stdout and "RowGuid（" in result.stdout  # row 3
    [broken_line] = [out for out in result.stdout.splitlines() if "无法读取" in out]
    assert broken_line.startswith(f"{path} {sheet}!4:4: 工作表第 3 行之后无法读取")
    assert summary(3, 2, 2) in result.stderr


def test_huge_number_in_a_numeric_cell(project: Path, tmp_path: Path) -> None:
    xml = b"".join(sheet_with(b"x")).replace(
        b'<c r="A2" t="inlineStr"><is><t>x</t></is></c>',
        b'<c r="A2"><v>' + b"9" * 5000 + b"</v></c>",
    )
    path = replace_part(simple_workbook(), "xl/worksheets/sheet1.xml", xml, tmp_path / "a.xlsx")
    result = run(project, "validate", "--interface", "accept", path)
    no_traceback(result.output)
    assert result.exit_code == 2
    assert "工作表第 1 行之后无法读取" in result.stdout and "ValueError" in result.stdout


def test_send_enqueues_nothing_from_a_broken_workbook(
    project: Path, pkg: ModuleType, gateway: Any, tmp_path: Path
) -> None:
    path = replace_part(
        simple_workbook(),
        "xl/sharedStrings.xml",
        b"<sst><si><t>" + b"b" * 40_000,
        tmp_path / "accept.xlsx",
    )
    outbox = tmp_path / "ob.sqlite3"
    result = send(project, gateway, outbox, path)
    assert result.exit_code == 2
    assert f"{path}:#1: 无法读取工作簿" in result.output
    assert outbox_counts(pkg, outbox) == {} and gateway.row_guids("accept") == set()


# ---------------------------------------------------------------- B. spec files and workbook


@pytest.fixture()
def root_copy(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    shutil.copytree(REPO / "spec", root / "spec")
    return root


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def alias_bomb(levels: int = 30) -> str:
    rows = ['lol0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    rows += [f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(rows) + "\n"


def test_yaml_alias_bomb_is_refused_before_it_is_composed(root_copy: Path) -> None:
    errata = root_copy / "spec" / "errata.yaml"
    lines_before = errata.read_text(encoding="utf-8").count("\n")
    errata.write_text(errata.read_text(encoding="utf-8") + alias_bomb(), encoding="utf-8")
    result = run_limited(root_copy, "build", "--check")
    no_traceback(result.stderr)
    assert result.returncode == 1, result.stderr[-2000:]
    assert (
        f"spec/errata.yaml: line {lines_before + 1}, column 7: YAML 锚点 &a0 不允许出现在规范文件中"
        in result.stderr
    )
    assert not (root_copy / "generated").exists()


@pytest.mark.parametrize(
    ("tail", "where", "expected"),
    [
        ("x_alias: *nothing\n", "column 10", "YAML 别名 *nothing 不允许"),
        ("x_tag: !!python/object:os.system 1\n", "column 8", "YAML 标签 tag:yaml.org,2002:python/"),
        ("x_deep: " + "[" * 60 + "]" * 60 + "\n", "column 58", "嵌套超过 50 层"),
        # libyaml's own limit (1,000) comes first: a syntax error at the place
        ("x_deep: " + "[" * 100_000 + "\n", "column 1008", "exceeded maximum nesting depth"),
        ("x_number: " + "9" * 5000 + "\n", "column 11", "数值有 5000 个字符，超过 1000 个"),
    ],
    ids=["alias", "tag", "deep nesting", "nesting 100,000 deep", "huge number"],
)
def test_yaml_refusals_name_the_place(
    root_copy: Path, tail: str, where: str, expected: str
) -> None:
    standard = root_copy / "spec" / "standard.yaml"
    lines_before = standard.read_text(encoding="utf-8").count("\n")
    standard.write_text(standard.read_text(encoding="utf-8") + tail, encoding="utf-8")
    result = run(root_copy, "build", "--check")
    no_traceback(result.output)
    assert result.exit_code == 1
    [problem] = [out for out in result.stderr.splitlines() if "standard.yaml" in out]
    assert problem.startswith(f"  spec/standard.yaml: line {lines_before + 1}, {where}")
    assert expected in problem


def test_spec_problem_messages_are_truncated(root_copy: Path) -> None:
    standard = root_copy / "spec" / "standard.yaml"
    long_key = "? " + "k" * 200_000 + "\n: 1\n"  # an explicit key: no 1024-character limit
    standard.write_text(standard.read_text(encoding="utf-8") + long_key, encoding="utf-8")
    result = run(root_copy, "build", "--check")
    assert result.exit_code == 1
    assert max(len(out) for out in result.stderr.splitlines()) < 1500
    assert "已截断" in result.stderr


@pytest.mark.parametrize("damage", ["invalid UTF-8", "too large", "a FIFO"])
def test_unreadable_spec_file_exits_2(root_copy: Path, damage: str) -> None:
    codesets = root_copy / "spec" / "codesets.yaml"
    if damage == "invalid UTF-8":
        codesets.write_bytes(codesets.read_bytes()[:100] + b"\xff\xfe")
    elif damage == "too large":
        codesets.unlink()
        endless(codesets, b"codesets: []\n", 17 * MIB)
    else:
        codesets.unlink()
        os.mkfifo(codesets)
    result = run(root_copy, "build", "--check")
    no_traceback(result.output)
    assert result.exit_code == 2
    assert "spec/codesets.yaml: (file): 无法读取 (cannot read)：" in result.stderr


@pytest.mark.parametrize("damage", ["not a zip", "truncated"])
def test_spec_import_of_a_broken_workbook(
    root_copy: Path, tmp_path: Path, spec_workbook: Path, damage: str
) -> None:
    exported = Path(shutil.copy(spec_workbook, tmp_path / "spec.xlsx"))
    data = exported.read_bytes()
    exported.write_bytes(b"garbage" * 10 if damage == "not a zip" else data[: len(data) // 3])
    before = snapshot(root_copy / "spec")
    result = run(root_copy, "xlsx", "import", exported)
    no_traceback(result.output)
    assert result.exit_code == 2
    assert "spec/ 未改动" in result.stderr
    assert f"{exported.name} (文件): 无法读取工作簿 (cannot read workbook)：" in result.stderr
    assert snapshot(root_copy / "spec") == before


def test_spec_import_of_a_5000_digit_number(
    root_copy: Path, tmp_path: Path, spec_workbook: Path
) -> None:
    exported = Path(shutil.copy(spec_workbook, tmp_path / "spec.xlsx"))
    book = openpyxl.load_workbook(exported)
    ws = book["accept"]
    [letter] = [c.column_letter for c in ws[1] if c.value == "长度"]
    ws[f"{letter}2"] = "9" * 5000
    book.save(exported)
    before = snapshot(root_copy / "spec")
    result = run(root_copy, "xlsx", "import", exported)
    no_traceback(result.output)
    assert result.exit_code == 1
    [problem] = [out for out in result.stderr.splitlines() if f"accept!{letter}2" in out]
    assert "应为整数" in problem and "已截断" in problem and len(problem) < 1200
    assert snapshot(root_copy / "spec") == before


def test_spec_import_refuses_an_alias_in_a_yaml_sheet(
    root_copy: Path, tmp_path: Path, spec_workbook: Path
) -> None:
    exported = Path(shutil.copy(spec_workbook, tmp_path / "spec.xlsx"))
    book = openpyxl.load_workbook(exported)
    ws = book["standard"]
    ws.cell(row=ws.max_row + 1, column=1, value="x_anchor: &a [1]")
    book.save(exported)
    before = snapshot(root_copy / "spec")
    result = run(root_copy, "xlsx", "import", exported)
    no_traceback(result.output)
    assert result.exit_code == 1
    assert "YAML 锚点 &a 不允许出现在规范文件中" in result.stderr
    assert snapshot(root_copy / "spec") == before


# ---------------------------------------------------------------- C. codegen build


KILLED_WRITE = """
import os, sys
from pathlib import Path
from codegen import build
from codegen.data import jsonstream

stop_before = int(sys.argv[2])
renames = 0

def rename(source, target):
    global renames
    renames += 1
    if renames == stop_before:
        os._exit(9)  # killed: no cleanup, no exception handlers
    os.replace(source, target)

build._rename = rename
build.write_all({"a.txt": "new\\n", "sub/b.txt": "new b\\n"}, Path(sys.argv[1]))
"""


def killed_write(out_dir: Path, stop_before: int) -> None:
    """A write_all of the "new" files killed just before its ``stop_before``-th rename."""
    child = subprocess.run(
        [sys.executable, "-c", KILLED_WRITE, str(out_dir), str(stop_before)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 9, child.stderr


OLD = {"a.txt": "old\n", "only-old.txt": "old only\n"}
NEW = {"a.txt": "new\n", "sub/b.txt": "new b\n"}


def contents(directory: Path) -> dict[str, str]:
    return {k: v.decode() for k, v in snapshot(directory).items()}


@pytest.mark.parametrize(
    ("stop_before", "expected"),
    # renames: 1 staging -> .new- (written whole), 2 generated -> .old-, 3 .new- -> generated
    [(1, OLD), (2, OLD), (3, NEW)],
    ids=["while writing", "before retiring the old", "between the two swap renames"],
)
def test_build_killed_between_renames_is_finished_or_undone(
    tmp_path: Path, stop_before: int, expected: dict[str, str]
) -> None:
    out = tmp_path / "generated"
    write_all(OLD, out)
    killed_write(out, stop_before)
    left = sorted(p.name.split("-")[0] for p in tmp_path.iterdir() if p.name != "generated")
    assert (
        left
        == {1: ["generated.tmp"], 2: ["generated.new"], 3: ["generated.new", "generated.old"]}[
            stop_before
        ]
    )
    assert out.exists() == (stop_before != 3)  # the kill left no generated/ at all
    assert recover(out)
    assert contents(out) == expected  # all of one output or the other, never a mix
    assert [p.name for p in tmp_path.iterdir()] == ["generated"]


def test_build_killed_after_the_swap_removes_the_old_output(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    write_all(OLD, out)
    (tmp_path / f"generated{build.RETIRED}dead").mkdir()  # what a kill before rmtree leaves
    (tmp_path / f"generated{build.RETIRED}dead" / "a.txt").write_text("old\n")
    write_all(NEW, out)
    assert contents(out) == NEW
    assert [p.name for p in tmp_path.iterdir()] == ["generated"]


def test_codegen_build_recovers_from_a_killed_build(
    project: Path, rendered: Rendered, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    shutil.copytree(project / "spec", root / "spec")
    out = root / "generated"
    write_all({"openapi.json": "stale\n"}, out)
    killed_write(out, 3)  # no generated/, a .new- and an .old- folder
    check = run(root, "build", "--check")
    assert check.exit_code == 1
    assert "(left by an interrupted build: run `codegen build`)" in check.stderr
    assert "generated.old-" in check.stderr
    result = run(root, "build")
    assert result.exit_code == 0, result.output
    assert "an interrupted build was finished: generated.new-" in result.stderr
    assert sorted(p.name for p in root.iterdir()) == ["generated", "spec"]
    assert snapshot(out) == {p: as_bytes(t) for p, t in rendered.files.items()}
    assert run(root, "build", "--check").exit_code == 0


def test_generated_gets_ordinary_permissions(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        write_all(NEW, tmp_path / "generated")
        write_all(NEW, tmp_path / "generated")  # the swap path, not only the first write
    finally:
        os.umask(previous)
    modes = {
        p.relative_to(tmp_path).as_posix(): p.stat().st_mode & 0o777
        for p in [tmp_path / "generated", *(tmp_path / "generated").rglob("*")]
    }
    assert modes == {
        "generated": 0o755,
        "generated/a.txt": 0o644,
        "generated/sub": 0o755,
        "generated/sub/b.txt": 0o644,
    }
