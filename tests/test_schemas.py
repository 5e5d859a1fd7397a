"""JSON Schemas and the OpenAPI document: valid, self-consistent, and never stricter
than the generated validators ("anything the JSON Schema rejects, validate rejects")."""

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

from codegen.build import Rendered
from codegen.model import Model

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


def schema(rendered: Rendered, key: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(rendered.files[f"jsonschema/{key}.schema.json"])
    return doc


@pytest.fixture(scope="session")
def validators(rendered: Rendered) -> dict[str, jsonschema.Draft202012Validator]:
    out = {}
    for key in rendered.model.record_keys:
        doc = schema(rendered, key)
        jsonschema.Draft202012Validator.check_schema(doc)
        out[key] = jsonschema.Draft202012Validator(doc)
    return out


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


@given(data=st.data())
def test_schema_rejection_implies_validator_rejection(
    pkg: ModuleType, model: Model, validators: dict[str, Any], data: st.DataObject
) -> None:
    record = data.draw(st.sampled_from(model.records))
    mutated = copy.deepcopy(pkg.EXAMPLES[record.key])
    names = data.draw(st.lists(st.sampled_from(record.wire_names), min_size=1, max_size=3))
    for name in names:
        if data.draw(st.booleans()):
            mutated[name] = data.draw(TRICKY)
        else:
            mutated.pop(name, None)
    schema_ok = validators[record.key].is_valid(mutated)
    if not schema_ok:
        for profile in ("standard", "strict"):
            problems = pkg.errors(pkg.validate(record.key, mutated, profile=profile))
            assert problems, (record.key, profile, {n: mutated.get(n) for n in names})


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
