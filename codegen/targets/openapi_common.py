"""What the two OpenAPI targets share: the description of the collection gateway, built
from the model. ``openapi`` writes it as it is (OpenAPI 3.1, ``generated/openapi.json``);
``openapi30`` translates it to OpenAPI 3.0.3 (``generated/openapi-3.0.json``).

Record schemas are the JSON Schema target's (``codegen.targets.common.record_schema``),
embedded under ``components/schemas/<Record.python_name>``; they use only JSON Schema 2020-12
keywords, so the document keeps OpenAPI 3.1's default dialect (which includes them) rather
than naming another, which Swagger UI flags as unsupported. HTTP statuses document the
mapping the mock gateway uses: success and business errors both come with 200 and are told
apart by ``errCode``; refusals before processing use 4xx, gateway failures 5xx.
"""

from __future__ import annotations

from typing import Any

from codegen.model.types import Endpoint, Model, Record, Status
from codegen.targets.common import JsonObject, batch_example, generated_comment, record_schema

REPLY = "Reply"

# Non-200 statuses: (English, Chinese) meaning. Every body is the Reply envelope.


def openapi_document(model: Model) -> JsonObject:
    schemes = {
        h.name: _security_scheme(h.name, h.label, h.description) for h in model.gateway.headers
    }
    return {
        "openapi": "3.1.0",
        "x-gdzw-generated": generated_comment(model),
        "info": _info(model),
        "servers": [
            {"url": e.api_root, "description": e.label} for e in model.gateway.environments
        ],
        "tags": [
            {"name": r.key, "description": f"{r.label}：{r.interface}（{r.clause}）"}
            for r in model.records
        ],
        "security": [{name: [] for name in schemes}],
        "paths": {e.path: {"post": _operation(model, e)} for e in model.endpoints},
        "components": {
            "schemas": {
                **{r.python_name: _component(model, r) for r in model.records},
                REPLY: _reply(model),
            },
            "securitySchemes": schemes,
        },
    }


def _info(model: Model) -> JsonObject:
    gw = model.gateway
    sig = gw.signature
    parts = " + ".join(sig.concatenation)
    headers = "、".join(h.name for h in gw.headers)
    description = "\n\n".join(
        [
            f"{model.standard.title}（{model.standard.id}）。各业务系统以 HTTP {gw.method} "
            f"提交 {gw.content_type}（{gw.charset}）记录；每类记录有单条（save）"
            "与批量（batchSave）两个接口，应答为 errCode/errMsg 信封。",
            f"Collection interface of {model.standard.id}: business systems {gw.method} JSON "
            "records, one per request (save) or as an array (batchSave); the gateway answers "
            "with an errCode/errMsg envelope.",
            f"**签名 / Signing**（{sig.clause}）：每个请求携带 {headers}。{sig.description}"
            f"时间戳：{sig.timestamp}。",
            f"x-tif-signature = upper-case hex {sig.algorithm}({parts}), the parts concatenated "
            "as UTF-8; x-tif-timestamp is the seconds since 1970-01-01T00:00:00Z as a decimal "
            "string; x-tif-nonce is a fresh random string per request; token is issued per "
            "environment on registration.",
            f"**限制 / Limits**：批量接口每次 1–{gw.batch_max_records} 条记录"
            f"（{gw.batch_limit_clause}）；请求体不超过 {gw.body_max_bytes} 字节。"
            f"A batch holds 1–{gw.batch_max_records} records; a body holds at most "
            f"{gw.body_max_bytes} bytes.",
            f"**日期时间 / Datetimes**：格式 {model.datetime.format}，"
            f"{model.datetime.timezone_label}（UTC{model.datetime.utc_offset}），不带时区标记。"
            "All datetimes are Beijing time "
            f"(UTC{model.datetime.utc_offset}) without a zone designator.",
            f"**HTTP 状态 / Status mapping**：{gw.status_mapping_note}\n"
            + "\n".join(f"- {s.http_status} / errCode {s.err_code}：{s.label}" for s in gw.statuses)
            + "\n\nProcessed requests, business errors included, answer 200 and tell success "
            "from failure by errCode; requests refused before processing answer 4xx, gateway "
            "failures 5xx; every body is the errCode/errMsg envelope.",
            "**取值约定 / Value rules**：\n"
            + "\n".join(f"- {s.label}：{s.text}" for s in model.semantics),
        ]
    )
    info: JsonObject = {
        "title": f"{model.standard.id} {model.standard.title}",
        "version": model.version,
        "description": description,
        "x-gdzw-spec-hash": model.spec_hash,
    }
    contact = gw.contact
    if contact is not None:
        info["description"] += (
            f"\n\n**联系 / Contact**：{contact.name}，{contact.email}。"
            f"{contact.description}（{contact.clause}）"
        )
        info["contact"] = {
            "name": contact.name,
            "email": contact.email,
            "x-gdzw-source": contact.clause,
        }
    if model.license is not None:
        info["license"] = {"name": model.license.name, "identifier": model.license.identifier}
    return info


def _security_scheme(name: str, label: str, description: str) -> JsonObject:
    return {
        "type": "apiKey",
        "in": "header",
        "name": name,
        "description": f"{label}：{description}",
    }


def _component(model: Model, record: Record) -> JsonObject:
    schema = record_schema(model, record)
    # Standalone-file identity only; inside the document the schema is a component.
    del schema["$schema"], schema["$id"]
    return schema


def _reply(model: Model) -> JsonObject:
    gw = model.gateway
    properties: JsonObject = {}
    for f in gw.reply:
        description = f.description
        if f.name == "errCode":
            description += f"（成功为 “{gw.success_code}”）"
        properties[f.name] = {"type": "string", "title": f.label, "description": description}
    return {
        "title": "应答信封（Reply envelope）",
        "description": (
            f"网关应答：errCode 为 “{gw.success_code}” 表示成功，否则 errMsg 给出错误信息。"
        ),
        "type": "object",
        "required": [f.name for f in gw.reply if f.required],
        "properties": properties,
    }


def _operation(model: Model, endpoint: Endpoint) -> JsonObject:
    record = model.record(endpoint.record_key)
    ref = {"$ref": f"#/components/schemas/{record.python_name}"}
    limit = model.gateway.batch_max_records
    body: JsonObject
    if endpoint.batch:
        body = {"type": "array", "minItems": 1, "maxItems": limit, "items": ref}
        example: Any = batch_example(record)
        shape = f"请求体为 1–{limit} 条记录的数组"
    else:
        body, example, shape = ref, dict(record.example), "请求体为一条记录"
    return {
        "operationId": endpoint.operation_id,
        "summary": endpoint.summary,
        "description": (
            f"{endpoint.label}：{record.label}（{record.clause}，{record.table}；"
            f"应答见 {record.reply_table}）。{shape}。"
        ),
        "tags": [record.key],
        "requestBody": {
            "required": True,
            "content": {model.gateway.content_type: {"schema": body, "example": example}},
        },
        "responses": _responses(model),
    }


def _responses(model: Model) -> JsonObject:
    """One response per HTTP status of the spec's status mapping, each listing its errCodes."""
    reply = {"$ref": f"#/components/schemas/{REPLY}"}
    by_status: dict[int, list[Status]] = {}
    for status in model.gateway.statuses:
        by_status.setdefault(status.http_status, []).append(status)
    out: JsonObject = {}
    for http_status, statuses in sorted(by_status.items()):
        lines = [
            f"- errCode {s.err_code}：{s.label}。{s.description}"
            + ("（可重试）" if s.retry else "")
            for s in statuses
        ]
        first = statuses[0]
        example = {"errCode": first.err_code, "errMsg": "" if first.id == "ok" else first.label}
        out[str(http_status)] = {
            "description": "\n".join(lines),
            "content": {"application/json": {"schema": dict(reply), "example": example}},
        }
    return out
