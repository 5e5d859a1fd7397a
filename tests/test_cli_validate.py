"""``codegen validate``: streamed records checked with the generated package."""

from __future__ import annotations

import copy
import itertools
import json
import re
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner, Result

from codegen.cli.main import main
from codegen.spec.loader import LoadedSpec


def run(project: Path, *args: str | Path) -> Result:
    return CliRunner().invoke(main, ["--root", str(project), "validate", *map(str, args)])


_ROW_GUIDS = itertools.count(1)


def accept(pkg: ModuleType, **changes: Any) -> dict[str, Any]:
    """A valid accept record (the generated example, with a RowGuid of its own, since
    --interface mode reports repeated RowGuids) with ``changes`` applied."""
    record: dict[str, Any] = copy.deepcopy(pkg.EXAMPLES["accept"])
    record["RowGuid"] = str(uuid.UUID(int=next(_ROW_GUIDS)))
    record.update(changes)
    return record


def write_array(path: Path, records: list[Any]) -> Path:
    path.write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def summary(total: int, invalid: int, problems: int) -> str:
    return f"({total} records, {invalid} invalid, {problems} problems)"


def label(loaded: LoadedSpec, key: str, name: str) -> str:
    """The Chinese label the spec gives a field: ``申请时间`` for accept ApplyDate."""
    record = next(r for r in loaded.docs.records if r.key == key)
    return next(f.label for f in record.fields if f.name == name)


def lines_about(output: str, path: Path, number: int) -> list[str]:
    prefix = f"{path}:#{number}"
    return [line for line in output.splitlines() if re.match(rf"{re.escape(prefix)}\b", line)]


# ---------------------------------------------------------------- valid input


def test_valid_json_array(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    path = write_array(tmp_path / "accept.json", [accept(pkg) for _ in range(3)])
    result = run(project, "--interface", "accept", path)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines() == [
        f"3 条记录，0 条有问题，共 0 处问题：0 个错误，0 个警告，0 处跨记录问题 {summary(3, 0, 0)} "
        "(0 errors, 0 warnings, 0 cross-record problems)"
    ]
    assert result.stderr == ""


def test_valid_json_lines(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    line = [json.dumps(accept(pkg), ensure_ascii=False) for _ in range(4)]
    path = write_lines(tmp_path / "accept.jsonl", [line[0], "", line[1], "   ", line[2], line[3]])
    result = run(project, "--interface", "accept", path)
    assert result.exit_code == 0, result.output
    assert summary(4, 0, 0) in result.stdout
    assert str(path) not in result.output  # nothing to report


def test_every_example_is_valid_for_its_interface(
    project: Path, pkg: ModuleType, tmp_path: Path
) -> None:
    for key in pkg.RECORD_KEYS:
        path = write_array(tmp_path / f"{key}.json", [pkg.EXAMPLES[key]])
        result = run(project, "--interface", key, path)
        assert result.exit_code == 0, (key, result.output)


def test_keys_fixed_by_normalization_pass(
    project: Path, pkg: ModuleType, loaded: LoadedSpec, tmp_path: Path
) -> None:
    # camelCase keys, as the standard's own examples write them.
    camel = {name[0].lower() + name[1:]: value for name, value in accept(pkg).items()}
    # An erratum's alias for a misspelled wire name (ApplyUerIdCode in the table).
    alias = next(
        a
        for erratum in loaded.docs.errata.errata
        for a in erratum.aliases
        if a.record == "accept" and a.field in pkg.EXAMPLES["accept"]
    )
    aliased = accept(pkg)
    aliased[alias.alias] = aliased.pop(alias.field)
    # Without normalization both would be invalid: the CLI must be what fixes them.
    assert pkg.validate("accept", camel) and pkg.validate("accept", aliased)

    path = write_array(tmp_path / "variants.json", [camel, aliased])
    result = run(project, "--interface", "accept", path)
    assert result.exit_code == 0, result.output
    assert summary(2, 0, 0) in result.stdout


# ---------------------------------------------------------------- invalid input


def test_problems_name_file_record_field_and_label(
    project: Path, pkg: ModuleType, loaded: LoadedSpec, tmp_path: Path
) -> None:
    missing = accept(pkg)
    del missing["ApplyDate"]
    records = [
        accept(pkg),
        missing,
        accept(pkg, ApplyType="zz"),  # not in the code set
        {name[0].lower() + name[1:]: v for name, v in accept(pkg, ApplyerType="99").items()},
        accept(pkg),
    ]
    path = write_array(tmp_path / "accept.json", records)
    result = run(project, "--interface", "accept", path)
    assert result.exit_code == 1, result.output

    assert lines_about(result.stdout, path, 1) == []
    assert lines_about(result.stdout, path, 5) == []
    [second] = lines_about(result.stdout, path, 2)
    assert f"ApplyDate（{label(loaded, 'accept', 'ApplyDate')}）" in second
    assert second.endswith("[required]")
    [third] = lines_about(result.stdout, path, 3)
    assert f"ApplyType（{label(loaded, 'accept', 'ApplyType')}）" in third
    assert "'zz'" in third and third.endswith("[code]")
    # A bad value behind a camelCase key is reported under the canonical wire name.
    [fourth] = lines_about(result.stdout, path, 4)
    assert f"ApplyerType（{label(loaded, 'accept', 'ApplyerType')}）" in fourth
    assert "'99'" in fourth and fourth.endswith("[code]")

    assert summary(5, 3, 3) in result.stderr  # on stderr when something is wrong
    assert summary(5, 3, 3) not in result.stdout


def test_unknown_field(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    path = write_array(tmp_path / "accept.json", [accept(pkg, ApplyDat="2019-06-20 09:30:00")])
    result = run(project, "--interface", "accept", path)
    assert result.exit_code == 1
    [line] = lines_about(result.stdout, path, 1)
    assert "ApplyDat" in line and line.endswith("[unknown_field]")


def test_several_problems_in_one_record(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    record = accept(pkg, ApplyType="zz", ApplyerType="zz")
    del record["ApplyDate"]
    path = write_array(tmp_path / "accept.json", [record])
    result = run(project, "--interface", "accept", path)
    assert result.exit_code == 1
    assert len(lines_about(result.stdout, path, 1)) == 3
    assert summary(1, 1, 3) in result.stderr


def test_records_that_are_not_objects(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    path = write_array(tmp_path / "accept.json", [accept(pkg), [accept(pkg)], "text", None])
    result = run(project, "--interface", "accept", path)
    assert result.exit_code == 1
    for number in (2, 3, 4):
        [line] = lines_about(result.stdout, path, number)
        assert line.endswith("[not_object]")
    assert summary(4, 3, 3) in result.stderr


def test_broken_json_lines(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    good, other = (json.dumps(accept(pkg), ensure_ascii=False) for _ in range(2))
    path = write_lines(tmp_path / "accept.jsonl", [good, '{"RowGuid": ', "", other, good[:-1]])
    result = run(project, "--interface", "accept", path)
    assert result.exit_code == 2  # lines that cannot be read: unreadable input
    [second] = lines_about(result.stdout, path, 2)
    assert second.startswith(f"{path}:#2 (line 2): ") and "第 2 行" in second
    [fourth] = lines_about(result.stdout, path, 4)
    assert fourth.startswith(f"{path}:#4 (line 5): ") and "第 5 行" in fourth
    assert lines_about(result.stdout, path, 3) == []  # line 4, after the blank line, is fine
    assert summary(4, 2, 2) in result.stderr


def test_truncated_json_array(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "accept.json"
    text = json.dumps([accept(pkg), accept(pkg)], ensure_ascii=False)
    path.write_text(text[: len(text) * 3 // 4], encoding="utf-8")
    result = run(project, "--interface", "accept", path)
    assert result.exit_code == 2  # the file cannot be read whole
    assert lines_about(result.stdout, path, 1) == []
    [line] = lines_about(result.stdout, path, 2)
    assert "JSON 数组" in line
    assert summary(2, 1, 1) in result.stderr


def test_counts_add_up_over_several_files(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    valid = write_array(tmp_path / "valid.json", [accept(pkg), accept(pkg)])
    invalid = write_array(tmp_path / "invalid.json", [accept(pkg, ApplyType="zz")])
    result = run(project, "--interface", "accept", valid, invalid)
    assert result.exit_code == 1
    assert str(valid) not in result.stdout
    assert len(lines_about(result.stdout, invalid, 1)) == 1
    assert summary(3, 1, 1) in result.stderr


def test_quiet_prints_only_the_summary(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    path = write_array(tmp_path / "accept.json", [accept(pkg, ApplyType="zz"), accept(pkg)])
    result = run(project, "--interface", "accept", "--quiet", path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"2 条记录，1 条有问题，共 1 处问题：1 个错误，0 个警告，0 处跨记录问题 {summary(2, 1, 1)} "
        "(1 errors, 0 warnings, 0 cross-record problems)"
    ]


def test_records_of_another_interface_are_invalid(
    project: Path, pkg: ModuleType, tmp_path: Path
) -> None:
    path = write_array(tmp_path / "accept.json", [accept(pkg)])
    result = run(project, "--interface", "process", path)
    assert result.exit_code == 1
    assert "[unknown_field]" in result.stdout and "[required]" in result.stdout


# ---------------------------------------------------------------- usage


def test_unknown_interface_is_a_usage_error(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    path = write_array(tmp_path / "accept.json", [accept(pkg)])
    result = run(project, "--interface", "bogus", path)
    assert result.exit_code == 2
    assert "--interface" in result.stderr and "'bogus'" in result.stderr
    for key in pkg.RECORD_KEYS:
        assert key in result.stderr


@pytest.mark.parametrize(
    "args",
    [["--interface", "accept"], ["no-such-file.json", "--interface", "accept"]],
    ids=["no-files", "missing-file"],
)
def test_bad_file_arguments_are_usage_errors(project: Path, args: list[str]) -> None:
    result = run(project, *args)
    assert result.exit_code == 2
    assert "Usage:" in result.stderr


def test_without_interface_the_type_comes_from_the_file_name(
    project: Path, pkg: ModuleType, tmp_path: Path
) -> None:
    path = write_array(tmp_path / "accept.json", [accept(pkg)])
    assert run(project, path).exit_code == 0
    unnamed = write_array(tmp_path / "records.json", [accept(pkg)])
    result = run(project, unnamed)
    assert result.exit_code == 2
    assert str(unnamed) in result.stderr and "--interface" not in result.stdout


def test_validate_without_a_build(pkg: ModuleType, tmp_path: Path) -> None:
    path = write_array(tmp_path / "accept.json", [accept(pkg)])
    empty_root = tmp_path / "root"
    empty_root.mkdir()
    result = run(empty_root, "--interface", "accept", path)
    assert result.exit_code == 1
    assert "codegen build" in result.stderr


@pytest.mark.parametrize(
    ("command", "purpose"),
    [
        ("build", "Generate every artefact from spec/ into generated/"),
        ("fmt", "canonical layout"),
        ("validate", "Validate records in FILES"),
    ],
)
def test_command_help(command: str, purpose: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert f" {command} [OPTIONS]" in result.output.splitlines()[0]
    assert purpose in " ".join(result.output.split())  # help text is re-wrapped


def test_main_help_lists_the_commands() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = re.findall(r"^  (\w+)\s", result.output.split("Commands:")[1], flags=re.M)
    assert {"build", "fmt", "send", "validate"} <= set(listed)
    assert "GDZW 0003-2019" in result.output
    # Every kind of build output is named, the Excel templates and the reference too.
    for output in ("gdzw_uppro", "jsonschema/", "openapi.json", "xlsx/", "docs/index.html"):
        assert output in result.output, output


def test_diff_help_gives_every_exit_code() -> None:
    text = " ".join(CliRunner().invoke(main, ["diff", "--help"]).output.split())
    assert "0 nothing breaking" in text
    assert "1 NEW makes a breaking change" in text
    assert "2 a side cannot be read" in text


# ---------------------------------------------------------------- duplicates in --interface mode


def test_interface_mode_reports_duplicate_row_guids(
    project: Path, pkg: ModuleType, tmp_path: Path
) -> None:
    first, second = accept(pkg), accept(pkg)
    second["RowGuid"] = first["RowGuid"]
    path = write_lines(
        tmp_path / "a.jsonl", [json.dumps(r, ensure_ascii=False) for r in (first, second)]
    )
    result = run(project, "--interface", "accept", path)
    assert result.exit_code == 1, result.output
    dup = [line for line in result.stdout.splitlines() if "[duplicate_row_guid]" in line]
    assert len(dup) == 1 and dup[0].startswith(f"{path}:#2") and f"{path}:#1" in dup[0]
    assert "1 处跨记录问题" in result.output


def test_an_update_after_an_insert_is_a_change_log_not_a_duplicate(
    project: Path, pkg: ModuleType, tmp_path: Path
) -> None:
    insert, update, delete, again = (accept(pkg) for _ in range(4))
    for record, operation in ((insert, "I"), (update, "U"), (delete, "D"), (again, "I")):
        record["RowGuid"] = insert["RowGuid"]
        record["Cd_Operation"] = operation
    lines = [json.dumps(r, ensure_ascii=False) for r in (insert, update, delete, again)]
    path = write_lines(tmp_path / "a.jsonl", lines)
    result = run(project, "--interface", "accept", path)
    dup = [line for line in result.stdout.splitlines() if "[duplicate_row_guid]" in line]
    assert [line.split(" ")[0].split(":")[-1] for line in dup] == ["#4"], result.output
    assert result.exit_code == 1


def test_a_key_with_an_empty_path_names_the_missing_path(project: Path, tmp_path: Path) -> None:
    result = run(project, "accept=")
    assert result.exit_code == 2, result.output
    assert "accept= 后缺少路径" in result.output and "不是记录类型" not in result.output
