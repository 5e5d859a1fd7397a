"""The generated signing client, driven through fake transports: no network, no real sleeps."""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import random
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

TOKEN = "tok-SECRET-7c1e9b2f-不要外泄"
START = 1_700_000_000.0
OK_BODY = '{"errCode":"0","errMsg":"成功"}'.encode()


# ---------------------------------------------------------------- fixtures and fakes


@pytest.fixture(scope="module")
def cm(pkg: ModuleType) -> ModuleType:
    """gdzw_uppro.client of this session's build."""
    module: ModuleType = importlib.import_module(pkg.__name__ + ".client")
    assert module is pkg.client
    return module


def response(cm: ModuleType, status: int = 200, body: bytes | str = OK_BODY, **headers: str) -> Any:
    data = body.encode() if isinstance(body, str) else body
    return cm.HttpResponse(status, {"Content-Type": "application/json", **headers}, data)


def envelope(code: object, msg: str = "") -> str:
    return json.dumps({"errCode": code, "errMsg": msg}, ensure_ascii=False)


class Gateway:
    """A fake transport: answers from a script (then ``default``), recording every request.

    A script item is an HttpResponse, an exception to raise, or a callable of the request.
    """

    def __init__(self, cm: ModuleType, *script: object, default: object = None) -> None:
        self.script = list(script)
        self.default = default if default is not None else response(cm)
        self.requests: list[Any] = []
        self.on_request: Callable[[Any], None] | None = None

    def __call__(self, request: Any) -> Any:
        self.requests.append(request)
        if self.on_request is not None:
            self.on_request(request)
        item = self.script.pop(0) if self.script else self.default
        if callable(item) and not isinstance(item, BaseException):
            item = item(request)
        if isinstance(item, BaseException):
            raise item
        return item

    def bodies(self) -> list[Any]:
        return [json.loads(r.body.decode("utf-8")) for r in self.requests]


@dataclass
class Clock:
    now: float = START
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


class MaxRandom(random.Random):
    """Full jitter that always picks the top of the range: shows the backoff envelope."""

    def uniform(self, a: float, b: float) -> float:
        return b


def make_client(cm: ModuleType, gateway: Any, clock: Clock | None = None, **kwargs: Any) -> Any:
    clock = clock or Clock()
    kwargs.setdefault("environment", "test")
    kwargs.setdefault("rng", random.Random(1234))
    return cm.Client(token=TOKEN, transport=gateway, sleep=clock.sleep, clock=clock, **kwargs)


def row_guid(n: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"gdzw-test/{n}"))


def accept(pkg: ModuleType, n: int = 0, **changes: object) -> dict[str, object]:
    record = dict(pkg.EXAMPLES["accept"])
    record["RowGuid"] = row_guid(n)
    record.update(changes)
    return record


def invalid_accept(pkg: ModuleType, n: int) -> dict[str, object]:
    record = accept(pkg, n, ApplyType="not-a-code")
    del record["ProjectNo"]
    return record


# ---------------------------------------------------------------- signing (6.3.2)


def test_sign_is_uppercase_sha256_of_timestamp_token_nonce_timestamp(cm: ModuleType) -> None:
    for token, timestamp, nonce in [
        ("my-token", "1561000000", "abc123"),
        ("令牌", "1700000000", "n"),
        ("", "0", ""),
    ]:
        expected = hashlib.sha256(
            (timestamp + token + nonce + timestamp).encode("utf-8")
        ).hexdigest()
        assert cm.sign(token, timestamp, nonce) == expected.upper()


def test_sign_known_vector(cm: ModuleType) -> None:
    # printf '%s' 1561000000my-tokenabc1231561000000 | sha256sum
    assert cm.sign("my-token", "1561000000", "abc123") == (
        "3A91993AB003F5189B8146D398CE4061990C54B074E258A7E55C684AFAE2B93C"
    )
    assert cm.sign("my-token", "1561000000", "abc123") != cm.sign(
        "my-token", "1561000001", "abc123"
    )


# ---------------------------------------------------------------- headers and body


def test_every_request_is_signed_with_fresh_nonce(cm: ModuleType, pkg: ModuleType) -> None:
    clock = Clock()
    gateway = Gateway(cm, response(cm, 503, envelope("50300", "忙")), response(cm))
    client = make_client(cm, gateway, clock)
    client.accept.save(accept(pkg, 1))
    clock.now += 5
    client.accept.save(accept(pkg, 2))
    client.process.batch_save([dict(pkg.EXAMPLES["process"])])

    assert len(gateway.requests) == 4  # one retry of the first save
    nonces = [r.headers["x-tif-nonce"] for r in gateway.requests]
    assert len(set(nonces)) == 4 and all(nonces)
    first_ts = gateway.requests[0].headers["x-tif-timestamp"]
    assert first_ts == str(int(START))
    for request in gateway.requests:
        headers = dict(request.headers)
        assert set(headers) == {
            "x-tif-paasid",
            "x-tif-timestamp",
            "x-tif-nonce",
            "x-tif-signature",
            "Content-Type",
        }
        assert headers["x-tif-paasid"] == "tysb-sjcj"
        assert headers["Content-Type"] == "application/json"
        ts = headers["x-tif-timestamp"]
        assert ts.isdigit() and abs(int(ts) - int(START)) < 1000
        message = ts + TOKEN + headers["x-tif-nonce"] + ts
        assert headers["x-tif-signature"] == hashlib.sha256(message.encode()).hexdigest().upper()
    # the timestamp follows the injected clock, including across the retry's sleep
    assert int(gateway.requests[1].headers["x-tif-timestamp"]) == round(START + clock.sleeps[0])
    assert gateway.requests[2].headers["x-tif-timestamp"] == str(round(clock.sleeps[0] + START + 5))


def test_paasid_can_be_overridden(cm: ModuleType, pkg: ModuleType) -> None:
    gateway = Gateway(cm)
    make_client(cm, gateway, paasid="other-paas").accept.save(accept(pkg))
    assert gateway.requests[0].headers["x-tif-paasid"] == "other-paas"


def test_body_is_utf8_json_with_canonical_names(cm: ModuleType, pkg: ModuleType) -> None:
    gateway = Gateway(cm)
    record = accept(pkg, 1)
    reply = make_client(cm, gateway).accept.save(record)
    assert reply == cm.Reply("0", "成功")
    body = gateway.requests[0].body
    assert isinstance(body, bytes)
    assert json.loads(body.decode("utf-8")) == record
    assert "张三".encode() in body and "广州市天河区".encode() in body
    assert b"\\u" not in body  # Chinese is sent as UTF-8, not \\uXXXX escapes


@pytest.mark.parametrize("environment", ["test", "production"])
def test_environment_resolves_to_https_api_root(
    cm: ModuleType, pkg: ModuleType, environment: str
) -> None:
    root = pkg.spec.API_ROOTS[environment]
    assert root.startswith("https://") and root.endswith("/ebus/tysb-sjcj")
    gateway = Gateway(cm)
    client = make_client(cm, gateway, environment=environment)
    assert client.base_url == root
    client.accept.save(accept(pkg))
    client.accept.batch_save([accept(pkg)])
    assert [r.url for r in gateway.requests] == [
        root + "/uppro/accept/save",
        root + "/uppro/accept/batchSave",
    ]


def test_every_record_type_has_save_and_batch_save(cm: ModuleType, pkg: ModuleType) -> None:
    gateway = Gateway(cm)
    client = make_client(cm, gateway)
    root = pkg.spec.API_ROOTS["test"]
    for key in pkg.RECORD_KEYS:
        example = dict(pkg.EXAMPLES[key])
        client.group(key).save(example)
        report = client.group(key).batch_save([example])
        assert report.ok and report.requests == 1
        assert gateway.requests[-2].url == f"{root}/uppro/{key}/save"
        assert gateway.requests[-1].url == f"{root}/uppro/{key}/batchSave"
        assert gateway.bodies()[-2] == example
        assert gateway.bodies()[-1] == [example]
    with pytest.raises(ValueError):
        client.group("nope")


def test_base_url_trailing_slash(cm: ModuleType, pkg: ModuleType) -> None:
    gateway = Gateway(cm)
    client = make_client(cm, gateway, environment=None, base_url="https://gw.example/ebus/x/")
    client.result.save(dict(pkg.EXAMPLES["result"]))
    assert gateway.requests[0].url == "https://gw.example/ebus/x/uppro/result/save"


# ---------------------------------------------------------------- configuration


def test_plain_http_refused_for_remote_hosts(cm: ModuleType) -> None:
    for url in [
        "http://example.com/ebus/tysb-sjcj",
        "http://10.1.2.3:8080/ebus",
        "http://[2001:db8::1]/",
    ]:
        with pytest.raises(ValueError, match="HTTP"):
            cm.Client(token=TOKEN, base_url=url)
        client = cm.Client(token=TOKEN, base_url=url, allow_insecure_http=True)
        assert client.base_url == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/ebus/tysb-sjcj",
        "http://localhost:8080/ebus/tysb-sjcj",
        "http://[::1]:8080/ebus/tysb-sjcj",
    ],
)
def test_plain_http_allowed_for_loopback(cm: ModuleType, pkg: ModuleType, url: str) -> None:
    gateway = Gateway(cm)
    client = make_client(cm, gateway, environment=None, base_url=url)
    client.accept.save(accept(pkg))
    assert gateway.requests[0].url == url + "/uppro/accept/save"


def test_base_url_and_environment_exactly_one(cm: ModuleType) -> None:
    with pytest.raises(ValueError):
        cm.Client(token=TOKEN)
    with pytest.raises(ValueError):
        cm.Client(token=TOKEN, environment="test", base_url="https://gw.example/ebus")
    with pytest.raises(ValueError, match="staging"):
        cm.Client(token=TOKEN, environment="staging")
    with pytest.raises(ValueError):
        cm.Client(token="", environment="test")
    with pytest.raises(ValueError):
        cm.Client(token=TOKEN, base_url="ftp://gw.example/ebus")


# ---------------------------------------------------------------- records in


def test_dataclass_records_are_sent_as_wire_json(cm: ModuleType, pkg: ModuleType) -> None:
    gateway = Gateway(cm)
    record = accept(pkg, 3)
    make_client(cm, gateway).accept.save(pkg.AcceptRecord.from_dict(record))
    assert gateway.bodies() == [record]


def test_mappings_are_normalized_before_sending(cm: ModuleType, pkg: ModuleType) -> None:
    gateway = Gateway(cm)
    record = accept(pkg, 4)
    loose = {key[0].lower() + key[1:]: value for key, value in record.items()}
    loose["ApplyUserIdCode"] = loose.pop("applyUerIdCode")  # the errata's alias
    assert "rowGuid" in loose and "ApplyUserIdCode" in loose
    client = make_client(cm, gateway)
    client.accept.save(loose)
    client.accept.batch_save([loose])
    sent_one, sent_batch = gateway.bodies()
    assert sent_one == record
    assert sent_batch == [record]
    assert "ApplyUerIdCode" in gateway.requests[0].body.decode()
    assert "ApplyUserIdCode" not in gateway.requests[0].body.decode()


def test_invalid_records_are_refused_and_never_sent(cm: ModuleType, pkg: ModuleType) -> None:
    gateway = Gateway(cm)
    client = make_client(cm, gateway)
    bad = invalid_accept(pkg, 5)
    with pytest.raises(pkg.InvalidRecordError) as info:
        client.accept.save(bad)
    fields = {p.field for p in info.value.problems}
    assert {"ProjectNo", "ApplyType"} <= fields
    with pytest.raises(pkg.InvalidRecordError):
        client.accept.save(pkg.EXAMPLES["process"])  # a record of another type
    with pytest.raises(TypeError):
        client.accept.save(["not", "a", "record"])
    assert gateway.requests == []


def test_validate_false_sends_invalid_records(cm: ModuleType, pkg: ModuleType) -> None:
    gateway = Gateway(cm)
    bad = invalid_accept(pkg, 6)
    make_client(cm, gateway, validate=False).accept.save(bad)
    assert gateway.bodies() == [bad]


# ---------------------------------------------------------------- replies


def test_err_code_zero_is_success_string_or_number(cm: ModuleType, pkg: ModuleType) -> None:
    gateway = Gateway(
        cm, response(cm, body=envelope("0", "ok")), response(cm, body=envelope(0, "ok"))
    )
    client = make_client(cm, gateway)
    assert client.accept.save(accept(pkg)) == cm.Reply("0", "ok")
    assert client.accept.save(accept(pkg)) == cm.Reply("0", "ok")


@pytest.mark.parametrize("code", ["40001", 40001, "-1"])
def test_nonzero_err_code_raises(cm: ModuleType, pkg: ModuleType, code: object) -> None:
    clock = Clock()
    gateway = Gateway(cm, default=response(cm, body=envelope(code, "字段校验不通过")))
    record = accept(pkg, 7)
    with pytest.raises(cm.ErrCodeError) as info:
        make_client(cm, gateway, clock).accept.save(record)
    error = info.value
    assert error.err_code == str(code)
    assert error.err_msg == "字段校验不通过"
    assert error.records == (record,)
    assert not error.retryable
    assert len(gateway.requests) == 1 and clock.sleeps == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413])
def test_http_4xx_is_not_retried(cm: ModuleType, pkg: ModuleType, status: int) -> None:
    clock = Clock()
    gateway = Gateway(cm, default=response(cm, status, envelope("40100", "签名错误")))
    with pytest.raises(cm.HttpStatusError) as info:
        make_client(cm, gateway, clock).accept.save(accept(pkg))
    assert info.value.status == status
    assert info.value.err_code == "40100" and info.value.err_msg == "签名错误"
    assert not info.value.retryable
    assert len(gateway.requests) == 1 and clock.sleeps == []


def test_http_error_without_envelope(cm: ModuleType, pkg: ModuleType) -> None:
    gateway = Gateway(cm, default=response(cm, 404, b"<html>not found</html>"))
    with pytest.raises(cm.HttpStatusError) as info:
        make_client(cm, gateway).accept.save(accept(pkg))
    assert info.value.status == 404 and info.value.err_code is None


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_5xx_and_429_retried_up_to_attempts_then_raised(
    cm: ModuleType, pkg: ModuleType, status: int
) -> None:
    clock = Clock()
    gateway = Gateway(cm, default=response(cm, status, envelope("50000", "内部错误")))
    client = make_client(cm, gateway, clock, retry=cm.RetryPolicy(attempts=3))
    record = accept(pkg, 8)
    with pytest.raises(cm.HttpStatusError) as info:
        client.accept.save(record)
    assert info.value.status == status and info.value.retryable
    assert info.value.records == (record,)
    assert len(gateway.requests) == 3
    assert len(clock.sleeps) == 2
    assert len({r.headers["x-tif-nonce"] for r in gateway.requests}) == 3
    assert all(r.body == gateway.requests[0].body for r in gateway.requests)


def test_5xx_then_success(cm: ModuleType, pkg: ModuleType) -> None:
    clock = Clock()
    gateway = Gateway(cm, response(cm, 500, b""), response(cm, 502, b"bad gateway"), response(cm))
    assert make_client(cm, gateway, clock).accept.save(accept(pkg)) == cm.Reply("0", "成功")
    assert len(gateway.requests) == 3 and len(clock.sleeps) == 2


def test_429_honours_retry_after(cm: ModuleType, pkg: ModuleType) -> None:
    clock = Clock()
    gateway = Gateway(
        cm,
        response(cm, 429, envelope("42900", "限流"), **{"Retry-After": "7"}),
        response(cm, 429, b"", **{"retry-after": "2.5"}),
        response(cm),
    )
    assert make_client(cm, gateway, clock).accept.save(accept(pkg)).err_code == "0"
    assert clock.sleeps == [7.0, 2.5]


def test_retry_after_over_ceiling_ends_retries(cm: ModuleType, pkg: ModuleType) -> None:
    """A wait the policy won't make is not shortened: the client stops and sends nothing more."""
    clock = Clock()
    gateway = Gateway(cm, response(cm, 429, b"", **{"Retry-After": "3600"}), response(cm))
    policy = cm.RetryPolicy(ceiling=12.0, deadline=10_000)
    client = make_client(cm, gateway, clock, retry=policy)
    with pytest.raises(cm.RetryLaterError) as info:
        client.accept.save(accept(pkg))
    assert info.value.retry_after == 3600.0 and info.value.status == 429
    assert not info.value.retryable and not info.value.counts_as_attempt
    assert clock.sleeps == [] and len(gateway.requests) == 1
    clock.now += 3599
    with pytest.raises(cm.RetryLaterError, match="未发送"):
        client.accept.save(accept(pkg))  # still inside the gateway's wait: nothing sent
    assert len(gateway.requests) == 1
    clock.now += 1
    assert client.accept.save(accept(pkg)).err_code == "0"
    assert len(gateway.requests) == 2


def test_connection_failure_is_retried(cm: ModuleType, pkg: ModuleType) -> None:
    clock = Clock()
    gateway = Gateway(
        cm, cm.TransportError("connection reset"), cm.TransportError("timed out"), response(cm)
    )
    assert make_client(cm, gateway, clock).accept.save(accept(pkg)).err_code == "0"
    assert len(gateway.requests) == 3 and len(clock.sleeps) == 2


def test_connection_failure_raised_after_attempts(cm: ModuleType, pkg: ModuleType) -> None:
    gateway = Gateway(cm, default=cm.TransportError("refused"))
    client = make_client(cm, gateway, retry=cm.RetryPolicy(attempts=4))
    with pytest.raises(cm.TransportError):
        client.accept.save(accept(pkg))
    assert len(gateway.requests) == 4


@pytest.mark.parametrize(
    "body", [b"<html>ok</html>", b"", b'{"code":0}', b"[1,2]", b'{"errCode":null}', b"\xff\xfe"]
)
def test_non_envelope_reply_is_a_format_error(cm: ModuleType, pkg: ModuleType, body: bytes) -> None:
    clock = Clock()
    gateway = Gateway(cm, default=response(cm, 200, body))
    with pytest.raises(cm.ReplyFormatError):
        make_client(cm, gateway, clock).accept.save(accept(pkg))
    assert len(gateway.requests) == 1 and clock.sleeps == []


# ---------------------------------------------------------------- backoff and deadline


def test_backoff_grows_and_stays_under_ceiling(cm: ModuleType, pkg: ModuleType) -> None:
    clock = Clock()
    gateway = Gateway(cm, default=response(cm, 503, b""))
    policy = cm.RetryPolicy(attempts=8, backoff=0.5, ceiling=4.0, deadline=10_000)
    client = make_client(cm, gateway, clock, retry=policy, rng=MaxRandom())
    with pytest.raises(cm.HttpStatusError):
        client.accept.save(accept(pkg))
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]


def test_jittered_backoff_within_envelope(cm: ModuleType, pkg: ModuleType) -> None:
    policy = cm.RetryPolicy(attempts=12, backoff=0.25, ceiling=5.0, deadline=10_000)
    for seed in range(5):
        clock = Clock()
        gateway = Gateway(cm, default=cm.TransportError("down"))
        client = make_client(cm, gateway, clock, retry=policy, rng=random.Random(seed))
        with pytest.raises(cm.TransportError):
            client.accept.save(accept(pkg))
        assert len(clock.sleeps) == 11
        for n, wait in enumerate(clock.sleeps):
            assert 0 <= wait <= min(5.0, 0.25 * 2**n)


def test_total_time_bounded_by_deadline(cm: ModuleType, pkg: ModuleType) -> None:
    clock = Clock()
    gateway = Gateway(cm, default=response(cm, 503, b""))

    def latency(_request: Any) -> None:
        clock.now += 1.0  # each request takes a second of (fake) time

    gateway.on_request = latency
    policy = cm.RetryPolicy(attempts=1000, backoff=1.0, ceiling=8.0, deadline=25.0)
    client = make_client(cm, gateway, clock, retry=policy, rng=MaxRandom())
    with pytest.raises(cm.HttpStatusError):
        client.accept.save(accept(pkg))
    assert sum(clock.sleeps) <= 25.0
    assert clock.now - START <= 25.0 + 1.0  # the deadline plus the last request
    assert 3 < len(gateway.requests) < 20


def test_retry_after_past_deadline_ends_retries(cm: ModuleType, pkg: ModuleType) -> None:
    clock = Clock()
    gateway = Gateway(cm, default=response(cm, 429, b"", **{"Retry-After": "20"}))
    policy = cm.RetryPolicy(attempts=10, ceiling=60.0, deadline=30.0)
    with pytest.raises(cm.RetryLaterError) as info:
        make_client(cm, gateway, clock, retry=policy).accept.save(accept(pkg))
    # 20 s fit the 30 s deadline once; with 10 s left, the next 20 s do not.
    assert clock.sleeps == [20.0] and len(gateway.requests) == 2
    assert info.value.retry_after == 20.0
    assert clock.now - START == 20.0


# ---------------------------------------------------------------- the token stays secret


def _failures(cm: ModuleType, pkg: ModuleType) -> list[tuple[Any, type[Exception], bool]]:
    """(gateway, the error save() must raise, whether to use send_batch instead)."""
    return [
        (Gateway(cm, default=response(cm, body=envelope("40001", "错误"))), cm.ErrCodeError, False),
        (
            Gateway(cm, default=response(cm, 401, envelope("40100", "签名错误"))),
            cm.HttpStatusError,
            False,
        ),
        (Gateway(cm, default=response(cm, 503, b"")), cm.HttpStatusError, False),
        (Gateway(cm, default=response(cm, 200, b"nope")), cm.ReplyFormatError, False),
        (Gateway(cm, default=cm.TransportError("down")), cm.TransportError, False),
        (Gateway(cm, default=ConnectionError("reset")), ConnectionError, False),
        (Gateway(cm), pkg.InvalidRecordError, False),
        (Gateway(cm, default=response(cm, 500, b"")), cm.HttpStatusError, True),
    ]


def test_token_never_leaks(
    cm: ModuleType, pkg: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    failures = _failures(cm, pkg)
    for n, (gateway, expected, batch) in enumerate(failures):
        client = make_client(cm, gateway)
        assert TOKEN not in repr(client) and TOKEN not in str(client)
        record = invalid_accept(pkg, n) if expected is pkg.InvalidRecordError else accept(pkg, n)
        with pytest.raises(expected) as info:
            if batch:
                client.accept.send_batch([record])
            else:
                client.accept.save(record)
        error = info.value
        for text in (str(error), repr(error), repr(error.args), repr(vars(error))):
            assert TOKEN not in text
        report = client.accept.batch_save([record]) if expected is not ConnectionError else None
        assert TOKEN not in repr(report)  # a batch report carries the errors too
        assert gateway.requests or expected is pkg.InvalidRecordError
        for request in gateway.requests:
            assert TOKEN.encode("utf-8") not in request.body
            assert all(TOKEN not in value for value in request.headers.values())
            assert TOKEN not in repr(request)
    assert len(failures) == 8
    assert any("重试" in r.getMessage() for r in caplog.records), "retries should be logged"
    for log_record in caplog.records:
        assert TOKEN not in log_record.getMessage()
        assert TOKEN not in repr(log_record.args)


# ---------------------------------------------------------------- batch_save


def test_batch_save_chunks_and_reports_in_input_order(cm: ModuleType, pkg: ModuleType) -> None:
    gateway = Gateway(cm)
    bad_at = {0, 120, 252}
    records = [invalid_accept(pkg, i) if i in bad_at else accept(pkg, i) for i in range(253)]
    report = make_client(cm, gateway).accept.batch_save(records)

    assert report.requests == 3 and len(gateway.requests) == 3
    bodies = gateway.bodies()
    assert [len(b) for b in bodies] == [99, 99, 52]
    assert all(r.url.endswith("/uppro/accept/batchSave") for r in gateway.requests)
    sent_guids = [rec["RowGuid"] for body in bodies for rec in body]
    assert sent_guids == [row_guid(i) for i in range(253) if i not in bad_at]

    assert [o.index for o in report.outcomes] == list(range(253))
    for outcome in report.outcomes:
        assert outcome.row_guid == row_guid(outcome.index)
        if outcome.index in bad_at:
            assert outcome.status == "refused"
            assert {"ProjectNo", "ApplyType"} <= {p.field for p in outcome.problems}
        else:
            assert outcome.status == "sent" and outcome.problems == () and outcome.error is None
    assert len(report.sent) == 250 and len(report.refused) == 3 and report.failed == ()
    assert not report.ok


def test_batch_body_is_the_compact_json_of_its_records(cm: ModuleType, pkg: ModuleType) -> None:
    # batch_save joins each record's own encoding: the bytes of encoding the list at once.
    gateway = Gateway(cm)
    records = [accept(pkg, i) for i in range(3)]
    records[1]["TaskName"] = '含 "引号"、\\ 与换行\n的事项'
    records[2]["CatalogCode"] = None  # optional: null is sent as it is
    make_client(cm, gateway).accept.batch_save(records)
    (request,) = gateway.requests
    expected = json.dumps(records, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert request.body == expected


def test_batch_save_failing_chunk_marks_only_its_records(cm: ModuleType, pkg: ModuleType) -> None:
    gateway = Gateway(
        cm, response(cm), response(cm, body=envelope("40002", "批次重复")), response(cm)
    )
    records = [accept(pkg, i) for i in range(250)]
    report = make_client(cm, gateway).accept.batch_save(records)
    assert report.requests == 3
    statuses = [o.status for o in report.outcomes]
    assert statuses == ["sent"] * 99 + ["failed"] * 99 + ["sent"] * 52
    failed = report.failed
    assert {o.index for o in failed} == set(range(99, 198))
    error = failed[0].error
    assert isinstance(error, cm.ErrCodeError) and error.err_code == "40002"
    assert [r["RowGuid"] for r in error.records] == [row_guid(i) for i in range(99, 198)]
    assert all(o.error is error for o in failed)


def test_batch_save_retries_transient_failures_per_chunk(cm: ModuleType, pkg: ModuleType) -> None:
    clock = Clock()
    gateway = Gateway(cm, response(cm), response(cm, 503, b""), response(cm), response(cm))
    report = make_client(cm, gateway, clock).accept.batch_save([accept(pkg, i) for i in range(150)])
    assert report.ok and report.requests == 2
    assert len(gateway.requests) == 3 and len(clock.sleeps) == 1
    assert gateway.requests[1].body == gateway.requests[2].body


def test_batch_save_respects_body_max_bytes(
    cm: ModuleType, pkg: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [accept(pkg, i) for i in range(10)]
    one = len(json.dumps(records[0], ensure_ascii=False, separators=(",", ":")).encode())
    limit = 3 * one + 10
    monkeypatch.setattr(cm, "BODY_MAX_BYTES", limit)
    gateway = Gateway(cm)
    report = make_client(cm, gateway).accept.batch_save(records)
    assert report.ok
    assert [len(b) for b in gateway.bodies()] == [3, 3, 3, 1]
    assert all(len(r.body) <= limit for r in gateway.requests)
    assert [rec["RowGuid"] for b in gateway.bodies() for rec in b] == [
        row_guid(i) for i in range(10)
    ]


def test_batch_save_groups_are_the_same_encoded_at_once_or_record_by_record(
    cm: ModuleType, pkg: ModuleType
) -> None:
    # The first group of 99 is encoded in one call; the second holds a record UTF-8 cannot
    # encode, so from there each record is encoded (and measured) on its own.
    records = [accept(pkg, i) for i in range(200)]
    records[150]["ApplyerName"] = "张\ud800三"
    records[160]["ApplyerName"] = {1, 2}  # not JSON: refused, not sent
    gateway = Gateway(cm)
    report = make_client(cm, gateway, validate=False).accept.batch_save(records)
    assert report.requests == 2
    assert [o.status for o in report.outcomes].count("sent") == 198
    assert report.outcomes[150].problems[0].code == "unencodable"
    assert report.outcomes[160].problems[0].code == "not_object"
    sent = [r for i, r in enumerate(records) if i not in (150, 160)]
    assert [r.body for r in gateway.requests] == [
        json.dumps(sent[:99], ensure_ascii=False, separators=(",", ":")).encode(),
        json.dumps(sent[99:], ensure_ascii=False, separators=(",", ":")).encode(),
    ]


def test_send_batch_bounds(cm: ModuleType, pkg: ModuleType) -> None:
    gateway = Gateway(cm)
    client = make_client(cm, gateway)
    with pytest.raises(ValueError):
        client.accept.send_batch([])
    with pytest.raises(ValueError):
        client.accept.send_batch([accept(pkg, i) for i in range(100)])
    assert gateway.requests == []
    assert client.accept.batch_save([]).outcomes == ()


# ---------------------------------------------------------------- transports


class FakeHttpx:
    """Just enough of httpx.Client: post(url, content=, headers=, timeout=)."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.fail = fail
        self.calls: list[dict[str, Any]] = []

    def post(self, url: str, *, content: bytes, headers: dict[str, str], timeout: float) -> Any:
        self.calls.append({"url": url, "content": content, "headers": headers, "timeout": timeout})
        if self.fail is not None:
            raise self.fail
        return SimpleNamespace(
            status_code=200,
            headers={"content-type": "application/json"},
            content=envelope("0", "收到").encode(),
        )


class ConnectError(Exception):
    pass


def test_httpx_style_client_as_transport(cm: ModuleType, pkg: ModuleType) -> None:
    fake = FakeHttpx()
    client = make_client(cm, fake, timeout=12.5)
    record = accept(pkg, 12)
    assert client.accept.save(record) == cm.Reply("0", "收到")
    (call,) = fake.calls
    assert call["url"] == pkg.spec.API_ROOTS["test"] + "/uppro/accept/save"
    assert json.loads(call["content"]) == record
    assert call["timeout"] == 12.5
    ts, nonce = call["headers"]["x-tif-timestamp"], call["headers"]["x-tif-nonce"]
    assert call["headers"]["x-tif-signature"] == cm.sign(TOKEN, ts, nonce)


def test_httpx_style_exceptions_become_transport_errors(cm: ModuleType, pkg: ModuleType) -> None:
    clock = Clock()
    fake = FakeHttpx(fail=ConnectError("[Errno 111] Connection refused"))
    client = make_client(cm, fake, clock, retry=cm.RetryPolicy(attempts=3))
    with pytest.raises(cm.TransportError) as info:
        client.accept.save(accept(pkg))
    assert "ConnectError" in str(info.value)
    assert len(fake.calls) == 3 and len(clock.sleeps) == 2


def test_transport_must_be_callable_or_httpx_like(cm: ModuleType) -> None:
    with pytest.raises(TypeError):
        cm.Client(token=TOKEN, environment="test", transport=object())


@pytest.fixture()
def closed_port() -> Iterator[int]:
    """A loopback port sure to refuse connections for the whole test: bound, never listening.

    Holding the bound socket keeps any other process from taking the port meanwhile;
    a TCP connection to a port with no listener is refused (RST).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        yield port


def test_closed_port_refuses(closed_port: int) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", closed_port), timeout=5).close()


def test_urllib_transport_unreachable_port(
    cm: ModuleType, pkg: ModuleType, closed_port: int
) -> None:
    port = closed_port
    transport = cm.UrllibTransport()
    request = cm.HttpRequest(f"http://127.0.0.1:{port}/uppro/accept/save", {}, b"{}", 5.0)
    with pytest.raises(cm.TransportError):
        transport(request)

    clock = Clock()
    client = cm.Client(
        token=TOKEN,
        base_url=f"http://127.0.0.1:{port}/ebus/tysb-sjcj",
        retry=cm.RetryPolicy(attempts=2),
        sleep=clock.sleep,
        clock=clock,
        timeout=5.0,
    )
    with pytest.raises(cm.TransportError) as info:
        client.accept.save(accept(pkg))
    assert TOKEN not in str(info.value)
    assert len(clock.sleeps) == 1


def test_retry_after_http_date_uses_injected_clock(cm: ModuleType, pkg: ModuleType) -> None:
    clock = Clock()
    when = formatdate(START + 9, usegmt=True)  # nine seconds after the fake "now"
    gateway = Gateway(cm, response(cm, 429, b"", **{"Retry-After": when}), response(cm))
    make_client(cm, gateway, clock).accept.save(accept(pkg))
    assert clock.sleeps == [9.0]


class _OneShotServer:
    """A loopback TCP server that answers one connection with fixed bytes, capturing the request."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.received = b""
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            conn.settimeout(5)
            while b"\r\n\r\n" not in self.received:
                self.received += conn.recv(65536)
            head, _, body = self.received.partition(b"\r\n\r\n")
            match = re.search(rb"(?i)content-length: *(\d+)", head)
            length = int(match.group(1)) if match else 0
            while len(body) < length:
                body += conn.recv(65536)
            self.received = head + b"\r\n\r\n" + body
            conn.sendall(self.reply)
        self.sock.close()

    def __enter__(self) -> _OneShotServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.thread.join(timeout=10)
        self.sock.close()


def test_urllib_transport_round_trip(cm: ModuleType, pkg: ModuleType) -> None:
    reply = envelope("0", "已接收").encode()
    raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
    with _OneShotServer(raw % (len(reply), reply)) as server:
        client = cm.Client(token=TOKEN, base_url=f"http://127.0.0.1:{server.port}/ebus/tysb-sjcj")
        assert client.accept.save(accept(pkg, 13)) == cm.Reply("0", "已接收")
    head, _, body = server.received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0] == "POST /ebus/tysb-sjcj/uppro/accept/save HTTP/1.1"
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    assert headers["x-tif-paasid"] == "tysb-sjcj"
    assert headers["content-type"] == "application/json"
    ts, nonce = headers["x-tif-timestamp"], headers["x-tif-nonce"]
    assert headers["x-tif-signature"] == cm.sign(TOKEN, ts, nonce)
    assert json.loads(body.decode("utf-8")) == accept(pkg, 13)


def test_urllib_transport_http_error_reply(cm: ModuleType) -> None:
    reply = envelope("40100", "签名错误").encode()
    raw = b"HTTP/1.1 401 Unauthorized\r\nContent-Length: %d\r\n\r\n%s"
    with _OneShotServer(raw % (len(reply), reply)) as server:
        url = f"http://127.0.0.1:{server.port}/x"
        answer = cm.UrllibTransport()(cm.HttpRequest(url, {}, b"{}", 5.0))
    assert answer.status == 401 and json.loads(answer.body)["errCode"] == "40100"


@pytest.mark.parametrize(
    "raw",
    [
        b"garbage\r\n\r\n",  # not an HTTP status line
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc",  # body cut short
        b"HTTP/1.1 500 Oops\r\nContent-Length: 100\r\n\r\nabc",  # error body cut short
        b"",  # closed without a reply
    ],
)
def test_urllib_transport_broken_replies_are_transport_errors(cm: ModuleType, raw: bytes) -> None:
    with _OneShotServer(raw) as server:
        url = f"http://127.0.0.1:{server.port}/x"
        with pytest.raises(cm.TransportError):
            cm.UrllibTransport()(cm.HttpRequest(url, {}, b"{}", 5.0))
