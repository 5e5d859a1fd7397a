# gdzw-codegen runtime module: `codegen build` copies it into the generated package and puts
# the do-not-edit header in place of these three lines, so line numbers stay the same.
# Spec facts come from the generated spec.py (relative imports resolve there).
"""签名 HTTP 客户端 (a signing client for the collection interface).

``Client(token=..., environment="test")`` or ``Client(token=..., base_url=...)``
has one group per record type (``client.accept``, ``client.process``, …) with
``save(record)`` and ``batch_save(records)``. Records are validated before
sending; retries happen only where they are safe. The token never appears in
repr, logs, exceptions or bodies."""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Any, Final, Literal, Protocol
from urllib.parse import urlsplit

from .normalize import normalize
from .problems import InvalidRecordError, Problem, errors
from .record_groups import RecordGroups
from .signing import make_headers, new_nonce, sign, timestamp_now
from .spec import (
    API_ROOTS,
    BATCH_MAX_RECORDS,
    BODY_MAX_BYTES,
    ENDPOINTS,
    PAASID,
    RECORD_KEYS,
    ROW_GUID,
    SUCCESS_CODE,
)
from .validators import VALIDATORS, Validator

__all__ = [
    "BatchReport",
    "Client",
    "ErrCodeError",
    "GatewayError",
    "HttpRequest",
    "HttpResponse",
    "HttpStatusError",
    "RecordGroup",
    "RecordOutcome",
    "Reply",
    "ReplyFormatError",
    "RetryPolicy",
    "TransportError",
    "UrllibTransport",
    "record_mapping",
    "sign",
]

_log = logging.getLogger(__name__)
_LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain"})


# ---------------------------------------------------------------- errors


class GatewayError(Exception):
    """A request was not accepted by the gateway. ``records`` are the records it carried."""

    retryable: bool = False

    def __init__(self, message: str, records: Sequence[Mapping[str, object]] = ()) -> None:
        super().__init__(message)
        self.records = tuple(records)


class TransportError(GatewayError):
    """The connection failed, timed out or was dropped before a reply (retryable)."""

    retryable = True


class HttpStatusError(GatewayError):
    """The gateway answered an HTTP error status (retryable for 5xx and 429)."""

    def __init__(
        self,
        status: int,
        err_code: str | None,
        err_msg: str | None,
        records: Sequence[Mapping[str, object]] = (),
        retry_after: float | None = None,
    ) -> None:
        detail = f"errCode {err_code}: {err_msg}" if err_code is not None else "no envelope"
        super().__init__(f"HTTP {status} ({detail})", records)
        self.status = status
        self.err_code = err_code
        self.err_msg = err_msg
        self.retry_after = retry_after
        self.retryable = status >= 500 or status == 429


class ReplyFormatError(GatewayError):
    """The reply was not the {errCode, errMsg} JSON envelope."""


class ErrCodeError(GatewayError):
    """The gateway answered with a non-zero errCode."""

    def __init__(
        self, err_code: str, err_msg: str, records: Sequence[Mapping[str, object]] = ()
    ) -> None:
        super().__init__(f"网关返回 errCode {err_code}：{err_msg}", records)
        self.err_code = err_code
        self.err_msg = err_msg


# ---------------------------------------------------------------- transport


@dataclass(frozen=True)
class HttpRequest:
    url: str
    headers: Mapping[str, str]
    body: bytes
    timeout: float

    def __repr__(self) -> str:  # headers carry the signature: keep them out of logs
        return f"HttpRequest(url={self.url!r}, body={len(self.body)} bytes)"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


class Transport(Protocol):
    """Sends one request; raises TransportError when no reply arrives."""

    def __call__(self, request: HttpRequest) -> HttpResponse: ...


class UrllibTransport:
    """The default transport: urllib from the standard library."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        req = urllib.request.Request(request.url, data=request.body, method="POST")
        for name, value in request.headers.items():
            req.add_header(name, value)
        try:
            try:
                with urllib.request.urlopen(req, timeout=request.timeout) as reply:
                    return HttpResponse(reply.status, dict(reply.headers.items()), reply.read())
            except urllib.error.HTTPError as exc:
                with exc:
                    return HttpResponse(exc.code, dict(exc.headers.items()), exc.read())
        # Timeouts and resets are OSError; a garbled status line or a body cut short
        # (BadStatusLine, IncompleteRead) is http.client.HTTPException: all mean "no reply".
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            detail = (
                f"{type(reason).__name__}: {reason}"
                if isinstance(reason, BaseException)
                else reason
            )
            raise TransportError(f"连接失败 (connection failed): {detail}") from None


class _HttpxTransport:
    """Adapts an httpx-style client (``.post(url, content=, headers=, timeout=)``)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            reply = self._client.post(
                request.url,
                content=request.body,
                headers=dict(request.headers),
                timeout=request.timeout,
            )
        except Exception as exc:  # httpx raises its own hierarchy; all mean "no reply"
            raise TransportError(
                f"连接失败 (connection failed): {type(exc).__name__}: {exc}"
            ) from None
        return HttpResponse(int(reply.status_code), dict(reply.headers), bytes(reply.content))


# ---------------------------------------------------------------- retry policy


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded in tries and in total time.

    ``attempts`` counts every try (1 means no retry); the n-th wait is a random
    share of ``backoff * 2**n`` capped at ``ceiling`` seconds; no wait starts
    after ``deadline`` seconds from the first try. Only connection failures,
    5xx and 429 (honouring Retry-After) are retried: records are written
    idempotently by RowGuid, so a repeated request never creates a second record.
    """

    attempts: int = 4
    backoff: float = 0.5
    ceiling: float = 30.0
    deadline: float = 120.0

    def delay(self, retry: int, rng: random.Random, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.ceiling)
        return rng.uniform(0, min(self.ceiling, self.backoff * (2**retry)))


# ---------------------------------------------------------------- replies and reports


@dataclass(frozen=True)
class Reply:
    """A successful reply: errCode spec.SUCCESS_CODE ("0")."""

    err_code: str
    err_msg: str


@dataclass(frozen=True)
class RecordOutcome:
    """What happened to one record of a batch_save: sent, refused (invalid) or failed."""

    index: int
    row_guid: str | None
    status: Literal["sent", "refused", "failed"]
    problems: tuple[Problem, ...] = ()
    error: GatewayError | None = None


@dataclass(frozen=True)
class BatchReport:
    """Per-record results of batch_save, in input order, and the requests it made."""

    outcomes: tuple[RecordOutcome, ...]
    requests: int

    @property
    def sent(self) -> tuple[RecordOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "sent")

    @property
    def refused(self) -> tuple[RecordOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "refused")

    @property
    def failed(self) -> tuple[RecordOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "failed")

    @property
    def ok(self) -> bool:
        return all(o.status == "sent" for o in self.outcomes)


# ---------------------------------------------------------------- client


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def record_mapping(key: str, record: object) -> dict[str, object]:
    """A record as a mapping with canonical wire names (dataclass or mapping)."""
    to_dict = getattr(record, "to_dict", None)
    if callable(to_dict) and getattr(record, "KEY", key) == key:
        data = to_dict()
        if isinstance(data, dict):
            return data
    if isinstance(record, Mapping):
        return normalize(key, record).record
    raise TypeError(f"{key} 记录应为 {key} 数据类或映射，实为 {type(record).__name__}")


def _encode(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Client(RecordGroups):
    """签名客户端 (signing client). One per token and API root; thread-safe for sending.

    Args:
        token: the token issued for the environment (never logged or shown).
        base_url: API_ROOT, e.g. ``https://host/ebus/tysb-sjcj``; or give ``environment``.
        environment: ``"test"`` or ``"production"`` (the standard's API roots, over HTTPS).
        paasid: x-tif-paasid, fixed (spec.PAASID) by 6.3.1.
        timeout: seconds per HTTP request.
        retry: the RetryPolicy for safe retries.
        transport: a callable ``HttpRequest -> HttpResponse``, or an httpx-style
            client object; urllib by default.
        validate: validate records before sending (on by default); records
            with errors are refused with the validator's problems and never sent.
        profile: the validation profile, "gateway", "standard" (default) or "strict".
        length_unit: count String(n) lengths in "char" (default) or "utf8" bytes.
        allow_insecure_http: permit plain ``http://`` to a non-loopback host.
    """

    def __init__(
        self,
        token: str,
        *,
        base_url: str | None = None,
        environment: str | None = None,
        paasid: str = PAASID,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: Transport | Any | None = None,
        validate: bool = True,
        profile: str = "standard",
        length_unit: str = "char",
        allow_insecure_http: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        if not token:
            raise ValueError("token 不能为空 (token is required)")
        if (base_url is None) == (environment is None):
            raise ValueError("give exactly one of base_url or environment")
        if environment is not None:
            if environment not in API_ROOTS:
                raise ValueError(
                    f"environment 应为 {', '.join(API_ROOTS)} 之一，实为 {environment!r}"
                )
            base_url = API_ROOTS[environment]
        assert base_url is not None
        parts = urlsplit(base_url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"base_url 应为 https://host/… 形式，实为 {base_url!r}")
        if parts.scheme == "http" and not allow_insecure_http and not _is_loopback(parts.hostname):
            raise ValueError(
                f"拒绝以明文 HTTP 连接 {parts.hostname}：标准要求 HTTPS（6.2.1）；"
                "仅回环地址或显式 allow_insecure_http=True 时允许 http://"
            )
        self.base_url = base_url.rstrip("/")
        self.paasid = paasid
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.validate = validate
        self.profile = profile
        self.length_unit = length_unit
        VALIDATORS[RECORD_KEYS[0]](
            {}, profile, length_unit
        )  # an unknown profile fails here, not later
        self.__token = token
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        if transport is None:
            self._transport: Transport = UrllibTransport()
        elif callable(transport):
            self._transport = transport
        elif hasattr(transport, "post"):
            self._transport = _HttpxTransport(transport)
        else:
            raise TypeError("transport 应为可调用对象或带 post() 的 httpx 风格客户端")
        for key in RECORD_KEYS:  # the attributes RecordGroups declares
            setattr(self, key, RecordGroup(self, key))

    def __repr__(self) -> str:
        return f"Client(base_url={self.base_url!r}, paasid={self.paasid!r}, token=***)"

    def group(self, key: str) -> RecordGroup:
        """The RecordGroup for record type ``key``."""
        if key not in RECORD_KEYS:
            raise ValueError(f"未知的记录类型 {key!r}；应为 {', '.join(RECORD_KEYS)} 之一")
        group: RecordGroup = getattr(self, key)
        return group

    def post(
        self, key: str, operation: str, payload: object, records: Sequence[Mapping[str, object]]
    ) -> Reply:
        """Sends one signed request, retrying where safe; raises GatewayError otherwise."""
        url = self.base_url + ENDPOINTS[(key, operation)]
        body = _encode(payload)
        started = self._clock()
        tries = 0
        while True:
            tries += 1
            try:
                return self._once(url, body, records)
            except GatewayError as exc:
                elapsed = self._clock() - started
                if (
                    not exc.retryable
                    or tries >= self.retry.attempts
                    or elapsed >= self.retry.deadline
                ):
                    raise
                retry_after = exc.retry_after if isinstance(exc, HttpStatusError) else None
                wait = self.retry.delay(tries - 1, self._rng, retry_after)
                wait = min(wait, max(self.retry.deadline - elapsed, 0.0))
                _log.warning(
                    "%s %s 失败（%s），%.2f 秒后第 %d 次重试", key, operation, exc, wait, tries
                )
                self._sleep(wait)

    def _once(self, url: str, body: bytes, records: Sequence[Mapping[str, object]]) -> Reply:
        timestamp = timestamp_now(self._clock())
        headers = make_headers(self.__token, self.paasid, timestamp, new_nonce())
        response = self._transport(HttpRequest(url, headers, body, self.timeout))
        envelope = _envelope(response.body)
        if response.status >= 400:
            code, msg = envelope if envelope else (None, None)
            retry_after = _retry_after(response.headers, self._clock())
            raise HttpStatusError(response.status, code, msg, records, retry_after)
        if envelope is None:
            raise ReplyFormatError(
                f"应答不是 errCode/errMsg JSON（HTTP {response.status}）", records
            )
        code, msg = envelope
        if code != SUCCESS_CODE:
            raise ErrCodeError(code, msg, records)
        return Reply(code, msg)


def _envelope(body: bytes) -> tuple[str, str] | None:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or "errCode" not in data:
        return None
    code, msg = data.get("errCode"), data.get("errMsg", "")
    # Some gateways send errCode as a number; "0" and 0 both mean success.
    if isinstance(code, int) and not isinstance(code, bool):
        code = str(code)
    if not isinstance(code, str):
        return None
    return code, msg if isinstance(msg, str) else json.dumps(msg, ensure_ascii=False)


def _retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Retry-After as seconds: delay-seconds, or an HTTP-date measured against ``now``."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=timezone.utc)
    return max(when.timestamp() - now, 0.0)


@dataclass
class RecordGroup:
    """The two endpoints of one record type: save and batchSave."""

    client: Client
    key: str
    _validator: Validator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._validator = VALIDATORS[self.key]

    def prepare(self, record: object) -> dict[str, object]:
        """The record as it will be sent; raises InvalidRecordError if it is invalid."""
        data = record_mapping(self.key, record)
        if self.client.validate:
            problems = errors(self._validator(data, self.client.profile, self.client.length_unit))
            if problems:
                raise InvalidRecordError(self.key, problems)
        return data

    def save(self, record: object) -> Reply:
        """Sends one record to the save endpoint; raises InvalidRecordError or GatewayError."""
        data = self.prepare(record)
        return self.client.post(self.key, "save", data, [data])

    def send_batch(self, records: Sequence[Mapping[str, object]]) -> Reply:
        """Sends prepared records as exactly one batchSave request (1–BATCH_MAX_RECORDS records)."""
        if not 1 <= len(records) <= BATCH_MAX_RECORDS:
            raise ValueError(f"一次批量请求应有 1–{BATCH_MAX_RECORDS} 条记录，实为 {len(records)}")
        return self.client.post(self.key, "batch_save", list(records), records)

    def batch_save(self, records: Iterable[object]) -> BatchReport:
        """Sends any number of records in requests of at most BATCH_MAX_RECORDS.

        Invalid records are refused and never sent; each request succeeds or
        fails whole. Returns what happened to every record, in input order.
        """
        outcomes: dict[int, RecordOutcome] = {}
        ready: list[tuple[int, dict[str, object]]] = []
        for index, record in enumerate(records):
            try:
                ready.append((index, self.prepare(record)))
            except InvalidRecordError as exc:
                outcomes[index] = RecordOutcome(
                    index, _row_guid(record), "refused", tuple(exc.problems)
                )
            except TypeError as exc:
                problem = Problem(None, "not_object", str(exc))
                outcomes[index] = RecordOutcome(index, None, "refused", (problem,))
        requests = 0
        for chunk in _chunks(ready):
            requests += 1
            data = [d for _, d in chunk]
            try:
                self.send_batch(data)
            except GatewayError as exc:
                for index, d in chunk:
                    outcomes[index] = RecordOutcome(index, _row_guid(d), "failed", error=exc)
            else:
                for index, d in chunk:
                    outcomes[index] = RecordOutcome(index, _row_guid(d), "sent")
        return BatchReport(tuple(outcomes[i] for i in sorted(outcomes)), requests)


def _row_guid(record: object) -> str | None:
    value = (
        record.get(ROW_GUID) if isinstance(record, Mapping) else getattr(record, "row_guid", None)
    )
    return value if isinstance(value, str) else None


def _chunks(
    ready: list[tuple[int, dict[str, object]]],
) -> Iterable[list[tuple[int, dict[str, object]]]]:
    """Groups of at most BATCH_MAX_RECORDS whose JSON body fits BODY_MAX_BYTES."""
    chunk: list[tuple[int, dict[str, object]]] = []
    size = 2  # "[" and "]"
    for item in ready:
        item_size = len(_encode(item[1])) + 1
        if chunk and (len(chunk) >= BATCH_MAX_RECORDS or size + item_size > BODY_MAX_BYTES):
            yield chunk
            chunk, size = [], 2
        chunk.append(item)
        size += item_size
    if chunk:
        yield chunk
