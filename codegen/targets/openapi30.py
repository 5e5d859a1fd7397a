"""OpenAPI 3.0.3: ``generated/openapi-3.0.json``, for tools that read only 3.0 (the stable
generators of openapi-generator, API platforms that import specs).

It is the description ``openapi_common`` builds, translated keyword by keyword, so it has the
same operations, servers, security and examples as ``openapi.json``. Each schema keyword 3.0
lacks is translated, never dropped; a keyword the translation does not know is an error, so
a new construct in the 3.1 file cannot slip out of this one unnoticed:

- ``if``/``then`` (a conditional rule) → ``anyOf: [{not: IF}, THEN]`` ("the condition does
  not hold, or the conclusion does"; with ``else``, ``anyOf: [IF, ELSE]`` as well), the rule's
  text and the standard's words in the description;
- ``null`` in an ``enum`` → ``nullable: true`` with the ``type`` of the other values (3.0.3:
  the enum still lists null); a type array ``[T, "null"]`` → ``type: T, nullable: true``;
- ``const: V`` → ``enum: [V]``; ``examples: [V, …]`` → ``example: V`` (the others in
  ``x-examples``); ``$comment`` → ``x-comment``; a numeric ``exclusiveMinimum``/
  ``exclusiveMaximum`` → ``minimum``/``maximum`` with the boolean form;
- ``info.license.identifier`` (SPDX) → ``url``, its SPDX page (``x-spdx-identifier`` keeps it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from codegen.model.types import Model
from codegen.render.environment import RenderError
from codegen.targets.common import JsonObject, dump
from codegen.targets.openapi_common import openapi_document

VERSION = "3.0.3"
SPDX_PAGE = "https://spdx.org/licenses/{}.html"
IF_THEN_NOTE = (
    "OpenAPI 3.0 没有 if/then：本规则写作 anyOf [not 条件, 结论]，即条件不成立或结论成立。"
    "OpenAPI 3.0 has no if/then: the rule is written anyOf [not IF, THEN]."
)

# Schema keywords 3.0 has with the meaning they have in 3.1 (JSON Schema 2020-12).
_SAME = frozenset(
    {
        "title",
        "description",
        "type",  # a single type; arrays are translated below
        "format",
        "default",
        "enum",  # null in it is translated below
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "multipleOf",
        "required",
        "minProperties",
        "maxProperties",
        "minItems",
        "maxItems",
        "uniqueItems",
        "readOnly",
        "writeOnly",
        "deprecated",
        "$ref",
    }
)
# Keywords whose values are schemas (one, a list, or a map of them).
_ONE_SCHEMA = ("not", "items")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_MAPS = ("properties",)
# Top-level and info keys 3.1 has and 3.0 lacks; none is used today.
_ONLY_31 = frozenset({"webhooks", "jsonSchemaDialect"})


def render(model: Model) -> dict[str, str]:
    return {"openapi-3.0.json": dump(to_openapi30(openapi_document(model)))}


def to_openapi30(doc: JsonObject) -> JsonObject:
    """The 3.0.3 edition of an OpenAPI 3.1 document (pure: the input is not changed)."""
    if not str(doc.get("openapi", "")).startswith("3.1"):
        raise RenderError(
            f"openapi-3.0: expected an OpenAPI 3.1 document, got {doc.get('openapi')!r}"
        )
    unknown = _ONLY_31 & set(doc)
    if unknown:
        raise RenderError(f"openapi-3.0: no 3.0 translation for {sorted(unknown)}")
    out: JsonObject = {key: value for key, value in doc.items()}
    out["openapi"] = VERSION
    out["info"] = _info(doc["info"])
    out["paths"] = {
        path: {method: _operation(op, f"paths.{path}.{method}") for method, op in item.items()}
        for path, item in doc["paths"].items()
    }
    components = dict(doc.get("components", {}))
    if "pathItems" in components:
        raise RenderError("openapi-3.0: no 3.0 translation for components.pathItems")
    if "schemas" in components:
        components["schemas"] = {
            name: schema30(s, f"components.schemas.{name}")
            for name, s in components["schemas"].items()
        }
    out["components"] = components
    return out


def _info(info: JsonObject) -> JsonObject:
    if "summary" in info:
        raise RenderError("openapi-3.0: no 3.0 translation for info.summary")
    out = dict(info)
    license_ = info.get("license")
    if license_ is not None and "identifier" in license_:
        identifier = license_["identifier"]
        out["license"] = {
            **{k: v for k, v in license_.items() if k != "identifier"},
            "url": SPDX_PAGE.format(identifier),
            "x-spdx-identifier": identifier,
        }
    return out


def _operation(op: JsonObject, where: str) -> JsonObject:
    out = dict(op)
    if "requestBody" in op:
        body = dict(op["requestBody"])
        body["content"] = _content(body["content"], f"{where}.requestBody")
        out["requestBody"] = body
    out["responses"] = {
        status: (
            {**r, "content": _content(r["content"], f"{where}.responses.{status}")}
            if "content" in r
            else r
        )
        for status, r in op["responses"].items()
    }
    return out


def _content(content: JsonObject, where: str) -> JsonObject:
    return {
        media: {**m, "schema": schema30(m["schema"], f"{where}.{media}")} if "schema" in m else m
        for media, m in content.items()
    }


def schema30(schema: JsonObject, where: str) -> JsonObject:
    """One JSON Schema 2020-12 schema as an OpenAPI 3.0 Schema Object."""
    out: JsonObject = {}
    conditions: list[JsonObject] = []
    for bound in ("minimum", "maximum"):
        if bound in schema and f"exclusive{bound.capitalize()}" in schema:
            raise RenderError(f"openapi-3.0: {where}: both {bound} and an exclusive one")
    for key, value in schema.items():
        at = f"{where}.{key}"
        if key.startswith("x-") or key in _SAME:
            out[key] = value
        elif key in _ONE_SCHEMA:
            out[key] = schema30(value, at)
        elif key in _SCHEMA_LISTS:
            out[key] = [schema30(s, f"{at}[{i}]") for i, s in enumerate(value)]
        elif key in _SCHEMA_MAPS:
            out[key] = {name: schema30(s, f"{at}.{name}") for name, s in value.items()}
        elif key == "additionalProperties":
            out[key] = value if isinstance(value, bool) else schema30(value, at)
        elif key in _RENAMED:
            _RENAMED[key](out, value, at)
        elif key == "if":
            conditions += _conditional(schema, where)
        elif key in ("then", "else"):
            if "if" not in schema:
                raise RenderError(f"openapi-3.0: {at} without if")
        else:
            raise RenderError(f"openapi-3.0: {at}: no 3.0 translation for {key!r}")
    if conditions:
        out["description"] = "\n\n".join(
            part for part in (schema.get("description"), _quote(schema), IF_THEN_NOTE) if part
        )
        if len(conditions) == 1 and "anyOf" not in out:
            out["anyOf"] = conditions[0]["anyOf"]
        else:
            out["allOf"] = [*out.get("allOf", []), *conditions]
    _nullable(out, where)
    return out


def _conditional(schema: JsonObject, where: str) -> list[JsonObject]:
    condition = schema30(schema["if"], f"{where}.if")
    out = []
    if "then" in schema:
        out.append({"anyOf": [{"not": condition}, schema30(schema["then"], f"{where}.then")]})
    if "else" in schema:
        out.append({"anyOf": [condition, schema30(schema["else"], f"{where}.else")]})
    return out


def _quote(schema: JsonObject) -> str | None:
    """The standard's words (or the editors' reason) a rule carries in x-gdzw-provenance."""
    provenance = schema.get("x-gdzw-provenance")
    if not isinstance(provenance, dict):
        return None
    lines = "、".join(str(n) for n in provenance.get("lines", ()))
    if provenance.get("origin") == "text" and provenance.get("text"):
        return f"原文（第 {lines} 行）：“{provenance['text']}”"
    if provenance.get("reason"):
        return f"编者规则：{provenance['reason']}"
    return None


def _nullable(out: JsonObject, where: str) -> None:
    """null as a value: 3.0 says ``nullable: true`` beside the type (3.0.3: an enum keeps null)."""
    type_ = out.get("type")
    if isinstance(type_, list):
        others = [t for t in type_ if t != "null"]
        if len(others) != 1:
            raise RenderError(f"openapi-3.0: {where}: no 3.0 translation for type {type_}")
        out["type"] = others[0]
        if "null" in type_:
            out["nullable"] = True
    enum = out.get("enum")
    if isinstance(enum, list) and None in enum:
        if "type" not in out:
            types = {_json_type(v) for v in enum if v is not None}
            if len(types) != 1:
                raise RenderError(f"openapi-3.0: {where}: enum {enum} has no single type")
            out["type"] = types.pop()
        out["nullable"] = True


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _const(out: JsonObject, value: Any, where: str) -> None:
    out["enum"] = [value]


def _examples(out: JsonObject, value: Any, where: str) -> None:
    if not isinstance(value, list) or not value:
        raise RenderError(f"openapi-3.0: {where}: examples is not a non-empty list")
    out["example"] = value[0]
    if len(value) > 1:
        out["x-examples"] = value


def _comment(out: JsonObject, value: Any, where: str) -> None:
    out["x-comment"] = value


def _exclusive(bound: str) -> Callable[[JsonObject, Any, str], None]:
    def translate(out: JsonObject, value: Any, where: str) -> None:
        if isinstance(value, bool):
            raise RenderError(f"openapi-3.0: {where}: a boolean is not JSON Schema 2020-12's form")
        out[bound] = value
        out[f"exclusive{bound.capitalize()}"] = True

    return translate


_RENAMED: dict[str, Callable[[JsonObject, Any, str], None]] = {
    "const": _const,
    "examples": _examples,
    "$comment": _comment,
    "exclusiveMinimum": _exclusive("minimum"),
    "exclusiveMaximum": _exclusive("maximum"),
}
