# gdzw-codegen runtime module: `codegen build` copies it into the generated package and puts
# the do-not-edit header in place of these three lines, so line numbers stay the same.
# Spec facts come from the generated spec.py (relative imports resolve there).
"""模拟网关 (a mock of the provincial gateway, for tests and local development).

Serves the endpoints (ENDPOINTS) under API_ROOT_PATH on loopback and checks each
request as spec/standard.yaml's gateway section describes: method, Content-Length,
body size, Content-Type, the x-tif headers and signature (SIGNATURE_CLAUSE), JSON shape, batch
size and every record (validators). A signed request's nonce is accepted once: a
replay is refused (replayed_nonce) until the nonce's own timestamp plus the window
has passed. Accepted records are kept in SQLite, upserted
by RowGuid and honouring Cd_Operation; reconciliation records are checked against
what was stored under each batch. Replies are always the errCode/errMsg envelope
with the errCode and HTTP status of spec.STATUSES. Faults (503, 500, dropped
connections) and business errors can be injected with a seeded generator.

Command line: ``GDZW_TOKEN=T python -m <PACKAGE>.mock --port 8080`` (or ``--token T``).
In tests: ``with MockGateway(token) as gateway: ... gateway.base_url ...``."""

from __future__ import annotations

import argparse
import hashlib
import heapq
import hmac
import json
import logging
import math
import os
import random
import re
import signal
import socket
import socketserver
import sqlite3
import sys
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Final
from urllib.parse import urlsplit

from .checks import type_name
from .codes import SyncOperation
from .problems import errors
from .signing import HEADER_NAMES, sign
from .spec import (
    API_ROOT_PATH,
    BATCH_LIMIT_CLAUSE,
    BATCH_MAX_RECORDS,
    BATCH_OPERATIONS,
    BODY_MAX_BYTES,
    CD_BATCH,
    CD_OPERATION,
    CHARSET,
    CONTENT_TYPE,
    ENDPOINTS,
    ERR_CODE,
    ERR_MSG,
    METHOD,
    PAASID,
    PACKAGE,
    PATH_PREFIX,
    RECON_BATCH,
    RECON_COUNT,
    RECON_TABLE,
    RECONCILIATION_KEY,
    RECONCILIATION_TABLES,
    RECORD_KEYS,
    RECORD_LABELS,
    ROW_GUID,
    SIGNATURE_CLAUSE,
    SIGNATURE_ORDER,
    STANDARD_ID,
    STATUSES,
    VERSION,
)
from .validators import VALIDATORS

__all__ = ["MockGateway", "main"]

logger = logging.getLogger(__name__)

#: 接口只接受的方法与请求体字符集（spec/standard.yaml gateway）。
_METHOD: Final = METHOD
_CHARSET: Final = CHARSET
_REPLY_CONTENT_TYPE: Final = f"{CONTENT_TYPE}; charset={_CHARSET}"
_SIGNATURE_CLAUSE: Final = SIGNATURE_CLAUSE
_BATCH_LIMIT_CLAUSE: Final = BATCH_LIMIT_CLAUSE
#: 应答信封的两个字段（errCode、errMsg）。
_ERR_CODE: Final = ERR_CODE
_ERR_MSG: Final = ERR_MSG
#: 请求体为对象数组的操作（批量接口）。
_BATCH_OPERATIONS: Final = frozenset(BATCH_OPERATIONS)

# 模拟网关用到的结果 id（spec.STATUSES 的键；规范缺少其一时导入失败，见下）。
_OK: Final = "ok"
_BUSINESS_ERROR: Final = "business_error"
_RECONCILIATION_MISMATCH: Final = "reconciliation_mismatch"
_BAD_JSON: Final = "bad_json"
_WRONG_SHAPE: Final = "wrong_shape"
_BATCH_TOO_LARGE: Final = "batch_too_large"
_INVALID_RECORD: Final = "invalid_record"
_MISSING_HEADER: Final = "missing_header"
_WRONG_PAASID: Final = "wrong_paasid"
_STALE_TIMESTAMP: Final = "stale_timestamp"
_BAD_SIGNATURE: Final = "bad_signature"
_REPLAYED_NONCE: Final = "replayed_nonce"
_TOO_MANY_REQUESTS: Final = "too_many_requests"
_NOT_FOUND: Final = "not_found"
_METHOD_NOT_ALLOWED: Final = "method_not_allowed"
_LENGTH_REQUIRED: Final = "length_required"
_BODY_TOO_LARGE: Final = "body_too_large"
_UNSUPPORTED_MEDIA_TYPE: Final = "unsupported_media_type"
_INTERNAL_ERROR: Final = "internal_error"
_UNAVAILABLE: Final = "unavailable"
_MISSING_STATUSES: Final = {
    _OK,
    _BUSINESS_ERROR,
    _RECONCILIATION_MISMATCH,
    _BAD_JSON,
    _WRONG_SHAPE,
    _BATCH_TOO_LARGE,
    _INVALID_RECORD,
    _MISSING_HEADER,
    _WRONG_PAASID,
    _STALE_TIMESTAMP,
    _BAD_SIGNATURE,
    _REPLAYED_NONCE,
    _TOO_MANY_REQUESTS,
    _NOT_FOUND,
    _METHOD_NOT_ALLOWED,
    _LENGTH_REQUIRED,
    _BODY_TOO_LARGE,
    _UNSUPPORTED_MEDIA_TYPE,
    _INTERNAL_ERROR,
    _UNAVAILABLE,
} - STATUSES.keys()
if _MISSING_STATUSES:  # pragma: no cover - the spec lacks a status the mock answers with
    raise ImportError(f"spec.STATUSES 缺少模拟网关所需的结果：{sorted(_MISSING_STATUSES)}")

# 业务记录（spec.BUSINESS_KEYS）的主键、批次号与同步类型字段。
_ROW_GUID: Final = ROW_GUID
_CD_BATCH: Final = CD_BATCH
_CD_OPERATION: Final = CD_OPERATION
_DELETE: Final[str] = SyncOperation.DELETE.value
# 对账记录（spec.RECONCILIATION_KEY）的记录类型与字段。
_RECONCILIATION_KEY: Final = RECONCILIATION_KEY
_TABLE_NAME: Final = RECON_TABLE
_RECON_BATCH: Final = RECON_BATCH
_RECON_COUNT: Final = RECON_COUNT

#: 请求路径（含 API_ROOT_PATH）→ (记录类型, 操作)。
_ROUTES: Final[dict[str, tuple[str, str]]] = {
    API_ROOT_PATH + path: endpoint for endpoint, path in ENDPOINTS.items()
}
#: 对账表名（Table_name）→ 记录类型。
_TABLE_KEYS: Final[dict[str, str]] = {table: key for key, table in RECONCILIATION_TABLES.items()}

#: 可注入的故障，按注入概率均匀选取。
_FAULTS: Final = (
    "unavailable",
    "drop_before_storing",
    "internal_error_after_storing",
    "drop_after_storing",
)
#: errMsg 最多列出的问题数与字符数。
_MAX_PROBLEMS: Final = 20
_MAX_MESSAGE_CHARS: Final = 2000
#: 不读请求体就关闭连接时，先丢弃客户端仍在发送的数据，让它读到应答（lingering close）。
_LINGER_SECONDS: Final = 5.0
_LINGER_IDLE_SECONDS: Final = 1.0
#: 空闲的 keep-alive 连接保持的秒数。
_IDLE_TIMEOUT_SECONDS: Final = 120.0
_CHUNK_BYTES: Final = 65536
_INTERNAL_ERROR_MESSAGE: Final = "模拟网关内部错误；请求可能已保存也可能未保存，可安全重试。"
#: 默认最多记住的 nonce 个数（每个只存 32 字节摘要）；满时拒绝新请求而不遗忘未过期的 nonce。
_MAX_NONCES: Final = 100_000
#: 监听队列长度：一阵并发连接不会因队列满而被丢弃 SYN、等待重传。
_LISTEN_BACKLOG: Final = 1024
#: 命令行未给 --token 时读取 token 的环境变量。
_TOKEN_ENV: Final = "GDZW_TOKEN"

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS records (
    record_key TEXT NOT NULL,
    row_guid TEXT NOT NULL,
    cd_batch TEXT NOT NULL,
    cd_operation TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (record_key, row_guid)
);
CREATE TABLE IF NOT EXISTS batch_members (
    record_key TEXT NOT NULL,
    cd_batch TEXT NOT NULL,
    row_guid TEXT NOT NULL,
    PRIMARY KEY (record_key, cd_batch, row_guid)
);
CREATE TABLE IF NOT EXISTS reconciliations (
    table_name TEXT NOT NULL,
    cd_batch TEXT NOT NULL,
    cd_count INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (table_name, cd_batch)
);
"""
_UPSERT_RECORD: Final = """
INSERT INTO records (record_key, row_guid, cd_batch, cd_operation, deleted, body)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (record_key, row_guid) DO UPDATE SET
    cd_batch = excluded.cd_batch,
    cd_operation = excluded.cd_operation,
    deleted = excluded.deleted,
    body = excluded.body
"""
_INSERT_MEMBER: Final = (
    "INSERT OR IGNORE INTO batch_members (record_key, cd_batch, row_guid) VALUES (?, ?, ?)"
)
_UPSERT_RECONCILIATION: Final = """
INSERT INTO reconciliations (table_name, cd_batch, cd_count, body) VALUES (?, ?, ?, ?)
ON CONFLICT (table_name, cd_batch) DO UPDATE SET
    cd_count = excluded.cd_count,
    body = excluded.body
"""


@dataclass(frozen=True)
class _Outcome:
    """How the gateway answers one request."""

    status: str  # a key of spec.STATUSES
    message: str = ""
    close: bool = False  # close the connection after the reply
    linger: int | None = None  # close without having read the body: discard up to this many bytes
    drop: bool = False  # close the connection without any reply; message is only logged
    allow: bool = False  # add "Allow: POST"
    retry_after: int | None = None  # add "Retry-After: <seconds>"


class _Refused(Exception):
    """A check failed; carries the reply."""

    def __init__(self, outcome: _Outcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


def _refuse(
    status: str,
    message: str,
    *,
    close: bool = False,
    linger: int | None = None,
    allow: bool = False,
) -> _Refused:
    return _Refused(_Outcome(status, message, close=close, linger=linger, allow=allow))


def _printable(text: str) -> str:
    """Text UTF-8 can encode: a lone surrogate becomes its \\uXXXX escape."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _lone_surrogate(text: str) -> str | None:
    """The first character of ``text`` UTF-8 cannot encode (a lone surrogate), if any."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return text[exc.start]
    return None


def _unencodable(record: dict[str, object]) -> list[tuple[str, str]]:
    """(field, character) for each field whose name or value holds a lone surrogate."""
    found: list[tuple[str, str]] = []
    for name, value in record.items():
        stack: list[object] = [name, value]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                bad = _lone_surrogate(item)
                if bad is not None:
                    found.append((_printable(name), bad))
                    break
            elif isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
    return found


class _NonceStore:
    """Nonces of accepted signed requests, each kept until its timestamp plus the window.

    At most ``capacity`` are held (as SHA-256 digests, so a long nonce costs no
    more). When full after dropping the expired ones, a new nonce is refused
    rather than an unexpired one forgotten: forgetting would let a replay through.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._expiry: dict[bytes, float] = {}
        self._heap: list[tuple[float, bytes]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._expiry)

    def add(self, nonce: str, expires: float, now: float) -> tuple[str, int]:
        """("added", 0), ("replayed", 0) or ("full", seconds until one expires)."""
        key = hashlib.sha256(nonce.encode("utf-8", "surrogatepass")).digest()
        with self._lock:
            while self._heap and self._heap[0][0] < now:
                _, old = heapq.heappop(self._heap)
                del self._expiry[old]
            if key in self._expiry:
                return "replayed", 0
            if len(self._expiry) >= self.capacity:
                return "full", max(1, math.floor(self._heap[0][0] - now) + 1)
            self._expiry[key] = expires
            heapq.heappush(self._heap, (expires, key))
            return "added", 0


def _show(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _clip(text: str, limit: int = _MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reject_constant(name: str) -> object:
    raise ValueError(f"JSON 不允许 {name}")


# JSON's whitespace, as the json module skips it.
_JSON_SPACE: Final = re.compile(r"[ \t\n\r]*")


def _after_space(text: str, at: int) -> int:
    """Where the JSON whitespace from ``at`` ends."""
    match = _JSON_SPACE.match(text, at)
    return at if match is None else match.end()


def _split_array(text: str) -> tuple[list[object], list[str]] | None:
    """A JSON array parsed item by item with the json module's own scanner, and each item's
    text as received: what the gateway stores, without encoding every record again. None
    for anything else (an empty array, any error): then json.loads parses the body, and
    reports what is wrong with it, as it always did."""
    # The decoder's scanner (an attribute its __init__ sets, which the type stubs omit).
    scan: Callable[[str, int], tuple[object, int]] = vars(
        json.JSONDecoder(parse_constant=_reject_constant)
    )["scan_once"]
    space = _after_space
    end = len(text)
    at = space(text, 0)
    if at >= end or text[at] != "[":
        return None
    items: list[object] = []
    texts: list[str] = []
    at = space(text, at + 1)
    while True:
        try:
            item, stop = scan(text, at)
        except (StopIteration, ValueError, RecursionError):
            return None
        items.append(item)
        texts.append(text[at:stop])
        # A compact body (the client's) has no space to skip: the regex only when needed.
        at = stop if text[stop : stop + 1] in (",", "]") else space(text, stop)
        if at >= end:
            return None
        if text[at] == "]":
            break
        if text[at] != ",":
            return None
        at += 1
        if text[at : at + 1] in (" ", "\t", "\n", "\r"):
            at = space(text, at)
    if space(text, at + 1) != end:
        return None
    return items, texts


def _parse_json(body: bytes) -> tuple[object, list[str] | None]:
    """The request body as JSON, or bad_json; with a JSON array, each item's text too."""
    if not body:
        raise _refuse(_BAD_JSON, "请求体为空，应为 UTF-8 JSON。")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse(
            _BAD_JSON, f"请求体不是有效的 UTF-8：第 {exc.start} 字节起无法解码。"
        ) from None
    split = _split_array(text)
    if split is not None:
        return split
    try:
        payload: object = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise _refuse(
            _BAD_JSON, f"请求体不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}。"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise _refuse(_BAD_JSON, _clip(f"请求体不是有效的 JSON：{exc}。", 200)) from None
    return payload, None


def _records_of(payload: object, path: str, batch: bool) -> list[dict[str, object]]:
    """The request's records: wrong_shape or batch_too_large unless the shape fits the endpoint."""
    if not batch:
        if not isinstance(payload, dict):
            raise _refuse(
                _WRONG_SHAPE, f"单条接口 {path} 的请求体应为 JSON 对象，收到{type_name(payload)}。"
            )
        return [payload]
    if not isinstance(payload, list):
        raise _refuse(
            _WRONG_SHAPE, f"批量接口 {path} 的请求体应为对象数组，收到{type_name(payload)}。"
        )
    for number, item in enumerate(payload, 1):
        if not isinstance(item, dict):
            raise _refuse(
                _WRONG_SHAPE,
                f"批量接口 {path} 的请求体应为对象数组，第 {number} 项是{type_name(item)}。",
            )
    if not 1 <= len(payload) <= BATCH_MAX_RECORDS:
        raise _refuse(
            _BATCH_TOO_LARGE,
            f"批量请求有 {len(payload)} 条记录，应为 1–{BATCH_MAX_RECORDS} 条"
            f"（{_BATCH_LIMIT_CLAUSE}）。",
        )
    return payload


# A JSON escape of a UTF-16 surrogate (\uD800–\uDFFF): the only way a strictly decoded
# UTF-8 body can give a string holding a lone surrogate.
_SURROGATE_ESCAPE: Final = re.compile(rb"\\u[dD][89a-fA-F]")


def _check_records(
    key: str, records: list[dict[str, object]], batch: bool, escapes: bool = True
) -> None:
    """invalid_record, listing the problems, unless every record passes its validator.

    ``escapes``: the body may hold a surrogate escape; without one no text can hold a
    lone surrogate, and the walk looking for them is skipped.
    """
    validator = VALIDATORS[key]
    messages: list[str] = []
    total = 0
    for number, record in enumerate(records, 1):
        found = validator(record)
        if not found and not escapes:
            continue  # nothing to report: the common case, without building empty lists
        problems = errors(found)
        texts = [problem.message for problem in problems]
        reported = {problem.field for problem in problems if problem.code == "unencodable"}
        # Text UTF-8 cannot encode is an invalid record whether or not the validator says so.
        for name, bad in _unencodable(record) if escapes else ():
            if name not in reported:
                texts.append(f"{name}：含 UTF-8 无法编码的字符 U+{ord(bad):04X}（孤立代理项）")
        for text in texts:
            total += 1
            if len(messages) < _MAX_PROBLEMS:
                text = _clip(_printable(text), 300)
                messages.append(f"第 {number} 条：{text}" if batch else text)
    if total:
        more = f"；……共 {total} 处问题" if total > len(messages) else ""
        raise _refuse(
            _INVALID_RECORD,
            _clip(
                f"{RECORD_LABELS[key]}校验失败，{total} 处问题，整个请求未保存："
                + "；".join(messages)
                + more
            ),
        )


def _media_type_problem(value: str | None) -> str | None:
    """Why a Content-Type is refused, or None for application/json (charset utf-8 if any)."""
    if value is None or not value.strip():
        return f"缺少 Content-Type，应为 {_REPLY_CONTENT_TYPE}。"
    media_type, *parameters = value.split(";")
    if media_type.strip().lower() != CONTENT_TYPE:
        return f"Content-Type 应为 {CONTENT_TYPE}，收到 {_show(value)}。"
    for parameter in parameters:
        name, _, raw = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = raw.strip().strip('"').lower()
            if charset != _CHARSET:
                return f"Content-Type 的 charset 应为 {_CHARSET}，收到 {_show(raw.strip())}。"
    return None


class MockGateway:
    """A mock of the gateway: an HTTP server on a background thread, and its SQLite store.

    ``start()`` returns once the server accepts connections; ``stop()`` (or
    leaving the ``with`` block) stops it. The query helpers keep working after
    ``stop()``; ``close()`` also closes the database. ``clock`` gives the
    gateway's time in seconds since the epoch (for timestamp checks).

    The nonce of every correctly signed request is remembered until its
    x-tif-timestamp plus ``window``; the same nonce again is refused with
    replayed_nonce (401). Nonces are checked only after the signature, so
    unsigned requests cannot fill the store. At most ``max_nonces`` are held:
    when that many are unexpired, new requests get too_many_requests (429) with
    a Retry-After until the oldest expires; none is forgotten early.
    """

    def __init__(
        self,
        token: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        db: str = ":memory:",
        window: float = 180.0,
        seed: int | None = None,
        fault_rate: float = 0.0,
        errcode_rate: float = 0.0,
        delay_ms: int = 0,
        paasid: str = PAASID,
        clock: Callable[[], float] = time.time,
        max_nonces: int = _MAX_NONCES,
    ) -> None:
        if not token:
            raise ValueError("token 不能为空")
        if max_nonces < 1:
            raise ValueError(f"max_nonces 应为正整数：{max_nonces!r}")
        if not window > 0:
            raise ValueError(f"window 应为正数：{window!r}")
        for name, rate in (("fault_rate", fault_rate), ("errcode_rate", errcode_rate)):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} 应在 0 到 1 之间：{rate!r}")
        if delay_ms < 0:
            raise ValueError(f"delay_ms 不能为负：{delay_ms!r}")
        self._token = token
        self.host = host
        self.window = float(window)
        self.fault_rate = float(fault_rate)
        self.errcode_rate = float(errcode_rate)
        self.delay_ms = delay_ms
        self.paasid = paasid
        self._requested_port = port
        self._clock = clock
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._request_count = 0
        self._nonces = _NonceStore(max_nonces)
        self._db_lock = threading.Lock()
        self._db = sqlite3.connect(db, check_same_thread=False)
        self._close_db = weakref.finalize(self, self._db.close)
        with self._db_lock, self._db:
            self._db.executescript(_SCHEMA)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "running" if self._server else "not started"
        where = self.base_url if self._server else f"{self.host}:{self._requested_port}"
        return f"<MockGateway {where} {state}>"

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> MockGateway:
        """Starts serving on a background thread; returns once connections are accepted."""
        if self._server is not None or self._stopped:
            raise RuntimeError("模拟网关只能启动一次")
        server = _Server((self.host, self._requested_port), self)  # bound and listening
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"mock-gateway-{server.port}",
            daemon=True,
        )
        self._thread.start()
        logger.info(
            "模拟网关已启动：%s（paasid %s，时间窗 ±%g 秒，故障率 %g，业务错误率 %g，延迟 %d 毫秒）",
            self.base_url,
            self.paasid,
            self.window,
            self.fault_rate,
            self.errcode_rate,
            self.delay_ms,
        )
        return self

    def stop(self) -> None:
        """Stops serving and closes open connections; the store stays readable."""
        server, thread = self._server, self._thread
        if server is None or thread is None or self._stopped:
            return
        self._stopped = True
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join()
        logger.info("模拟网关已停止：%s", self.base_url)

    def close(self) -> None:
        """Stops serving and closes the database."""
        self.stop()
        with self._db_lock:
            self._close_db()

    def wait(self) -> None:
        """Blocks until the server stops (the command line waits here for Ctrl-C)."""
        thread = self._thread
        while thread is not None and thread.is_alive():
            thread.join(0.5)

    def __enter__(self) -> MockGateway:
        return self if self._server is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on (the one the OS chose when port=0)."""
        if self._server is None:
            raise RuntimeError("模拟网关尚未启动")
        return self._server.port

    @property
    def base_url(self) -> str:
        """``http://host:port`` + API_ROOT_PATH, the API_ROOT a client should use."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{API_ROOT_PATH}"

    @property
    def request_count(self) -> int:
        """HTTP requests received so far, whatever their outcome."""
        with self._lock:
            return self._request_count

    # -- queries for tests -----------------------------------------------------

    def row_guids(self, key: str) -> set[str]:
        """RowGuids of the stored records of type ``key``, deleted ones included."""
        return set(self._column(key, "SELECT row_guid FROM records WHERE record_key = ?"))

    def deleted_guids(self, key: str) -> set[str]:
        """RowGuids of the records of type ``key`` whose latest Cd_Operation was D."""
        sql = "SELECT row_guid FROM records WHERE record_key = ? AND deleted = 1"
        return set(self._column(key, sql))

    def count(self, key: str, cd_batch: str) -> int:
        """Distinct RowGuids of type ``key`` received under ``cd_batch`` (what reconciliation checks)."""
        self._check_key(key)
        with self._db_lock:
            return self._count(key, cd_batch)

    def records(self, key: str) -> list[dict[str, object]]:
        """The stored records of type ``key`` (latest version of each), in order of first arrival."""
        self._check_key(key)
        with self._db_lock:
            if key == _RECONCILIATION_KEY:
                rows = self._db.execute("SELECT body FROM reconciliations ORDER BY rowid")
            else:
                sql = "SELECT body FROM records WHERE record_key = ? ORDER BY rowid"
                rows = self._db.execute(sql, (key,))
            bodies = [str(row[0]) for row in rows]
        return [json.loads(body) for body in bodies]

    @staticmethod
    def _check_key(key: str) -> None:
        if key not in RECORD_KEYS:
            raise ValueError(f"未知的记录类型 {key!r}；应为 {', '.join(RECORD_KEYS)} 之一")

    def _column(self, key: str, sql: str) -> list[str]:
        self._check_key(key)
        with self._db_lock:
            return [str(row[0]) for row in self._db.execute(sql, (key,))]

    def _count(self, key: str, cd_batch: str) -> int:
        row = self._db.execute(
            "SELECT COUNT(*) FROM batch_members WHERE record_key = ? AND cd_batch = ?",
            (key, cd_batch),
        ).fetchone()
        return int(row[0])

    # -- request handling ------------------------------------------------------

    def _note_request(self) -> None:
        with self._lock:
            self._request_count += 1

    def _draw(self) -> tuple[str | None, bool]:
        """(fault or None, business error?) for one otherwise-valid request.

        Every request draws the same three numbers, so a seed gives the same
        sequence of outcomes for the same order of requests.
        """
        with self._lock:
            fault_roll = self._rng.random()
            fault = _FAULTS[self._rng.randrange(len(_FAULTS))]
            errcode_roll = self._rng.random()
        if fault_roll < self.fault_rate:
            return fault, False
        return None, errcode_roll < self.errcode_rate

    def _check_auth(self, headers: dict[str, str | None]) -> None:
        """missing_header, wrong_paasid, stale_timestamp or bad_signature, in that order."""
        missing = [name for name in HEADER_NAMES if not headers[name]]
        if missing:
            raise _refuse(_MISSING_HEADER, f"缺少请求头 {'、'.join(missing)}。")
        paasid, timestamp, nonce, signature = (str(headers[name]) for name in HEADER_NAMES)
        if paasid != self.paasid:
            raise _refuse(
                _WRONG_PAASID, f"x-tif-paasid 应为 {self.paasid!r}，收到 {_show(paasid)}。"
            )
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 15):
            raise _refuse(
                _STALE_TIMESTAMP,
                f"x-tif-timestamp 应为十进制秒数（自 1970-01-01T00:00:00Z 起），收到 {_show(timestamp)}。",
            )
        skew = int(timestamp) - self._clock()
        if abs(skew) > self.window:
            direction = "超前" if skew > 0 else "落后"
            raise _refuse(
                _STALE_TIMESTAMP,
                f"x-tif-timestamp 比网关时间{direction} {abs(skew):.0f} 秒，"
                f"超出允许的 ±{self.window:g} 秒时间窗。",
            )
        expected = sign(self._token, timestamp, nonce)
        given = signature.strip().upper().encode("utf-8", "replace")
        if not hmac.compare_digest(given, expected.encode("ascii")):
            raise _refuse(
                _BAD_SIGNATURE,
                f"x-tif-signature 与按 {_SIGNATURE_CLAUSE} 计算的签名不符："
                f"应为 SHA-256({' + '.join(SIGNATURE_ORDER)}) 的十六进制。",
            )
        # Only now, with the signature checked, may the nonce take a place in the store.
        state, wait = self._nonces.add(nonce, int(timestamp) + self.window, self._clock())
        if state == "replayed":
            raise _refuse(
                _REPLAYED_NONCE,
                f"x-tif-nonce {_show(nonce)} 已被使用过：请求重放，拒绝；"
                "每个请求应使用新的随机 nonce。",
            )
        if state == "full":
            raise _Refused(
                _Outcome(
                    _TOO_MANY_REQUESTS,
                    f"时间窗内的请求已达模拟网关记录 nonce 的上限 {self._nonces.capacity} 个，"
                    f"请 {wait} 秒后重试。",
                    retry_after=wait,
                )
            )

    def _store(
        self, key: str, records: list[dict[str, object]], texts: list[str] | None = None
    ) -> str | None:
        """Stores one request's records in one transaction; ``texts``, each record's JSON
        text as received, or None to encode them.

        For reconciliation records, first compares each Cd_count with the records
        held under that table and batch; on any difference nothing is stored and
        the mismatch is returned.
        """
        with self._db_lock, self._db:
            if key == _RECONCILIATION_KEY:
                mismatches: list[str] = []
                rows: list[tuple[object, ...]] = []
                for index, record in enumerate(records):
                    table = str(record[_TABLE_NAME])
                    batch = str(record[_RECON_BATCH])
                    expected = record[_RECON_COUNT]
                    target = _TABLE_KEYS.get(table)
                    held = self._count(target, batch) if target is not None else 0
                    if target is None or held != expected:
                        mismatches.append(
                            f"表 {table} 批次 {batch}：对账记录数 {expected}，网关存有 {held} 条"
                        )
                    rows.append((table, batch, expected, _record_text(records, texts, index)))
                if mismatches:
                    return _clip("对账数量不符，整个请求未保存：" + "；".join(mismatches) + "。")
                self._db.executemany(_UPSERT_RECONCILIATION, rows)
                return None
            upserts = []
            members = []
            bodies = texts if texts is not None else map(_STORE_ENCODER.encode, records)
            for record, body in zip(records, bodies, strict=True):
                row_guid = str(record[_ROW_GUID])
                batch = str(record[_CD_BATCH])
                operation = str(record[_CD_OPERATION])
                upserts.append((key, row_guid, batch, operation, int(operation == _DELETE), body))
                members.append((key, batch, row_guid))
            self._db.executemany(_UPSERT_RECORD, upserts)
            self._db.executemany(_INSERT_MEMBER, members)
        return None


# What json.dumps(record, ensure_ascii=False) does, without a new encoder per record.
_STORE_ENCODER: Final = json.JSONEncoder(ensure_ascii=False)


def _record_text(records: list[dict[str, object]], texts: list[str] | None, index: int) -> str:
    """Record ``index`` as JSON text: as received when known, else encoded."""
    return texts[index] if texts is not None else _STORE_ENCODER.encode(records[index])


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its gateway and its open connections."""

    daemon_threads = True
    request_queue_size = _LISTEN_BACKLOG  # listen(); socketserver's default is 5
    port: int = 0  # set when bound

    def __init__(self, address: tuple[str, int], gateway: MockGateway) -> None:
        self.gateway = gateway
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # Not HTTPServer.server_bind: it looks up the host's FQDN, which can be slow.
        socketserver.TCPServer.server_bind(self)
        self.port = int(self.socket.getsockname()[1])
        self.server_name = self.gateway.host
        self.server_port = self.port

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: object, client_address: object) -> None:
        logger.debug("连接 %s 出错", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    """One connection; every request goes through _handle()."""

    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = f"gdzw-mock-gateway/{VERSION}"
    sys_version = ""
    timeout = _IDLE_TIMEOUT_SECONDS
    _linger_after: int | None = None  # set by _skip_body when the refused body was left unread

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def do_POST(self) -> None:
        self._handle()

    do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_POST

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code == HTTPStatus.NOT_IMPLEMENTED:  # a method without a do_ method: same checks
            self._handle()
            return
        # A request http.server could not parse: still the envelope, then close.
        self.server.gateway._note_request()
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        self.close_connection = True
        self._write(code, f"{code}00", f"请求无法解析（{code} {phrase}）：{message or ''}")

    def _handle(self) -> None:
        gateway = self.server.gateway
        gateway._note_request()
        if gateway.delay_ms:
            time.sleep(gateway.delay_ms / 1000)
        try:
            outcome = self._process(gateway)
        except _Refused as refused:
            outcome = refused.outcome
        except Exception:
            logger.exception("模拟网关处理 %s %s 时出错", self.command, _show(self.path, 200))
            outcome = _Outcome(_INTERNAL_ERROR, _INTERNAL_ERROR_MESSAGE, close=True)
        try:
            self._answer(outcome)
        except OSError as exc:
            self.close_connection = True
            logger.info("应答 %s %s 时连接中断：%s", self.command, _show(self.path, 200), exc)

    def _process(self, gateway: MockGateway) -> _Outcome:
        path = urlsplit(self.path).path
        route = _ROUTES.get(path)
        if route is None:
            self._skip_body()
            raise _refuse(
                _NOT_FOUND,
                f"接口不存在：{_show(path, 200)}；接口路径为 {API_ROOT_PATH}{PATH_PREFIX}/<记录类型>/<操作>，"
                f"如 {next(iter(_ROUTES))}。",
            )
        key, operation = route
        if self.command != _METHOD:
            self._skip_body()
            raise _refuse(
                _METHOD_NOT_ALLOWED,
                f"接口 {path} 只接受 {_METHOD}，收到 {self.command}。",
                allow=True,
            )
        length = self._content_length()
        body = self.rfile.read(length)
        if len(body) < length:
            return _Outcome(_BAD_JSON, "客户端在发送请求体时断开", drop=True)
        problem = _media_type_problem(self.headers.get("Content-Type"))
        if problem is not None:
            raise _refuse(_UNSUPPORTED_MEDIA_TYPE, problem)
        gateway._check_auth({name: self.headers.get(name) for name in HEADER_NAMES})
        payload, texts = _parse_json(body)
        batch = operation in _BATCH_OPERATIONS
        records = _records_of(payload, path, batch)
        _check_records(key, records, batch, _SURROGATE_ESCAPE.search(body) is not None)
        fault, business_error = gateway._draw()
        if fault == "unavailable":
            return _Outcome(_UNAVAILABLE, f"{STATUSES[_UNAVAILABLE].description}（模拟故障）")
        if fault == "drop_before_storing":
            return _Outcome(_UNAVAILABLE, "模拟故障：保存前断开连接", drop=True)
        if business_error:
            return _Outcome(_BUSINESS_ERROR, "模拟业务错误（按业务错误率注入），请求未保存。")
        mismatch = gateway._store(key, records, texts)
        if mismatch is not None:
            return _Outcome(_RECONCILIATION_MISMATCH, mismatch)
        if fault == "internal_error_after_storing":
            return _Outcome(_INTERNAL_ERROR, f"{_INTERNAL_ERROR_MESSAGE}（模拟故障）")
        if fault == "drop_after_storing":
            return _Outcome(_INTERNAL_ERROR, "模拟故障：保存后断开连接", drop=True)
        return _Outcome(_OK)

    def _content_length(self) -> int:
        """The declared body length: length_required or body_too_large (then close) if unusable."""
        if self.headers.get("Transfer-Encoding") is not None:
            raise _refuse(
                _LENGTH_REQUIRED,
                "不支持 Transfer-Encoding，请求须给出 Content-Length。",
                close=True,
                linger=BODY_MAX_BYTES,
            )
        values = [v.strip() for v in self.headers.get_all("Content-Length") or []]
        if not values:
            raise _refuse(_LENGTH_REQUIRED, "请求缺少 Content-Length 请求头。", close=True)
        text = values[0]
        if len(set(values)) != 1 or not (text.isascii() and text.isdigit()):
            raise _refuse(
                _LENGTH_REQUIRED,
                f"Content-Length 无效：{_show(', '.join(values))}。",
                close=True,
                linger=BODY_MAX_BYTES,
            )
        length = int(text) if len(text) <= 18 else BODY_MAX_BYTES * 1024
        if length > BODY_MAX_BYTES:
            raise _refuse(
                _BODY_TOO_LARGE,
                f"请求体 {text} 字节，超过上限 {BODY_MAX_BYTES} 字节。",
                close=True,
                linger=length,
            )
        return length

    def _skip_body(self) -> None:
        """Discards the body of a request that is refused anyway, so keep-alive still works."""
        try:
            length = self._content_length()
        except _Refused as refused:
            if refused.outcome.status == _LENGTH_REQUIRED and refused.outcome.linger is None:
                return  # no Content-Length and no Transfer-Encoding: no body
            self.close_connection = True
            self._linger_after = refused.outcome.linger
            return
        while length > 0:
            chunk = self.rfile.read(min(length, _CHUNK_BYTES))
            if not chunk:
                self.close_connection = True
                return
            length -= len(chunk)

    def _answer(self, outcome: _Outcome) -> None:
        path = _clip(self.path, 200)
        if outcome.drop:
            logger.info("%s %s → 不应答，断开连接（%s）", self.command, path, outcome.message)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        status = STATUSES[outcome.status]
        logger.info(
            "%s %s → %d %s %s",
            self.command,
            path,
            status.http_status,
            status.err_code,
            _show(outcome.message, 300) if outcome.message else "",
        )
        if outcome.close or outcome.linger is not None:
            self.close_connection = True
        extra = [("Allow", _METHOD)] if outcome.allow else []
        if outcome.retry_after is not None:
            extra.append(("Retry-After", str(outcome.retry_after)))
        self._write(status.http_status, status.err_code, outcome.message, extra)
        linger = outcome.linger if outcome.linger is not None else self._linger_after
        if linger is not None:
            self._linger(linger)

    def _write(
        self,
        http_status: int,
        err_code: str,
        message: str,
        extra_headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        body = json.dumps(
            {_ERR_CODE: err_code, _ERR_MSG: _printable(message)}, ensure_ascii=False
        ).encode("utf-8")
        self.send_response(http_status)
        self.send_header("Content-Type", _REPLY_CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra_headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _linger(self, limit: int) -> None:
        """Lingering close: discard what the client still sends, so it can read the reply."""
        connection = self.connection
        try:
            connection.shutdown(socket.SHUT_WR)
            connection.settimeout(_LINGER_IDLE_SECONDS)
            deadline = time.monotonic() + _LINGER_SECONDS
            received = 0
            while received < limit and time.monotonic() < deadline:
                chunk = connection.recv(_CHUNK_BYTES)
                if not chunk:
                    break
                received += len(chunk)
        except OSError:
            pass


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"不是数值：{text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"应在 0 到 1 之间：{text}")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"不是数值：{text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"应为正数：{text}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"不是整数：{text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"不能为负：{text}")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"应为正整数：{text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m {PACKAGE}.mock",
        description=(
            f"模拟网关：在本机提供 {STANDARD_ID} 的 {len(ENDPOINTS)} 个接口，"
            "按规范校验请求头、签名与记录，并把记录存入 SQLite。启动后打印 API_ROOT，Ctrl-C 停止。"
        ),
    )
    parser.add_argument(
        "--token",
        default=None,
        help=f"签名用的 token（不会出现在日志与应答中）；省略时读环境变量 {_TOKEN_ENV}。"
        "命令行参数对本机其他用户可见（ps），宜用环境变量",
    )
    parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，仅本机）")
    parser.add_argument(
        "--port", type=int, default=8080, help="监听端口（默认 8080；0 表示由系统选择）"
    )
    parser.add_argument(
        "--db", default=":memory:", metavar="PATH", help="SQLite 文件（默认在内存中）"
    )
    parser.add_argument(
        "--window",
        type=_positive,
        default=180.0,
        metavar="SECONDS",
        help="x-tif-timestamp 允许的时间差，秒（默认 180）",
    )
    parser.add_argument("--seed", type=int, default=None, help="故障注入随机数种子")
    parser.add_argument(
        "--fault-rate",
        type=_rate,
        default=0.0,
        metavar="R",
        help="有效请求遇到故障（503、断开、500、保存后断开）的概率（默认 0）",
    )
    parser.add_argument(
        "--errcode-rate",
        type=_rate,
        default=0.0,
        metavar="R",
        help="有效请求得到业务错误（非零 errCode）的概率（默认 0）",
    )
    parser.add_argument(
        "--delay",
        type=_non_negative_int,
        default=0,
        metavar="MS",
        help="每个请求处理前的延迟，毫秒",
    )
    parser.add_argument("--paasid", default=PAASID, help=f"接受的 x-tif-paasid（默认 {PAASID}）")
    parser.add_argument(
        "--max-nonces",
        type=_positive_int,
        default=_MAX_NONCES,
        metavar="N",
        help=f"时间窗内最多记住的 nonce 数，满时以 429 拒绝新请求（默认 {_MAX_NONCES}）",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="日志级别（默认 INFO）",
    )
    return parser


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: serve until interrupted (Ctrl-C or SIGTERM)."""
    parser = _parser()
    args = parser.parse_args(argv)
    token = args.token if args.token is not None else os.environ.get(_TOKEN_ENV, "")
    if not token:
        parser.error(f"缺少 token：请设置环境变量 {_TOKEN_ENV}，或用 --token 给出 (token required)")
    logging.basicConfig(
        level=getattr(logging, args.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        gateway = MockGateway(
            token,
            host=args.host,
            port=args.port,
            db=args.db,
            window=args.window,
            seed=args.seed,
            fault_rate=args.fault_rate,
            errcode_rate=args.errcode_rate,
            delay_ms=args.delay,
            paasid=args.paasid,
            max_nonces=args.max_nonces,
        )
    except sqlite3.Error as exc:
        logger.error("无法打开数据库 %s：%s", args.db, exc)
        return 1
    try:
        gateway.start()
    except OSError as exc:
        logger.error("无法在 %s:%d 监听：%s", args.host, args.port, exc)
        gateway.close()
        return 1
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        logger.warning("模拟网关监听 %s，本机以外也可访问", args.host)
    if threading.current_thread() is threading.main_thread():
        # Its own handlers for both, before the URL is printed: a process started with
        # SIGINT ignored (a background job of a non-interactive shell) gets no
        # KeyboardInterrupt from Python's default handling.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _interrupt)
    try:
        print(gateway.base_url, flush=True)
        gateway.wait()
    except KeyboardInterrupt:
        pass
    finally:
        gateway.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
