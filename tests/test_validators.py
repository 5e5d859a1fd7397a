"""The generated validators, dataclasses and normalize() behave as the spec says."""

from __future__ import annotations

import copy
import dataclasses
import string
from datetime import datetime, timedelta, timezone
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import agreement
from agreement import exception_for
from codegen.build import Rendered
from codegen.model.builder import build_model
from codegen.model.types import (
    CertificateNumber,
    EmbeddedDate,
    Field,
    Model,
    NonNegative,
    NotBefore,
    PairedLists,
    Prefix,
    RequiredIf,
)
from codegen.spec.loader import load_spec
from conftest import SPEC_DIR

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


# Every rule of the spec gets a failing case built from its kind and its fields, and a passing
# one; a rule of a new kind fails here until a case is written for that kind.
SPEC_MODEL = build_model(load_spec(SPEC_DIR))
RULES = [(record.key, rule) for record in SPEC_MODEL.records for rule in record.rules]
WRONG_ID_NUMBER = "440106199001011234"  # GB 11643 check digit should be 5
RIGHT_ID_NUMBER = "440106199001011235"
WRONG_USCC = "11440000MB2D0461X5"  # GB 32100 check character should be 4
RIGHT_USCC = "11440000MB2D0461X4"
DATETIME = "%Y-%m-%d %H:%M:%S"


def _value(record: dict[str, Any], f: Field) -> Any:
    return record.get(f.wire_name, f.example)


def _next_char(c: str) -> str:
    alphabet = "0123456789" if c.isdigit() else string.ascii_uppercase
    return alphabet[(alphabet.index(c.upper()) + 1) % len(alphabet)]


def rule_cases(rule: Any, base: dict[str, Any]) -> list[tuple[str, dict[str, Any], bool]]:
    """(profile, record, fails) cases of ``rule``, each a changed copy of ``base``."""
    cases: list[tuple[str, dict[str, Any], bool]] = []

    def case(profile: str, fails: bool, **changes: Any) -> None:
        record = copy.deepcopy(base)
        for name, value in changes.items():
            if value is None:
                record.pop(name, None)
            else:
                record[name] = value
        cases.append((profile, record, fails))

    if isinstance(rule, RequiredIf):
        target = rule.field.wire_name
        for condition in rule.when:  # each condition on its own makes the field required
            name = condition.field.wire_name
            value = condition.values[0] if condition.values else _value(base, condition.field)
            case(rule.profile, True, **{name: value, target: None})
            case(rule.profile, True, **{name: value, target: ""})
            case(rule.profile, False, **{name: value, target: _value(base, rule.field)})
    elif isinstance(rule, PairedLists):
        (a, b), sep = rule.fields, rule.separator
        two_a = f"{_value(base, a)}{sep}{_value(base, a)}"
        case(rule.profile, True, **{a.wire_name: two_a})
        case(
            rule.profile,
            False,
            **{a.wire_name: two_a, b.wire_name: sep.join([_value(base, b)] * 2)},
        )
    elif isinstance(rule, CertificateNumber):
        kind, number = (f.wire_name for f in rule.fields)
        for types, wrong, right in (
            (rule.id_types, WRONG_ID_NUMBER, RIGHT_ID_NUMBER),
            (rule.uscc_types, WRONG_USCC, RIGHT_USCC),
        ):
            for code in types:
                case(rule.profile, True, **{kind: code, number: wrong})
                case(rule.profile, False, **{kind: code, number: right})
    elif isinstance(rule, NotBefore):
        earlier, later = (f.wire_name for f in rule.fields)
        start = datetime.strptime(_value(base, rule.fields[0]), DATETIME)
        before = (start - timedelta(seconds=1)).strftime(DATETIME)
        case(rule.profile, True, **{earlier: start.strftime(DATETIME), later: before})
        case(
            rule.profile,
            False,
            **{earlier: start.strftime(DATETIME), later: start.strftime(DATETIME)},
        )
    elif isinstance(rule, EmbeddedDate):
        dated = rule.fields[1]
        moved = datetime.strptime(_value(base, dated), DATETIME) + timedelta(days=1)
        case(rule.profile, True, **{dated.wire_name: moved.strftime(DATETIME)})
        case(rule.profile, False)
    elif isinstance(rule, Prefix):
        for prefix in rule.prefixes:
            value = _value(base, prefix)
            others = {p.wire_name: None for p in rule.prefixes if p is not prefix}
            case(
                rule.profile,
                True,
                **{prefix.wire_name: value[:-1] + _next_char(value[-1])},
                **others,
            )
            case(rule.profile, False, **{prefix.wire_name: value}, **others)
    elif isinstance(rule, NonNegative):
        for f in rule.fields:
            case(rule.profile, True, **{f.wire_name: -1})
            case(rule.profile, False, **{f.wire_name: 0})
    return cases


@pytest.mark.parametrize(("key", "rule"), RULES, ids=[f"{k}:{r.id}" for k, r in RULES])
def test_each_rule_has_a_failing_case(pkg: ModuleType, key: str, rule: Any) -> None:
    cases = rule_cases(rule, example(pkg, key))
    assert any(fails for _, _, fails in cases), f"no failing case for rules of kind {rule.kind}"
    for profile, record, fails in cases:
        problems = pkg.validate(key, record, profile=profile)
        by_rule = [p for p in problems if p.rule == rule.id]
        changed = {
            n: record.get(n)
            for n in record.keys() | example(pkg, key).keys()
            if record.get(n) != example(pkg, key).get(n)
        }
        assert bool(by_rule) is fails, (
            profile,
            changed,
            [(p.field, p.code, p.rule) for p in problems],
        )
        expected = "warning" if isinstance(rule, Prefix) else "error"
        assert all(p.severity == expected and p.field for p in by_rule)
        if fails and profile == "strict":  # a strict-only rule: the standard profile lets it pass
            assert not [p for p in pkg.validate(key, record) if p.rule == rule.id]


@pytest.mark.parametrize("value", [None, [], "x", 1, [{"RowGuid": 1}], {1: 2}, {None: [1]}])
def test_not_an_object(pkg: ModuleType, value: object) -> None:
    for key in pkg.RECORD_KEYS:
        problems = pkg.validate(key, value)
        assert problems, (key, value)


def test_unknown_record_type_raises(pkg: ModuleType) -> None:
    with pytest.raises(ValueError, match="bogus"):
        pkg.validate("bogus", {})


RULE_IDS = {rule.id for _, rule in RULES}


@pytest.fixture(scope="module")
def field_schemas(rendered: Rendered) -> dict[tuple[str, str], Any]:
    return agreement.field_schemas(rendered)


def check_against_the_schemas(
    pkg: ModuleType, model: Model, field_schemas: dict[tuple[str, str], Any], key: str, value: Any
) -> list[Any]:
    """Asserts what validate() must say about ``value``, with oracles independent of it:
    the JSON Schema of each field (another target, checked by the jsonschema package) and
    the record's field list. Returns the standard profile's problems."""
    by_profile = {p: pkg.validate(key, value, profile=p) for p in ("gateway", "standard", "strict")}
    seen = [{(p.field, p.code, p.rule) for p in by_profile[name]} for name in by_profile]
    assert seen[0] <= seen[1] <= seen[2]  # each profile checks what the one before it does
    problems = by_profile["standard"]
    if not isinstance(value, dict):
        assert [(p.field, p.code) for p in problems] == [(None, "not_object")]
        return problems
    record = model.record(key)
    unknown = [p.field for p in problems if p.code == "unknown_field"]
    extra = set(value) - set(record.wire_names)
    # A key over 60 characters, or one UTF-8 cannot encode, is named escaped and shortened.
    assert len(unknown) == len(extra)
    assert {
        k for k in extra if len(k) <= 60 and not any("\ud800" <= c <= "\udfff" for c in k)
    } <= set(unknown)
    for f in record.fields:
        name = f.wire_name
        own = [p for p in problems if p.field == name and p.rule not in RULE_IDS]
        if name not in value:
            assert [p.code for p in own] == (["required"] if f.required else []), name
            continue
        if field_schemas[(key, name)].is_valid(value[name]):
            assert all(exception_for(model, key, p, value) for p in own), (name, own)
        else:
            assert own, (name, value[name])
    return problems


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
def test_validate_never_raises(
    pkg: ModuleType,
    model: Model,
    field_schemas: dict[tuple[str, str], Any],
    key: str,
    value: object,
) -> None:
    problems = pkg.validate(key, value, profile="strict", length_unit="utf8")
    assert all(isinstance(p, pkg.Problem) and p.message for p in problems)
    check_against_the_schemas(pkg, model, field_schemas, key, value)


@given(data=st.data())
def test_mutated_examples_never_raise(
    pkg: ModuleType, model: Model, field_schemas: dict[tuple[str, str], Any], data: st.DataObject
) -> None:
    record = data.draw(st.sampled_from(model.records))
    mutated = example(pkg, record.key)
    names = data.draw(st.lists(st.sampled_from(record.wire_names), max_size=4))
    for name in names:
        mutated[name] = data.draw(JSON)
    problems = check_against_the_schemas(pkg, model, field_schemas, record.key, mutated)
    # Only the changed fields, and fields sharing a rule with one of them, have problems.
    linked = set(names)
    for rule in record.rules:
        fields = {f.wire_name for f in rule_fields(rule)}
        if fields & set(names):
            linked |= fields
    assert {p.field for p in problems} <= linked, (names, [(p.field, p.code) for p in problems])
    if not names:
        assert problems == []


def rule_fields(rule: Any) -> list[Field]:
    if isinstance(rule, RequiredIf):
        return [rule.field, *(c.field for c in rule.when)]
    return list(rule.fields)


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


# The three accept records of 7.2.6 as the standard prints them (the single request body and
# the two of the batch body), key for key and value for value.
STANDARD_726_SINGLE: dict[str, Any] = {
    "AcceptDate": "2019-06-20 16:24:36",
    "AcceptDocNo": "123",
    "Address": "123",
    "ApplyChannel": "1",
    "ApplyDate": "2019-06-20 16:24:36",
    "ApplyForm": "123",
    "ApplyType": "12",
    "ApplyUserIdCode": "申请人统一身份认证平台账号(2000)",
    "ApplyerName": "123",
    "ApplyerPageCode": "123",
    "ApplyerPageType": "1",
    "ApplyerType": "6",
    "CatalogCode": "123",
    "Cd_Batch": "4",
    "Cd_Operation": "13",
    "Cd_Time": "2019-06-21 00:00:36",
    "ContactCode": "12",
    "ContactMobile": "13",
    "ContactName": "14",
    "ContactType": "12",
    "ContactUserIdCode": "联系人统一身份认证平台账号(2000)",
    "DetailURL": "DetailURL",
    "HandleUserName": "2",
    "Legal": "1",
    "LocalCatalogCode": "1",
    "LocalTaskCode": "1",
    "OrgCode": "03",
    "OrgName": "05",
    "SLZTDM": "1",
    "BSLYY": "",
    "ProjectCo": "",
    "ProDataOrgCode": "2",
    "ProDataOrgName": "1",
    "ProDataRegionCode": "3",
    "ProjectName": "4",
    "ProjectNo": "2",
    "ProjectType": "5",
    "PromiseDate": "2019-06-20 16:24:36",
    "RegionCode": "1",
    "RowGuid": "4d239bbe-781c-49d3-bfad-6e13ac738f4d",
    "SBLSH": "123",
    "TargetOrgName": "3",
    "TaskCode": "5",
    "TaskHandleItem": "7",
    "TaskName": "事项名称小于 1000",
    "TaskVersion": 1,
    "ZipCode": "1",
}
_BATCH_COMMON = {k: v for k, v in STANDARD_726_SINGLE.items() if k not in ("SLZTDM", "BSLYY")}
# Batch record 1: the first four keys in camelCase, and its own RowGuid.
STANDARD_726_BATCH_1 = {
    **{k[0].lower() + k[1:]: _BATCH_COMMON[k] for k in list(_BATCH_COMMON)[:4]},
    **{k: v for k, v in list(_BATCH_COMMON.items())[4:]},
    "RowGuid": "1111-1111-1111-111111111111111111111111d",
}
# Batch record 2: Applier* for Applyer*, the table's ApplyUerIdCode, and its own RowGuid.
STANDARD_726_BATCH_2 = {
    ("Applier" + k[len("Applyer") :] if k.startswith("Applyer") else k): v
    for k, v in _BATCH_COMMON.items()
    if k != "ApplyUserIdCode"
} | {
    "ApplyUerIdCode": _BATCH_COMMON["ApplyUserIdCode"],
    "RowGuid": "222222222-2222-2222-bfad-6e13ac738f4d1",
}

# What validate() finds in them after normalize(), each the subject of a recorded erratum.
STANDARD_726_PROBLEMS = {
    ("ProjectNo", "format"): "example-placeholder-values",
    ("TaskHandleItem", "format"): "example-placeholder-values",
    ("OrgCode", "format"): "example-placeholder-values",
    ("RegionCode", "format"): "example-placeholder-values",
    # ("ProjectCo", "") is absent, not a format problem (erratum example-empty-optional).
    ("Cd_Batch", "format"): "example-placeholder-values",
    ("ProDataRegionCode", "format"): "example-placeholder-values",
    ("ProDataOrgCode", "format"): "example-placeholder-values",
    ("ApplyType", "code"): "example-codes-outside-codesets",
    ("ContactType", "code"): "example-codes-outside-codesets",
    ("ProjectType", "code"): "example-codes-outside-codesets",
    ("Cd_Operation", "code"): "example-cd-operation-invalid",
    ("SystemName", "required"): "accept-example-missing-required",
}
STANDARD_726_BATCH_PROBLEMS = STANDARD_726_PROBLEMS | {
    ("RowGuid", "format"): "example-rowguid-not-uuid",
    ("SLZTDM", "required"): "accept-example-missing-required",
}


@pytest.mark.parametrize(
    ("raw", "expected", "renamed"),
    [
        (
            STANDARD_726_SINGLE,
            STANDARD_726_PROBLEMS,
            {"ApplyUserIdCode": "accept-applyuseridcode-spelling"},
        ),
        (
            STANDARD_726_BATCH_1,
            STANDARD_726_BATCH_PROBLEMS,
            {
                "ApplyUserIdCode": "accept-applyuseridcode-spelling",
                **{k: None for k in ("acceptDate", "acceptDocNo", "address", "applyChannel")},
            },
        ),
        (
            STANDARD_726_BATCH_2,
            STANDARD_726_BATCH_PROBLEMS,
            {
                k: "accept-applier-spelling"
                for k in ("ApplierName", "ApplierPageCode", "ApplierPageType", "ApplierType")
            },
        ),
    ],
    ids=["single", "batch-1", "batch-2"],
)
def test_normalized_standard_examples_only_fail_for_recorded_errata(
    pkg: ModuleType,
    model: Model,
    raw: dict[str, Any],
    expected: dict[tuple[str, str], str],
    renamed: dict[str, str | None],
) -> None:
    """7.2.6's accept examples, after normalize(): every key is a field of table 3 (aliases
    and letter case by their errata), and each value validate() refuses is one an erratum
    records as the standard's own mistake, for the 7.2.6 examples."""
    result = pkg.normalize("accept", raw)
    assert {r.source: r.erratum for r in result.renamed} == renamed
    assert result.conflicts == ()
    assert len(result.record) == len(raw)
    problems = pkg.validate("accept", result.record)
    assert {(p.field, p.code) for p in problems} == set(expected)
    errata = {e.id: e for e in model.errata}
    for (field, _), erratum in expected.items():
        assert "7.2.6" in errata[erratum].clause, (field, erratum)
    for erratum in renamed.values():
        assert erratum is None or erratum in errata
