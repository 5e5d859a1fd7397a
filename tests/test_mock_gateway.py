"""The generated mock gateway (gdzw_uppro.mock): endpoints, refusals, storage, faults, CLI."""

from __future__ import annotations

import http.client
import importlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest

TOKEN = "mock-token-9d41c7e2"
NOW = 1_760_000_000.0  # the gateway's clock in these tests
BATCH = "11440000MB2D0461X42019062000001"
OTHER_BATCH = "11440000MB2D0461X42019062000002"
KEYS = (
    "accept",
    "process",
    "result",
    "specialprocedure",
    "material",
    "correction",
    "receive",
    "reconciliation",
)
OPERATIONS = ("save", "batch_save")
CONTENT_TYPE = "application/json; charset=utf-8"


@pytest.fixture(scope="module")
def mock(pkg: ModuleType) -> ModuleType:
    return importlib.import_module("gdzw_uppro.mock")


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: http.client.HTTPMessage

    @property
    def code(self) -> str:
        return str(self.body["errCode"])

    @property
    def message(self) -> str:
        return str(self.body["errMsg"])


@dataclass
class Api:
    """Requests to one running gateway, signed like a real client's."""

    pkg: ModuleType
    gateway: Any

    def path(self, key: str, operation: str) -> str:
        root = urlsplit(str(self.gateway.base_url)).path
        return root + str(self.pkg.spec.ENDPOINTS[(key, operation)])

    def headers(
        self,
        *,
        token: str = TOKEN,
        timestamp: str | None = None,
        paasid: str | None = None,
        nonce: str | None = None,
    ) -> dict[str, str]:
        return dict(
            self.pkg.signing.make_headers(
                token,
                self.pkg.spec.PAASID if paasid is None else paasid,
                str(int(NOW)) if timestamp is None else timestamp,
                self.pkg.signing.new_nonce() if nonce is None else nonce,
            )
        )

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.gateway.port, timeout=30)

    def send(
        self,
        path: str,
        body: bytes | None,
        headers: dict[str, str] | None = None,
        method: str = "POST",
        connection: http.client.HTTPConnection | None = None,
    ) -> Reply:
        conn = connection or self.connect()
        try:
            conn.request(
                method, path, body=body, headers=self.headers() if headers is None else headers
            )
            response = conn.getresponse()
            data = response.read()
            return Reply(response.status, json.loads(data) if data else {}, response.headers)
        finally:
            if connection is None:
                conn.close()

    def post(self, key: str, operation: str, payload: object, **header_options: Any) -> Reply:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return self.send(self.path(key, operation), body, self.headers(**header_options))


def guid(n: int) -> str:
    return str(uuid.UUID(int=n))


def example(pkg: ModuleType, key: str, n: int = 1, **changes: object) -> dict[str, object]:
    """The spec's valid example of ``key``, with RowGuid number ``n`` and ``changes``."""
    record = dict(pkg.EXAMPLES[key])
    if "RowGuid" in record:
        record["RowGuid"] = guid(n)
    record.update(changes)
    return record


def reconciliation(table: str, count: int, batch: str = BATCH) -> dict[str, object]:
    return {
        "Table_name": table,
        "Cd_batch": batch,
        "Cd_count": count,
        "Cd_time": "2019-06-20 18:00:00",
    }


@pytest.fixture()
def gateway(mock: ModuleType) -> Iterator[Any]:
    with mock.MockGateway(TOKEN, clock=lambda: NOW) as gw:
        yield gw


@pytest.fixture()
def api(pkg: ModuleType, gateway: Any) -> Api:
    return Api(pkg, gateway)


def assert_refused(reply: Reply, pkg: ModuleType, status_id: str, *fragments: str) -> None:
    status = pkg.spec.STATUSES[status_id]
    assert (reply.status, reply.code) == (status.http_status, status.err_code), reply.body
    assert reply.headers["Content-Type"] == CONTENT_TYPE
    assert set(reply.body) == {"errCode", "errMsg"}
    assert reply.message
    for fragment in fragments:
        assert fragment in reply.message, reply.message
    assert TOKEN not in reply.message


def assert_ok(reply: Reply) -> None:
    assert (reply.status, reply.body) == (200, {"errCode": "0", "errMsg": ""}), reply.body
    assert reply.headers["Content-Type"] == CONTENT_TYPE


# -- every endpoint ------------------------------------------------------------


def test_endpoints_are_the_sixteen_of_the_spec(pkg: ModuleType) -> None:
    assert set(pkg.spec.ENDPOINTS) == {(k, o) for k in KEYS for o in OPERATIONS}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("key", KEYS)
def test_valid_request_is_accepted_and_stored(
    pkg: ModuleType, api: Api, gateway: Any, key: str, operation: str
) -> None:
    batch = operation == "batch_save"
    if key == "reconciliation":
        for business in ("accept", "process"):
            assert_ok(api.post(business, "batch_save", [example(pkg, business, n) for n in (1, 2)]))
        tables = pkg.spec.RECONCILIATION_TABLES
        records = [reconciliation(tables["accept"], 2), reconciliation(tables["process"], 2)]
        assert_ok(api.post(key, operation, records if batch else records[0]))
        assert gateway.records(key) == (records if batch else records[:1])
        return
    records = [example(pkg, key, 1), example(pkg, key, 2)]
    assert_ok(api.post(key, operation, records if batch else records[0]))
    stored = records if batch else records[:1]
    assert gateway.row_guids(key) == {r["RowGuid"] for r in stored}
    assert gateway.count(key, BATCH) == len(stored)
    assert gateway.records(key) == stored


@pytest.mark.parametrize(
    "encode",
    [
        lambda payload: json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        lambda payload: json.dumps(payload, ensure_ascii=True, indent=2),
        lambda payload: " \r\n" + json.dumps(payload, ensure_ascii=False) + "\t\n",
    ],
    ids=["compact", "escaped-and-indented", "surrounded-by-space"],
)
def test_batch_stored_as_received_whatever_its_layout(
    pkg: ModuleType, api: Api, gateway: Any, encode: Callable[[object], str]
) -> None:
    # The gateway stores each record's text as it came in the body: any JSON layout
    # gives back the records sent.
    records = [example(pkg, "accept", n) for n in (1, 2, 3)]
    records[1]["TaskName"] = '事项 "引号"、\\ 与换行\n'
    reply = api.send(api.path("accept", "batch_save"), encode(records).encode("utf-8"))
    assert_ok(reply)
    assert gateway.records("accept") == records


def test_base_url_and_request_count(pkg: ModuleType, api: Api, gateway: Any) -> None:
    assert gateway.base_url == f"http://127.0.0.1:{gateway.port}{pkg.spec.API_ROOT_PATH}"
    assert gateway.request_count == 0
    api.post("accept", "save", example(pkg, "accept"))
    api.send("/nowhere", None, method="GET")
    assert gateway.request_count == 2


def test_keep_alive_connection_survives_refusals(pkg: ModuleType, api: Api, gateway: Any) -> None:
    conn = api.connect()
    try:
        body = json.dumps(example(pkg, "accept")).encode("utf-8")
        path = api.path("accept", "save")
        assert_refused(
            api.send(path, body, api.headers(token="wrong"), connection=conn), pkg, "bad_signature"
        )
        assert_refused(api.send(path + "x", body, connection=conn), pkg, "not_found")
        assert_refused(
            api.send(path, body, method="PUT", connection=conn), pkg, "method_not_allowed"
        )
        assert_ok(api.send(path, body, connection=conn))
    finally:
        conn.close()
    assert gateway.row_guids("accept") == {guid(1)}


# -- refusals, in the order they are checked -----------------------------------


@pytest.mark.parametrize("path", ["/ebus/tysb-sjcj/uppro/nothing/save", "/", "/uppro/accept/save"])
def test_unknown_path(pkg: ModuleType, api: Api, path: str) -> None:
    body = json.dumps(example(pkg, "accept")).encode("utf-8")
    assert_refused(api.send(path, body), pkg, "not_found", "接口不存在")
    assert_refused(api.send(path, None, method="GET"), pkg, "not_found")  # path before method


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW"])
def test_methods_other_than_post(pkg: ModuleType, api: Api, method: str) -> None:
    reply = api.send(api.path("accept", "save"), None, method=method)
    assert_refused(reply, pkg, "method_not_allowed", "POST", method)
    assert reply.headers["Allow"] == "POST"


def test_head_gets_status_without_body(pkg: ModuleType, api: Api) -> None:
    conn = api.connect()
    try:
        conn.request("HEAD", api.path("accept", "save"))
        response = conn.getresponse()
        assert response.status == 405
        assert response.read() == b""
    finally:
        conn.close()


def test_length_required(pkg: ModuleType, api: Api) -> None:
    conn = api.connect()
    try:
        conn.putrequest("POST", api.path("accept", "save"))
        for name, value in api.headers().items():
            conn.putheader(name, value)
        conn.endheaders()  # no Content-Length, no body
        response = conn.getresponse()
        reply = Reply(response.status, json.loads(response.read()), response.headers)
    finally:
        conn.close()
    assert_refused(reply, pkg, "length_required", "Content-Length")


def test_chunked_body_needs_content_length(pkg: ModuleType, api: Api, gateway: Any) -> None:
    conn = api.connect()
    try:
        body = json.dumps(example(pkg, "accept")).encode("utf-8")
        conn.request(
            "POST",
            api.path("accept", "save"),
            body=iter([body]),
            headers=api.headers(),
            encode_chunked=True,
        )
        response = conn.getresponse()
        reply = Reply(response.status, json.loads(response.read()), response.headers)
    finally:
        conn.close()
    assert_refused(reply, pkg, "length_required", "Transfer-Encoding")
    assert gateway.row_guids("accept") == set()


def test_unparsable_request_still_gets_an_envelope(api: Api) -> None:
    with socket.create_connection(("127.0.0.1", api.gateway.port), timeout=30) as sock:
        sock.sendall(b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n")  # four words: bad syntax
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"Content-Type: application/json; charset=utf-8" in head
    assert json.loads(body)["errCode"] == "40000"


def test_body_too_large_is_refused_from_the_header(pkg: ModuleType, api: Api) -> None:
    limit = pkg.spec.BODY_MAX_BYTES
    conn = api.connect()
    try:
        conn.putrequest("POST", api.path("accept", "batch_save"))
        for name, value in api.headers().items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(limit + 1))
        conn.endheaders()  # the body is never sent: the gateway must answer without it
        response = conn.getresponse()
        reply = Reply(response.status, json.loads(response.read()), response.headers)
    finally:
        conn.close()
    assert_refused(reply, pkg, "body_too_large", str(limit + 1), str(limit))
    assert reply.headers["Connection"] == "close"


def test_body_too_large_sent_in_full_still_gets_the_reply(pkg: ModuleType, api: Api) -> None:
    limit = pkg.spec.BODY_MAX_BYTES
    reply = api.send(api.path("accept", "batch_save"), b" " * (limit + 1))
    assert_refused(reply, pkg, "body_too_large")


def test_body_of_exactly_the_limit_is_read(pkg: ModuleType, api: Api, gateway: Any) -> None:
    body = json.dumps([example(pkg, "accept")]).encode("utf-8")
    body += b" " * (pkg.spec.BODY_MAX_BYTES - len(body))
    assert_ok(api.send(api.path("accept", "batch_save"), body))
    assert gateway.row_guids("accept") == {guid(1)}


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/json; charset=gbk", "application/jsonp", "application/xml"],
)
def test_unsupported_media_type(pkg: ModuleType, api: Api, content_type: str | None) -> None:
    headers = api.headers()
    del headers["Content-Type"]
    if content_type is not None:
        headers["Content-Type"] = content_type
    body = json.dumps(example(pkg, "accept")).encode("utf-8")
    assert_refused(
        api.send(api.path("accept", "save"), body, headers), pkg, "unsupported_media_type"
    )


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        CONTENT_TYPE,
        'Application/JSON; Charset="UTF-8"',
        "application/json;charset=utf-8",
    ],
)
def test_json_content_types_accepted(pkg: ModuleType, api: Api, content_type: str) -> None:
    headers = api.headers()
    headers["Content-Type"] = content_type
    body = json.dumps(example(pkg, "accept")).encode("utf-8")
    assert_ok(api.send(api.path("accept", "save"), body, headers))


@pytest.mark.parametrize(
    "header", ["x-tif-paasid", "x-tif-timestamp", "x-tif-nonce", "x-tif-signature"]
)
def test_missing_header(pkg: ModuleType, api: Api, header: str) -> None:
    headers = api.headers()
    del headers[header]
    body = json.dumps(example(pkg, "accept")).encode("utf-8")
    assert_refused(
        api.send(api.path("accept", "save"), body, headers), pkg, "missing_header", header
    )


def test_wrong_paasid(pkg: ModuleType, api: Api) -> None:
    reply = api.post("accept", "save", example(pkg, "accept"), paasid="other-paas")
    assert_refused(reply, pkg, "wrong_paasid", pkg.spec.PAASID, "other-paas")


@pytest.mark.parametrize("offset", [-181, 181, -100_000, 100_000])
def test_stale_timestamp(pkg: ModuleType, api: Api, gateway: Any, offset: int) -> None:
    reply = api.post("accept", "save", example(pkg, "accept"), timestamp=str(int(NOW) + offset))
    assert_refused(reply, pkg, "stale_timestamp", "180", "超前" if offset > 0 else "落后")
    assert gateway.row_guids("accept") == set()


@pytest.mark.parametrize("offset", [-180, 0, 180])
def test_timestamp_within_window(pkg: ModuleType, api: Api, offset: int) -> None:
    assert_ok(api.post("accept", "save", example(pkg, "accept"), timestamp=str(int(NOW) + offset)))


@pytest.mark.parametrize(
    "timestamp", ["abc", "1760000000.0", "-1760000000", "١٧٦٠٠٠٠٠٠٠", "9" * 5000]
)
def test_timestamp_not_decimal_seconds(pkg: ModuleType, api: Api, timestamp: str) -> None:
    headers = api.headers()
    headers["x-tif-timestamp"] = timestamp.encode("utf-8").decode("latin-1")
    body = json.dumps(example(pkg, "accept")).encode("utf-8")
    assert_refused(api.send(api.path("accept", "save"), body, headers), pkg, "stale_timestamp")


def test_window_is_configurable(pkg: ModuleType, mock: ModuleType) -> None:
    with mock.MockGateway(TOKEN, clock=lambda: NOW, window=10) as gw:
        api = Api(pkg, gw)
        assert_ok(api.post("accept", "save", example(pkg, "accept"), timestamp=str(int(NOW) - 10)))
        reply = api.post("accept", "save", example(pkg, "accept"), timestamp=str(int(NOW) - 11))
        assert_refused(reply, pkg, "stale_timestamp", "±10 秒")


def nonce_whose_signature_ends(pkg: ModuleType, zero: bool) -> str:
    """A fixed nonce whose real signature (at NOW) ends in "0", or in anything else."""
    for n in range(1000):
        nonce = f"nonce-{n}"
        signature = pkg.signing.sign(TOKEN, str(int(NOW)), nonce)
        if signature.endswith("0") == zero:
            return nonce
    raise AssertionError("no such nonce among the first 1000")


@pytest.mark.parametrize("ends_in_zero", [True, False])
def test_bad_signature(pkg: ModuleType, api: Api, gateway: Any, ends_in_zero: bool) -> None:
    reply = api.post("accept", "save", example(pkg, "accept"), token="not-the-token")
    assert_refused(reply, pkg, "bad_signature", "6.3.2")
    headers = api.headers(nonce=nonce_whose_signature_ends(pkg, ends_in_zero))
    real = headers["x-tif-signature"]
    # One hex digit changed, whatever the real one ends in (hex is compared in any case).
    headers["x-tif-signature"] = real[:-1] + ("1" if real[-1] == "0" else "0")
    assert headers["x-tif-signature"].upper() != real.upper()
    body = json.dumps(example(pkg, "accept")).encode("utf-8")
    assert_refused(api.send(api.path("accept", "save"), body, headers), pkg, "bad_signature")
    assert gateway.row_guids("accept") == set()


def test_signature_hex_is_case_insensitive(pkg: ModuleType, api: Api) -> None:
    headers = api.headers()
    headers["x-tif-signature"] = headers["x-tif-signature"].lower()
    body = json.dumps(example(pkg, "accept")).encode("utf-8")
    assert_ok(api.send(api.path("accept", "save"), body, headers))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"\xff\xfe{}",
        '{"RowGuid": "é"}'.encode("latin-1"),
        b"[NaN]",
        b"{} {}",
        b"[" * 100_000,
    ],
)
def test_bad_json(pkg: ModuleType, api: Api, body: bytes) -> None:
    assert_refused(api.send(api.path("accept", "batch_save"), body), pkg, "bad_json")


@pytest.mark.parametrize(
    ("operation", "payload", "fragment"),
    [
        ("save", [], "JSON 对象"),
        ("save", "text", "JSON 对象"),
        ("batch_save", {}, "对象数组"),
        ("batch_save", None, "对象数组"),
        ("batch_save", [{}, 1], "第 2 项"),
    ],
)
def test_wrong_shape(
    pkg: ModuleType, api: Api, operation: str, payload: object, fragment: str
) -> None:
    assert_refused(api.post("accept", operation, payload), pkg, "wrong_shape", fragment)


@pytest.mark.parametrize("size", [0, 100, 150])
def test_batch_too_large(pkg: ModuleType, api: Api, gateway: Any, size: int) -> None:
    records = [example(pkg, "accept", n) for n in range(1, size + 1)]
    reply = api.post("accept", "batch_save", records)
    assert_refused(reply, pkg, "batch_too_large", f"{size} 条", str(pkg.spec.BATCH_MAX_RECORDS))
    assert gateway.row_guids("accept") == set()


def test_batch_of_the_maximum_is_accepted(pkg: ModuleType, api: Api, gateway: Any) -> None:
    size = pkg.spec.BATCH_MAX_RECORDS
    assert_ok(
        api.post("accept", "batch_save", [example(pkg, "accept", n) for n in range(1, size + 1)])
    )
    assert gateway.count("accept", BATCH) == size


def test_invalid_record_stores_nothing(pkg: ModuleType, api: Api, gateway: Any) -> None:
    records = [
        example(pkg, "accept", 1),
        example(pkg, "accept", 2, ApplyDate="2019-02-29 09:00:00"),
    ]
    reply = api.post("accept", "batch_save", records)
    # Written out by hand: the record's number, the wire name and its label (表 3), the rule,
    # the value as sent and the table.
    expected = (
        "第 2 条：ApplyDate（申请时间）：日期时间无效［datetime］，'2019-02-29 09:00:00' "
        "应为 yyyy-MM-dd HH:mm:ss 格式的真实日期时间（北京时间）（表 3）"
    )
    assert_refused(reply, pkg, "invalid_record")
    assert reply.message == "办件受理信息校验失败，1 处问题，整个请求未保存：" + expected
    assert "第 1 条" not in reply.message
    assert gateway.row_guids("accept") == set()
    assert gateway.count("accept", BATCH) == 0


def test_invalid_record_unknown_field_and_missing_required(pkg: ModuleType, api: Api) -> None:
    record = example(pkg, "process")
    del record["ProjectNo"]
    record["Bogus"] = 1
    reply = api.post("process", "save", record)
    assert_refused(reply, pkg, "invalid_record", "ProjectNo", "Bogus")
    assert "第 1 条" not in reply.message  # a single record needs no number


def test_invalid_record_message_is_truncated(pkg: ModuleType, api: Api) -> None:
    records = [{"RowGuid": n, "Junk": "x" * 500} for n in range(99)]
    reply = api.post("accept", "batch_save", records)
    assert_refused(reply, pkg, "invalid_record", "处问题")
    assert len(reply.message) <= 2000
    assert "第 99 条" not in reply.message


def test_reconciliation_record_invalid(pkg: ModuleType, api: Api) -> None:
    reply = api.post("reconciliation", "save", reconciliation("no_such_table", 1))
    assert_refused(reply, pkg, "invalid_record", "Table_name")


@pytest.mark.parametrize(
    ("change", "status_id"),
    [
        ({"Content-Type": "text/plain", "x-tif-paasid": None}, "unsupported_media_type"),
        ({"x-tif-nonce": None, "x-tif-paasid": "other"}, "missing_header"),
        ({"x-tif-paasid": "other", "x-tif-timestamp": "1"}, "wrong_paasid"),
        ({"x-tif-timestamp": "1"}, "stale_timestamp"),  # the signature no longer fits either
    ],
)
def test_checks_come_in_order(
    pkg: ModuleType, api: Api, change: dict[str, str | None], status_id: str
) -> None:
    headers: dict[str, str] = api.headers()
    for name, value in change.items():
        if value is None:
            del headers[name]
        else:
            headers[name] = value
    assert_refused(api.send(api.path("accept", "save"), b"not json", headers), pkg, status_id)


def test_auth_before_json(pkg: ModuleType, api: Api) -> None:
    body = b"not json"
    reply = api.send(api.path("accept", "save"), body, api.headers(token="wrong"))
    assert_refused(reply, pkg, "bad_signature")


def test_unexpected_error_is_an_envelope(
    pkg: ModuleType, api: Api, gateway: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(key: str, records: object) -> None:
        raise RuntimeError(f"disk on fire {TOKEN}")

    monkeypatch.setattr(gateway, "_store", boom)
    reply = api.post("accept", "save", example(pkg, "accept"))
    assert_refused(reply, pkg, "internal_error")
    assert "disk on fire" not in reply.message


# -- storage -------------------------------------------------------------------


def test_same_row_guid_twice_is_one_row(pkg: ModuleType, api: Api, gateway: Any) -> None:
    record = example(pkg, "material", 7)
    assert_ok(api.post("material", "save", record))
    assert_ok(api.post("material", "save", record))
    assert_ok(api.post("material", "batch_save", [record, record]))
    assert gateway.row_guids("material") == {guid(7)}
    assert gateway.count("material", BATCH) == 1
    assert len(gateway.records("material")) == 1


def test_update_replaces_the_record(pkg: ModuleType, api: Api, gateway: Any) -> None:
    assert_ok(api.post("accept", "save", example(pkg, "accept", 1, TaskName="旧名称")))
    assert_ok(api.post("accept", "save", example(pkg, "accept", 2)))
    assert_ok(
        api.post("accept", "save", example(pkg, "accept", 1, TaskName="新名称", Cd_Operation="U"))
    )
    records = gateway.records("accept")
    assert [r["RowGuid"] for r in records] == [guid(1), guid(2)]  # order of first arrival
    assert records[0]["TaskName"] == "新名称"
    assert records[0]["Cd_Operation"] == "U"
    assert gateway.count("accept", BATCH) == 2


def test_delete_marks_deleted_and_still_counts(pkg: ModuleType, api: Api, gateway: Any) -> None:
    assert_ok(api.post("result", "batch_save", [example(pkg, "result", n) for n in (1, 2)]))
    assert_ok(api.post("result", "save", example(pkg, "result", 2, Cd_Operation="D")))
    assert gateway.row_guids("result") == {guid(1), guid(2)}
    assert gateway.deleted_guids("result") == {guid(2)}
    assert gateway.count("result", BATCH) == 2
    table = pkg.spec.RECONCILIATION_TABLES["result"]
    assert_ok(api.post("reconciliation", "save", reconciliation(table, 2)))


def test_update_without_insert_and_delete_of_unknown_are_stored(
    pkg: ModuleType, api: Api, gateway: Any
) -> None:
    assert_ok(api.post("receive", "save", example(pkg, "receive", 1, Cd_Operation="U")))
    assert_ok(api.post("receive", "save", example(pkg, "receive", 2, Cd_Operation="D")))
    assert gateway.row_guids("receive") == {guid(1), guid(2)}
    assert gateway.deleted_guids("receive") == {guid(2)}


def test_count_is_per_batch_and_per_type(pkg: ModuleType, api: Api, gateway: Any) -> None:
    assert_ok(api.post("accept", "save", example(pkg, "accept", 1)))
    assert_ok(
        api.post(
            "accept", "save", example(pkg, "accept", 1, Cd_Batch=OTHER_BATCH, Cd_Operation="U")
        )
    )
    assert_ok(api.post("accept", "save", example(pkg, "accept", 2, Cd_Batch=OTHER_BATCH)))
    assert_ok(api.post("process", "save", example(pkg, "process", 3)))
    assert gateway.count("accept", BATCH) == 1
    assert gateway.count("accept", OTHER_BATCH) == 2
    assert gateway.count("process", BATCH) == 1
    assert gateway.count("process", OTHER_BATCH) == 0
    with pytest.raises(ValueError):
        gateway.count("acept", BATCH)


def test_reconciliation_mismatch(pkg: ModuleType, api: Api, gateway: Any) -> None:
    tables = pkg.spec.RECONCILIATION_TABLES
    assert_ok(api.post("accept", "batch_save", [example(pkg, "accept", n) for n in (1, 2)]))
    reply = api.post(
        "reconciliation",
        "batch_save",
        [reconciliation(tables["accept"], 2), reconciliation(tables["accept"], 3, OTHER_BATCH)],
    )
    status = pkg.spec.STATUSES["reconciliation_mismatch"]
    assert (
        (reply.status, reply.code)
        == (200, status.err_code)
        == (status.http_status, status.err_code)
    )
    assert tables["accept"] in reply.message
    assert OTHER_BATCH in reply.message
    assert "3" in reply.message and "0 条" in reply.message
    assert BATCH + "：" not in reply.message  # the matching record is not reported
    assert gateway.records("reconciliation") == []  # the request fails whole
    reply = api.post("reconciliation", "save", reconciliation(tables["accept"], 1))
    assert reply.code == status.err_code
    assert "对账记录数 1" in reply.message and "存有 2 条" in reply.message


def test_reconciliation_record_is_upserted(pkg: ModuleType, api: Api, gateway: Any) -> None:
    table = pkg.spec.RECONCILIATION_TABLES["correction"]
    assert_ok(api.post("reconciliation", "save", reconciliation(table, 0)))
    assert_ok(api.post("correction", "save", example(pkg, "correction")))
    assert_ok(api.post("reconciliation", "save", reconciliation(table, 1)))
    assert [r["Cd_count"] for r in gateway.records("reconciliation")] == [1]


def test_file_database_persists(pkg: ModuleType, mock: ModuleType, tmp_path: Path) -> None:
    db = str(tmp_path / "gateway.sqlite")
    with mock.MockGateway(TOKEN, db=db, clock=lambda: NOW) as gw:
        assert_ok(Api(pkg, gw).post("accept", "save", example(pkg, "accept")))
    gw.close()
    later = mock.MockGateway(TOKEN, db=db, clock=lambda: NOW)
    try:
        assert later.row_guids("accept") == {guid(1)}
        assert later.count("accept", BATCH) == 1
    finally:
        later.close()


def test_queries_work_after_stop(pkg: ModuleType, mock: ModuleType) -> None:
    with mock.MockGateway(TOKEN, clock=lambda: NOW) as gw:
        assert_ok(Api(pkg, gw).post("accept", "save", example(pkg, "accept")))
    assert gw.row_guids("accept") == {guid(1)}
    with pytest.raises(RuntimeError):
        gw.start()
    gw.close()


def test_constructor_checks_arguments(mock: ModuleType) -> None:
    for bad in ({"fault_rate": 1.5}, {"errcode_rate": -0.1}, {"window": 0}, {"delay_ms": -1}):
        with pytest.raises(ValueError):
            mock.MockGateway(TOKEN, **bad)
    with pytest.raises(ValueError):
        mock.MockGateway("")


# -- injected faults and business errors --------------------------------------


def run_with_faults(
    pkg: ModuleType, mock: ModuleType, seed: int
) -> tuple[list[str], list[str], set[str]]:
    with mock.MockGateway(TOKEN, clock=lambda: NOW, seed=seed, fault_rate=0.5) as gw:
        api = Api(pkg, gw)
        outcomes: list[str] = []
        guids: list[str] = []
        for n in range(1, 201):
            record = example(pkg, "accept", n)
            guids.append(str(record["RowGuid"]))
            try:
                reply = api.post("accept", "save", record)
            except (http.client.RemoteDisconnected, ConnectionResetError):
                outcomes.append("dropped")
            else:
                outcomes.append(f"{reply.status} {reply.code}")
        stored = gw.row_guids("accept")
    return outcomes, guids, stored


def test_fault_injection_is_seeded_and_covers_every_fault(
    pkg: ModuleType, mock: ModuleType
) -> None:
    outcomes, guids, stored = run_with_faults(pkg, mock, seed=20190620)
    assert set(outcomes) == {"200 0", "503 50300", "500 50000", "dropped"}
    assert 60 <= outcomes.count("200 0") <= 140
    by_outcome: dict[str, set[str]] = {}
    for outcome, row_guid in zip(outcomes, guids, strict=True):
        by_outcome.setdefault(outcome, set()).add(row_guid)
    assert by_outcome["200 0"] <= stored
    assert by_outcome["500 50000"] <= stored  # internal error after storing
    assert not by_outcome["503 50300"] & stored  # unavailable before storing
    dropped = by_outcome["dropped"]
    assert dropped & stored and dropped - stored  # dropped both before and after storing

    assert run_with_faults(pkg, mock, seed=20190620) == (outcomes, guids, stored)
    assert run_with_faults(pkg, mock, seed=1)[0] != outcomes


def test_faults_spare_refusals(pkg: ModuleType, mock: ModuleType) -> None:
    with mock.MockGateway(TOKEN, clock=lambda: NOW, seed=3, fault_rate=1.0, errcode_rate=1.0) as gw:
        api = Api(pkg, gw)
        for _ in range(10):
            reply = api.post("accept", "save", example(pkg, "accept"), token="wrong")
            assert_refused(reply, pkg, "bad_signature")
            assert_refused(api.post("accept", "save", []), pkg, "wrong_shape")
            assert_refused(api.send("/nowhere", None, method="GET"), pkg, "not_found")


def test_errcode_injection(pkg: ModuleType, mock: ModuleType) -> None:
    status = pkg.spec.STATUSES["business_error"]
    with mock.MockGateway(TOKEN, clock=lambda: NOW, seed=5, errcode_rate=1.0) as gw:
        reply = Api(pkg, gw).post("accept", "save", example(pkg, "accept"))
        assert (reply.status, reply.code) == (200, status.err_code)
        assert reply.code != pkg.spec.SUCCESS_CODE and reply.message
        assert gw.row_guids("accept") == set()
    with mock.MockGateway(TOKEN, clock=lambda: NOW, seed=5, errcode_rate=0.5) as gw:
        codes = [
            Api(pkg, gw).post("accept", "save", example(pkg, "accept", n)).code for n in range(40)
        ]
        assert set(codes) == {"0", status.err_code}


def test_delay(pkg: ModuleType, mock: ModuleType) -> None:
    with mock.MockGateway(TOKEN, clock=lambda: NOW, delay_ms=60) as gw:
        started = time.monotonic()
        assert_ok(Api(pkg, gw).post("accept", "save", example(pkg, "accept")))
        assert time.monotonic() - started >= 0.06


def test_token_never_logged(
    pkg: ModuleType, mock: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="gdzw_uppro.mock")
    with mock.MockGateway(TOKEN, clock=lambda: NOW, seed=2, fault_rate=0.5) as gw:
        api = Api(pkg, gw)
        for n in range(20):
            try:
                api.post("accept", "save", example(pkg, "accept", n))
            except (http.client.RemoteDisconnected, ConnectionResetError):
                pass
        api.post("accept", "save", example(pkg, "accept"), token="wrong")
        api.post("accept", "save", example(pkg, "accept"), timestamp="1")
    assert "模拟网关已启动" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(gw)


# -- command line --------------------------------------------------------------


def cli_env(project: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(project / "generated" / "python")}


def test_cli_help(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gdzw_uppro.mock", "--help"],
        capture_output=True,
        text=True,
        env=cli_env(project),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    for option in (
        "--port",
        "--token",
        "--host",
        "--db",
        "--window",
        "--seed",
        "--fault-rate",
        "--errcode-rate",
        "--delay",
        "--paasid",
    ):
        assert option in result.stdout


def test_cli_rejects_bad_rate(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gdzw_uppro.mock", "--token", "T", "--fault-rate", "2"],
        capture_output=True,
        text=True,
        env=cli_env(project),
        timeout=60,
    )
    assert result.returncode == 2
    assert "--fault-rate" in result.stderr


# Runs a command with SIGINT ignored from the start, inherited through exec, as for a
# job started in the background by a non-interactive shell.
SIGINT_IGNORED = ["/bin/sh", "-c", 'trap "" INT; exec "$@"', "sh"]


def test_sigint_ignored_prefix_really_ignores_sigint() -> None:
    result = subprocess.run(
        [
            *SIGINT_IGNORED,
            sys.executable,
            "-c",
            "import signal; print(signal.getsignal(2) is signal.SIG_IGN)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "True", result.stderr


@pytest.mark.parametrize(
    ("signum", "sigint_ignored"),
    [
        (signal.SIGINT, False),
        (signal.SIGINT, True),
        (signal.SIGTERM, False),
        (signal.SIGTERM, True),
    ],
    ids=["SIGINT", "SIGINT-with-SIGINT-ignored", "SIGTERM", "SIGTERM-with-SIGINT-ignored"],
)
def test_cli_serves_until_interrupted(
    pkg: ModuleType, project: Path, signum: signal.Signals, sigint_ignored: bool
) -> None:
    command = [sys.executable, "-m", "gdzw_uppro.mock", "--port", "0", "--token", TOKEN]
    process = subprocess.Popen(
        (SIGINT_IGNORED if sigint_ignored else []) + command + ["--seed", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(project),
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        parts = urlsplit(base_url)
        assert (parts.scheme, parts.hostname, parts.path) == (
            "http",
            "127.0.0.1",
            pkg.spec.API_ROOT_PATH,
        )
        headers = pkg.signing.make_headers(
            TOKEN, pkg.spec.PAASID, pkg.signing.timestamp_now(), pkg.signing.new_nonce()
        )
        conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=30)
        try:
            body = json.dumps(example(pkg, "accept")).encode("utf-8")
            conn.request("POST", parts.path + "/uppro/accept/save", body=body, headers=headers)
            response = conn.getresponse()
            assert (response.status, json.loads(response.read())) == (
                200,
                {"errCode": "0", "errMsg": ""},
            )
        finally:
            conn.close()
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert TOKEN not in stderr
    assert "模拟网关已启动" in stderr
