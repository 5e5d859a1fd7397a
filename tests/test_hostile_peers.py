"""Hostile peers: a client that trusts only the gateway, and a mock that behaves like a gateway
under attack (issue 11). Real sockets on 127.0.0.1; each test asserts the exact outcome."""

from __future__ import annotations

import http.client
import importlib
import json
import math
import os
import random
import re
import selectors
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest

TOKEN = "hostile-peers-token-5b0e"
START = 1_700_000_000.0
ORG = "11440000MB2D0461X4"
ROOT = "/ebus/tysb-sjcj"
CERT = Path(__file__).parent / "data" / "loopback-tls.pem"
OK_BODY = '{"errCode":"0","errMsg":"成功"}'.encode()
# Generous bounds: a request given TIMEOUT seconds must end well before TIMEOUT + SLACK,
# while the peers below would hold it for DRIP_LIMIT seconds or more.
TIMEOUT = 1.0
SLACK = 4.0
DRIP_LIMIT = 30.0


@pytest.fixture(scope="module")
def cm(pkg: ModuleType) -> ModuleType:
    return importlib.import_module(pkg.__name__ + ".client")


@pytest.fixture(scope="module")
def om(pkg: ModuleType) -> ModuleType:
    return importlib.import_module(pkg.__name__ + ".outbox")


@pytest.fixture(scope="module")
def mock(pkg: ModuleType) -> ModuleType:
    return importlib.import_module(pkg.__name__ + ".mock")


def accept(pkg: ModuleType, n: int = 0, **changes: object) -> dict[str, object]:
    record = dict(pkg.EXAMPLES["accept"])
    record["RowGuid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"gdzw-hostile/{n}"))
    record.update(changes)
    return record


# ---------------------------------------------------------------- loopback peers


def read_request(conn: socket.socket) -> bytes:
    """One HTTP request (head and Content-Length body) from ``conn``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    match = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    length = int(match.group(1)) if match else 0
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


class Peer:
    """A TCP server on 127.0.0.1 running ``handler(conn, peer)`` for each connection on its
    own thread; it records every request it read and every byte it managed to send."""

    def __init__(
        self,
        handler: Callable[[socket.socket, Peer], None],
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.handler = handler
        self.tls = tls
        self.requests: list[bytes] = []
        self.connections = 0
        self.sent = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.workers: list[threading.Thread] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{ROOT}"

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.sock, selectors.EVENT_READ)
            while not self.stop.is_set():
                if not selector.select(0.05):
                    continue
                conn, _ = self.sock.accept()
                with self.lock:
                    self.connections += 1
                worker = threading.Thread(target=self._run, args=(conn,), daemon=True)
                self.workers.append(worker)
                worker.start()

    def _run(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            self.handler(conn, self)
        except OSError:
            pass  # the client went away: what the hostile tests expect
        finally:
            conn.close()

    def read(self, conn: socket.socket) -> bytes:
        request = read_request(conn)
        with self.lock:
            self.requests.append(request)
        return request

    def send(self, conn: socket.socket, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = conn.send(view)
            with self.lock:
                self.sent += n
            view = view[n:]

    def join_workers(self) -> None:
        """Waits for the connection handlers (they end when the client goes away)."""
        for worker in list(self.workers):
            worker.join(timeout=DRIP_LIMIT + 10)
            assert not worker.is_alive()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        self.sock.close()

    def __enter__(self) -> Peer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def reply(status: int, body: bytes = OK_BODY, **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status} Status", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def answering(raw: bytes) -> Callable[[socket.socket, Peer], None]:
    def handler(conn: socket.socket, peer: Peer) -> None:
        peer.read(conn)
        peer.send(conn, raw)

    return handler


def nothing_accepted(peer: Peer) -> bool:
    """Whether no connection ever reached ``peer`` (none handled, none waiting)."""
    return peer.connections == 0


@dataclass
class Clock:
    now: float = START
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def real_client(cm: ModuleType, base_url: str, **kwargs: Any) -> Any:
    kwargs.setdefault("retry", cm.RetryPolicy(attempts=1))
    kwargs.setdefault("sleep", lambda _seconds: None)
    kwargs.setdefault("timeout", TIMEOUT)
    return cm.Client(token=TOKEN, base_url=base_url, **kwargs)


# ---------------------------------------------------------------- redirects


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_is_refused_and_nothing_reaches_the_other_host(
    cm: ModuleType, pkg: ModuleType, status: int
) -> None:
    with Peer(answering(b"")) as elsewhere:
        location = elsewhere.url() + "/uppro/accept/save"
        with Peer(answering(reply(status, b"moved", Location=location))) as gateway:
            client = real_client(cm, gateway.url(), retry=cm.RetryPolicy(attempts=4))
            with pytest.raises(cm.RedirectError) as info:
                client.accept.save(accept(pkg))
            gateway.join_workers()
    error = info.value
    assert (error.status, error.location, error.retryable) == (status, location, False)
    assert isinstance(error, cm.HttpStatusError) and error.counts_as_attempt
    assert "未跟随" in str(error) and "API_ROOT" in str(error) and TOKEN not in str(error)
    assert error.records == (accept(pkg),)
    assert len(gateway.requests) == 1  # not retried
    assert nothing_accepted(elsewhere) and elsewhere.requests == []


def test_redirect_leaves_the_outbox_batch_pending(
    cm: ModuleType, om: ModuleType, pkg: ModuleType, tmp_path: Path
) -> None:
    with Peer(answering(b"")) as elsewhere:
        location = elsewhere.url() + "/uppro/accept/batchSave"
        with Peer(answering(reply(302, b"", Location=location))) as gateway:
            client = real_client(cm, gateway.url(), retry=cm.RetryPolicy(attempts=3))
            with om.Outbox(tmp_path / "outbox.sqlite3", ORG) as outbox:
                outbox.enqueue("accept", [accept(pkg, n) for n in range(3)])
                report = outbox.deliver(client)
                (batch,) = outbox.batches()
                counts = outbox.counts()
            gateway.join_workers()
    assert report.done == () and report.remaining == 1
    assert (batch.state, batch.attempts, batch.sent_at) == ("pending", 1, None)
    assert batch.last_error is not None and "302" in batch.last_error
    assert counts == {"pending": 3}
    assert len(gateway.requests) == 1
    assert b"x-tif-signature" in gateway.requests[0].lower()
    assert nothing_accepted(elsewhere)  # the signed headers went nowhere else


def test_httpx_style_client_that_followed_a_redirect_is_refused(
    cm: ModuleType, pkg: ModuleType
) -> None:
    class Followed:
        status_code = 200
        headers = {"content-type": "application/json"}
        content = OK_BODY
        history = [type("Hop", (), {"status_code": 301, "headers": {"Location": "https://x/"}})]

    class FollowingClient:
        def post(self, url: str, **kwargs: Any) -> Followed:
            return Followed()

    client = cm.Client(token=TOKEN, environment="test", transport=FollowingClient())
    with pytest.raises(cm.RedirectError) as info:
        client.accept.save(accept(pkg))
    assert (info.value.status, info.value.location) == (301, "https://x/")


def test_redirect_from_a_custom_transport(cm: ModuleType, pkg: ModuleType) -> None:
    long_location = "https://elsewhere.example/" + "a" * 500

    def transport(request: Any) -> Any:
        return cm.HttpResponse(307, {"location": long_location}, b"")

    client = cm.Client(token=TOKEN, environment="test", transport=transport)
    with pytest.raises(cm.RedirectError) as info:
        client.accept.save(accept(pkg))
    assert len(info.value.location) == 200 and info.value.location.endswith("…")


# ---------------------------------------------------------------- timeouts


def dripping(where: str) -> Callable[[socket.socket, Peer], None]:
    """Reads the request, then sends the reply one byte every 0.2 s from ``where`` on."""
    prefix = {
        "status": b"",
        "headers": b"HTTP/1.1 200 OK\r\nX-Drip: ",
        "body": b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
    }[where]

    def handler(conn: socket.socket, peer: Peer) -> None:
        peer.read(conn)
        peer.send(conn, prefix)
        ends = time.monotonic() + DRIP_LIMIT
        while time.monotonic() < ends and not peer.stop.wait(0.2):
            peer.send(conn, b"a")

    return handler


@pytest.mark.parametrize("where", ["status", "headers", "body"])
def test_dripping_reply_ends_at_the_timeout(cm: ModuleType, pkg: ModuleType, where: str) -> None:
    with Peer(dripping(where)) as peer:
        client = real_client(cm, peer.url())
        started = time.monotonic()
        with pytest.raises(cm.RequestTimeoutError) as info:
            client.accept.save(accept(pkg))
        elapsed = time.monotonic() - started
        peer.join_workers()  # the server saw the client give up
    assert isinstance(info.value, cm.TransportError) and info.value.retryable
    assert "超时" in str(info.value)
    assert elapsed < TIMEOUT + SLACK
    assert len(peer.requests) == 1


def test_timed_out_request_is_retried_like_a_connection_failure(
    cm: ModuleType, pkg: ModuleType
) -> None:
    with Peer(dripping("headers")) as peer:
        sleeps: list[float] = []
        client = real_client(
            cm, peer.url(), retry=cm.RetryPolicy(attempts=2, backoff=0.0), sleep=sleeps.append
        )
        with pytest.raises(cm.RequestTimeoutError):
            client.accept.save(accept(pkg))
        peer.join_workers()
    assert len(peer.requests) == 2 and sleeps == [0.0]


def test_dripping_tls_handshake_ends_at_the_timeout(cm: ModuleType, pkg: ModuleType) -> None:
    def handler(conn: socket.socket, peer: Peer) -> None:
        conn.recv(65536)  # the ClientHello
        peer.send(conn, b"\x16\x03\x03\x40\x00")  # a 16 KiB handshake record, never finished
        ends = time.monotonic() + DRIP_LIMIT
        while time.monotonic() < ends and not peer.stop.wait(0.2):
            peer.send(conn, b"\x00")

    with Peer(handler) as peer:
        client = real_client(cm, peer.url("https"))
        started = time.monotonic()
        with pytest.raises(cm.RequestTimeoutError):
            client.accept.save(accept(pkg))
        elapsed = time.monotonic() - started
        peer.join_workers()
    assert elapsed < TIMEOUT + SLACK


def tls_server_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT)
    return context


def test_https_round_trip_within_the_budget(cm: ModuleType, pkg: ModuleType) -> None:
    with Peer(answering(reply(200)), tls=tls_server_context()) as peer:
        transport = cm.UrllibTransport(context=ssl.create_default_context(cafile=str(CERT)))
        client = real_client(cm, peer.url("https"), transport=transport)
        assert client.accept.save(accept(pkg, 1)) == cm.Reply("0", "成功")
        peer.join_workers()
    head, _, body = peer.requests[0].partition(b"\r\n\r\n")
    assert head.startswith(b"POST /ebus/tysb-sjcj/uppro/accept/save HTTP/1.1")
    assert json.loads(body) == accept(pkg, 1)


def test_untrusted_certificate_is_a_transport_error(cm: ModuleType, pkg: ModuleType) -> None:
    with Peer(answering(reply(200)), tls=tls_server_context()) as peer:
        client = real_client(cm, peer.url("https"))
        with pytest.raises(cm.TransportError, match="CERTIFICATE_VERIFY_FAILED"):
            client.accept.save(accept(pkg))
        peer.join_workers()
    assert peer.requests == []  # nothing was sent over the untrusted connection


@pytest.mark.parametrize("timeout", [0, -1, math.nan, math.inf])
def test_timeout_must_be_a_finite_positive_number(cm: ModuleType, timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        cm.Client(token=TOKEN, environment="test", timeout=timeout)


# ---------------------------------------------------------------- reply size


def flooding(head: bytes, chunk: bytes = b"x" * 65536) -> Callable[[socket.socket, Peer], None]:
    """Reads the request, sends ``head``, then up to 256 MiB of ``chunk`` while the client reads."""

    def handler(conn: socket.socket, peer: Peer) -> None:
        peer.read(conn)
        peer.send(conn, head)
        for _ in range(256 * 2**20 // len(chunk)):
            peer.send(conn, chunk)

    return handler


FLOODS = {
    "close-delimited body": b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
    "chunked body": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000\r\n",
    "endless headers": b"HTTP/1.1 500 Oops\r\n",
    "declared length": b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n",
    "error status": b"HTTP/1.1 503 Busy\r\nContent-Length: 1073741824\r\n\r\n",
}


@pytest.mark.parametrize("case", list(FLOODS))
def test_oversized_reply_stops_the_reading(cm: ModuleType, pkg: ModuleType, case: str) -> None:
    chunk = b"X-Flood: " + b"y" * 1000 + b"\r\n" if case == "endless headers" else b"x" * 65536
    with Peer(flooding(FLOODS[case], chunk)) as peer:
        client = real_client(cm, peer.url(), timeout=30.0)
        with pytest.raises(cm.ReplyTooLargeError) as info:
            client.accept.save(accept(pkg))
        peer.join_workers()
    limit = pkg.spec.REPLY_MAX_BYTES
    assert info.value.retryable and info.value.limit == limit
    assert str(limit) in str(info.value)
    # The server could push the cap plus what the two sockets' buffers hold, no more:
    # far from the 256 MiB it had to send.
    assert peer.sent < 16 * 2**20


def test_oversized_reply_is_retried_like_a_5xx(cm: ModuleType, pkg: ModuleType) -> None:
    with Peer(flooding(FLOODS["declared length"])) as peer:
        client = real_client(cm, peer.url(), retry=cm.RetryPolicy(attempts=3, backoff=0.0))
        with pytest.raises(cm.ReplyTooLargeError):
            client.accept.save(accept(pkg))
        peer.join_workers()
    assert len(peer.requests) == 3


def test_reply_cap_counts_every_byte(cm: ModuleType) -> None:
    raw = reply(200, b'{"errCode":"0","errMsg":"' + b"z" * 200 + b'"}')
    for limit, fits in ((len(raw), True), (len(raw) - 1, False)):
        with Peer(answering(raw)) as peer:
            transport = cm.UrllibTransport(reply_max_bytes=limit)
            request = cm.HttpRequest(peer.url(), {}, b"{}", 5.0)
            if fits:
                assert transport(request).status == 200
            else:
                with pytest.raises(cm.ReplyTooLargeError):
                    transport(request)
            peer.join_workers()


def test_custom_transport_reply_over_the_cap(cm: ModuleType, pkg: ModuleType) -> None:
    """A custom transport has read the body already; the client still refuses and retries it."""
    limit = pkg.spec.REPLY_MAX_BYTES
    bodies = [b" " * (limit + 1), b" " * (limit - len(OK_BODY)) + OK_BODY]
    sent: list[Any] = []

    def transport(request: Any) -> Any:
        sent.append(request)
        return cm.HttpResponse(200, {}, bodies.pop(0))

    clock = Clock()
    client = cm.Client(
        token=TOKEN, environment="test", transport=transport, sleep=clock.sleep, clock=clock
    )
    assert client.accept.save(accept(pkg)).err_code == "0"  # exactly the cap is fine
    assert len(sent) == 2 and len(clock.sleeps) == 1


# ---------------------------------------------------------------- Retry-After


class MaxRandom(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return b


def scripted(cm: ModuleType, *replies: Any) -> tuple[Callable[[Any], Any], list[Any]]:
    requests: list[Any] = []
    script = list(replies)

    def transport(request: Any) -> Any:
        requests.append(request)
        return script.pop(0) if script else cm.HttpResponse(200, {}, OK_BODY)

    return transport, requests


def fake_client(cm: ModuleType, transport: Any, clock: Clock, **kwargs: Any) -> Any:
    kwargs.setdefault("retry", cm.RetryPolicy(attempts=3, backoff=0.5, ceiling=30, deadline=120))
    return cm.Client(
        token=TOKEN,
        environment="test",
        transport=transport,
        sleep=clock.sleep,
        clock=clock,
        rng=MaxRandom(),
        **kwargs,
    )


@pytest.mark.parametrize(
    "value", ["nan", "NaN", "inf", "-inf", "Infinity", "-1", "-0.5", "1e3", "soon", "", "0x10"]
)
@pytest.mark.parametrize("status", [429, 503])
def test_unusable_retry_after_falls_back_to_backoff(
    cm: ModuleType, pkg: ModuleType, value: str, status: int
) -> None:
    clock = Clock()
    transport, requests = scripted(
        cm,
        cm.HttpResponse(status, {"Retry-After": value}, b""),
        cm.HttpResponse(status, {"Retry-After": value}, b""),
    )
    assert fake_client(cm, transport, clock).accept.save(accept(pkg)).err_code == "0"
    assert clock.sleeps == [0.5, 1.0]  # the normal backoff envelope
    assert len(requests) == 3


@pytest.mark.parametrize(
    "value, wait",
    [
        ("7", 7.0),
        (" 12 ", 12.0),
        ("0", 0.0),
        (formatdate(START + 9, usegmt=True), 9.0),
        (formatdate(START - 3600, usegmt=True), 0.0),  # a date already past
        ("Sun, 06 Nov 1994 08:49:37 GMT", 0.0),
    ],
)
def test_usable_retry_after_is_waited_exactly(
    cm: ModuleType, pkg: ModuleType, value: str, wait: float
) -> None:
    clock = Clock()
    transport, requests = scripted(cm, cm.HttpResponse(429, {"retry-after": value}, b""))
    assert fake_client(cm, transport, clock).accept.save(accept(pkg)).err_code == "0"
    assert clock.sleeps == [wait] and len(requests) == 2


@pytest.mark.parametrize(
    "value",
    ["121", "86400", "9" * 400, formatdate(START + 3600, usegmt=True), "31"],
)
def test_retry_after_beyond_the_policy_ends_retries(
    cm: ModuleType, pkg: ModuleType, value: str
) -> None:
    clock = Clock()
    transport, requests = scripted(cm, cm.HttpResponse(503, {"Retry-After": value}, b""))
    with pytest.raises(cm.RetryLaterError) as info:
        fake_client(cm, transport, clock).accept.save(accept(pkg))
    error = info.value
    assert (error.status, error.retryable, error.counts_as_attempt) == (503, False, False)
    assert error.retry_after > 30
    assert clock.sleeps == [] and len(requests) == 1
    assert "Retry-After" in str(error)


def test_retry_after_beyond_the_policy_on_the_last_try(cm: ModuleType, pkg: ModuleType) -> None:
    """With no try left, a long Retry-After is still a RetryLaterError: the outbox keeps the
    batch's tries for real failures."""
    clock = Clock()
    transport, requests = scripted(cm, cm.HttpResponse(429, {"Retry-After": "600"}, b""))
    policy = cm.RetryPolicy(attempts=1)
    with pytest.raises(cm.RetryLaterError):
        fake_client(cm, transport, clock, retry=policy).accept.save(accept(pkg))
    transport, requests = scripted(cm, cm.HttpResponse(429, {"Retry-After": "5"}, b""))
    with pytest.raises(cm.HttpStatusError) as info:
        fake_client(cm, transport, clock, retry=policy).accept.save(accept(pkg))
    assert type(info.value) is cm.HttpStatusError and info.value.retry_after == 5.0


def test_every_wait_is_bounded_by_ceiling_and_deadline(cm: ModuleType, pkg: ModuleType) -> None:
    clock = Clock()
    replies = [cm.HttpResponse(429, {"Retry-After": "10"}, b"") for _ in range(20)]
    transport, requests = scripted(cm, *replies)
    policy = cm.RetryPolicy(attempts=100, ceiling=10.0, deadline=35.0)
    with pytest.raises(cm.RetryLaterError):
        fake_client(cm, transport, clock, retry=policy).accept.save(accept(pkg))
    assert clock.sleeps == [10.0, 10.0, 10.0]  # 5 s left: a 10 s wait no longer fits
    assert clock.now - START == 30.0 and len(requests) == 4


@pytest.mark.parametrize(
    "policy",
    [
        {"attempts": 0},
        {"backoff": -1.0},
        {"ceiling": math.nan},
        {"deadline": math.inf},
    ],
)
def test_retry_policy_refuses_unusable_figures(cm: ModuleType, policy: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        cm.RetryPolicy(**policy)


def test_retry_after_too_long_leaves_the_outbox_batch_pending(
    cm: ModuleType, om: ModuleType, pkg: ModuleType, tmp_path: Path
) -> None:
    clock = Clock()
    transport, requests = scripted(cm, cm.HttpResponse(429, {"Retry-After": "600"}, b""))
    client = fake_client(cm, transport, clock)
    with om.Outbox(tmp_path / "outbox.sqlite3", ORG, clock=clock, max_attempts=1) as outbox:
        outbox.enqueue("accept", [accept(pkg, n) for n in range(3)])
        first = outbox.deliver(client)
        (batch,) = outbox.batches()
        assert first.done == () and first.dead == () and first.remaining == 1
        assert (batch.state, batch.attempts) == ("pending", 0)  # no try counted
        assert batch.last_error is not None and "600" in batch.last_error
        second = outbox.deliver(client)  # too early: nothing is sent
        assert second.remaining == 1 and len(requests) == 1
        assert outbox.batches()[0].attempts == 0
        clock.now += 600
        third = outbox.deliver(client)
    assert len(third.done) == 1 and third.remaining == 0 and len(requests) == 2


# ---------------------------------------------------------------- lone surrogates, client side


def test_client_never_sends_text_utf8_cannot_encode(cm: ModuleType, pkg: ModuleType) -> None:
    transport, requests = scripted(cm)
    client = cm.Client(token=TOKEN, environment="test", transport=transport, validate=False)
    with pytest.raises(pkg.InvalidRecordError) as info:
        client.accept.save(accept(pkg, ApplyerName="张\ud800三"))
    (problem,) = info.value.problems
    assert (problem.field, problem.code) == ("ApplyerName", "unencodable")
    assert "U+D800" in problem.message
    report = client.accept.batch_save(
        [accept(pkg, 1), accept(pkg, 2, **{"\udfff": "x"}), accept(pkg, 3)]
    )
    assert [o.status for o in report.outcomes] == ["sent", "refused", "sent"]
    assert report.outcomes[1].problems[0].code == "unencodable"
    (request,) = requests
    assert [r["RowGuid"] for r in json.loads(request.body)] == [
        accept(pkg, 1)["RowGuid"],
        accept(pkg, 3)["RowGuid"],
    ]


# ---------------------------------------------------------------- the mock under attack


class MockClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def mock_clock() -> MockClock:
    return MockClock()


@pytest.fixture()
def gateway(mock: ModuleType, mock_clock: MockClock) -> Iterator[Any]:
    with mock.MockGateway(TOKEN, clock=mock_clock, max_nonces=3) as gw:
        yield gw


def signed(pkg: ModuleType, timestamp: float = START, nonce: str | None = None) -> dict[str, str]:
    return dict(
        pkg.signing.make_headers(
            TOKEN, pkg.spec.PAASID, str(int(timestamp)), nonce or pkg.signing.new_nonce()
        )
    )


@dataclass
class Answer:
    status: int
    code: str
    message: str
    headers: http.client.HTTPMessage


def post(
    gateway: Any,
    headers: dict[str, str],
    body: bytes,
    path: str = "/uppro/accept/save",
) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
    try:
        headers = {"Content-Type": "application/json", **headers}
        conn.request("POST", urlsplit(gateway.base_url).path + path, body=body, headers=headers)
        response = conn.getresponse()
        data = json.loads(response.read().decode("utf-8"))
        return Answer(response.status, data["errCode"], data["errMsg"], response.headers)
    finally:
        conn.close()


def body_of(record: object) -> bytes:
    return json.dumps(record).encode("ascii")  # ensure_ascii: a lone surrogate as \udXXX


def status(pkg: ModuleType, status_id: str) -> tuple[int, str]:
    st = pkg.spec.STATUSES[status_id]
    return st.http_status, st.err_code


def test_replayed_request_is_refused(pkg: ModuleType, gateway: Any) -> None:
    headers = signed(pkg)
    first = post(gateway, headers, body_of(accept(pkg, 1)))
    assert (first.status, first.code) == (200, "0")
    for record in (accept(pkg, 1), accept(pkg, 2)):  # the same headers, any body
        again = post(gateway, headers, body_of(record))
        assert (again.status, again.code) == status(pkg, "replayed_nonce") == (401, "40105")
        assert "重放" in again.message and TOKEN not in again.message
    assert gateway.row_guids("accept") == {accept(pkg, 1)["RowGuid"]}


def test_nonce_is_consumed_by_a_signed_request_even_if_its_body_is_refused(
    pkg: ModuleType, gateway: Any
) -> None:
    headers = signed(pkg)
    assert post(gateway, headers, b"not json").code == status(pkg, "bad_json")[1]
    assert post(gateway, headers, body_of(accept(pkg, 1))).code == "40105"


def test_unsigned_junk_cannot_fill_the_nonce_store(
    pkg: ModuleType, gateway: Any, mock_clock: MockClock
) -> None:
    for n in range(20):
        junk = signed(pkg, nonce=f"junk-{n}")
        junk["x-tif-signature"] = "0" * 64
        assert post(gateway, junk, body_of(accept(pkg))).code == status(pkg, "bad_signature")[1]
        stale = signed(pkg, timestamp=START - 10_000, nonce=f"stale-{n}")
        assert post(gateway, stale, body_of(accept(pkg))).code == status(pkg, "stale_timestamp")[1]
    for n in range(3):  # the store (max_nonces=3) is still empty
        assert post(gateway, signed(pkg), body_of(accept(pkg, n))).code == "0"


def test_full_nonce_store_refuses_until_the_oldest_expires(
    pkg: ModuleType, gateway: Any, mock_clock: MockClock
) -> None:
    window = gateway.window  # 180 s
    # Each nonce is kept until its own timestamp plus the window: START - 100 + 180 = START + 80.
    assert post(gateway, signed(pkg, START - 100), body_of(accept(pkg, 1))).code == "0"
    assert post(gateway, signed(pkg, START), body_of(accept(pkg, 2))).code == "0"
    assert post(gateway, signed(pkg, START + 100), body_of(accept(pkg, 3))).code == "0"
    full = post(gateway, signed(pkg), body_of(accept(pkg, 4)))
    assert (full.status, full.code) == status(pkg, "too_many_requests") == (429, "42900")
    assert full.headers["Retry-After"] == "81" and "上限 3" in full.message
    mock_clock.now = START + window - 100  # the oldest expires at this very second: kept
    assert post(gateway, signed(pkg, mock_clock.now), body_of(accept(pkg, 4))).code == "42900"
    mock_clock.now += 1  # now it has expired, and its place is free
    assert post(gateway, signed(pkg, mock_clock.now), body_of(accept(pkg, 4))).code == "0"
    assert gateway.row_guids("accept") == {accept(pkg, n)["RowGuid"] for n in range(1, 5)}


def test_replay_after_the_window_is_stale_not_accepted(
    pkg: ModuleType, gateway: Any, mock_clock: MockClock
) -> None:
    headers = signed(pkg)
    assert post(gateway, headers, body_of(accept(pkg, 1))).code == "0"
    mock_clock.now += gateway.window + 1
    assert post(gateway, headers, body_of(accept(pkg, 1))).code == "40103"


def test_concurrent_replays_only_one_is_accepted(pkg: ModuleType, mock: ModuleType) -> None:
    with mock.MockGateway(TOKEN, clock=lambda: START) as gateway:
        headers = signed(pkg)
        codes: list[str] = []
        barrier = threading.Barrier(8)

        def replay(n: int) -> None:
            barrier.wait()
            codes.append(post(gateway, headers, body_of(accept(pkg, n))).code)

        threads = [threading.Thread(target=replay, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(codes) == ["0"] + ["40105"] * 7


def test_real_client_against_the_mock_never_replays(pkg: ModuleType, cm: ModuleType) -> None:
    with pkg.mock.MockGateway(TOKEN, fault_rate=0.5, seed=3) as gateway:
        client = cm.Client(
            token=TOKEN,
            base_url=gateway.base_url,
            retry=cm.RetryPolicy(attempts=10, backoff=0.0),
            sleep=lambda _s: None,
        )
        report = client.accept.batch_save([accept(pkg, n) for n in range(250)])
    assert report.ok and report.requests == 3


def test_max_nonces_must_be_positive(mock: ModuleType) -> None:
    with pytest.raises(ValueError, match="max_nonces"):
        mock.MockGateway(TOKEN, max_nonces=0)


# -- lone surrogates, mock side


@pytest.mark.parametrize(
    "where",
    ["value", "key", "nested", "second record"],
)
def test_lone_surrogate_is_an_invalid_record_not_a_500(
    pkg: ModuleType, gateway: Any, where: str
) -> None:
    record: dict[str, object] = accept(pkg, 1)
    path = "/uppro/accept/save"
    payload: object = record
    if where == "value":
        record["ApplyerName"] = "张\ud800三"
    elif where == "key":
        record["Bad\udc00Key"] = "x"
    elif where == "nested":
        record["ApplyerName"] = ["ok", {"k": "\udbff"}]
    else:
        path = "/uppro/accept/batchSave"
        payload = [accept(pkg, 2), {**accept(pkg, 3), "ApplyerName": "\ud800"}]
    for _ in range(2):  # the same every time: a 400, never a 500 "safe to retry"
        answer = post(gateway, signed(pkg), body_of(payload), path)
        assert (answer.status, answer.code) == status(pkg, "invalid_record") == (400, "40004")
        # the validators' unencodable problem or the mock's own check names the code point
        assert "U+D" in answer.message and "孤立" in answer.message
        assert answer.message.encode("utf-8")  # the reply itself is valid UTF-8
    if where == "second record":
        assert "第 2 条" in answer.message
    assert gateway.row_guids("accept") == set()
    assert post(gateway, signed(pkg), body_of(accept(pkg, 9))).code == "0"  # still healthy


# -- token from the environment


def cli_env(project: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GDZW_TOKEN"}
    return {**env, "PYTHONPATH": str(project / "generated" / "python"), **extra}


def test_mock_reads_its_token_from_gdzw_token(pkg: ModuleType, project: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "gdzw_uppro.mock", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(project, GDZW_TOKEN=TOKEN),
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        port = urlsplit(base_url).port
        gateway = type("Running", (), {"port": port, "base_url": base_url})()
        good = post(gateway, signed(pkg, time.time()), body_of(accept(pkg)))
        wrong = pkg.signing.make_headers(
            "other", pkg.spec.PAASID, pkg.signing.timestamp_now(), pkg.signing.new_nonce()
        )
        bad = post(gateway, dict(wrong), body_of(accept(pkg)))
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert (good.status, good.code) == (200, "0")
    assert bad.code == pkg.spec.STATUSES["bad_signature"].err_code
    assert process.returncode == 0 and TOKEN not in stderr


def test_mock_refuses_to_start_without_a_token(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gdzw_uppro.mock", "--port", "0"],
        capture_output=True,
        text=True,
        env=cli_env(project),
        timeout=60,
    )
    assert result.returncode == 2
    assert "GDZW_TOKEN" in result.stderr and "Traceback" not in result.stderr


def test_mock_main_without_token(mock: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GDZW_TOKEN", raising=False)
    with pytest.raises(SystemExit) as info:
        mock.main(["--port", "0", "--token", ""])
    assert info.value.code == 2


def test_mock_main_takes_the_token_from_the_environment(
    mock: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GDZW_TOKEN", TOKEN)
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # keep pytest's SIGTERM handler
    started: list[Any] = []

    def wait(self: Any) -> None:
        started.append(self)
        raise KeyboardInterrupt

    monkeypatch.setattr(mock.MockGateway, "wait", wait)
    assert mock.main(["--port", "0", "--max-nonces", "5"]) == 0
    (gateway,) = started
    assert gateway._token == TOKEN and gateway._nonces.capacity == 5
    assert capsys.readouterr().out.startswith("http://127.0.0.1:")


# -- bursts


def test_listen_backlog_takes_a_burst_of_200_connections(mock: ModuleType) -> None:
    assert mock._Server.request_queue_size >= 128
    with mock.MockGateway(TOKEN) as gateway, selectors.DefaultSelector() as selector:
        sockets = []
        try:
            for _ in range(200):
                sock = socket.socket()
                sock.setblocking(False)
                sockets.append(sock)
                sock.connect_ex(("127.0.0.1", gateway.port))
                selector.register(sock, selectors.EVENT_WRITE)
            # Each connect gets 0.5 s; a SYN dropped for a full queue would wait 1 s to retry.
            ends = time.monotonic() + 0.5
            pending = set(sockets)
            while pending and time.monotonic() < ends:
                for key, _ in selector.select(ends - time.monotonic()):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
                    selector.unregister(sock)
                    pending.discard(sock)
            assert not pending, f"{len(pending)} of 200 connects still waiting after 0.5 s"
        finally:
            for sock in sockets:
                sock.close()
