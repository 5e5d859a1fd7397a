"""The rule decisions of issue 13, each tested on the standard's own examples (7.x.6).

The printed examples are placeholders and fail many checks (see the errata), so each
test looks only at the problems of the rule it is about.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

from printed_examples import printed_records

from codegen.build import Rendered
from codegen.model.types import Model


def _rules(pkg: ModuleType, key: str, record: dict[str, Any], profile: str) -> set[str]:
    normalized = pkg.normalize(key, record).record
    return {p.rule for p in pkg.validate(key, normalized, profile=profile)}


def _example(pkg: ModuleType, key: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(json.dumps(pkg.EXAMPLES[key]))
    return record


# ---------------------------------------------------------------- Legal (L256)


def test_uscc_certificate_alone_does_not_require_legal(pkg: ModuleType) -> None:
    """7.2.6 sends a 行政机关 (ApplyerType 6) holding a 统一社会信用代码 (type 1): L256
    names only 营业执照, so without Legal the record breaks no Legal rule."""
    for record in printed_records("7.2.6"):
        record = {k: v for k, v in record.items() if k != "Legal"}
        for profile in ("standard", "strict"):
            assert "legal-required-for-legal-persons" not in _rules(pkg, "accept", record, profile)
        for business_licence in ("3", "821", "1^821"):
            record["ApplyerPageType"] = business_licence
            assert "legal-required-for-legal-persons" in _rules(pkg, "accept", record, "standard")


# ---------------------------------------------------------------- EndTime / Result (L870, L871)


def test_end_time_without_result_passes_the_standard_profile(pkg: ModuleType) -> None:
    for record in printed_records("7.5.6"):
        assert record["EndTime"] and record["Result"]  # the text's examples fill both
        without_result = {k: v for k, v in record.items() if k != "Result"}
        assert "result-with-end-time" not in _rules(
            pkg, "specialprocedure", without_result, "standard"
        )
        assert "result-with-end-time" in _rules(pkg, "specialprocedure", without_result, "strict")
        without_end = {k: v for k, v in record.items() if k != "EndTime"}
        assert "end-time-with-result" in _rules(pkg, "specialprocedure", without_end, "standard")


def test_schema_does_not_require_result_after_end_time(rendered: Rendered, pkg: ModuleType) -> None:
    import jsonschema

    doc = json.loads(rendered.files["jsonschema/specialprocedure.schema.json"])
    record = _example(pkg, "specialprocedure")
    del record["Result"]
    assert record.get("EndTime")
    assert list(jsonschema.Draft202012Validator(doc).iter_errors(record)) == []
    assert pkg.validate("specialprocedure", record) == []
    assert [p.rule for p in pkg.validate("specialprocedure", record, profile="strict")] == [
        "result-with-end-time"
    ]


# ---------------------------------------------------------------- ProjectNo prefix (L242)


def test_printed_project_no_gets_a_prefix_warning_not_an_error(pkg: ModuleType) -> None:
    """7.2.6's ProjectNo "2" begins with neither TaskCode "5" nor LocalTaskCode "1"."""
    for record in printed_records("7.2.6"):
        normalized = pkg.normalize("accept", record).record
        problems = pkg.validate("accept", normalized, profile="strict")
        prefix = [p for p in problems if p.rule == "project-no-begins-with-task-code"]
        assert [(p.field, p.severity) for p in prefix] == [("ProjectNo", "warning")]
        assert not [p for p in pkg.errors(problems) if p.code == "prefix"]


def test_project_no_may_begin_with_either_implementation_code(pkg: ModuleType) -> None:
    record = _example(pkg, "accept")
    national, local = "11440000MB2D0461X44442011800001", "11440100MB2D0461X44442011800009"
    serial = record["ProjectNo"][31:]
    for task_code, local_code, project_no, warned in [
        (national, local, national + serial, False),
        (national, local, local + serial, False),
        (None, local, local + serial, False),
        (None, local, national + serial, True),
        (national, local, "44" * 15 + "4" + serial, True),
    ]:
        record.update(TaskCode=task_code, LocalTaskCode=local_code, ProjectNo=project_no)
        if task_code is None:
            del record["TaskCode"]
        problems = pkg.validate("accept", record, profile="strict")
        assert [p.code for p in problems] == (["prefix"] if warned else []), project_no
        assert pkg.errors(problems) == []


# ---------------------------------------------------------------- reversals are recorded


def test_each_reversal_is_recorded_with_its_reason(model: Model, rendered: Rendered) -> None:
    reversed_ = {e.id: e for e in model.errata if e.reversed_in is not None}
    assert {
        "legal-condition-vs-codesets",
        "specialprocedure-result-with-end-time",
        "projectno-implementation-code",
    } <= set(reversed_)
    page = str(rendered.files["docs/index.html"])
    for erratum in reversed_.values():
        assert erratum.reversed_in is not None and erratum.reversed_in <= model.edition
        assert erratum.previously and erratum.reversal_reason
        section = page[page.index(f'id="erratum-{erratum.id}"') :]
        section = section[: section.index("</section>")]
        assert f"改判（第 {erratum.reversed_in} 版转录）" in section
    assert model.edition >= 2


# ---------------------------------------------------------------- "ProjectCo": "" (L347, L408, L459)


def test_printed_empty_optional_values_are_accepted(pkg: ModuleType, rendered: Rendered) -> None:
    import jsonschema

    schema = json.loads(rendered.files["jsonschema/accept.schema.json"])
    validator = jsonschema.Draft202012Validator(schema)
    for record in printed_records("7.2.6"):
        assert record["ProjectCo"] == ""
        normalized = pkg.normalize("accept", record).record
        for profile in ("gateway", "standard", "strict"):
            fields = {p.field for p in pkg.validate("accept", normalized, profile=profile)}
            assert not fields & {"ProjectCo", "BSLYY"}, profile
        flagged = {e.path[0] for e in validator.iter_errors(normalized) if e.path}
        assert not flagged & {"ProjectCo", "BSLYY"}
    # A required field's "" is still missing.
    record = _example(pkg, "accept")
    record["SystemName"] = ""
    assert [p.code for p in pkg.validate("accept", record)] == ["required"]


# ---------------------------------------------------------------- Int(10), Long(20)


def test_int_is_32_bit_and_non_negative_only_in_strict(pkg: ModuleType, model: Model) -> None:
    assert any(s.id == "int-width" and "INT(10)" in s.text for s in model.semantics)
    cases = [
        ("accept", "TaskVersion", "task-version-non-negative", 2**31 - 1),
        ("specialprocedure", "TBCXSX", "time-limit-non-negative", 2**31 - 1),
        ("reconciliation", "Cd_count", "count-non-negative", 2**63 - 1),
    ]
    for key, name, rule, largest in cases:
        record = _example(pkg, key)
        record[name] = -1
        assert pkg.validate(key, record) == [], name  # the text does not forbid it
        problems = pkg.validate(key, record, profile="strict")
        assert [(p.field, p.code, p.rule) for p in problems] == [(name, "negative", rule)]
        record[name] = largest
        assert pkg.validate(key, record, profile="strict") == [], name
        record[name] = largest + 1
        assert [p.code for p in pkg.validate(key, record)] == ["maximum"], name
        record[name] = 0
        assert pkg.validate(key, record, profile="strict") == [], name


def test_printed_task_version_is_a_json_integer(pkg: ModuleType) -> None:
    for record in printed_records("7.2.6"):
        assert record["TaskVersion"] == 1
        normalized = pkg.normalize("accept", record).record
        problems = pkg.validate("accept", normalized, profile="strict")
        assert not [p for p in problems if p.field == "TaskVersion"]
