"""The generated validators, dataclasses and normalize() behave as the spec says."""

from __future__ import annotations

import copy
import dataclasses
from datetime import datetime, timedelta, timezone
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codegen.model import Model

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=12,
)


def example(pkg: ModuleType, key: str) -> dict[str, Any]:
    return copy.deepcopy(pkg.EXAMPLES[key])


def codes(pkg: ModuleType, key: str, record: dict[str, Any]) -> set[tuple[str | None, str]]:
    return {(p.field, p.code) for p in pkg.validate(key, record)}


def test_examples_are_valid(pkg: ModuleType, model: Model) -> None:
    for record in model.records:
        assert pkg.validate(record.key, pkg.EXAMPLES[record.key]) == [], record.key


def test_examples_round_trip_through_dataclasses(pkg: ModuleType, model: Model) -> None:
    for record in model.records:
        cls = pkg.RECORD_TYPES[record.key]
        obj = cls.from_dict(pkg.EXAMPLES[record.key])
        assert obj.to_dict() == pkg.EXAMPLES[record.key]
        assert obj.problems() == []


def test_dataclass_types(pkg: ModuleType) -> None:
    record = pkg.AcceptRecord.from_dict(example(pkg, "accept"))
    assert record.applyer_type is pkg.ServiceObject.NATURAL_PERSON
    assert record.applyer_type.label == "自然人"
    assert record.applyer_page_type == (pkg.CertificateType("111"),)
    assert record.apply_date == datetime(2019, 6, 20, 9, 30)
    assert isinstance(record.task_version, int)


def test_aware_datetimes_are_sent_in_beijing_time(pkg: ModuleType) -> None:
    record = pkg.AcceptRecord.from_dict(example(pkg, "accept"))
    utc = datetime(2019, 6, 20, 1, 30, tzinfo=timezone.utc)
    changed = dataclasses.replace(record, apply_date=utc)
    assert changed.to_dict()["ApplyDate"] == "2019-06-20 09:30:00"
    assert pkg.records.format_datetime(datetime(5, 1, 2, 3, 4, 5)) == "0005-01-02 03:04:05"
    minus = timezone(timedelta(hours=-5))
    assert (
        pkg.records.format_datetime(datetime(2019, 12, 31, 12, 0, tzinfo=minus))
        == "2020-01-01 01:00:00"
    )


def test_from_dict_refuses_invalid_records_with_every_problem(pkg: ModuleType) -> None:
    bad = example(pkg, "accept")
    del bad["RowGuid"]
    bad["ApplyType"] = "12"
    with pytest.raises(pkg.InvalidRecordError) as info:
        pkg.AcceptRecord.from_dict(bad)
    assert {p.field for p in info.value.problems} == {"RowGuid", "ApplyType"}
    assert "RowGuid（记录唯一标识）" in str(info.value)


@pytest.mark.parametrize(
    ("key", "field", "value", "code"),
    [
        ("accept", "RowGuid", None, "required"),
        ("accept", "RowGuid", "", "required"),
        ("accept", "RowGuid", "not-a-uuid", "format"),
        ("accept", "RowGuid", 12, "type"),
        ("accept", "TaskName", "事" * 1001, "max_length"),
        ("accept", "TaskVersion", True, "type"),
        ("accept", "TaskVersion", 1.0, "type"),
        ("accept", "TaskVersion", "1", "type"),
        ("accept", "TaskVersion", 2**31, "maximum"),
        ("accept", "TaskVersion", -(2**31) - 1, "minimum"),
        ("accept", "ApplyType", "12", "code"),
        ("accept", "ContactType", "1^111", "code"),
        ("accept", "ApplyDate", "2023-02-29 10:00:00", "datetime"),
        ("accept", "ApplyDate", "2024-04-31 10:00:00", "datetime"),
        ("accept", "ApplyDate", "2019-06-20 24:00:00", "datetime"),
        ("accept", "ApplyDate", "2019-6-20 10:00:00", "datetime"),
        ("accept", "ApplyDate", "２０１９-06-20 10:00:00", "datetime"),
        ("accept", "ApplyDate", "2019-06-20 10:00:00\n", "datetime"),
        ("accept", "ProjectNo", "1" * 31 + "20190230" + "0001", "format"),
        ("accept", "ProjectNo", "1" * 31 + "20190620" + "00_1", "format"),
        ("accept", "TaskHandleItem", "1" * 31 + "00", "format"),
        ("accept", "Cd_Batch", "11440000MB2D0461X4" + "20190620" + "00000", "format"),
        ("accept", "ProjectCo", "2019-440106-70-03-00001", "format"),
        ("accept", "OrgCode", "11440000MB2D0461XI", "format"),
        ("accept", "RegionCode", "44010", "format"),
        ("accept", "Cd_Operation", "i", "code"),
        ("result", "Charge", True, "type"),
        ("result", "Charge", float("inf"), "type"),
        ("result", "Charge", 1e16, "maximum"),
        ("result", "MonetaryUnitCode", "cny", "format"),
        ("correction", "BZCLQD", "a;;b", "list_part"),
        ("reconciliation", "Cd_count", "10", "type"),
        ("reconciliation", "Table_name", "up_pro_unknown_v3", "code"),
    ],
)
def test_each_check_reports_its_field_and_code(
    pkg: ModuleType, key: str, field: str, value: object, code: str
) -> None:
    record = example(pkg, key)
    record[field] = value
    problems = pkg.validate(key, record)
    assert [(p.field, p.code) for p in problems] == [(field, code)]
    label = next(f.label for f in pkg.spec.FIELDS[key] if f.wire_name == field)
    assert f"{field}（{label}）" in problems[0].message


def test_leap_days(pkg: ModuleType) -> None:
    for date, ok in [
        ("2024-02-29", True),
        ("2000-02-29", True),
        ("1900-02-29", False),
        ("2023-02-29", False),
    ]:
        record = example(pkg, "accept")
        record["ApplyDate"] = f"{date} 08:00:00"
        assert (pkg.validate("accept", record) == []) is ok, date


def test_optional_empty_string_is_absent(pkg: ModuleType) -> None:
    """As 7.2.6 sends "ProjectCo": "" (erratum example-empty-optional): no format, code,
    type or domain check applies, in any profile, and from_dict() gives None."""
    record = example(pkg, "accept")
    for name in ("ProjectCo", "ContactType", "TaskHandleItem", "PromiseDate", "ContactMobile"):
        record[name] = ""
    for profile in ("gateway", "standard", "strict"):
        assert pkg.validate("accept", record, profile=profile) == [], profile
    built = pkg.AcceptRecord.from_dict(record)
    assert built.project_co is None and built.contact_type is None
    assert "ProjectCo" not in built.to_dict()
    result = example(pkg, "result")
    result["Charge"] = ""
    assert pkg.validate("result", result, profile="strict") == []
    assert pkg.ResultRecord.from_dict(result).charge is None


def test_optional_null_is_absent(pkg: ModuleType) -> None:
    record = example(pkg, "accept")
    record["CatalogCode"] = None
    record["ProjectCo"] = None
    assert pkg.validate("accept", record) == []
    del record["CatalogCode"]
    assert pkg.validate("accept", record) == []


def test_unknown_fields_are_reported_with_a_hint(pkg: ModuleType) -> None:
    record = example(pkg, "accept")
    record["acceptDate"] = record.pop("AcceptDate")
    record["Extra"] = 1
    problems = pkg.validate("accept", record)
    assert codes(pkg, "accept", record) == {
        ("acceptDate", "unknown_field"),
        ("Extra", "unknown_field"),
        ("AcceptDate", "required"),
    }
    hint = next(p for p in problems if p.field == "acceptDate")
    assert "AcceptDate" in hint.message


def test_rule_refusal_reason(pkg: ModuleType) -> None:
    record = example(pkg, "accept")
    del record["BSLYY"]
    assert pkg.validate("accept", record) == []  # SLZTDM is 1
    for status in ("2", "4"):
        record["SLZTDM"] = status
        assert codes(pkg, "accept", record) == {("BSLYY", "required_if")}
    record["BSLYY"] = ""
    assert codes(pkg, "accept", record) == {("BSLYY", "required_if")}


def test_rule_legal(pkg: ModuleType) -> None:
    record = example(pkg, "accept")
    del record["Legal"]
    assert pkg.validate("accept", record) == []  # a natural person with an ID card
    for applyer_type in ("2", "3", "4"):
        record["ApplyerType"] = applyer_type
        problems = pkg.validate("accept", record)
        assert [(p.field, p.code, p.rule) for p in problems] == [
            ("Legal", "required_if", "legal-required-for-legal-persons")
        ]
    record["ApplyerType"] = "1"
    record["ApplyerPageType"] = "111^821"
    record["ApplyerPageCode"] = "440106199001011235^91440101MA59ABCDEM"
    assert codes(pkg, "accept", record) == {("Legal", "required_if")}
    record["ApplyerPageType"] = "111^3"
    assert codes(pkg, "accept", record) == {("Legal", "required_if")}
    # 统一社会信用代码 (1) is not 营业执照 (L256): it alone does not require Legal.
    record["ApplyerPageType"] = "111^1"
    assert pkg.validate("accept", record) == []
    record["Legal"] = "王五"
    assert pkg.validate("accept", record) == []


def test_rule_paired_lists(pkg: ModuleType) -> None:
    record = example(pkg, "accept")
    record["ApplyerPageType"] = "111^1"
    assert codes(pkg, "accept", record) == {("ApplyerPageCode", "paired_lists")}
    result = example(pkg, "result")
    result["ResultCetrNo"] = "a^b"
    assert codes(pkg, "result", result) == {("ResultCetrNo", "paired_lists")}


def test_rule_handle_explain(pkg: ModuleType) -> None:
    record = example(pkg, "process")
    del record["HandleExplain"]
    assert codes(pkg, "process", record) == {("HandleExplain", "required_if")}
    del record["EventEndTime"]
    assert pkg.validate("process", record) == []


def test_rule_material_url(pkg: ModuleType) -> None:
    record = example(pkg, "material")
    del record["GetMaterialURL"]
    assert pkg.validate("material", record) == []  # GetType 1: paper
    for get_type in ("2", "3"):
        record["GetType"] = get_type
        assert codes(pkg, "material", record) == {("GetMaterialURL", "required_if")}


def test_rule_special_procedure_end(pkg: ModuleType) -> None:
    record = example(pkg, "specialprocedure")
    del record["EndTime"]
    assert codes(pkg, "specialprocedure", record) == {("EndTime", "required_if")}
    del record["Result"]
    assert pkg.validate("specialprocedure", record) == []
    record["EndTime"] = "2019-06-21 10:00:00"
    # Result after EndTime is the editors' rule (result-with-end-time): strict only.
    assert pkg.validate("specialprocedure", record) == []
    problems = pkg.validate("specialprocedure", record, profile="strict")
    assert [(p.field, p.code, p.rule) for p in problems] == [
        ("Result", "required_if", "result-with-end-time")
    ]


def test_every_rule_has_a_failing_case_above(model: Model) -> None:
    """Keeps this module honest: a new rule in the spec needs a test here."""
    tested = {
        "refusal-reason-required",
        "legal-required-for-legal-persons",
        "applyer-certificates-paired",
        "result-certificates-paired",
        "handle-explain-required-when-ended",
        "material-url-required",
        "end-time-with-result",
        "result-with-end-time",
        # strict-profile rules: failing cases in test_strict.py
        "applyer-certificate-numbers",
        "contact-certificate-number",
        "receiver-certificate-number",
        "accept-not-before-apply",
        "promise-not-before-accept",
        "event-end-not-before-start",
        "end-not-before-special-time",
        "accept-not-before-inform",
        "project-no-date-is-apply-date",
        "project-no-begins-with-task-code",
        # non-negative integers (editors' strict rules): test_rule_decisions.py
        "task-version-non-negative",
        "time-limit-non-negative",
        "count-non-negative",
    }
    assert {rule.id for r in model.records for rule in r.rules} == tested


@pytest.mark.parametrize("value", [None, [], "x", 1, [{"RowGuid": 1}], {1: 2}, {None: [1]}])
def test_not_an_object(pkg: ModuleType, value: object) -> None:
    for key in pkg.RECORD_KEYS:
        problems = pkg.validate(key, value)
        assert problems, (key, value)


def test_unknown_record_type_raises(pkg: ModuleType) -> None:
    with pytest.raises(ValueError, match="bogus"):
        pkg.validate("bogus", {})


@given(
    key=st.sampled_from(
        [
            "accept",
            "process",
            "result",
            "specialprocedure",
            "material",
            "correction",
            "receive",
            "reconciliation",
        ]
    ),
    value=JSON,
)
def test_validate_never_raises(pkg: ModuleType, key: str, value: object) -> None:
    problems = pkg.validate(key, value, profile="strict", length_unit="utf8")
    assert isinstance(problems, list)
    assert all(isinstance(p, pkg.Problem) and p.message for p in problems)


@given(data=st.data())
def test_mutated_examples_never_raise(pkg: ModuleType, model: Model, data: st.DataObject) -> None:
    record = data.draw(st.sampled_from(model.records))
    mutated = example(pkg, record.key)
    for name in data.draw(st.lists(st.sampled_from(record.wire_names), max_size=4)):
        mutated[name] = data.draw(JSON)
    for profile in ("gateway", "standard", "strict"):
        problems = pkg.validate(record.key, mutated, profile=profile)
        assert all(p.field is None or isinstance(p.field, str) for p in problems)


def test_normalize_maps_case_and_aliases(pkg: ModuleType) -> None:
    raw = {
        "rowGuid": "x",
        "ApplierName": "张三",
        "ApplyUserIdCode": "u",
        "TABLE": 1,
        "TaskName": "t",
    }
    result = pkg.normalize("accept", raw)
    assert result.record == {
        "RowGuid": "x",
        "ApplyerName": "张三",
        "ApplyUerIdCode": "u",
        "TABLE": 1,
        "TaskName": "t",
    }
    reasons = {r.source: r.erratum for r in result.renamed}
    assert reasons["rowGuid"] is None
    assert reasons["ApplierName"] == "accept-applier-spelling"
    assert reasons["ApplyUserIdCode"] == "accept-applyuseridcode-spelling"
    recon = pkg.normalize(
        "reconciliation",
        {"Table_Name": "up_pro_accept_v3", "Cd_Batch": "b", "Cd_Count": 1, "Cd_Time": "t"},
    )
    assert set(recon.record) == {"Table_name", "Cd_batch", "Cd_count", "Cd_time"}


def test_normalize_keeps_conflicts_for_the_validator(pkg: ModuleType) -> None:
    record = example(pkg, "accept")
    record["acceptDate"] = "2019-06-20 09:30:00"
    result = pkg.normalize("accept", record)
    assert result.conflicts == ("acceptDate",)
    assert codes(pkg, "accept", result.record) == {("acceptDate", "unknown_field")}


def test_normalized_standard_examples_only_fail_for_recorded_errata(pkg: ModuleType) -> None:
    """7.2.6's batch example uses Applier* spellings: after normalize() they are canonical."""
    example_from_standard = {
        "ApplierName": "123",
        "ApplierPageCode": "123",
        "ApplierPageType": "1",
        "ApplierType": "6",
    }
    result = pkg.normalize("accept", example_from_standard)
    assert set(result.record) == {
        "ApplyerName",
        "ApplyerPageCode",
        "ApplyerPageType",
        "ApplyerType",
    }
