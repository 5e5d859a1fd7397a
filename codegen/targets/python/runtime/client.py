# gdzw-codegen runtime module: `codegen build` copies it into the generated package and puts
# the do-not-edit header in place of these three lines, so line numbers stay the same.
# Spec facts come from the generated spec.py (relative imports resolve there).
"""签名 HTTP 客户端 (a signing client for the collection interface).

``Client(token=..., environment="test")`` or ``Client(token=..., base_url=...)``
has one group per record type (``client.accept``, ``client.process``, …) with
``save(record)`` and ``batch_save(records)``. Records are validated before
sending; retries happen only where they are safe. The token never appears in
repr, logs, exceptions or bodies.

Only the gateway is trusted: a redirect is never followed (RedirectError),
``timeout`` bounds each whole request (connect, TLS, send and read), and the
default transport reads at most REPLY_MAX_BYTES of a reply (ReplyTooLargeError)."""

from __future__ import annotations

import http.client
import io
import ipaddress
import json
import logging
import math
import random
import re
import selectors
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Any, Final, Literal, Protocol, cast
from urllib.parse import urlsplit

from .normalize import canonical_record
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
    REPLY_MAX_BYTES,
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
    "RedirectError",
    "Reply",
    "ReplyFormatError",
    "ReplyTooLargeError",
    "RequestTimeoutError",
    "RetryLaterError",
    "RetryPolicy",
    "TransportError",
    "UrllibTransport",
    "record_mapping",
    "sign",
]

_log = logging.getLogger(__name__)
_LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain"})
#: Retry-After as delay-seconds (RFC 9110 says digits; a decimal fraction is tolerated).
_DELAY_SECONDS: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?")
#: The longest Location shown in a RedirectError.
_LOCATION_CHARS: Final = 200


# ---------------------------------------------------------------- errors


class GatewayError(Exception):
    """A request was not accepted by the gateway. ``records`` are the records it carried."""

    retryable: bool = False
    #: Whether the outbox counts this failure as one of a batch's tries.
    counts_as_attempt: bool = True

    def __init__(self, message: str, records: Sequence[Mapping[str, object]] = ()) -> None:
        super().__init__(message)
        self.records = tuple(records)


class TransportError(GatewayError):
    """The connection failed, timed out or was dropped before a reply (retryable)."""

    retryable = True


class RequestTimeoutError(TransportError):
    """The request did not complete within the client's ``timeout`` (retryable)."""


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


class RedirectError(HttpStatusError):
    """The server answered a 3xx redirect. Never followed and never retried: it means
    the API root is wrong, and following it would send the x-tif headers elsewhere."""

    def __init__(
        self, status: int, location: str | None, records: Sequence[Mapping[str, object]] = ()
    ) -> None:
        shown = (
            location
            if location is None or len(location) <= _LOCATION_CHARS
            else (location[: _LOCATION_CHARS - 1] + "…")
        )
        super().__init__(status, None, None, records)
        self.args = (
            f"HTTP {status} 重定向至 {shown!r}：未跟随、未重试，API_ROOT 可能有误 "
            "(redirect not followed: check the API root)",
        )
        self.location = shown
        self.retryable = False


class ReplyTooLargeError(GatewayError):
    """The reply exceeded REPLY_MAX_BYTES; nothing more was read (retryable, like a 5xx)."""

    retryable = True

    def __init__(self, limit: int, records: Sequence[Mapping[str, object]] = ()) -> None:
        super().__init__(
            f"应答超过 {limit} 字节，已停止读取 (reply larger than {limit} bytes)", records
        )
        self.limit = limit


class RetryLaterError(HttpStatusError):
    """The gateway asked, by Retry-After, for a wait longer than the retry policy allows
    (its ceiling, or the time left before its deadline). Retries end; ``retry_after`` is
    the wait asked for in seconds. The client sends nothing more until then (this error
    again, without a request), and the outbox leaves the batch pending without counting
    the try."""

    counts_as_attempt = False

    def __init__(
        self, cause: HttpStatusError, retry_after: float, message: str | None = None
    ) -> None:
        super().__init__(
            cause.status, cause.err_code, cause.err_msg, cause.records, retry_after=retry_after
        )
        self.args = (
            message
            or f"{cause}；网关要求 {_seconds(retry_after)}后重试，超出重试策略的等待上限或期限，"
            "不再重试 (Retry-After beyond the retry policy)",
        )
        self.retryable = False


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
    """Sends one request; raises TransportError when no reply arrives.

    A transport must not follow redirects (return the 3xx as it is), should give
    up after ``request.timeout`` seconds in all, and should stop reading a reply
    past REPLY_MAX_BYTES (raise ReplyTooLargeError). The client checks what it
    can afterwards: a 3xx status, and a body longer than REPLY_MAX_BYTES."""

    def __call__(self, request: HttpRequest) -> HttpResponse: ...


class _Budget:
    """One request's time and byte allowance: a monotonic deadline and a reply size cap."""

    def __init__(self, timeout: float, limit: int) -> None:
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.limit = limit
        self.received = 0

    def remaining(self) -> float:
        """Seconds left; raises TimeoutError once the deadline has passed."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"请求超过 {_seconds(self.timeout)} (timed out)")
        return left


class _BudgetReader(io.RawIOBase):
    """Reads a socket within the budget: each read waits at most the time left, and
    at most ``limit`` bytes (status line, headers and body) are accepted."""

    def __init__(self, sock: socket.socket, budget: _Budget) -> None:
        super().__init__()
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)
        self._budget = budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        budget = self._budget
        room = budget.limit - budget.received
        view = memoryview(buffer).cast("B")
        # At the cap, one more byte tells a reply that ends there from a longer one.
        view = view[: max(room, 1)]
        try:
            self._sock.settimeout(budget.remaining())
            count = self._raw.readinto(view) or 0
            if count and room <= 0:
                raise ReplyTooLargeError(budget.limit)
        except (TimeoutError, ReplyTooLargeError):
            self._abort()
            raise
        budget.received += count
        return count

    def _abort(self) -> None:
        """Ends the connection at once: the server learns that nothing more is read."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self) -> None:
        self._raw.close()
        super().close()


class _BudgetSocket:
    """A connected socket whose sends and reads keep to the request's budget."""

    def __init__(self, sock: socket.socket, budget: _Budget) -> None:
        self.inner = sock
        self._budget = budget

    def sendall(self, data: Any) -> None:
        self.inner.settimeout(self._budget.remaining())  # sendall's timeout is its total
        self.inner.sendall(data)

    def makefile(self, mode: str = "r", *args: object, **kwargs: object) -> io.BufferedReader:
        return io.BufferedReader(_BudgetReader(self.inner, self._budget))

    def close(self) -> None:
        self.inner.close()  # the socket stays open while a reader still uses it

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class _BudgetHTTPConnection(http.client.HTTPConnection):
    """HTTPConnection whose connect, send and read share one deadline and one size cap."""

    def __init__(self, host: str, budget: _Budget, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self._budget = budget
        self._create_connection = self._open_socket

    def _open_socket(
        self,
        address: tuple[str, int],
        timeout: float | None = None,
        source_address: tuple[str, int] | None = None,
    ) -> socket.socket:
        sock = socket.create_connection(address, self._budget.remaining(), source_address)
        # http.client calls this socket's sendall, makefile, setsockopt and close only.
        return cast(socket.socket, _BudgetSocket(sock, self._budget))


class _BudgetHTTPSConnection(_BudgetHTTPConnection, http.client.HTTPSConnection):
    """The same for HTTPS; the TLS handshake is bounded by the deadline too."""

    def __init__(
        self, host: str, budget: _Budget, context: ssl.SSLContext | None = None, **kwargs: Any
    ) -> None:
        if context is None:
            context = ssl.create_default_context()
            context.set_alpn_protocols(["http/1.1"])
        super().__init__(host, budget, context=context, **kwargs)
        self._tls_context = context

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)  # TCP, and a proxy's CONNECT tunnel
        plain = cast(_BudgetSocket, self.sock).inner
        server_hostname = getattr(self, "_tunnel_host", None) or self.host
        tls = self._tls_context.wrap_socket(
            plain, server_hostname=server_hostname, do_handshake_on_connect=False
        )
        _handshake(tls, self._budget)
        self.sock = cast(socket.socket, _BudgetSocket(tls, self._budget))


def _handshake(tls: ssl.SSLSocket, budget: _Budget) -> None:
    """The TLS handshake, waiting at most the time left in all."""
    tls.setblocking(False)
    with selectors.DefaultSelector() as selector:
        while True:
            try:
                tls.do_handshake()
                return
            except ssl.SSLWantReadError:
                events = selectors.EVENT_READ
            except ssl.SSLWantWriteError:
                events = selectors.EVENT_WRITE
            selector.register(tls, events)
            ready = selector.select(budget.remaining())
            selector.unregister(tls)
            if not ready:
                budget.remaining()  # raises TimeoutError once the deadline has passed


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is returned as it is (an HTTPError), never followed."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _BudgetRequest(urllib.request.Request):
    """A urllib request carrying its budget to the connection handlers."""

    def __init__(self, url: str, body: bytes, budget: _Budget) -> None:
        super().__init__(url, data=body, method="POST")
        self.budget = budget


def _budget_of(req: urllib.request.Request) -> _Budget:
    assert isinstance(req, _BudgetRequest)  # the transport's opener sends nothing else
    return req.budget


class _BudgetHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        budget = _budget_of(req)

        def connection(host: str, **kwargs: Any) -> http.client.HTTPConnection:
            return _BudgetHTTPConnection(host, budget, **kwargs)

        return self.do_open(connection, req)


class _BudgetHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, context: ssl.SSLContext | None) -> None:
        super().__init__(context=context)
        self._tls_context = context

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        budget = _budget_of(req)

        def connection(host: str, **kwargs: Any) -> http.client.HTTPConnection:
            return _BudgetHTTPSConnection(host, budget, **kwargs)

        return self.do_open(connection, req, context=self._tls_context)


class UrllibTransport:
    """The default transport: urllib from the standard library (proxies from the environment).

    It never follows a redirect, gives up after ``request.timeout`` seconds in all
    (connecting, the TLS handshake, sending and reading; name resolution is the
    operating system's and not covered) and reads at most REPLY_MAX_BYTES of a reply,
    status line and headers included, raising ReplyTooLargeError beyond. Thread-safe.
    """

    def __init__(
        self, reply_max_bytes: int = REPLY_MAX_BYTES, context: ssl.SSLContext | None = None
    ) -> None:
        self.reply_max_bytes = reply_max_bytes
        self._opener = urllib.request.build_opener(
            _NoRedirects(), _BudgetHTTPHandler(), _BudgetHTTPSHandler(context)
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        budget = _Budget(request.timeout, self.reply_max_bytes)
        req = _BudgetRequest(request.url, request.body, budget)
        for name, value in request.headers.items():
            req.add_header(name, value)
        # The error is raised outside the except blocks, so the failed exchange (and the
        # socket its traceback holds) is released at once.
        error: GatewayError
        try:
            try:
                with self._opener.open(req) as reply:
                    _check_length(reply, budget)
                    return HttpResponse(reply.status, dict(reply.headers.items()), reply.read())
            except urllib.error.HTTPError as exc:
                with exc:
                    _check_length(exc, budget)
                    return HttpResponse(exc.code, dict(exc.headers.items()), exc.read())
        except ReplyTooLargeError:
            error = ReplyTooLargeError(budget.limit)
        # Timeouts and resets are OSError; a garbled status line or a body cut short
        # (BadStatusLine, IncompleteRead) is http.client.HTTPException: all mean "no reply".
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            error = _no_reply(exc, budget)
        raise error


def _no_reply(exc: Exception, budget: _Budget) -> TransportError:
    """The TransportError for a request that got no usable reply."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError) or time.monotonic() >= budget.deadline:
        return RequestTimeoutError(
            f"请求超时：{_seconds(budget.timeout)}内未完成 "
            f"(request not completed within {budget.timeout:g} s)"
        )
    detail = f"{type(reason).__name__}: {reason}" if isinstance(reason, BaseException) else reason
    return TransportError(f"连接失败 (connection failed): {detail}")


def _check_length(reply: Any, budget: _Budget) -> None:
    """ReplyTooLargeError before reading a body whose Content-Length is over the cap."""
    length = getattr(reply, "length", None)
    if isinstance(length, int) and length > budget.limit:
        raise ReplyTooLargeError(budget.limit)


class _HttpxTransport:
    """Adapts an httpx-style client (``.post(url, content=, headers=, timeout=)``).

    httpx follows no redirects unless the client was built to; if it did
    (``reply.history``), the reply is refused as a RedirectError. The client reads
    the whole reply itself: REPLY_MAX_BYTES is checked only once it has."""

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
        history = getattr(reply, "history", None)
        if history:
            first = history[0]
            raise RedirectError(int(first.status_code), _header(first.headers, "location"))
        return HttpResponse(int(reply.status_code), dict(reply.headers), bytes(reply.content))


# ---------------------------------------------------------------- retry policy


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded in tries and in total time.

    ``attempts`` counts every try (1 means no retry); the n-th wait is a random
    share of ``backoff * 2**n`` capped at ``ceiling`` seconds; no wait starts
    after ``deadline`` seconds from the first try, and none goes past it. Only
    connection failures and timeouts, 5xx, replies over REPLY_MAX_BYTES and 429
    are retried: records are written idempotently by RowGuid, so a repeated
    request never creates a second record.

    A Retry-After (delay-seconds or an HTTP date) is waited exactly when it fits
    both the ceiling and the time left before the deadline; a longer one ends the
    retries with RetryLaterError; an unusable one (nan, inf, negative, garbage)
    is ignored and the normal backoff applies.
    """

    attempts: int = 4
    backoff: float = 0.5
    ceiling: float = 30.0
    deadline: float = 120.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts 应不小于 1：{self.attempts!r}")
        for name in ("backoff", "ceiling", "deadline"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} 应为有限的非负秒数：{value!r}")

    def delay(self, retry: int, rng: random.Random, retry_after: float | None = None) -> float:
        """The wait before retry number ``retry`` (from 0): Retry-After when the gateway
        gave a usable one, else full jitter; never more than ``ceiling``."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.ceiling)
        return rng.uniform(0, min(self.ceiling, self.backoff * (2 ** min(retry, 64))))


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
    if type(record) is dict:  # the common case: a plain dict has no to_dict to look for
        return canonical_record(key, record)
    to_dict = getattr(record, "to_dict", None)
    if callable(to_dict) and getattr(record, "KEY", key) == key:
        data = to_dict()
        if isinstance(data, dict):
            return data
    if isinstance(record, Mapping):
        return canonical_record(key, record)
    raise TypeError(f"{key} 记录应为 {key} 数据类或映射，实为 {type(record).__name__}")


# One encoder for every body: json.dumps with options builds a new one per call.
_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _encode(payload: object) -> bytes:
    return _ENCODER.encode(payload).encode("utf-8")


class Client(RecordGroups):
    """签名客户端 (signing client). One per token and API root; thread-safe for sending.

    Args:
        token: the token issued for the environment (never logged or shown).
        base_url: API_ROOT, e.g. ``https://host/ebus/tysb-sjcj``; or give ``environment``.
        environment: ``"test"`` or ``"production"`` (the standard's API roots, over HTTPS).
        paasid: x-tif-paasid, fixed (spec.PAASID) by 6.3.1.
        timeout: seconds each HTTP request may take in all: connecting, the TLS
            handshake, sending the body and reading the reply (with the default
            transport; a custom transport is handed the same figure). Earlier
            releases bounded each socket operation instead. A request past it
            fails with RequestTimeoutError and is retried like a connection failure.
        retry: the RetryPolicy for safe retries.
        transport: a callable ``HttpRequest -> HttpResponse``, or an httpx-style
            client object; UrllibTransport by default. A custom one must not
            follow redirects, and should keep to the timeout and the reply cap
            (see Transport): the client refuses a 3xx and a body over
            REPLY_MAX_BYTES, but only after the transport has returned.
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
        if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
            raise ValueError(f"timeout 应为有限的正秒数：{timeout!r}")
        if (base_url is None) == (environment is None):
            raise ValueError(
                "base_url 与 environment 须且只须给出一个 (give exactly one of base_url or environment)"
            )
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
        #: Nothing is sent before this time (self._clock()): the gateway's Retry-After.
        self._resume_at = -math.inf
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
        return self._post_body(key, operation, _encode(payload), records)

    def _post_body(
        self, key: str, operation: str, body: bytes, records: Sequence[Mapping[str, object]]
    ) -> Reply:
        """post() of a body already encoded (the record groups encode each record once)."""
        url = self.base_url + ENDPOINTS[(key, operation)]
        started = self._clock()
        tries = 0
        while True:
            tries += 1
            try:
                return self._once(url, body, records)
            except GatewayError as exc:
                now = self._clock()
                left = self.retry.deadline - (now - started)
                if not exc.retryable or left <= 0:
                    raise
                retry_after = exc.retry_after if isinstance(exc, HttpStatusError) else None
                if retry_after is not None and retry_after > min(self.retry.ceiling, left):
                    # A wait the policy won't make: stop, and send nothing until it is over.
                    self._resume_at = max(self._resume_at, now + retry_after)
                    assert isinstance(exc, HttpStatusError)
                    raise RetryLaterError(exc, retry_after) from None
                if tries >= self.retry.attempts:
                    raise
                wait = min(self.retry.delay(tries - 1, self._rng, retry_after), left)
                _log.warning(
                    "%s %s 失败（%s），%.2f 秒后第 %d 次重试", key, operation, exc, wait, tries
                )
                self._sleep(wait)

    def _once(self, url: str, body: bytes, records: Sequence[Mapping[str, object]]) -> Reply:
        now = self._clock()
        if now < self._resume_at:
            wait = self._resume_at - now
            raise RetryLaterError(
                HttpStatusError(429, None, None, records),
                wait,
                f"网关要求稍后再试（Retry-After），尚余 {_seconds(wait)}；本请求未发送 "
                "(not sent: the gateway's Retry-After has not passed)",
            )
        timestamp = timestamp_now(now)
        headers = make_headers(self.__token, self.paasid, timestamp, new_nonce())
        try:
            response = self._transport(HttpRequest(url, headers, body, self.timeout))
        except GatewayError as exc:
            if not exc.records:
                exc.records = tuple(records)
            raise
        if 300 <= response.status < 400:
            raise RedirectError(response.status, _header(response.headers, "location"), records)
        if len(response.body) > REPLY_MAX_BYTES:
            raise ReplyTooLargeError(REPLY_MAX_BYTES, records)
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


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, the name matched case-insensitively."""
    return next((v for k, v in headers.items() if k.lower() == name), None)


def _retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Retry-After in seconds: delay-seconds, or an HTTP date measured against ``now``.

    None for anything else (nan, inf, a negative number, garbage): the caller falls
    back to its normal backoff. A date already past is 0.
    """
    value = _header(headers, "retry-after")
    if value is None:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return float(value)  # a number too long for a float is inf: "much later"
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:  # RFC 9110 dates are GMT
            when = when.replace(tzinfo=timezone.utc)
        seconds = when.timestamp() - now
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _seconds(value: float) -> str:
    return f"{value:g} 秒" if math.isfinite(value) else "无限长时间"


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
        body = _encoded(self.key, data)  # InvalidRecordError for text UTF-8 cannot encode
        return self.client._post_body(self.key, "save", body, [data])

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
        ready: list[tuple[int, dict[str, object], object]] = []  # (index, as sent, as given)
        for index, record in enumerate(records):
            try:
                ready.append((index, self.prepare(record), record))
            except InvalidRecordError as exc:
                outcomes[index] = RecordOutcome(
                    index, _row_guid(record), "refused", tuple(exc.problems)
                )
            except TypeError as exc:
                problem = Problem(None, "not_object", str(exc))
                outcomes[index] = RecordOutcome(index, None, "refused", (problem,))
        bodies = _bodies(self.key, ready, outcomes)
        for chunk, body in bodies:
            data = [d for _, d, _ in chunk]
            try:
                self.client._post_body(self.key, "batch_save", body, data)
            except GatewayError as exc:
                for index, d, _ in chunk:
                    outcomes[index] = RecordOutcome(index, _row_guid(d), "failed", error=exc)
            else:
                for index, d, _ in chunk:
                    outcomes[index] = RecordOutcome(index, _row_guid(d), "sent")
        requests = len(bodies)
        return BatchReport(tuple(outcomes[i] for i in sorted(outcomes)), requests)


def _row_guid(record: object) -> str | None:
    value = (
        record.get(ROW_GUID)
        if type(record) is dict or isinstance(record, Mapping)  # a dict: no ABC check
        else getattr(record, "row_guid", None)
    )
    return value if isinstance(value, str) else None


def _encoded(key: str, data: dict[str, object]) -> bytes:
    """The record as sent (JSON, UTF-8); InvalidRecordError if UTF-8 cannot encode it."""
    try:
        return _encode(data)
    except UnicodeEncodeError:
        raise InvalidRecordError(key, [_unencodable(data)]) from None


def _unencodable(data: Mapping[str, object]) -> Problem:
    """The problem of a record holding a lone surrogate, which UTF-8 cannot encode."""
    for name, value in data.items():
        for text in (name, value) if isinstance(value, str) else (name,):
            bad = next((c for c in text if "\ud800" <= c <= "\udfff"), None)
            if bad is not None:
                return Problem(
                    name.encode("utf-8", "replace").decode("utf-8"),
                    "unencodable",
                    f"{name.encode('utf-8', 'replace').decode('utf-8')}：含 UTF-8 无法编码的字符 "
                    f"U+{ord(bad):04X}（孤立代理项），记录无法发送",
                )
    return Problem(None, "unencodable", "记录含 UTF-8 无法编码的字符（孤立代理项），无法发送")


_Ready = tuple[int, dict[str, object], object]  # (index, the record as sent, as given)


def _bodies(
    key: str, ready: list[_Ready], outcomes: dict[int, RecordOutcome]
) -> list[tuple[list[_Ready], bytes]]:
    """The batchSave requests for the prepared records: (records, JSON body) in order,
    groups of at most BATCH_MAX_RECORDS whose body fits BODY_MAX_BYTES; a record UTF-8
    cannot encode is refused into ``outcomes`` and left out.

    Each group of BATCH_MAX_RECORDS is encoded in one call, the body itself (one call per
    request, not per record: the same bytes). From the first group that fails to encode
    or does not fit, the rest is taken record by record (_chunks), each record's
    encoding measured: exactly the groups that way gives from the start too."""
    bodies: list[tuple[list[_Ready], bytes]] = []
    at = 0
    while at < len(ready):
        group = ready[at : at + BATCH_MAX_RECORDS]
        try:
            body = _encode([data for _, data, _ in group])
        except Exception:  # whatever it is, the record-by-record path meets it as before
            break
        if len(body) > BODY_MAX_BYTES:
            break
        bodies.append((group, body))
        at += len(group)
    encoded: list[tuple[_Ready, bytes]] = []
    for item in ready[at:]:
        index, data, record = item
        try:
            encoded.append((item, _encoded(key, data)))
        except InvalidRecordError as exc:
            outcomes[index] = RecordOutcome(
                index, _row_guid(record), "refused", tuple(exc.problems)
            )
        except TypeError as exc:
            problem = Problem(None, "not_object", str(exc))
            outcomes[index] = RecordOutcome(index, None, "refused", (problem,))
    for chunk in _chunks(encoded):
        # The body from each record's own encoding: the same bytes as encoding the list
        # (compact separators, "," between items).
        body = b"[" + b",".join([text for _, text in chunk]) + b"]"
        bodies.append(([item for item, _ in chunk], body))
    return bodies


def _chunks(
    encoded: list[tuple[_Ready, bytes]],
) -> Iterable[list[tuple[_Ready, bytes]]]:
    """Groups of at most BATCH_MAX_RECORDS whose JSON body fits BODY_MAX_BYTES."""
    chunk: list[tuple[_Ready, bytes]] = []
    size = 2  # "[" and "]"
    for item in encoded:
        item_size = len(item[1]) + 1  # and its "," (or the "]" after the last)
        if chunk and (len(chunk) >= BATCH_MAX_RECORDS or size + item_size > BODY_MAX_BYTES):
            yield chunk
            chunk, size = [], 2
        chunk.append(item)
        size += item_size
    if chunk:
        yield chunk
