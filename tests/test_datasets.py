"""``codegen validate`` over datasets: mixed record types checked against each other."""

from __future__ import annotations

import copy
import json
import os
import re
import sqlite3
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner, Result
from xlsx_fill import fill

from codegen.build import Rendered
from codegen.cli.main import main
from codegen.data.datasets import BATCH_ROWS, DatasetIndex, rules_from_package
from codegen.data.inputs import InputError, key_from_name, resolve_inputs

REFERENCING = ("process", "result", "specialprocedure", "material", "correction", "receive")


def run(project: Path, *args: str | Path) -> Result:
    return CliRunner().invoke(main, ["--root", str(project), "validate", *map(str, args)])


def guid(n: int) -> str:
    return str(uuid.UUID(int=n))


def project_no(pkg: ModuleType, n: int) -> str:
    """The example ProjectNo with its 4-character sequence number replaced."""
    example: str = pkg.EXAMPLES["accept"]["ProjectNo"]
    return example[:-4] + f"{n:04d}"


def batch(pkg: ModuleType, n: int) -> str:
    """The example Cd_Batch with its 5-digit daily sequence replaced."""
    example: str = pkg.EXAMPLES["accept"]["Cd_Batch"]
    return example[:-5] + f"{n:05d}"


def make(pkg: ModuleType, key: str, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = copy.deepcopy(pkg.EXAMPLES[key])
    record.update(changes)
    return record


def reconciliation(pkg: ModuleType, key: str, cd_batch: str, count: int) -> dict[str, Any]:
    table = pkg.spec.RECONCILIATION_TABLES[key]
    return make(pkg, "reconciliation", Table_name=table, Cd_batch=cd_batch, Cd_count=count)


def write_lines(path: Path, records: list[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    path.write_text(text, encoding="utf-8")
    return path


def write_array(path: Path, records: list[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def dataset(pkg: ModuleType, root: Path, projects: int = 3) -> Path:
    """A consistent dataset: for each project an accept record and one of every other
    type, in two batches, named as people name files; reconciliation counts match."""
    root.mkdir(parents=True, exist_ok=True)
    n = 0
    counts: dict[tuple[str, str], int] = {}
    by_key: dict[str, list[dict[str, Any]]] = {}
    for key in ("accept", *REFERENCING):
        for p in range(1, projects + 1):
            n += 1
            cd_batch = batch(pkg, 1 if p % 2 else 2)
            record = make(
                pkg, key, RowGuid=guid(n), ProjectNo=project_no(pkg, p), Cd_Batch=cd_batch
            )
            by_key.setdefault(key, []).append(record)
            counts[(key, cd_batch)] = counts.get((key, cd_batch), 0) + 1
    write_lines(root / "accept.jsonl", by_key["accept"][:1])
    write_lines(root / "accept-2019-06.jsonl", by_key["accept"][1:])
    write_array(root / "process_part1.json", by_key["process"])
    write_lines(root / "Result.JSONL", by_key["result"])
    write_lines(root / "specialprocedure-01.jsonl", by_key["specialprocedure"])
    for key in ("material", "correction", "receive"):
        write_lines(root / "more" / f"{key}.jsonl", by_key[key])
    recs = [reconciliation(pkg, key, b, count) for (key, b), count in sorted(counts.items())]
    write_lines(root / "reconciliation.jsonl", recs)
    (root / "README.txt").write_text("not data", encoding="utf-8")  # not a data file: skipped
    return root


def summary(
    records: int, invalid: int = 0, errors: int = 0, warnings: int = 0, cross: int = 0
) -> str:
    return (
        f"({records} records, {invalid} invalid, {errors + warnings} problems) "
        f"({errors} errors, {warnings} warnings, {cross} cross-record problems)"
    )


def records_in(pkg: ModuleType, projects: int = 3) -> int:
    per_batch = {batch(pkg, 1 if p % 2 else 2) for p in range(1, projects + 1)}
    return 7 * projects + 7 * len(per_batch)


def problem_lines(output: str, code: str) -> list[str]:
    return [line for line in output.splitlines() if line.endswith(f"[{code}]")]


# ---------------------------------------------------------------- a consistent dataset


def test_consistent_dataset_directory(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    root = dataset(pkg, tmp_path / "data")
    result = run(project, root)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines() == [
        f"{records_in(pkg)} 条记录，0 条有问题，共 0 处问题：0 个错误，0 个警告，0 处跨记录问题 "
        + summary(records_in(pkg))
    ]


def test_files_and_directories_mixed(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    root = dataset(pkg, tmp_path / "data")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".json", ".jsonl"))
    result = run(project, *files[:3], root / "more", *files[3:])  # more/ named twice: read once
    assert result.exit_code == 0, result.output
    assert summary(records_in(pkg)) in result.stdout


# ---------------------------------------------------------------- cross-record problems


def test_duplicate_row_guid(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    root = dataset(pkg, tmp_path / "data")
    elsewhere = batch(pkg, 5)  # no reconciliation record: counts stay right
    first = make(pkg, "accept", RowGuid=guid(1), Cd_Batch=elsewhere)
    fresh = make(pkg, "accept", RowGuid=guid(900), Cd_Batch=elsewhere)
    again = write_lines(root / "accept_again.jsonl", [fresh, first])  # after accept.jsonl
    # The same RowGuid in records of another type is not a duplicate.
    other = make(pkg, "process", RowGuid=guid(1), Cd_Batch=elsewhere)
    write_lines(root / "process-extra.jsonl", [other])
    result = run(project, root, "--index", tmp_path / "index.sqlite3")
    assert result.exit_code == 1, result.output
    [line] = problem_lines(result.stdout, "duplicate_row_guid")
    assert line.startswith(f"{again}:#2 (line 2): ")
    assert repr(guid(1)) in line and "accept" in line
    assert f"首次出现于 {root / 'accept.jsonl'}:#1 (line 1)" in line
    assert summary(records_in(pkg) + 3, 0, 1, 0, 1) in result.stderr


def test_each_later_duplicate_names_the_first(
    project: Path, pkg: ModuleType, tmp_path: Path
) -> None:
    records = [make(pkg, "accept", RowGuid=guid(7)) for _ in range(3)]
    path = write_lines(tmp_path / "accept.jsonl", records)
    result = run(project, path)
    assert result.exit_code == 1
    lines = problem_lines(result.stdout, "duplicate_row_guid")
    assert [line.split(": ")[0] for line in lines] == [
        f"{path}:#2 (line 2)",
        f"{path}:#3 (line 3)",
    ]
    assert all(f"首次出现于 {path}:#1 (line 1)" in line for line in lines)


def test_unknown_project(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    root = dataset(pkg, tmp_path / "data")
    stray = make(
        pkg,
        "specialprocedure",
        RowGuid=guid(901),
        ProjectNo=project_no(pkg, 77),
        Cd_Batch=batch(pkg, 5),
    )
    path = write_lines(root / "specialprocedure-02.jsonl", [stray])
    result = run(project, root)
    assert result.exit_code == 1
    [line] = problem_lines(result.stdout, "unknown_project")
    assert line.startswith(f"{path}:#1 (line 1): ")
    assert repr(project_no(pkg, 77)) in line and "办件编号" in line

    accepted = tmp_path / "accepted.txt"
    accepted.write_text(f"# known upstream\n\n  {project_no(pkg, 77)}  \n", encoding="utf-8")
    result = run(project, root, "--accept-list", accepted)
    assert result.exit_code == 0, result.output


def test_referencing_records_without_any_accept(
    project: Path, pkg: ModuleType, tmp_path: Path
) -> None:
    paths = [
        write_lines(tmp_path / f"{key}.jsonl", [make(pkg, key, RowGuid=guid(i))])
        for i, key in enumerate(REFERENCING, start=1)
    ]
    result = run(project, *paths)
    assert result.exit_code == 1
    lines = problem_lines(result.stdout, "unknown_project")
    assert [line.split(": ")[0] for line in lines] == [f"{p}:#1 (line 1)" for p in paths]
    assert summary(6, 0, 6, 0, 6) in result.stderr


def test_reconciliation_counts(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    root = dataset(pkg, tmp_path / "data")
    wrong = [
        reconciliation(pkg, "process", batch(pkg, 1), 5),  # 2 held
        reconciliation(pkg, "receive", batch(pkg, 9), 1),  # a batch with no records at all
        reconciliation(pkg, "result", batch(pkg, 2), 1),  # right
    ]
    path = write_lines(root / "reconciliation-extra.jsonl", wrong)
    result = run(project, root)
    assert result.exit_code == 1
    first, second = problem_lines(result.stdout, "reconciliation_count")
    assert first.startswith(f"{path}:#1 (line 1): ")
    assert "up_pro_process_v3" in first and batch(pkg, 1) in first
    assert "5" in first and "2 条记录" in first
    assert second.startswith(f"{path}:#2 (line 2): ")
    assert batch(pkg, 9) in second and "没有" in second
    assert summary(records_in(pkg) + 3, 0, 2, 0, 2) in result.stderr


def test_reconciliation_counts_distinct_row_guids(
    project: Path, pkg: ModuleType, tmp_path: Path
) -> None:
    """A record sent twice (an update) is one record for the gateway's count, and the update
    (Cd_Operation U) is a change of the earlier record, not a duplicate."""
    cd_batch = batch(pkg, 3)
    accept = make(pkg, "accept", Cd_Batch=cd_batch)
    updated = make(pkg, "accept", Cd_Batch=cd_batch, Cd_Operation="U")
    path = write_lines(tmp_path / "accept.jsonl", [accept, updated])
    recon = write_lines(
        tmp_path / "reconciliation.jsonl", [reconciliation(pkg, "accept", cd_batch, 1)]
    )
    result = run(project, path, recon)
    assert problem_lines(result.stdout, "reconciliation_count") == []
    assert problem_lines(result.stdout, "duplicate_row_guid") == []
    again = make(pkg, "accept", Cd_Batch=cd_batch, Cd_Operation="I")
    path = write_lines(tmp_path / "accept.jsonl", [accept, updated, again])
    result = run(project, path, recon)
    assert len(problem_lines(result.stdout, "duplicate_row_guid")) == 1  # a second insert


# ---------------------------------------------------------------- record types


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("accept.jsonl", "accept"),
        ("accept-2024-01.jsonl", "accept"),
        ("ACCEPT_2.json", "accept"),
        ("accept2024.json", "accept"),
        ("process_part2.json", "process"),
        ("specialprocedure-01.jsonl", "specialprocedure"),
        ("reconciliation.xlsx", "reconciliation"),
        ("receive.jsonl", "receive"),
        ("acceptance.jsonl", None),
        ("data.json", None),
        ("my-accept.jsonl", None),
    ],
)
def test_type_from_file_name(pkg: ModuleType, name: str, key: str | None) -> None:
    assert key_from_name(name, pkg.RECORD_KEYS) == key


def test_longest_key_wins() -> None:
    assert key_from_name("specialprocedure.jsonl", ["special", "specialprocedure"]) == (
        "specialprocedure"
    )
    assert key_from_name("special-1.jsonl", ["special", "specialprocedure"]) == "special"


def test_key_equals_path(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    accept = write_lines(tmp_path / "a.jsonl", [make(pkg, "accept")])
    process = write_lines(tmp_path / "b" / "x.jsonl", [make(pkg, "process")])
    result = run(project, f"accept={accept}", f"process={process.parent}")
    assert result.exit_code == 0, result.output
    assert summary(2) in result.stdout
    # Given the other way round, every record is of the wrong type.
    result = run(project, f"process={accept}", f"accept={process}")
    assert result.exit_code == 1
    assert "[unknown_field]" in result.stdout


def test_unknown_file_type_is_a_usage_error(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    root = dataset(pkg, tmp_path / "data")
    stray = write_lines(root / "more" / "export.jsonl", [make(pkg, "accept")])
    result = run(project, root)
    assert result.exit_code == 2
    assert str(stray) in result.stderr
    assert "KEY=" in result.stderr and "accept" in result.stderr


@pytest.mark.parametrize(
    "argument",
    ["missing.jsonl", "bogus=x.jsonl", "process=missing.jsonl"],
)
def test_bad_arguments_are_usage_errors(project: Path, argument: str) -> None:
    result = run(project, argument)
    assert result.exit_code == 2
    assert argument in result.stderr


def test_resolve_inputs(pkg: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    for name in ("accept.jsonl", "process.json", ".hidden.jsonl", "notes.txt"):
        (tmp_path / "d" / name).write_text("", encoding="utf-8")
    found = resolve_inputs([str(tmp_path / "d")], pkg.RECORD_KEYS)
    assert [(f.key, f.path.name) for f in found] == [
        ("accept", "accept.jsonl"),
        ("process", "process.json"),
    ]
    with pytest.raises(InputError, match="no data files"):
        (tmp_path / "empty").mkdir()
        resolve_inputs([str(tmp_path / "empty")], pkg.RECORD_KEYS)


def test_a_file_name_that_is_not_utf8_is_a_usage_error(project: Path, tmp_path: Path) -> None:
    """A name the file system gives undecoded ("\\udcff" in Python) cannot be stored,
    printed or written to a report: a clean usage error naming it, not a traceback."""
    directory = tmp_path / "d"
    directory.mkdir()
    try:
        (directory / os.fsdecode(b"accept\xff.jsonl")).write_text('{"a": 1}\n', "utf-8")
    except (OSError, UnicodeError):
        pytest.skip("the file system refuses a name that is not UTF-8")
    for argument in (directory, directory / os.fsdecode(b"accept\xff.jsonl")):
        result = run(project, argument)
        assert result.exit_code == 2, result.output
        assert "文件名不是有效的 UTF-8" in result.stderr
        assert "accept\\xff.jsonl" in result.stderr
        assert "Traceback" not in result.output


# ---------------------------------------------------------------- profiles and units


def test_profile_strict_checks_uscc_check_digit(
    project: Path, pkg: ModuleType, tmp_path: Path
) -> None:
    code: str = pkg.EXAMPLES["accept"]["ProDataOrgCode"]
    bad = code[:-1] + ("Y" if code[-1] != "Y" else "X")
    path = write_lines(tmp_path / "accept.jsonl", [make(pkg, "accept", ProDataOrgCode=bad)])
    assert run(project, path).exit_code == 0
    assert run(project, path, "--profile", "standard").exit_code == 0
    result = run(project, path, "--profile", "strict")
    assert result.exit_code == 1
    [line] = problem_lines(result.stdout, "check_digit")
    assert line.startswith(f"{path}:#1 (line 1): ProDataOrgCode")
    # --interface takes the profile too.
    result = run(project, "--interface", "accept", "--profile", "strict", path)
    assert result.exit_code == 1 and problem_lines(result.stdout, "check_digit")


def test_warnings_do_not_fail(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "accept.jsonl", [make(pkg, "accept", RegionCode="130521")])
    result = run(project, path, "--profile", "strict")
    assert result.exit_code == 0, result.output
    [line] = problem_lines(result.stdout, "region_abolished")
    assert line.startswith(f"{path}:#1 (line 1): warning: RegionCode")
    assert summary(1, 0, 0, 1, 0) in result.stdout
    assert result.stderr == ""
    assert run(project, path).stdout.strip().endswith(summary(1))  # standard: not checked


def test_utf8_length_unit(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    name = "张" * 100  # String(100): 100 characters, 300 bytes
    path = write_lines(tmp_path / "accept.jsonl", [make(pkg, "accept", ApplyerName=name)])
    assert run(project, path).exit_code == 0
    assert run(project, path, "--length-unit", "char").exit_code == 0
    result = run(project, path, "--length-unit", "utf8")
    assert result.exit_code == 1
    [line] = problem_lines(result.stdout, "max_length")
    assert line.startswith(f"{path}:#1 (line 1): ApplyerName")


def test_bad_profile_is_a_usage_error(project: Path, tmp_path: Path) -> None:
    result = run(project, "--profile", "lenient", tmp_path)
    assert result.exit_code == 2 and "--profile" in result.stderr


# ---------------------------------------------------------------- the index


def test_index_is_on_disk(project: Path, pkg: ModuleType, tmp_path: Path) -> None:
    count = 2000
    path = tmp_path / "accept.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(count):
            record = make(pkg, "accept", RowGuid=guid(n), ProjectNo=project_no(pkg, n % 9999))
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    index = tmp_path / "index.sqlite3"
    result = run(project, path, "--index", index, "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith(summary(count))
    with sqlite3.connect(index) as db:
        assert db.execute("SELECT COUNT(*) FROM rows").fetchone() == (count,)
        assert db.execute("SELECT COUNT(*) FROM accepts").fetchone() == (count,)
        assert db.execute("SELECT path FROM files").fetchall() == [(str(path),)]
    # A later run replaces its own index ...
    assert run(project, path, "--index", index, "--quiet").exit_code == 0
    # ... but never another file.
    other = tmp_path / "precious.sqlite3"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE keep (x)")
    result = run(project, path, "--index", other)
    assert result.exit_code == 2 and "not a codegen validate index" in result.stderr
    with sqlite3.connect(other) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("keep",)]


def test_index_flushes_in_batches(pkg: ModuleType, tmp_path: Path) -> None:
    with DatasetIndex(rules_from_package(pkg), tmp_path / "i.sqlite3") as index:
        file = index.file_id("x.jsonl")
        count = BATCH_ROWS // 2 + 100  # two rows each: one flush on the way, one at the end
        for n in range(count):
            index.add("process", make(pkg, "process", RowGuid=guid(n)), file, n + 1, n + 1)
        assert index.count("rows") == count and index.count("refs") == count
        problems = list(index.problems())
    assert {p.code for p in problems} == {"unknown_project"} and len(problems) == count


def test_interface_mode_checks_records_one_by_one(
    project: Path, pkg: ModuleType, tmp_path: Path
) -> None:
    path = write_lines(tmp_path / "data.jsonl", [make(pkg, "process")] * 2)
    result = run(project, "--interface", "process", path)
    # RowGuids are checked (as in dataset mode); ProjectNo against accept records is not
    assert result.exit_code == 1, result.output
    assert len(problem_lines(result.stdout, "duplicate_row_guid")) == 1
    assert problem_lines(result.stdout, "unknown_project") == []
    result = run(project, "--interface", "process", "--accept-list", path, path)
    assert result.exit_code == 2 and "without --interface" in result.stderr


# ---------------------------------------------------------------- workbooks


def test_workbook_in_a_dataset(
    project: Path, pkg: ModuleType, rendered: Rendered, tmp_path: Path
) -> None:
    template = rendered.files["xlsx/process.xlsx"]
    assert isinstance(template, bytes)
    stray = make(pkg, "process", ProjectNo=project_no(pkg, 55))
    book = fill(template, {2: make(pkg, "process"), 4: stray}, tmp_path / "process-01.xlsx")
    accept = write_lines(tmp_path / "accept.jsonl", [make(pkg, "accept")])
    result = run(project, tmp_path)
    assert result.exit_code == 1, result.output
    [line] = problem_lines(result.stdout, "unknown_project")
    assert re.match(rf"{re.escape(str(book))} \S+!4:4: ", line), line
    assert str(accept) not in result.stdout


def test_interface_mode_indexes_row_guids_alone(pkg: ModuleType) -> None:
    """``validate --interface`` checks only RowGuids across records: its index entries hold
    no ProjectNo or reconciliation rows; dataset mode's hold them."""
    from codegen.data.datasets import index_entry

    accept = dict(pkg.EXAMPLES["accept"])
    reconciliation = dict(pkg.EXAMPLES["reconciliation"])
    both = rules_from_package(pkg)
    alone = rules_from_package(pkg, across_types=False)
    assert [t for t, _ in index_entry(both, "accept", accept)] == ["rows", "accepts"]
    assert [t for t, _ in index_entry(alone, "accept", accept)] == ["rows"]
    assert "reconciliations" in [t for t, _ in index_entry(both, "reconciliation", reconciliation)]
    assert "reconciliations" not in [
        t for t, _ in index_entry(alone, "reconciliation", reconciliation)
    ]
