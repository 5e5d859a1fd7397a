"""A broken spec is refused with every problem named by file, field and reason.

Each test breaks a private copy of spec/ (the ``spec_copy`` fixture) in one way and
checks that ``load_spec`` raises ``SpecError`` naming the file, the path of the
offending item and what is wrong with it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from codegen.cli.main import main
from codegen.spec.errors import SpecError, SpecProblem
from codegen.spec.loader import load_spec

ACCEPT = "records/accept.yaml"
PROCESS = "records/process.yaml"


# ---------------------------------------------------------------- helpers


# libyaml's parser and emitter (the pure-Python ones would be most of these tests' time):
# the same data, and the written layout need not be canonical here.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def read_yaml(spec: Path, rel: str) -> Any:
    return yaml.load((spec / rel).read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506


def edit_yaml(spec: Path, rel: str, change: Callable[[Any], None]) -> None:
    """Loads ``spec/rel``, lets ``change`` mutate the data in place, writes it back."""
    data = read_yaml(spec, rel)
    change(data)
    text = yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=1_000_000)
    (spec / rel).write_text(text, encoding="utf-8")


def replace_text(spec: Path, rel: str, old: str, new: str) -> None:
    path = spec / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def index_of(items: list[dict[str, Any]], key: str, value: str) -> int:
    return next(i for i, item in enumerate(items) if item[key] == value)


def field(record: dict[str, Any], name: str) -> dict[str, Any]:
    fields: list[dict[str, Any]] = record["fields"]
    return fields[index_of(fields, "name", name)]


def field_path(spec: Path, rel: str, name: str) -> str:
    """The problem path of a record field as the loader names it: ``fields[13]<ApplyDate>``."""
    return f"fields[{index_of(read_yaml(spec, rel)['fields'], 'name', name)}]<{name}>"


def spec_problems(spec: Path) -> list[SpecProblem]:
    with pytest.raises(SpecError) as excinfo:
        load_spec(spec)
    problems = excinfo.value.problems
    assert problems, "SpecError without problems"
    assert f"{len(problems)} problem" in str(excinfo.value)
    return problems


def expect(
    problems: list[SpecProblem], file: str, path: str, *message_parts: str, exact: bool = True
) -> SpecProblem:
    """The one problem in ``file`` whose path is ``path`` (or contains it, if not exact)."""
    matches = [
        p
        for p in problems
        if p.file == f"spec/{file}" and (p.path == path if exact else path in p.path)
    ]
    shown = "\n".join(map(str, problems))
    assert len(matches) == 1, f"expected one problem at spec/{file}: {path}, got:\n{shown}"
    for part in message_parts:
        assert part in matches[0].message, f"{part!r} not in {matches[0]}"
    return matches[0]


def only(problems: list[SpecProblem], file: str, path: str, *message_parts: str) -> None:
    """``problems`` is exactly one problem, at ``file``/``path``."""
    assert len(problems) == 1, "\n".join(map(str, problems))
    expect(problems, file, path, *message_parts)


def test_unbroken_copy_loads(spec_copy: Path) -> None:
    """The control: the copy the other tests break is itself valid, also after a YAML round trip."""
    for rel in (ACCEPT, "errata.yaml", "standard.yaml", "codesets.yaml"):
        edit_yaml(spec_copy, rel, lambda data: None)
    assert load_spec(spec_copy).docs.records


# ---------------------------------------------------------------- record fields


def test_unknown_codeset(spec_copy: Path) -> None:
    edit_yaml(spec_copy, ACCEPT, lambda d: field(d, "ApplyType").update(codeset="no_such_set"))
    path = field_path(spec_copy, ACCEPT, "ApplyType")
    only(spec_problems(spec_copy), ACCEPT, f"{path}.codeset", "'no_such_set'")


def test_duplicate_field_name(spec_copy: Path) -> None:
    original = index_of(read_yaml(spec_copy, ACCEPT)["fields"], "name", "ApplyDate")

    def duplicate(data: dict[str, Any]) -> None:
        data["fields"].append({**field(data, "ApplyDate"), "python_name": "apply_date_again"})

    edit_yaml(spec_copy, ACCEPT, duplicate)
    added = len(read_yaml(spec_copy, ACCEPT)["fields"]) - 1
    only(
        spec_problems(spec_copy),
        ACCEPT,
        f"fields[{added}].name",
        "'ApplyDate'",
        f"[{original}].name",
    )


def test_duplicate_field_name_differing_only_in_case(spec_copy: Path) -> None:
    def duplicate(data: dict[str, Any]) -> None:
        copy = {**field(data, "ApplyDate"), "name": "APPLYDATE", "python_name": "shouting"}
        data["fields"].append(copy)

    edit_yaml(spec_copy, ACCEPT, duplicate)
    added = len(read_yaml(spec_copy, ACCEPT)["fields"]) - 1
    only(spec_problems(spec_copy), ACCEPT, f"fields[{added}].name", "'APPLYDATE'")


def test_duplicate_python_name(spec_copy: Path) -> None:
    edit_yaml(spec_copy, ACCEPT, lambda d: field(d, "Legal").update(python_name="apply_date"))
    index = index_of(read_yaml(spec_copy, ACCEPT)["fields"], "name", "Legal")
    only(spec_problems(spec_copy), ACCEPT, f"fields[{index}].python_name", "'apply_date'")


@pytest.mark.parametrize("bad_type", ["Date(10)", "String(0)", "string(50)", "Int", "Long(x)"])
def test_unrecognised_type(spec_copy: Path, bad_type: str) -> None:
    edit_yaml(spec_copy, ACCEPT, lambda d: field(d, "ApplyDate").update(type=bad_type))
    path = field_path(spec_copy, ACCEPT, "ApplyDate")
    only(spec_problems(spec_copy), ACCEPT, f"{path}.type", repr(bad_type), "String(n)")


@pytest.mark.parametrize("label", ["", "   "])
def test_empty_label(spec_copy: Path, label: str) -> None:
    edit_yaml(spec_copy, ACCEPT, lambda d: field(d, "ApplyDate").update(label=label))
    path = field_path(spec_copy, ACCEPT, "ApplyDate")
    only(spec_problems(spec_copy), ACCEPT, f"{path}.label", "label")


def test_unknown_format(spec_copy: Path) -> None:
    edit_yaml(spec_copy, ACCEPT, lambda d: field(d, "RowGuid").update(format="guid"))
    path = field_path(spec_copy, ACCEPT, "RowGuid")
    only(spec_problems(spec_copy), ACCEPT, f"{path}.format", "'guid'")


# ---------------------------------------------------------------- numeric bounds


@pytest.mark.parametrize("missing", ["minimum", "maximum"])
def test_numeric_field_without_bounds(spec_copy: Path, missing: str) -> None:
    edit_yaml(spec_copy, ACCEPT, lambda d: field(d, "TaskVersion").pop(missing))
    path = field_path(spec_copy, ACCEPT, "TaskVersion")
    only(spec_problems(spec_copy), ACCEPT, path, "minimum", "maximum", "Int(10)")


@pytest.mark.parametrize(
    ("bounds", "shown"),
    [
        ({"maximum": 2**31}, str(2**31)),  # Int is 32-bit on the gateway
        ({"minimum": -(2**31) - 1}, str(-(2**31) - 1)),
        ({"minimum": 5, "maximum": 4}, "[5, 4]"),  # an empty range
    ],
)
def test_numeric_bounds_outside_the_type(
    spec_copy: Path, bounds: dict[str, int], shown: str
) -> None:
    edit_yaml(spec_copy, ACCEPT, lambda d: field(d, "TaskVersion").update(bounds))
    path = field_path(spec_copy, ACCEPT, "TaskVersion")
    only(spec_problems(spec_copy), ACCEPT, path, shown, "Int(10)")


def test_bounds_on_a_string_field(spec_copy: Path) -> None:
    edit_yaml(spec_copy, ACCEPT, lambda d: field(d, "TaskName").update(minimum=0, maximum=9))
    path = field_path(spec_copy, ACCEPT, "TaskName")
    only(spec_problems(spec_copy), ACCEPT, path, "minimum")


# ---------------------------------------------------------------- rules


def rule_path(spec: Path, rule_id: str) -> str:
    rules = read_yaml(spec, ACCEPT)["rules"]
    return f"rules[{index_of(rules, 'id', rule_id)}]<{rule_id}>"


def test_rule_naming_an_unknown_field(spec_copy: Path) -> None:
    def rename(data: dict[str, Any]) -> None:
        data["rules"][index_of(data["rules"], "id", "refusal-reason-required")]["field"] = "BSLY"

    edit_yaml(spec_copy, ACCEPT, rename)
    path = rule_path(spec_copy, "refusal-reason-required")
    only(spec_problems(spec_copy), ACCEPT, f"{path}.field", "'BSLY'")


def test_rule_condition_on_an_unknown_field(spec_copy: Path) -> None:
    def rename(data: dict[str, Any]) -> None:
        rule = data["rules"][index_of(data["rules"], "id", "refusal-reason-required")]
        rule["when"][0]["field"] = "SLZT"

    edit_yaml(spec_copy, ACCEPT, rename)
    path = rule_path(spec_copy, "refusal-reason-required")
    only(spec_problems(spec_copy), ACCEPT, f"{path}.when[0].field", "'SLZT'")


def test_paired_lists_naming_an_unknown_field(spec_copy: Path) -> None:
    def rename(data: dict[str, Any]) -> None:
        rule = data["rules"][index_of(data["rules"], "id", "applyer-certificates-paired")]
        rule["fields"][1] = "ApplyerPageNo"

    edit_yaml(spec_copy, ACCEPT, rename)
    path = rule_path(spec_copy, "applyer-certificates-paired")
    only(spec_problems(spec_copy), ACCEPT, f"{path}.fields[1]", "'ApplyerPageNo'")


def test_condition_value_not_in_the_code_set(spec_copy: Path) -> None:
    record = read_yaml(spec_copy, ACCEPT)
    rule = record["rules"][index_of(record["rules"], "id", "refusal-reason-required")]
    codeset = field(record, rule["when"][0]["field"])["codeset"]

    def add_value(data: dict[str, Any]) -> None:
        data["rules"][index_of(data["rules"], "id", rule["id"])]["when"][0]["values"].append("77")

    edit_yaml(spec_copy, ACCEPT, add_value)
    path = rule_path(spec_copy, rule["id"])
    only(spec_problems(spec_copy), ACCEPT, f"{path}.when[0].values", "'77'", codeset)


# ---------------------------------------------------------------- errata aliases


def add_alias(spec: Path, erratum_id: str, record: str, field_name: str, alias: str) -> str:
    """Appends an alias to an erratum; returns the problem path the loader gives it."""
    errata = read_yaml(spec, "errata.yaml")["errata"]
    i = index_of(errata, "id", erratum_id)
    j = len(errata[i].get("aliases", []))

    def append(data: dict[str, Any]) -> None:
        entry = {"record": record, "field": field_name, "alias": alias}
        data["errata"][i].setdefault("aliases", []).append(entry)

    edit_yaml(spec, "errata.yaml", append)
    return f"errata[{i}]<{erratum_id}>.aliases[{j}]<{alias}>.alias"


@pytest.mark.parametrize(
    ("alias", "clashes_with"),
    [
        ("applyername", "ApplyerName"),  # the field itself, case-folded
        ("ApplyerType", "ApplyerType"),  # another field's exact name
        ("APPLYDATE", "ApplyDate"),  # another field, case-folded
    ],
)
def test_alias_clashing_with_a_field(spec_copy: Path, alias: str, clashes_with: str) -> None:
    path = add_alias(spec_copy, "accept-applier-spelling", "accept", "ApplyerName", alias)
    only(spec_problems(spec_copy), "errata.yaml", path, repr(alias), clashes_with)


def test_alias_clashing_with_another_alias(spec_copy: Path) -> None:
    # ApplierName is already the alias of ApplyerName; here it would also mean ApplyerType.
    path = add_alias(spec_copy, "accept-applier-spelling", "accept", "ApplyerType", "applierNAME")
    only(spec_problems(spec_copy), "errata.yaml", path, "'applierNAME'", "ApplierName")


def test_alias_for_an_unknown_field(spec_copy: Path) -> None:
    path = add_alias(spec_copy, "accept-applier-spelling", "accept", "ApplierAge", "ApplyerAge")
    problem_path = path.removesuffix(".alias") + ".field"
    only(spec_problems(spec_copy), "errata.yaml", problem_path, "'ApplierAge'")


# ---------------------------------------------------------------- shape of the YAML


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: field(d, "ApplyDate").update(colour="red"), "{ApplyDate}.colour"),
        (lambda d: d.update(labels="办件受理"), "labels"),
    ],
    ids=["in-a-field", "at-top-level"],
)
def test_unknown_key(spec_copy: Path, change: Callable[[Any], None], where: str) -> None:
    path = where.format(ApplyDate=field_path(spec_copy, ACCEPT, "ApplyDate"))
    edit_yaml(spec_copy, ACCEPT, change)
    problem = expect(spec_problems(spec_copy), ACCEPT, path)
    assert "label" in problem.message  # lists the allowed keys


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: field(d, "ApplyDate").pop("required"), "{ApplyDate}.required"),
        (lambda d: field(d, "ApplyDate").pop("type"), "{ApplyDate}.type"),
        (lambda d: d.pop("table"), "table"),
    ],
    ids=["required", "type", "table"],
)
def test_missing_required_key(spec_copy: Path, change: Callable[[Any], None], where: str) -> None:
    path = where.format(ApplyDate=field_path(spec_copy, ACCEPT, "ApplyDate"))
    edit_yaml(spec_copy, ACCEPT, change)
    only(spec_problems(spec_copy), ACCEPT, path, "缺少")


def test_wrong_value_type(spec_copy: Path) -> None:
    edit_yaml(spec_copy, ACCEPT, lambda d: field(d, "ApplyDate").update(required="yes"))
    path = field_path(spec_copy, ACCEPT, "ApplyDate")
    only(spec_problems(spec_copy), ACCEPT, f"{path}.required", "true", "false")


def test_code_written_as_a_yaml_int(spec_copy: Path) -> None:
    codesets = read_yaml(spec_copy, "codesets.yaml")["codesets"]
    i, j = next(
        (i, j)
        for i, cs in enumerate(codesets)
        for j, code in enumerate(cs["codes"])
        if code["code"] == "01"
    )
    replace_text(spec_copy, "codesets.yaml", "- code: '01'\n", "- code: 01\n")
    problem = expect(spec_problems(spec_copy), "codesets.yaml", f"codes[{j}].code", exact=False)
    assert problem.path.startswith(f"codesets[{i}]")
    assert "引号" in problem.message  # "needs quotes"
    assert "1" in problem.message


def test_condition_value_written_as_a_yaml_int(spec_copy: Path) -> None:
    replace_text(
        spec_copy, ACCEPT, "        values:\n          - '2'\n", "        values:\n          - 2\n"
    )
    path = rule_path(spec_copy, "refusal-reason-required")
    only(spec_problems(spec_copy), ACCEPT, f"{path}.when[0].values[0]", "引号")


def test_yaml_syntax_error_names_the_line(spec_copy: Path) -> None:
    lines = (spec_copy / ACCEPT).read_text(encoding="utf-8").splitlines(keepends=True)
    broken = next(n for n, line in enumerate(lines) if line.startswith("table:"))
    lines[broken] = "table: 表: 3\n"  # "mapping values are not allowed here"
    (spec_copy / ACCEPT).write_text("".join(lines), encoding="utf-8")
    problems = spec_problems(spec_copy)
    assert len(problems) == 1, problems
    assert problems[0].file == f"spec/{ACCEPT}"
    assert problems[0].path.startswith(f"line {broken + 1}, column ")
    assert "YAML" in problems[0].message


def test_repeated_key_is_refused_not_silently_overwritten(spec_copy: Path) -> None:
    lines = (spec_copy / ACCEPT).read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(n for n, line in enumerate(lines) if line.startswith("    type: "))
    lines.insert(at + 1, "    type: String(10)\n")
    (spec_copy / ACCEPT).write_text("".join(lines), encoding="utf-8")
    problems = spec_problems(spec_copy)
    assert len(problems) == 1, problems
    assert problems[0].file == f"spec/{ACCEPT}"
    assert problems[0].path.startswith(f"line {at + 2}, column ")
    assert "duplicate key 'type'" in problems[0].message


def test_empty_file(spec_copy: Path) -> None:
    (spec_copy / ACCEPT).write_text("", encoding="utf-8")
    only(spec_problems(spec_copy), ACCEPT, "(document)")


def test_document_that_is_not_a_mapping(spec_copy: Path) -> None:
    (spec_copy / ACCEPT).write_text("- accept\n", encoding="utf-8")
    only(spec_problems(spec_copy), ACCEPT, "(document)", "mapping")


# ---------------------------------------------------------------- files


def test_record_file_not_listed_in_standard(spec_copy: Path) -> None:
    shutil.copy(spec_copy / ACCEPT, spec_copy / "records" / "accept_v2.yaml")
    only(spec_problems(spec_copy), "records/accept_v2.yaml", "(file)", "standard.yaml")


def test_listed_record_file_missing(spec_copy: Path) -> None:
    (spec_copy / "records" / "receive.yaml").unlink()
    only(spec_problems(spec_copy), "records/receive.yaml", "(file)", "missing")


def test_record_key_differs_from_file_name(spec_copy: Path) -> None:
    edit_yaml(spec_copy, PROCESS, lambda d: d.update(key="progress"))
    only(spec_problems(spec_copy), PROCESS, "key", "'process'")


# ---------------------------------------------------------------- formats


def format_path(spec: Path, format_id: str) -> str:
    formats = read_yaml(spec, "standard.yaml")["formats"]
    return f"formats[{index_of(formats, 'id', format_id)}]<{format_id}>.pattern"


@pytest.mark.parametrize(
    ("pattern", "named"),
    [
        (r"\d{8}-[0-9a-f]{4}", r"\d"),
        (r"[0-9a-f]{8}\s", r"\s"),
        (r"(?P<head>[0-9a-f]{8})", "(?P"),
        (r"(?i)[0-9a-f]{8}", "inline flags"),
        (r"^[0-9a-f]{8}$", "^ or $"),
        (r"[0-9a-f]{8}\Z", r"\Z"),
    ],
)
def test_non_portable_regex_in_a_format(spec_copy: Path, pattern: str, named: str) -> None:
    def change(data: dict[str, Any]) -> None:
        data["formats"][index_of(data["formats"], "id", "uuid")]["pattern"] = pattern

    edit_yaml(spec_copy, "standard.yaml", change)
    only(spec_problems(spec_copy), "standard.yaml", format_path(spec_copy, "uuid"), named)


def test_invalid_regex_in_a_format(spec_copy: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["formats"][index_of(data["formats"], "id", "uuid")]["pattern"] = "[0-9a-f{8}"

    edit_yaml(spec_copy, "standard.yaml", change)
    only(spec_problems(spec_copy), "standard.yaml", format_path(spec_copy, "uuid"))


def test_format_naming_an_undefined_fragment(spec_copy: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["formats"][index_of(data["formats"], "id", "uuid")]["pattern"] = "${no_fragment}"

    edit_yaml(spec_copy, "standard.yaml", change)
    only(spec_problems(spec_copy), "standard.yaml", format_path(spec_copy, "uuid"), "no_fragment")


# ---------------------------------------------------------------- many problems at once


def test_every_shape_problem_is_reported_in_one_error(spec_copy: Path) -> None:
    """Problems found while reading the files, in six different files, all in one SpecError."""
    process_lines = (spec_copy / PROCESS).read_text(encoding="utf-8").splitlines(keepends=True)
    broken = next(n for n, line in enumerate(process_lines) if line.startswith("table:"))
    process_lines[broken] = "table: [表 5\n"
    (spec_copy / PROCESS).write_text("".join(process_lines), encoding="utf-8")
    date = field_path(spec_copy, ACCEPT, "ApplyDate")
    edit_yaml(spec_copy, ACCEPT, lambda d: field(d, "ApplyDate").update(colour="red"))
    edit_yaml(spec_copy, "errata.yaml", lambda d: d["errata"][0].pop("resolution"))
    replace_text(spec_copy, "codesets.yaml", "- code: '01'\n", "- code: 01\n")
    shutil.copy(spec_copy / "records" / "receive.yaml", spec_copy / "records" / "extra.yaml")
    (spec_copy / "records" / "material.yaml").unlink()

    problems = spec_problems(spec_copy)
    errata_id = read_yaml(spec_copy, "errata.yaml")["errata"][0]["id"]
    expect(problems, PROCESS, "line ", "YAML", exact=False)
    expect(problems, ACCEPT, f"{date}.colour")
    expect(problems, "errata.yaml", f"errata[0]<{errata_id}>.resolution", "缺少")
    expect(problems, "codesets.yaml", ".code", "引号", exact=False)
    expect(problems, "records/extra.yaml", "(file)", "standard.yaml")
    expect(problems, "records/material.yaml", "(file)", "missing")
    assert len(problems) == 6, "\n".join(map(str, problems))
    assert [p.file for p in problems] == sorted(p.file for p in problems)  # grouped by file


def test_every_cross_reference_problem_is_reported_in_one_error(spec_copy: Path) -> None:
    """Problems found by the consistency checks, in four different files, all in one SpecError."""
    edit_yaml(spec_copy, ACCEPT, lambda d: field(d, "ApplyType").update(codeset="no_such_set"))
    edit_yaml(spec_copy, PROCESS, lambda d: d["fields"][0].update(type="Date(10)"))

    def bad_format(data: dict[str, Any]) -> None:
        data["formats"][index_of(data["formats"], "id", "uuid")]["pattern"] = r"\d+"

    edit_yaml(spec_copy, "standard.yaml", bad_format)
    alias = add_alias(spec_copy, "accept-applier-spelling", "accept", "ApplyerName", "ApplyDate")

    problems = spec_problems(spec_copy)
    process_first = read_yaml(spec_copy, PROCESS)["fields"][0]["name"]
    expect(problems, ACCEPT, f"{field_path(spec_copy, ACCEPT, 'ApplyType')}.codeset")
    expect(problems, PROCESS, f"fields[0]<{process_first}>.type", "'Date(10)'")
    expect(problems, "standard.yaml", format_path(spec_copy, "uuid"), r"\d")
    expect(problems, "errata.yaml", alias, "'ApplyDate'")
    assert len(problems) == 4, "\n".join(map(str, problems))


def test_broken_standard_still_checks_the_record_files(spec_copy: Path) -> None:
    """An unusable standard.yaml hides no record problems and invents no 'unlisted' ones."""
    edit_yaml(spec_copy, "standard.yaml", lambda d: d["gateway"].update(colour="red"))
    edit_yaml(spec_copy, ACCEPT, lambda d: field(d, "ApplyDate").pop("label"))
    problems = spec_problems(spec_copy)
    expect(problems, "standard.yaml", "gateway.colour")
    expect(problems, ACCEPT, f"{field_path(spec_copy, ACCEPT, 'ApplyDate')}.label", "缺少")
    assert len(problems) == 2, "\n".join(map(str, problems))


# ---------------------------------------------------------------- the command line


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_build_with_a_broken_spec_changes_nothing(spec_copy: Path) -> None:
    root = spec_copy.parent
    runner = CliRunner()
    first = runner.invoke(main, ["--root", str(root), "build"])
    assert first.exit_code == 0, first.output
    generated = snapshot(root / "generated")
    assert "openapi.json" in generated and any(p.startswith("python/") for p in generated)
    spec_before = snapshot(spec_copy)

    edit_yaml(spec_copy, ACCEPT, lambda d: field(d, "ApplyType").update(codeset="no_such_set"))
    edit_yaml(spec_copy, PROCESS, lambda d: d["fields"][0].update(type="Date(10)"))
    broken_spec = snapshot(spec_copy)
    assert broken_spec != spec_before

    for args in (["build"], ["build", "--check"], ["fmt"], ["fmt", "--check"]):
        result = runner.invoke(main, ["--root", str(root), *args])
        assert result.exit_code == 1, (args, result.output)
        assert "2 problem(s)" in result.stderr, args
        assert f"spec/{ACCEPT}: " in result.stderr and "'no_such_set'" in result.stderr, args
        assert f"spec/{PROCESS}: fields[0]<" in result.stderr, args
        assert "'Date(10)'" in result.stderr, args
        assert result.stdout == "", args
        assert snapshot(root / "generated") == generated, args
        assert snapshot(spec_copy) == broken_spec, args  # fmt rewrote nothing either
        # No staging or retired copies of generated/ are left beside it.
        assert sorted(p.name for p in root.iterdir()) == ["generated", "spec"], args


def test_a_broken_record_file_does_not_hide_cross_reference_problems(spec_copy: Path) -> None:
    """One run reports a shape error in one file and a cross-reference error in another."""
    # specialprocedure has an errata alias: its "unknown record" echo must not be reported.
    replace_text(
        spec_copy, "records/specialprocedure.yaml", "required: true", "required: yes please"
    )
    replace_text(spec_copy, ACCEPT, "codeset: service_object", "codeset: no_such_codeset")
    problems = spec_problems(spec_copy)
    files = {p.file for p in problems}
    assert "spec/records/specialprocedure.yaml" in files
    assert any(p.file == f"spec/{ACCEPT}" and "no_such_codeset" in p.message for p in problems)
    assert not any("未知的记录类型" in p.message for p in problems)


def test_an_unknown_key_does_not_hide_the_problems_after_it(spec_copy: Path) -> None:
    """One run reports everything: the unknown key and the later fields' own mistakes."""
    edit_yaml(spec_copy, ACCEPT, lambda d: field(d, "CatalogCode").update(colour="red"))
    edit_yaml(spec_copy, ACCEPT, lambda d: field(d, "TaskName").update(type="Strng(1000)"))
    edit_yaml(spec_copy, ACCEPT, lambda d: field(d, "ApplyType").update(codeset="apply_typ"))
    problems = spec_problems(spec_copy)
    expect(problems, ACCEPT, f"{field_path(spec_copy, ACCEPT, 'CatalogCode')}.colour", "'colour'")
    expect(problems, ACCEPT, f"{field_path(spec_copy, ACCEPT, 'TaskName')}.type", "'Strng(1000)'")
    expect(problems, ACCEPT, f"{field_path(spec_copy, ACCEPT, 'ApplyType')}.codeset")
    assert len(problems) == 3, "\n".join(map(str, problems))


@pytest.mark.parametrize(
    ("name", "attr", "wrong", "suggested"),
    [
        ("ApplyType", "codeset", "apply_typ", "'apply_type'"),
        ("TaskName", "type", "Strng(1000)", "'String(1000)'"),
        ("ApplyDate", "type", "Datetime", "'DateTime'"),
        ("TaskVersion", "type", "int(10)", "'Int(10)'"),
        ("ProjectNo", "format", "project_num", "'project_no'"),
        ("ContactMobile", "domain", "mobil", "'mobile'"),
        ("Legal", "codest", "x", "'codeset'"),
    ],
)
def test_unknown_names_get_a_did_you_mean(
    spec_copy: Path, name: str, attr: str, wrong: str, suggested: str
) -> None:
    edit_yaml(spec_copy, ACCEPT, lambda d: field(d, name).update({attr: wrong}))
    problems = spec_problems(spec_copy)
    path = f"{field_path(spec_copy, ACCEPT, name)}.{attr}"
    problem = expect(problems, ACCEPT, path, f"did you mean {suggested}?", "是否应为")
    assert repr(attr if attr == "codest" else wrong) in problem.message


def test_no_suggestion_when_nothing_is_close(spec_copy: Path) -> None:
    edit_yaml(spec_copy, ACCEPT, lambda d: field(d, "ApplyType").update(codeset="zzzzzz"))
    problems = spec_problems(spec_copy)
    path = f"{field_path(spec_copy, ACCEPT, 'ApplyType')}.codeset"
    assert "did you mean" not in expect(problems, ACCEPT, path).message


def test_former_label_must_not_be_a_current_label(spec_copy: Path) -> None:
    edit_yaml(spec_copy, ACCEPT, lambda d: field(d, "Legal").update(former_labels=["申请时间"]))
    path = f"{field_path(spec_copy, ACCEPT, 'Legal')}.former_labels[0]"
    only(spec_problems(spec_copy), ACCEPT, path, "'申请时间'", "ApplyDate")


def test_editors_rule_needs_a_reason_and_a_quote_needs_lines(spec_copy: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        rules = data["rules"]
        rules[index_of(rules, "id", "accept-not-before-apply")].pop("reason")
        rules[index_of(rules, "id", "refusal-reason-required")].pop("lines")

    edit_yaml(spec_copy, ACCEPT, change)
    problems = spec_problems(spec_copy)
    rules = read_yaml(spec_copy, ACCEPT)["rules"]
    at = index_of(rules, "id", "accept-not-before-apply")
    expect(problems, ACCEPT, f"rules[{at}]<accept-not-before-apply>.reason", "理由")
    at = index_of(rules, "id", "refusal-reason-required")
    expect(problems, ACCEPT, f"rules[{at}]<refusal-reason-required>.lines", "行号")
    assert len(problems) == 2, "\n".join(map(str, problems))


def test_a_reversal_names_edition_previous_decision_and_reason(spec_copy: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        errata = data["errata"]
        errata[index_of(errata, "id", "legal-condition-vs-codesets")].pop("reversal_reason")

    edit_yaml(spec_copy, "errata.yaml", change)
    at = index_of(
        read_yaml(spec_copy, "errata.yaml")["errata"], "id", "legal-condition-vs-codesets"
    )
    only(
        spec_problems(spec_copy),
        "errata.yaml",
        f"errata[{at}]<legal-condition-vs-codesets>",
        "改判",
    )
