"""What the JSON Schemas and validate() (standard profile) are allowed to disagree on.

The schemas express the standard profile: a record one of them rejects, the other rejects
too, with the exceptions below, each intended and each something JSON Schema cannot say.
test_schemas.test_each_exception_is_real keeps the list from outliving its reasons.
"""

from __future__ import annotations

import json
import math
from typing import Any

import jsonschema

from codegen.build import Rendered
from codegen.model.types import Model

EXCEPTIONS: dict[str, str] = {
    "paired_lists": (
        "两个以分隔符组合的字段项数须一致（ApplyerPageType/ApplyerPageCode，ResultCetrName/"
        "ResultCetrNo）: JSON Schema cannot compare the part counts of two strings; the schema "
        "lists these rules in x-gdzw-rules with in_schema false and in its description"
    ),
    "integral_float": (
        "an Integer/Long field given a JSON number written with a fraction or an exponent "
        "(1.0, 1e16): JSON Schema's integer is the mathematical value, so 1.0 is one; validate() "
        "refuses it, as a typed gateway column would"
    ),
    "not_json": (
        "NaN and ±Infinity, which a Python caller can pass but JSON text cannot hold: the "
        "schema never sees them in a document (and NaN passes every numeric bound); validate() "
        "refuses them as the wrong type"
    ),
}


def exception_for(model: Model, key: str, problem: Any, record: object) -> str | None:
    """The EXCEPTIONS entry a validate() problem falls under, or None."""
    if problem.code == "paired_lists":
        return "paired_lists"
    if problem.code != "type" or not isinstance(record, dict):
        return None
    if problem.field not in model.record(key).wire_names:
        return None
    value = record.get(problem.field)
    if not isinstance(value, float):
        return None
    if not math.isfinite(value):
        return "not_json"
    if model.record(key).field(problem.field).kind == "integer" and value.is_integer():
        return "integral_float"
    return None


def record_schemas(rendered: Rendered) -> dict[str, jsonschema.Draft202012Validator]:
    """The JSON Schema validator of each record type, checked against the metaschema."""
    out = {}
    for key in rendered.model.record_keys:
        doc = json.loads(rendered.files[f"jsonschema/{key}.schema.json"])
        jsonschema.Draft202012Validator.check_schema(doc)
        out[key] = jsonschema.Draft202012Validator(doc)
    return out


def field_schemas(rendered: Rendered) -> dict[tuple[str, str], jsonschema.Draft202012Validator]:
    """The JSON Schema of each field on its own (its property in its record's schema)."""
    out = {}
    for key in rendered.model.record_keys:
        doc = json.loads(rendered.files[f"jsonschema/{key}.schema.json"])
        for name, schema in doc["properties"].items():
            out[(key, name)] = jsonschema.Draft202012Validator(schema)
    return out
