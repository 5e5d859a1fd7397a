"""generated/openapi-3.0.json: the 3.0.3 edition of openapi.json.

Valid OpenAPI 3.0; the same operations, servers, security and examples as the 3.1 file;
nothing 3.0 forbids left in it, and each such construct translated rather than dropped;
and its record schemas, read by an OpenAPI 3.0 validator, accept and refuse exactly what the
3.1 file's accept and refuse (hypothesis, the mutations test_schemas uses).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import OpenAPIV30SpecValidator

from codegen.build import Rendered
from codegen.model.types import Model, RequiredIf
from codegen.render.environment import RenderError
from codegen.targets.openapi30 import IF_THEN_NOTE, schema30, to_openapi30
from test_schemas import mutated_example

JsonObject = dict[str, Any]
# What OpenAPI 3.0's Schema Object lacks (JSON Schema 2020-12 keywords the 3.1 file may use).
ONLY_31 = {"$comment", "const", "examples", "if", "then", "else", "$schema", "$id", "$defs"}


@pytest.fixture(scope="session")
def doc31(rendered: Rendered) -> JsonObject:
    doc: JsonObject = json.loads(rendered.files["openapi.json"])
    return doc


@pytest.fixture(scope="session")
def doc30(rendered: Rendered) -> JsonObject:
    doc: JsonObject = json.loads(rendered.files["openapi-3.0.json"])
    return doc


def schemas(node: Any, is_schema: bool = False) -> Iterator[JsonObject]:
    """Every Schema Object in an OpenAPI document (or under a schema), nested ones included."""
    if isinstance(node, dict):
        if is_schema:
            yield node
        for key, value in node.items():
            if key.startswith("x-") or key in ("example", "enum", "default"):
                continue
            if key in ("schema", "not", "items", "additionalProperties", "if", "then", "else"):
                yield from schemas(value, isinstance(value, dict))
            elif key in ("allOf", "anyOf", "oneOf"):
                for s in value:
                    yield from schemas(s, True)
            elif key == "properties" and is_schema:
                for s in value.values():
                    yield from schemas(s, True)
            elif key == "schemas":
                for s in value.values():
                    yield from schemas(s, True)
            else:
                yield from schemas(value)
    elif isinstance(node, list):
        for item in node:
            yield from schemas(item)


def test_valid_openapi_30(doc30: JsonObject, model: Model) -> None:
    OpenAPIV30SpecValidator(doc30).validate()
    assert doc30["openapi"] == "3.0.3"
    assert doc30["info"]["version"] == model.version


def test_same_operations_servers_security_and_examples(
    doc31: JsonObject, doc30: JsonObject
) -> None:
    for key in ("servers", "tags", "security", "x-gdzw-generated"):
        assert doc30[key] == doc31[key], key
    assert doc30["components"]["securitySchemes"] == doc31["components"]["securitySchemes"]
    assert sorted(doc30["components"]["schemas"]) == sorted(doc31["components"]["schemas"])
    assert list(doc30["paths"]) == list(doc31["paths"])
    operations = 0
    for path, item in doc31["paths"].items():
        assert list(doc30["paths"][path]) == list(item)
        for method, op31 in item.items():
            op30 = doc30["paths"][path][method]
            for key in ("operationId", "summary", "description", "tags"):
                assert op30[key] == op31[key], (path, key)
            body31 = op31["requestBody"]["content"]["application/json"]
            body30 = op30["requestBody"]["content"]["application/json"]
            assert body30["example"] == body31["example"], path
            assert sorted(op30["responses"]) == sorted(op31["responses"])
            for status, r31 in op31["responses"].items():
                r30 = op30["responses"][status]
                assert r30["description"] == r31["description"]
                assert r30["content"]["application/json"]["example"] == (
                    r31["content"]["application/json"]["example"]
                )
            operations += 1
    assert operations == 16
    info31 = {k: v for k, v in doc31["info"].items() if k != "license"}
    assert {k: v for k, v in doc30["info"].items() if k != "license"} == info31


def test_nothing_only_31_is_left(doc30: JsonObject) -> None:
    found = list(schemas(doc30))
    assert len(found) > 500
    for s in found:
        assert not ONLY_31 & set(s), s
        assert "type" not in s or isinstance(s["type"], str), s
        for key in ("exclusiveMinimum", "exclusiveMaximum"):
            assert key not in s or isinstance(s[key], bool), s
        if None in s.get("enum", ()):
            assert s.get("nullable") is True and isinstance(s.get("type"), str), s
        if s.get("nullable"):
            assert "type" in s, s
    license_ = doc30["info"]["license"]
    assert "identifier" not in license_


def test_what_30_lacks_is_translated_not_dropped(
    doc31: JsonObject, doc30: JsonObject, model: Model
) -> None:
    s31, s30 = list(schemas(doc31)), list(schemas(doc30))
    assert sum("$comment" in s for s in s31) == sum("x-comment" in s for s in s30) > 8
    comments = sorted(s["$comment"] for s in s31 if "$comment" in s)
    assert comments == sorted(s["x-comment"] for s in s30 if "x-comment" in s)
    assert sum("examples" in s for s in s31) == sum("example" in s for s in s30) > 100
    nulls31 = sum(None in s.get("enum", ()) for s in s31)
    assert nulls31 == sum(bool(s.get("nullable")) for s in s30) > 50
    # The licence: its SPDX identifier becomes the licence page.
    license31, license30 = doc31["info"]["license"], doc30["info"]["license"]
    assert license30["name"] == license31["name"]
    assert license30["url"] == f"https://spdx.org/licenses/{license31['identifier']}.html"
    assert license30["x-spdx-identifier"] == license31["identifier"]
    # Every conditional rule: anyOf [not IF, THEN], its text and the standard's words.
    rules = 0
    for name, component in doc31["components"]["schemas"].items():
        rules30 = doc30["components"]["schemas"][name].get("allOf", [])
        assert len(rules30) == len(component.get("allOf", []))
        for rule31, rule30 in zip(component.get("allOf", []), rules30, strict=True):
            assert rule30["x-gdzw-rule"] == rule31["x-gdzw-rule"]
            assert rule30["anyOf"][0] == {"not": schema30(rule31["if"], "if")}
            assert rule30["anyOf"][1] == schema30(rule31["then"], "then")
            assert rule30["description"].startswith(rule31["description"])
            assert rule31["x-gdzw-provenance"]["text"] in rule30["description"]
            assert IF_THEN_NOTE in rule30["description"]
            rules += 1
    expressed = [r for rec in model.records for r in rec.rules if r.kind == "required_if"]
    assert rules == len([r for r in expressed if r.profile != "strict"]) > 0


def _validator30(doc30: JsonObject, schema: JsonObject) -> OAS30Validator:
    return OAS30Validator({**schema, "components": doc30["components"]})


def test_examples_pass_their_30_schemas(doc30: JsonObject) -> None:
    checked = 0
    for path, item in doc30["paths"].items():
        op = item["post"]
        body = op["requestBody"]["content"]["application/json"]
        assert list(_validator30(doc30, body["schema"]).iter_errors(body["example"])) == [], path
        for status, response in op["responses"].items():
            media = response["content"]["application/json"]
            validator = _validator30(doc30, media["schema"])
            assert list(validator.iter_errors(media["example"])) == [], (path, status)
        checked += 1
    assert checked == 16


SINGLE_CHANGES = (None, "", 1.5, True, "x" * 5000, "2")


def test_30_schemas_decide_as_the_31_schemas_field_by_field(
    pkg: Any, model: Model, doc31: JsonObject, doc30: JsonObject
) -> None:
    """Every field of every example removed or set to null, "", a float, a boolean, a long
    string, a code; and each conditional rule's target removed together with each of those
    (the condition then false or true)."""
    compared = differences = 0
    for record in model.records:
        ref = {"$ref": f"#/components/schemas/{record.python_name}"}
        v31 = jsonschema.Draft202012Validator({**ref, "components": doc31["components"]})
        v30 = _validator30(doc30, ref)
        targets = [None] + [r.field.wire_name for r in record.rules if isinstance(r, RequiredIf)]
        for target in targets:
            base = dict(pkg.EXAMPLES[record.key])
            base.pop(target, None)
            for name in record.wire_names:
                for value in (*SINGLE_CHANGES, "<removed>"):
                    mutated = dict(base)
                    if value == "<removed>":
                        mutated.pop(name, None)
                    else:
                        mutated[name] = value
                    verdict = v31.is_valid(mutated)
                    assert v30.is_valid(mutated) == verdict, (record.key, target, name, value)
                    compared += 1
                    differences += not verdict
    assert compared > 2000 and differences > 1000


@given(data=st.data())
def test_30_schemas_decide_as_the_31_schemas(
    pkg: Any, model: Model, doc31: JsonObject, doc30: JsonObject, data: st.DataObject
) -> None:
    key, mutated, names = mutated_example(pkg, model, data)
    name = model.record(key).python_name
    ref = {"$ref": f"#/components/schemas/{name}"}
    verdict31 = jsonschema.Draft202012Validator(
        {**ref, "components": doc31["components"]}
    ).is_valid(mutated)
    verdict30 = _validator30(doc30, ref).is_valid(mutated)
    assert verdict30 == verdict31, (key, {n: mutated.get(n) for n in names})


# The translation of constructs today's spec does not use, on their own.


def test_translation_of_each_construct() -> None:
    assert schema30({"const": "I"}, "s") == {"enum": ["I"]}
    assert schema30({"type": ["string", "null"], "maxLength": 3}, "s") == {
        "type": "string",
        "nullable": True,
        "maxLength": 3,
    }
    assert schema30({"enum": [None, 1, 2]}, "s") == {
        "enum": [None, 1, 2],
        "type": "integer",
        "nullable": True,
    }
    assert schema30({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 9}, "s") == {
        "type": "number",
        "minimum": 0,
        "exclusiveMinimum": True,
        "maximum": 9,
        "exclusiveMaximum": True,
    }
    assert schema30({"examples": ["a", "b"]}, "s") == {"example": "a", "x-examples": ["a", "b"]}
    assert schema30({"$comment": "why"}, "s") == {"x-comment": "why"}
    cond = {"properties": {"a": {"const": 1}}, "required": ["a"]}
    both = schema30({"if": cond, "then": {"required": ["b"]}, "else": {"required": ["c"]}}, "s")
    when = {"properties": {"a": {"enum": [1]}}, "required": ["a"]}
    assert both["allOf"] == [
        {"anyOf": [{"not": when}, {"required": ["b"]}]},
        {"anyOf": [when, {"required": ["c"]}]},
    ]
    assert both["description"] == IF_THEN_NOTE


@pytest.mark.parametrize(
    "schema",
    [
        {"unevaluatedProperties": False},
        {"prefixItems": [{"type": "string"}]},
        {"type": ["string", "integer"]},
        {"enum": [None]},
        {"minimum": 1, "exclusiveMinimum": 0},
        {"then": {"required": ["a"]}},
        {"properties": {"a": {"dependentRequired": {"a": ["b"]}}}},
    ],
)
def test_what_has_no_translation_is_an_error(schema: JsonObject) -> None:
    with pytest.raises(RenderError, match="openapi-3.0"):
        schema30(schema, "s")


def test_a_31_only_document_part_is_an_error(doc31: JsonObject) -> None:
    for change in (
        {"webhooks": {}},
        {"info": {**doc31["info"], "summary": "x"}},
        {"components": {**doc31["components"], "pathItems": {}}},
        {"openapi": "3.0.3"},
    ):
        with pytest.raises(RenderError, match="openapi-3.0"):
            to_openapi30({**doc31, **change})
    assert to_openapi30(doc31) == to_openapi30(json.loads(json.dumps(doc31)))  # pure
