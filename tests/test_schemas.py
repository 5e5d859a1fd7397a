"""JSON Schemas and the OpenAPI document: valid, self-consistent, and in agreement with the
generated validators both ways: anything the JSON Schema rejects, validate rejects; and for
the standard profile (what the schemas express), anything validate rejects, the schema
rejects, but for the differences listed in EXCEPTIONS with their reasons."""

from __future__ import annotations

import copy
import json
from types import ModuleType
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openapi_spec_validator import validate as validate_openapi

from agreement import EXCEPTIONS, exception_for, record_schemas
from codegen.build import Rendered
from codegen.model.types import Field, Model, PairedLists, Record

# Values a real sender gets wrong: wrong types, empties, edge dates, near-miss codes.
TRICKY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=False),
    st.just(""),
    st.text(max_size=8),
    st.sampled_from(
        [
            "2023-02-29 10:00:00",
            "2024-02-29 10:00:00",
            "1900-02-29 00:00:00",
            "2019-06-20 24:00:00",
            "2019-06-20 09:30:00\n",
            "0000-01-01 00:00:00",
            "1",
            "01",
            "111^",
            "111^1",
            "^",
            "2",
            "4",
            "I",
            "i",
            "CNY",
            "up_pro_accept_v3",
            "440106",
            "4401061",
            "2019-440106-70-03-000001",
            "x" * 5000,
        ]
    ),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@pytest.fixture(scope="session")
def validators(rendered: Rendered) -> dict[str, jsonschema.Draft202012Validator]:
    return record_schemas(rendered)


def test_examples_pass_their_schemas(pkg: ModuleType, validators: dict[str, Any]) -> None:
    for key, validator in validators.items():
        assert list(validator.iter_errors(pkg.EXAMPLES[key])) == [], key


@pytest.mark.parametrize(
    ("key", "change"),
    [
        ("accept", {"ApplyDate": "2023-02-29 10:00:00"}),
        ("accept", {"ApplyDate": "2024-04-31 10:00:00"}),
        ("accept", {"ApplyType": "12"}),
        ("accept", {"SLZTDM": "2", "BSLYY": None}),
        ("accept", {"ApplyerType": "2", "Legal": ""}),
        ("accept", {"ApplyerPageType": "111^821", "ApplyerPageCode": "a^b", "Legal": None}),
        ("accept", {"Extra": 1}),
        ("accept", {"RowGuid": ""}),
        ("accept", {"TaskVersion": True}),
        ("process", {"HandleExplain": None}),
        ("material", {"GetType": "2", "GetMaterialURL": ""}),
        ("specialprocedure", {"EndTime": None}),
        ("reconciliation", {"Cd_count": "10"}),
        # length
        ("accept", {"TaskName": "事" * 1001}),
        ("accept", {"ApplyerName": "x" * 101}),
        ("accept", {"ApplyerPageType": "^".join(["111"] * 18), "ApplyerPageCode": "a"}),
        # integer and number range
        ("accept", {"TaskVersion": 2**31}),
        ("accept", {"TaskVersion": -(2**31) - 1}),
        ("reconciliation", {"Cd_count": 2**63}),
        ("result", {"Charge": 10**16}),
        # pattern
        ("accept", {"RowGuid": "not-a-uuid"}),
        ("accept", {"RegionCode": "440106\n"}),
        ("accept", {"ProjectCo": "2019-440106-70-03-00001"}),
        ("accept", {"ApplyerPageType": "111\n"}),
        ("accept", {"ApplyDate": "2019-06-20 09:30:00\n"}),
        ("result", {"MonetaryUnitCode": "cny"}),
    ],
)
def test_schema_and_validator_reject_breaches(
    pkg: ModuleType, validators: dict[str, Any], key: str, change: dict[str, Any]
) -> None:
    record = copy.deepcopy(pkg.EXAMPLES[key])
    for name, value in change.items():
        if value is None:
            record.pop(name, None)
        else:
            record[name] = value
    assert list(validators[key].iter_errors(record)), change
    assert pkg.validate(key, record), change


def mutated_example(
    pkg: ModuleType, model: Model, data: st.DataObject
) -> tuple[str, dict[str, Any], list[str]]:
    """An example with 1–3 of its fields set to tricky values or removed."""
    record = data.draw(st.sampled_from(model.records))
    mutated = copy.deepcopy(pkg.EXAMPLES[record.key])
    names = data.draw(st.lists(st.sampled_from(record.wire_names), min_size=1, max_size=3))
    for name in names:
        if data.draw(st.booleans()):
            mutated[name] = data.draw(TRICKY)
        else:
            mutated.pop(name, None)
    return record.key, mutated, names


@given(data=st.data())
def test_schema_rejection_implies_validator_rejection(
    pkg: ModuleType, model: Model, validators: dict[str, Any], data: st.DataObject
) -> None:
    key, mutated, names = mutated_example(pkg, model, data)
    if not validators[key].is_valid(mutated):
        for profile in ("standard", "strict"):
            problems = pkg.errors(pkg.validate(key, mutated, profile=profile))
            assert problems, (key, profile, {n: mutated.get(n) for n in names})


def unexcused_errors(
    pkg: ModuleType, model: Model, key: str, record: dict[str, Any]
) -> list[tuple[str | None, str]]:
    """validate()'s errors (standard profile) that the schema must reject too."""
    problems = pkg.errors(pkg.validate(key, record))
    return [(p.field, p.code) for p in problems if exception_for(model, key, p, record) is None]


@given(data=st.data())
def test_validator_rejection_implies_schema_rejection(
    pkg: ModuleType, model: Model, validators: dict[str, Any], data: st.DataObject
) -> None:
    key, mutated, names = mutated_example(pkg, model, data)
    problems = unexcused_errors(pkg, model, key, mutated)
    if problems:
        assert not validators[key].is_valid(mutated), (
            key,
            problems,
            {n: mutated.get(n) for n in names},
        )


def test_each_exception_is_real(pkg: ModuleType, model: Model, validators: dict[str, Any]) -> None:
    """Each listed difference happens: validate refuses, for that reason only; the schema accepts."""
    cases = {
        "paired_lists": ("accept", {"ApplyerPageType": "111^1"}),
        "integral_float": ("reconciliation", {"Cd_count": 1e16}),
        "not_json": ("result", {"Charge": float("nan")}),
    }
    assert set(cases) == set(EXCEPTIONS)
    for name, (key, change) in cases.items():
        record = {**copy.deepcopy(pkg.EXAMPLES[key]), **change}
        problems = pkg.errors(pkg.validate(key, record))
        assert problems and {exception_for(model, key, p, record) for p in problems} == {name}
        assert validators[key].is_valid(record), name


def breaches_and_bounds(model: Model, record: Record, f: Field) -> list[tuple[object, str | None]]:
    """Values of field ``f`` derived from the spec, each with the problem code validate gives
    (standard profile), or None for a value at a bound that both must accept."""
    paired = {g.wire_name for r in record.rules if isinstance(r, PairedLists) for g in r.fields}
    example = record.example.get(f.wire_name, f.example)
    cases: list[tuple[object, str | None]] = []
    if f.kind in ("integer", "number"):
        for bound, step, code in ((f.minimum, -1, "minimum"), (f.maximum, 1, "maximum")):
            if bound is not None:
                cases += [(bound, None), (bound + step, code)]
        return cases
    assert isinstance(example, str)
    limit = f.max_length
    if f.kind == "string" and f.format is None and limit is not None:
        cases += [("x" * limit, None), ("事" * limit, None), ("x" * (limit + 1), "max_length")]
    if f.kind in ("string_list", "code_list") and limit is not None:
        assert f.separator is not None
        part = f.codeset.values[0] if f.codeset else "x"
        count = limit // (len(part) + 1) + 1
        too_long = f.separator.join([part] * count)
        assert len(too_long) > limit
        cases.append((too_long, "max_length"))
        if f.wire_name not in paired:
            fits = f.separator.join([part] * (count - 1))
            cases.append((fits, None))
    if f.format is not None:
        cases += [(v, "format") for v in (example[:-1], example + "\n", " " + example)]
    if f.kind == "datetime":
        cases += [
            (v, "datetime")
            for v in (example + "\n", example.replace(" ", "T"), "2019-02-29" + example[10:])
        ]
    return cases


def test_breaches_and_bounds_of_every_field_agree(
    pkg: ModuleType, model: Model, validators: dict[str, Any]
) -> None:
    """Length, range and pattern, field by field: a value just past a bound or breaking the
    pattern is refused by both, with the expected problem; a value at the bound passes both."""
    disagreements = []
    checked = 0
    for record in model.records:
        for f in record.fields:
            for value, code in breaches_and_bounds(model, record, f):
                data = {**copy.deepcopy(pkg.EXAMPLES[record.key]), f.wire_name: value}
                found = {(p.field, p.code) for p in pkg.errors(pkg.validate(record.key, data))}
                schema_ok = validators[record.key].is_valid(data)
                expected = set() if code is None else {(f.wire_name, code)}
                if not expected <= found or (code is None and found) or schema_ok != (code is None):
                    disagreements.append(
                        (record.key, f.wire_name, repr(value)[:40], found, schema_ok)
                    )
                checked += 1
    assert not disagreements, disagreements
    assert checked > 300


# The one deliberate difference the other way round: checks the validators make and the
# JSON Schemas cannot. A JSON Schema string is a sequence of code points and draft
# 2020-12 has no keyword for "UTF-8 can encode it"; a pattern excluding U+D800–U+DFFF
# on every string property would be read differently by ECMA-262 engines with and
# without the "u" flag. So the schemas accept text holding a lone surrogate, which
# validate() refuses in every profile (it could never be sent as UTF-8 JSON).
VALIDATOR_ONLY = {"unencodable": "text holding a lone surrogate (U+D800–U+DFFF)"}


def test_validator_only_checks_are_listed(
    pkg: ModuleType, model: Model, validators: dict[str, Any]
) -> None:
    assert set(VALIDATOR_ONLY) <= set(pkg.problems.PROBLEM_LABELS)
    checked = 0
    for record in model.records:
        field = next((f for f in record.fields if f.kind == "string" and not f.format), None)
        if field is None:  # reconciliation: every text field has a pattern or codes
            continue
        checked += 1
        mutated = copy.deepcopy(pkg.EXAMPLES[record.key])
        mutated[field.wire_name] = "x\ud800"
        assert validators[record.key].is_valid(mutated), record.key  # the schema: no opinion
        codes = {p.code for p in pkg.errors(pkg.validate(record.key, mutated, "gateway"))}
        assert codes == set(VALIDATOR_ONLY), record.key
    assert checked == len(model.records) - 1


def test_openapi_document_is_valid(rendered: Rendered, model: Model) -> None:
    doc = json.loads(rendered.files["openapi.json"])
    validate_openapi(doc)
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["version"] == model.version
    operations = [(path, method) for path, item in doc["paths"].items() for method in item]
    assert len(operations) == 16
    assert {path for path, _ in operations} == {e.path for e in model.endpoints}
    assert all(path.startswith("/uppro/") for path, _ in operations)
    assert {s["url"] for s in doc["servers"]} == set(model.api_roots.values())
    schemes = doc["components"]["securitySchemes"]
    assert {s["name"] for s in schemes.values()} == {h.name for h in model.gateway.headers}
    assert all(s["type"] == "apiKey" and s["in"] == "header" for s in schemes.values())
    assert doc["security"] == [{name: [] for name in schemes}]


def test_openapi_examples_pass_their_schemas(rendered: Rendered, model: Model) -> None:
    doc = json.loads(rendered.files["openapi.json"])
    checked = 0
    for path, item in doc["paths"].items():
        body = item["post"]["requestBody"]["content"]["application/json"]
        # The body schema refers to "#/components/…": validate it as a root that carries them.
        root = {**body["schema"], "components": doc["components"]}
        validator = jsonschema.Draft202012Validator(root)
        assert list(validator.iter_errors(body["example"])) == [], path
        if path.endswith("batchSave"):
            assert 1 <= len(body["example"]) <= model.gateway.batch_max_records
            assert body["schema"]["maxItems"] == model.gateway.batch_max_records
            guids = [r.get("RowGuid") for r in body["example"] if "RowGuid" in r]
            assert len(guids) == len(set(guids)), path
        reply = item["post"]["responses"]["200"]["content"]["application/json"]
        assert reply["example"]["errCode"] == model.gateway.success_code
        checked += 1
    assert checked == 16


def test_openapi_record_schemas_are_the_json_schemas(rendered: Rendered, model: Model) -> None:
    """openapi.json's record components are the standalone schemas (lengths, ranges, patterns,
    codes, rules), so the agreement tests above speak for both."""
    components = json.loads(rendered.files["openapi.json"])["components"]["schemas"]
    for record in model.records:
        standalone = json.loads(rendered.files[f"jsonschema/{record.schema_file}"])
        del standalone["$schema"], standalone["$id"]
        assert components[record.python_name] == standalone, record.key
        # An optional field's schema is anyOf [null or "", the value's schema] (issue 13).
        lengths = [
            branch["maxLength"]
            for p in standalone["properties"].values()
            for branch in [p, *p.get("anyOf", [])]
            if "maxLength" in branch
        ]
        strings = [f for f in record.fields if f.max_length is not None]
        assert len(lengths) == len(strings), record.key
