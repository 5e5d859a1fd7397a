# gdzw-codegen runtime module: `codegen build` copies it into the generated package and puts
# the do-not-edit header in place of these three lines, so line numbers stay the same.
# Spec facts come from the generated spec.py (relative imports resolve there).
"""持久发件箱 (a durable outbox shared by every sender of an organisation: nothing lost).

Records are validated and enqueued into stored batches of at most
BATCH_MAX_RECORDS, each given its Cd_Batch (统一社会信用代码 + YYYYMMDD + 5-digit daily
sequence, Beijing time) when the batch is opened; the sequence is kept in the outbox,
so everyone using the same outbox shares it. ``deliver()`` sends batches at least
once; the gateway writes by RowGuid, so a resent batch never creates a second record.

The store is one SQLite file (the default, standard library) or a PostgreSQL database
(``postgresql://`` URL; psycopg 3 is loaded only then). Any number of Outbox objects,
threads (one object each) and processes may share it: a deliverer claims one batch at
a time in a short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, an atomic
conditional update on SQLite), writing a lease token and an expiry that outlasts the
request's worst case; no lock is held across the HTTP request. Every write after
sending is conditional on the lease token, so a deliverer whose lease was taken over
changes nothing; a batch that is done never changes again. A batch holding a newer
version (enqueued later) of a RowGuid is not sent while a batch with an older version
of it is open or pending. A batch is done only on errCode SUCCESS_CODE; one that keeps
failing goes to the dead-letter state with its last error and can be re-queued.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Final, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

from .client import Client, ErrCodeError, GatewayError, record_mapping
from .problems import Problem, errors
from .records import BEIJING, format_datetime
from .spec import (
    API_ROOTS,
    BATCH_MAX_RECORDS,
    BODY_MAX_BYTES,
    CD_BATCH,
    ORG_CODE_PATTERN,
    PACKAGE,
    RECON_BATCH,
    RECON_COUNT,
    RECON_TABLE,
    RECON_TIME,
    RECONCILIATION_TABLES,
    ROW_GUID,
    STATUSES,
)
from .validators import VALIDATORS

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "BatchInfo",
    "DeliveryReport",
    "EnqueueReport",
    "MigrationReport",
    "Outbox",
    "OutboxStatus",
    "ReconciliationMismatchError",
    "default_outbox_path",
    "refused_messages",
]

T = TypeVar("T")
State = Literal["open", "pending", "done", "dead"]
_STATES: Final[dict[str, State]] = {
    "open": "open",
    "pending": "pending",
    "done": "done",
    "dead": "dead",
}

_SCHEMA_VERSION: Final = "2"
_USCC: Final = re.compile(ORG_CODE_PATTERN)
_SEQUENCE_MAX: Final = 99999
_BATCH_FIELD: Final = CD_BATCH
_ROW_GUID: Final = ROW_GUID
#: 每个事务最多写入的记录数：事务短，别的进程不必久等。
_ENQUEUE_CHUNK: Final = 200
#: SQLite 等待别的连接释放写锁的秒数（busy timeout）。
_BUSY_TIMEOUT_SECONDS: Final = 60.0
#: 暂时性冲突（锁等待超时、死锁、序列化失败）时整个事务重试的次数。
_TRANSACTION_TRIES: Final = 5
#: 租约在请求最坏耗时之外的余量：最坏耗时的 25%，至少 5 秒（进程停顿、时钟误差）。
_LEASE_MARGIN_SECONDS: Final = 5.0
#: 已送达记录的正文默认保留的天数，之后 prune() 删除正文（批次、条数与摘要保留）。
DEFAULT_RETENTION_DAYS: Final = 30
_MISMATCH_CODE: Final = STATUSES["reconciliation_mismatch"].err_code
_PSYCOPG_HINT: Final = (
    "PostgreSQL 发件箱需要 psycopg 3：pip install 'psycopg[binary]>=3.1,<4'"
    "（在 gdzw-codegen 项目中：pip install -e '.[postgres]'）。"
    " A postgresql:// outbox needs psycopg 3: pip install 'psycopg[binary]>=3.1,<4'."
)

# {id} and {real} differ between SQLite and PostgreSQL; everything else is shared SQL.
_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS outbox_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox_counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox_batches (
    id {id},
    record_key TEXT NOT NULL,
    cd_batch TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('open', 'pending', 'done', 'dead')),
    records INTEGER NOT NULL DEFAULT 0,
    bytes BIGINT NOT NULL DEFAULT 2,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    lease_token TEXT,
    lease_expires {real},
    created_at TEXT NOT NULL,
    sent_at TEXT,
    reconciled_at TEXT,
    pruned_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_batches_by_state ON outbox_batches (state, id);
CREATE TABLE IF NOT EXISTS outbox_items (
    batch_id BIGINT NOT NULL REFERENCES outbox_batches (id),
    record_key TEXT NOT NULL,
    row_guid TEXT NOT NULL,
    version BIGINT NOT NULL,
    digest TEXT NOT NULL,
    size INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (batch_id, row_guid)
);
CREATE INDEX IF NOT EXISTS outbox_items_by_row ON outbox_items (record_key, row_guid, version);
CREATE TABLE IF NOT EXISTS outbox_sequences (
    day TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox_delivered (
    record_key TEXT NOT NULL,
    row_guid TEXT NOT NULL,
    version BIGINT NOT NULL,
    digest TEXT NOT NULL,
    batch_id BIGINT NOT NULL,
    delivered_at TEXT NOT NULL,
    PRIMARY KEY (record_key, row_guid)
)
"""

_TABLES: Final = frozenset(
    {
        "outbox_meta",
        "outbox_counters",
        "outbox_batches",
        "outbox_items",
        "outbox_sequences",
        "outbox_delivered",
    }
)

# A batch is claimable when it waits, is not leased (or its lease expired) and no open or
# pending batch holds an older version of one of its RowGuids.
_CLAIMABLE: Final = """
SELECT b.id FROM outbox_batches b
WHERE b.state IN ('open', 'pending') AND b.records > 0 AND b.id > ?
  AND (b.lease_token IS NULL OR b.lease_expires <= {now})
  AND NOT EXISTS (
    SELECT 1 FROM outbox_items i
    JOIN outbox_items j
      ON j.record_key = i.record_key AND j.row_guid = i.row_guid AND j.version < i.version
    JOIN outbox_batches o ON o.id = j.batch_id
    WHERE i.batch_id = b.id AND o.id <> b.id AND o.state IN ('open', 'pending')
  )
ORDER BY b.id
LIMIT 1
"""
# For each record of a batch, the newest later version of its RowGuid in a batch that is not
# dead: its state, whether that batch is leased (in flight), and its body. requeue() queues it
# again when it is sent or in flight, so it lands after the requeued older version; one that
# waits is held back by the older version anyway.
_NEWEST_AFTER: Final = """
SELECT n.record_key, n.row_guid, nb.state,
       CASE WHEN nb.lease_token IS NOT NULL AND nb.lease_expires > {now} THEN 1 ELSE 0 END,
       n.body, n.digest
FROM outbox_items i
JOIN outbox_items n ON n.record_key = i.record_key AND n.row_guid = i.row_guid
JOIN outbox_batches nb ON nb.id = n.batch_id
WHERE i.batch_id = ? AND n.version > i.version AND nb.state <> 'dead'
  AND NOT EXISTS (
    SELECT 1 FROM outbox_items m JOIN outbox_batches mb ON mb.id = m.batch_id
    WHERE m.record_key = n.record_key AND m.row_guid = n.row_guid AND m.version > n.version
      AND mb.state <> 'dead'
  )
ORDER BY n.version
"""
_BATCH_COLUMNS: Final = (
    "id, record_key, cd_batch, state, attempts, records, last_error, sent_at, lease_expires"
)
_UPSERT_DELIVERED: Final = """
INSERT INTO outbox_delivered (record_key, row_guid, version, digest, batch_id, delivered_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (record_key, row_guid) DO UPDATE SET
    version = excluded.version,
    digest = excluded.digest,
    batch_id = excluded.batch_id,
    delivered_at = excluded.delivered_at
WHERE outbox_delivered.version < excluded.version
"""


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class BatchInfo:
    """One stored batch. ``leased_until`` is the lease expiry (seconds since the epoch)."""

    id: int
    key: str
    cd_batch: str
    state: State
    attempts: int
    records: int
    last_error: str | None
    sent_at: str | None
    leased_until: float | None = None


@dataclass(frozen=True)
class EnqueueReport:
    """enqueue()'s result: records stored, refused (with their problems) and skipped.

    ``skipped`` are the indexes of records left out because they equal, apart from
    Cd_Batch, the newest version of their RowGuid already delivered or waiting.
    """

    accepted: int
    refused: tuple[tuple[int, tuple[Problem, ...]], ...]
    batches: tuple[str, ...]
    skipped: tuple[int, ...] = ()


@dataclass(frozen=True)
class DeliveryReport:
    """deliver()'s result for one pass over the waiting batches.

    ``lost`` are batches this deliverer sent but whose lease another deliverer had
    taken over meanwhile, so it changed nothing; ``remaining`` counts batches still
    open or pending (some may be leased by other deliverers).
    """

    done: tuple[BatchInfo, ...]
    failed: tuple[BatchInfo, ...]
    dead: tuple[BatchInfo, ...]
    remaining: int
    lost: tuple[BatchInfo, ...] = ()


@dataclass(frozen=True)
class OutboxStatus:
    """What ``codegen outbox status`` shows."""

    location: str
    backend: Literal["sqlite", "postgresql"]
    org_code: str
    api_root: str | None
    sequence_range: tuple[int, int]
    batches: dict[str, int]
    records: dict[str, int]
    leased: int
    unreconciled: int
    pruned: int
    dead: tuple[BatchInfo, ...]


@dataclass(frozen=True)
class MigrationReport:
    """migrate_from()'s result: batches and records moved, and what had to change."""

    batches: int
    records: int
    renumbered: tuple[tuple[str, str], ...]
    skipped: tuple[str, ...]


class ReconciliationMismatchError(ErrCodeError):
    """The gateway refused a reconciliation because its count differs (errCode 60001)."""


# ---------------------------------------------------------------- stores


class _SqliteStore:
    """One SQLite connection: WAL, a busy timeout, BEGIN IMMEDIATE for every write."""

    kind: Final = "sqlite"
    now: Final = "outbox_now()"
    lock_rows: Final = ""
    id_column: Final = "INTEGER PRIMARY KEY AUTOINCREMENT"
    real_column: Final = "REAL"

    def __init__(self, path: str, clock: Callable[[], float], busy_timeout: float) -> None:
        self.location = path
        self.db = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
        try:
            self.db.create_function("outbox_now", 0, clock)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")  # a committed batch survives power loss
            self.db.execute("PRAGMA foreign_keys=ON")
        except BaseException:
            self.db.close()
            raise

    def execute(self, sql: str, params: Sequence[object] = ()) -> Any:
        return self.db.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        self.db.executemany(sql, rows)

    def insert(self, sql: str, params: Sequence[object]) -> int:
        cursor = self.db.execute(sql, params)
        assert cursor.lastrowid is not None
        return int(cursor.lastrowid)

    def begin(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.db.execute("COMMIT")

    def rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def transient(self, exc: BaseException) -> bool:
        text = str(exc).lower()
        return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)

    def lock_schema(self) -> None:
        pass  # BEGIN IMMEDIATE already excludes other writers

    def tables(self) -> set[str]:
        rows = self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return {str(row[0]) for row in rows}

    def close(self) -> None:
        self.db.close()


class _PostgresStore:
    """One psycopg 3 connection in autocommit mode; transactions are explicit and short."""

    kind: Final = "postgresql"
    # The lease clock is the database's: now() of the claiming transaction.
    now: Final = "extract(epoch from now())"
    lock_rows: Final = " FOR UPDATE"
    id_column: Final = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    real_column: Final = "DOUBLE PRECISION"

    def __init__(self, url: str) -> None:
        self.location = _hide_password(url)
        try:
            self.psycopg: Any = importlib.import_module("psycopg")
        except ImportError:
            raise ImportError(_PSYCOPG_HINT) from None
        self.db: Any = self.psycopg.connect(url, autocommit=True)

    def execute(self, sql: str, params: Sequence[object] = ()) -> Any:
        return self.db.execute(sql.replace("?", "%s"), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        with self.db.cursor() as cursor:
            cursor.executemany(sql.replace("?", "%s"), [tuple(r) for r in rows])

    def insert(self, sql: str, params: Sequence[object]) -> int:
        return int(self.execute(sql + " RETURNING id", params).fetchone()[0])

    def begin(self) -> None:
        self.db.execute("BEGIN")

    def commit(self) -> None:
        self.db.execute("COMMIT")

    def rollback(self) -> None:
        if self.db.info.transaction_status != self.psycopg.pq.TransactionStatus.IDLE:
            self.db.execute("ROLLBACK")

    def transient(self, exc: BaseException) -> bool:
        errors_ = self.psycopg.errors
        return isinstance(exc, (errors_.DeadlockDetected, errors_.SerializationFailure))

    def lock_schema(self) -> None:
        # CREATE TABLE IF NOT EXISTS races between processes; one at a time.
        self.db.execute("SELECT pg_advisory_xact_lock(20190003)")

    def tables(self) -> set[str]:
        rows = self.db.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = ANY (current_schemas(false))"
        ).fetchall()
        return {str(row[0]) for row in rows}

    def close(self) -> None:
        self.db.close()


_Store = _SqliteStore | _PostgresStore


def _is_url(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def _hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def _parse_range(value: str | tuple[int, int] | None) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, str):
        first, sep, last = value.partition("-")
        if not sep or not first.strip().isdigit() or not last.strip().isdigit():
            raise ValueError(f"序号段应为 A-B 形式（如 1-49999），实为 {value!r}")
        value = (int(first), int(last))
    low, high = value
    if not 1 <= low <= high <= _SEQUENCE_MAX:
        raise ValueError(f"序号段应满足 1 ≤ A ≤ B ≤ {_SEQUENCE_MAX}，实为 {low}-{high}")
    return low, high


def default_outbox_path(
    org_code: str, target: str, *, environ: Mapping[str, str] | None = None
) -> Path:
    """The default outbox of one user, organisation and target, never in the working directory.

    ``target`` is an environment name ("test", "production") or an API root URL. The file is
    ``$XDG_STATE_HOME/<package>/outbox/<org>-<target>.sqlite3`` (``~/.local/state`` when
    XDG_STATE_HOME is unset or relative).
    """
    env = os.environ if environ is None else environ
    state = env.get("XDG_STATE_HOME", "")
    base = Path(state) if state and Path(state).is_absolute() else Path.home() / ".local" / "state"
    if target in API_ROOTS:
        name = target
    else:
        root = target.rstrip("/")
        host = re.sub(r"[^A-Za-z0-9.-]+", "-", urlsplit(root).netloc or root).strip("-")
        name = f"{host[:60]}-{hashlib.sha256(root.encode('utf-8')).hexdigest()[:12]}"
    return base / PACKAGE / "outbox" / f"{org_code}-{name}.sqlite3"


# ---------------------------------------------------------------- the outbox


class Outbox:
    """A durable outbox for one reporting organisation, in SQLite or PostgreSQL.

    Args:
        target: a SQLite file path, or a ``postgresql://`` URL (needs psycopg 3).
        org_code: the sender's 18-character 统一社会信用代码, the first part of every
            Cd_Batch. Stored on first use; another one is refused. May be omitted to
            open an existing outbox with the one it stores.
        max_attempts: tries of a batch before it goes to the dead-letter state.
        clock: seconds since the epoch; dates Cd_Batch and timestamps, and on SQLite
            is the lease clock (PostgreSQL leases use the database's now()).
        profile, length_unit: the validation options records are enqueued under, as for
            ``validate()`` ("gateway"/"standard"/"strict"; "char" or "utf8").
        api_root: the API root the outbox delivers to; stored on first use (or on the
            first deliver()), and another one is refused.
        sequence_range: "A-B" or (A, B): the daily sequence numbers this outbox may
            use, for independent outboxes of one organisation that share no store.
            Stored on first use; a different range is refused.
        lease_seconds: fixed lease length; by default the client's worst case
            (timeout × attempts plus backoff, within the retry deadline) plus a margin.
        retention_days: how long delivered records' bodies are kept before prune().

    Use one Outbox object per thread; any number of objects and processes may share
    one file or database.
    """

    def __init__(
        self,
        target: str | Path,
        org_code: str | None = None,
        *,
        max_attempts: int = 10,
        clock: Callable[[], float] = time.time,
        profile: str = "standard",
        length_unit: str = "char",
        api_root: str | None = None,
        sequence_range: str | tuple[int, int] | None = None,
        lease_seconds: float | None = None,
        retention_days: float = DEFAULT_RETENTION_DAYS,
        busy_timeout: float = _BUSY_TIMEOUT_SECONDS,
    ) -> None:
        if org_code is not None and not _USCC.fullmatch(org_code):
            raise ValueError(f"org_code 应为 18 位统一社会信用代码，实为 {org_code!r}")
        if max_attempts < 1:
            raise ValueError("max_attempts 应不小于 1")
        if lease_seconds is not None and not lease_seconds > 0:
            raise ValueError("lease_seconds 应为正数")
        if not retention_days >= 0:
            raise ValueError("retention_days 不能为负")
        wanted_range = _parse_range(sequence_range)
        self.max_attempts = max_attempts
        self.profile = profile
        self.length_unit = length_unit
        self.lease_seconds = lease_seconds
        self.retention_days = retention_days
        self._clock = clock
        self._store: _Store
        if _is_url(target):
            self._store = _PostgresStore(str(target))
        else:
            self._store = _SqliteStore(str(target), clock, busy_timeout)
        try:
            legacy = self._write(lambda: self._create(org_code, api_root, wanted_range))
            meta = self._meta()
            self.org_code = meta["org_code"]
            self.api_root: str | None = meta.get("api_root")
            low, _, high = meta.get("sequence_range", f"1-{_SEQUENCE_MAX}").partition("-")
            self.sequence_range = (int(low), int(high))
            if legacy:
                self._upgrade_legacy(str(target))
        except BaseException:
            self._store.close()
            raise

    @property
    def location(self) -> str:
        """The SQLite path or the PostgreSQL URL (password hidden)."""
        return self._store.location

    @property
    def backend(self) -> Literal["sqlite", "postgresql"]:
        return self._store.kind

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _create(
        self, org_code: str | None, api_root: str | None, wanted: tuple[int, int] | None
    ) -> bool:
        """Creates the tables and checks or stores the outbox's identity; True for a v1 file."""
        store = self._store
        tables = store.tables()
        if not _TABLES <= tables:
            # Only when something is missing: DDL takes table locks that would make the
            # transactions of processes already at work wait (or deadlock).
            store.lock_schema()
            schema = _SCHEMA.format(id=store.id_column, real=store.real_column)
            for statement in schema.split(";"):
                store.execute(statement)
            store.execute(
                "INSERT INTO outbox_counters (name, value) VALUES ('version', 0) "
                "ON CONFLICT (name) DO NOTHING"
            )
        meta = self._meta()
        if org_code is None and "org_code" not in meta:
            raise ValueError("新发件箱须给出 org_code（统一社会信用代码）")
        self._check_meta(meta, "schema_version", _SCHEMA_VERSION, "版本")
        self._check_meta(meta, "org_code", org_code, "统一社会信用代码 (org_code)")
        self._check_meta(meta, "api_root", api_root, "接口地址 (API root)")
        text = f"{wanted[0]}-{wanted[1]}" if wanted else None
        self._check_meta(meta, "sequence_range", text, "批次序号段 (sequence range)")
        return store.kind == "sqlite" and {"batches", "items", "meta"} <= tables

    def _check_meta(self, meta: dict[str, str], name: str, value: str | None, label: str) -> None:
        if value is None:
            return
        stored = meta.get(name)
        if stored is None:
            # another process may store it at the same moment: the first one wins
            self._store.execute(
                "INSERT INTO outbox_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                (name, value),
            )
            row = self._store.execute("SELECT value FROM outbox_meta WHERE name = ?", (name,))
            stored = meta[name] = str(row.fetchone()[0])
        if stored != value:
            raise ValueError(
                f"发件箱 {self.location} 的{label}为 {stored!r}，与 {value!r} 不符；"
                "一个发件箱只服务一个组织、一个接口地址和一个序号段 "
                f"(this outbox belongs to {name} {stored!r})"
            )

    def _meta(self) -> dict[str, str]:
        rows = self._store.execute("SELECT name, value FROM outbox_meta").fetchall()
        return {str(name): str(value) for name, value in rows}

    # ------------------------------------------------------------ transactions

    def _write(self, work: Callable[[], T]) -> T:
        """Runs ``work`` in one short write transaction, again on a transient conflict."""
        store = self._store
        for attempt in range(1, _TRANSACTION_TRIES + 1):
            try:
                store.begin()
                result = work()
                store.commit()
                return result
            except BaseException as exc:
                store.rollback()
                if attempt < _TRANSACTION_TRIES and store.transient(exc):
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _allocate_versions(self, count: int) -> int:
        """Reserves ``count`` version numbers; returns the first. Locks the counter row first,
        so writers that enqueue take their locks in one order."""
        self._store.execute(
            "UPDATE outbox_counters SET value = value + ? WHERE name = 'version'", (count,)
        )
        row = self._store.execute("SELECT value FROM outbox_counters WHERE name = 'version'")
        return int(row.fetchone()[0]) - count + 1

    # ------------------------------------------------------------ enqueue

    def enqueue(
        self, key: str, records: Iterable[object], *, resend: bool = False
    ) -> EnqueueReport:
        """Validates and stores records of type ``key``; invalid ones are refused, not stored.

        Each record gets the Cd_Batch of the batch it is stored in. A RowGuid already
        waiting in an open batch is replaced there (the newest version wins); one
        already sealed or sent goes into a new batch. A record equal (apart from
        Cd_Batch) to the newest version of its RowGuid that is delivered or waiting is
        skipped and reported in ``skipped``, unless ``resend``. Records are written in
        transactions of at most a few hundred, so other processes never wait long.
        """
        if key not in RECONCILIATION_TABLES:
            raise ValueError(
                f"{key!r} 记录不经发件箱发送；应为 {', '.join(RECONCILIATION_TABLES)} 之一"
            )
        validator = VALIDATORS[key]
        refused: list[tuple[int, tuple[Problem, ...]]] = []
        skipped: list[int] = []
        batches: list[str] = []
        accepted = 0
        chunk: list[tuple[int, str, dict[str, object]]] = []

        def flush() -> None:
            nonlocal accepted
            placed, left_out = self._write(lambda: self._enqueue_chunk(key, chunk, resend))
            accepted += len(placed)
            skipped.extend(left_out)
            batches.extend(cd for cd in placed if cd not in batches)
            chunk.clear()

        for index, record in enumerate(records):
            try:
                data = record_mapping(key, record)
            except TypeError as exc:
                refused.append((index, (Problem(None, "not_object", str(exc)),)))
                continue
            data[_BATCH_FIELD] = self._placeholder_batch()
            problems = errors(validator(data, self.profile, self.length_unit))
            if problems:
                refused.append((index, tuple(problems)))
                continue
            row_guid = data[_ROW_GUID]
            assert isinstance(row_guid, str)  # validated above
            chunk.append((index, row_guid, data))
            if len(chunk) >= _ENQUEUE_CHUNK:
                flush()
        if chunk:
            flush()
        return EnqueueReport(accepted, tuple(refused), tuple(batches), tuple(skipped))

    def _enqueue_chunk(
        self, key: str, chunk: list[tuple[int, str, dict[str, object]]], resend: bool
    ) -> tuple[list[str], list[int]]:
        version = self._allocate_versions(len(chunk))
        placed: list[str] = []
        skipped: list[int] = []
        for offset, (index, row_guid, data) in enumerate(chunk):
            digest = _digest(data)
            if not resend and self._unchanged(key, row_guid, digest):
                skipped.append(index)
                continue
            placed.append(self._place(key, row_guid, data, digest, version + offset))
        return placed, skipped

    def _unchanged(self, key: str, row_guid: str, digest: str) -> bool:
        """Whether the newest version of the RowGuid, delivered or waiting, has this content."""
        waiting = self._store.execute(
            "SELECT i.version, i.digest, b.state FROM outbox_items i "
            "JOIN outbox_batches b ON b.id = i.batch_id "
            "WHERE i.record_key = ? AND i.row_guid = ? AND b.state <> 'done' "
            "ORDER BY i.version DESC LIMIT 1",
            (key, row_guid),
        ).fetchone()
        delivered = self._store.execute(
            "SELECT version, digest FROM outbox_delivered WHERE record_key = ? AND row_guid = ?",
            (key, row_guid),
        ).fetchone()
        if waiting is not None and (delivered is None or int(waiting[0]) > int(delivered[0])):
            return str(waiting[2]) != "dead" and str(waiting[1]) == digest
        return delivered is not None and str(delivered[1]) == digest

    def _place(
        self, key: str, row_guid: str, data: dict[str, object], digest: str, version: int
    ) -> str:
        store = self._store
        waiting = store.execute(
            "SELECT b.id, b.cd_batch, i.size, b.bytes FROM outbox_items i "
            "JOIN outbox_batches b ON b.id = i.batch_id "
            "WHERE i.record_key = ? AND i.row_guid = ? AND b.state = 'open'"
            + (" FOR UPDATE OF b" if store.lock_rows else ""),
            (key, row_guid),
        ).fetchone()
        if waiting is not None:
            batch_id, cd_batch, old_size = int(waiting[0]), str(waiting[1]), int(waiting[2])
            data[_BATCH_FIELD] = cd_batch
            body = _encode(data)
            size = len(body.encode("utf-8"))
            if int(waiting[3]) - old_size + size <= BODY_MAX_BYTES:
                store.execute(
                    "UPDATE outbox_items SET body = ?, digest = ?, version = ?, size = ? "
                    "WHERE batch_id = ? AND row_guid = ?",
                    (body, digest, version, size, batch_id, row_guid),
                )
                store.execute(
                    "UPDATE outbox_batches SET bytes = bytes - ? + ? WHERE id = ?",
                    (old_size, size, batch_id),
                )
                return cd_batch
            # the newer version no longer fits: take the old one out, place anew
            store.execute(
                "DELETE FROM outbox_items WHERE batch_id = ? AND row_guid = ?", (batch_id, row_guid)
            )
            store.execute(
                "UPDATE outbox_batches SET bytes = bytes - ?, records = records - 1 WHERE id = ?",
                (old_size + 1, batch_id),
            )
        data[_BATCH_FIELD] = self._placeholder_batch()
        batch_id, cd_batch = self._open_batch(key, len(_encode(data).encode("utf-8")) + 1)
        data[_BATCH_FIELD] = cd_batch
        body = _encode(data)
        size = len(body.encode("utf-8"))
        store.execute(
            "INSERT INTO outbox_items (batch_id, record_key, row_guid, version, digest, size, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (batch_id, key, row_guid, version, digest, size, body),
        )
        store.execute(
            "UPDATE outbox_batches SET bytes = bytes + ?, records = records + 1 WHERE id = ?",
            (size + 1, batch_id),
        )
        return cd_batch

    def _open_batch(self, key: str, size: int) -> tuple[int, str]:
        """The open batch of ``key`` with room for ``size`` more bytes, or a new one."""
        row = self._store.execute(
            "SELECT id, cd_batch, bytes, records FROM outbox_batches "
            "WHERE record_key = ? AND state = 'open' ORDER BY id DESC LIMIT 1"
            + self._store.lock_rows,
            (key,),
        ).fetchone()
        if (
            row is not None
            and int(row[3]) < BATCH_MAX_RECORDS
            and int(row[2]) + size <= BODY_MAX_BYTES
        ):
            return int(row[0]), str(row[1])
        return self._new_batch(key, self._next_cd_batch(), "open")

    def _new_batch(self, key: str, cd_batch: str, state: State) -> tuple[int, str]:
        batch_id = self._store.insert(
            "INSERT INTO outbox_batches (record_key, cd_batch, state, created_at) VALUES (?, ?, ?, ?)",
            (key, cd_batch, state, self._now()),
        )
        return batch_id, cd_batch

    def _today(self) -> str:
        return datetime.fromtimestamp(self._clock(), BEIJING).strftime("%Y%m%d")

    def _placeholder_batch(self) -> str:
        # Validation needs a well-formed Cd_Batch before the real one is chosen.
        return f"{self.org_code}{self._today()}{self.sequence_range[0]:05d}"

    def _next_cd_batch(self) -> str:
        """The next Cd_Batch of today's sequence, shared by everyone using this outbox.

        The date is the Beijing date on which the batch is opened (the day its data is
        submitted, see spec/errata.yaml cd-batch-date); the number comes from this
        outbox's sequence range.
        """
        low, high = self.sequence_range
        day = self._today()
        row = self._store.execute(
            "SELECT last FROM outbox_sequences WHERE day = ?" + self._store.lock_rows, (day,)
        ).fetchone()
        number = low if row is None else max(int(row[0]) + 1, low)
        if number > high:
            raise RuntimeError(
                f"{day} 的批次序号已用尽（序号段 {low}-{high}）；明天再发送，或换用更大的序号段"
            )
        self._store.execute(
            "INSERT INTO outbox_sequences (day, last) VALUES (?, ?) "
            "ON CONFLICT (day) DO UPDATE SET last = excluded.last",
            (day, number),
        )
        return f"{self.org_code}{day}{number:05d}"

    # ------------------------------------------------------------ delivery

    def lease_for(self, client: Client) -> float:
        """Seconds a claim lasts: the request's worst case plus a margin (or lease_seconds)."""
        if self.lease_seconds is not None:
            return self.lease_seconds
        worst = _worst_case(client)
        return worst + max(_LEASE_MARGIN_SECONDS, worst / 4)

    def _lease_needed(self, client: Client) -> float:
        """The lease a deliverer must still hold when it starts sending: the worst case
        (half the lease when lease_seconds is given)."""
        if self.lease_seconds is not None:
            return self.lease_seconds / 2
        return _worst_case(client)

    def _keep_or_release(self, batch_id: int, token: str, needed: float) -> bool:
        """True if this deliverer still holds the batch for ``needed`` seconds; otherwise (it
        was slow since the claim) it lets the batch go unsent, for a later claim."""
        now = self._store.now
        row = self._store.execute(
            f"SELECT lease_expires - {now} FROM outbox_batches WHERE id = ? AND lease_token = ?",
            (batch_id, token),
        ).fetchone()
        if row is not None and float(row[0]) >= needed:
            return True
        self._write(
            partial(
                self._store.execute,
                "UPDATE outbox_batches SET lease_token = NULL, lease_expires = NULL "
                "WHERE id = ? AND lease_token = ?",
                (batch_id, token),
            )
        )
        return False

    def deliver(
        self,
        client: Client,
        *,
        max_batches: int | None = None,
        on_batch: Callable[[BatchInfo], None] | None = None,
        on_claim: Callable[[BatchInfo], None] | None = None,
    ) -> DeliveryReport:
        """One pass over the waiting batches, oldest first, each claimed and sent at most once.

        A batch is sealed (no more records join it) when it is claimed, so a retry
        resends exactly the same records under the same Cd_Batch. A batch holding a
        newer version of a RowGuid that an older open or pending batch also holds is
        left for a later pass, so the older version never lands last. Batches leased
        by other deliverers are left to them.
        """
        self._check_api_root(client.base_url)
        lease = self.lease_for(client)
        done: list[BatchInfo] = []
        failed: list[BatchInfo] = []
        dead: list[BatchInfo] = []
        lost: list[BatchInfo] = []
        cursor = 0
        claimed = 0
        while max_batches is None or claimed < max_batches:
            claim = self._write(partial(self._claim, cursor, lease))
            if claim is None:
                break
            batch_id, token = claim
            cursor = batch_id
            claimed += 1
            info = self.batch(batch_id)
            if on_claim is not None:
                on_claim(info)
            bodies = [
                json.loads(str(row[0]))
                for row in self._store.execute(
                    "SELECT body FROM outbox_items WHERE batch_id = ? ORDER BY version", (batch_id,)
                ).fetchall()
            ]
            # Send only while the lease outlasts the request: one that expires mid-request
            # could let another deliverer send newer versions first.
            if not self._keep_or_release(batch_id, token, self._lease_needed(client)):
                lost.append(self.batch(batch_id))
                continue
            try:
                client.group(info.key).send_batch(bodies)
            except GatewayError as exc:
                # RetryLaterError (the gateway's Retry-After) leaves the batch pending, untried.
                failure = partial(
                    self._record_failure,
                    batch_id,
                    token,
                    str(exc)[:2000],
                    1 if exc.counts_as_attempt else 0,
                )
                kept = self._write(failure)
            else:
                kept = self._write(partial(self._record_success, batch_id, token))
            info = self.batch(batch_id)
            if not kept:
                lost.append(info)
            elif info.state == "done":
                done.append(info)
            else:
                (dead if info.state == "dead" else failed).append(info)
            if on_batch is not None:
                on_batch(info)
        return DeliveryReport(
            tuple(done), tuple(failed), tuple(dead), self._remaining(), tuple(lost)
        )

    def deliver_all(
        self,
        client: Client,
        *,
        on_batch: Callable[[BatchInfo], None] | None = None,
        on_claim: Callable[[BatchInfo], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        poll: float = 1.0,
    ) -> DeliveryReport:
        """Passes of deliver() until no batch is open or pending (each is done or dead).

        When every waiting batch is leased by another deliverer, waits (at most ``poll``
        seconds at a time) for those leases to end or expire.
        """
        done: list[BatchInfo] = []
        failed: list[BatchInfo] = []
        dead: list[BatchInfo] = []
        lost: list[BatchInfo] = []
        while True:
            report = self.deliver(client, on_batch=on_batch, on_claim=on_claim)
            done += report.done
            failed += report.failed
            dead += report.dead
            lost += report.lost
            if not report.remaining:
                return DeliveryReport(tuple(done), tuple(failed), tuple(dead), 0, tuple(lost))
            if not (report.done or report.failed or report.dead or report.lost):
                wait = self.lease_wait()
                sleep(min(poll, wait) if wait is not None else poll)

    def lease_wait(self) -> float | None:
        """Seconds until the earliest lease held on a waiting batch expires (None if none)."""
        row = self._store.execute(
            f"SELECT min(lease_expires) - {self._store.now} FROM outbox_batches "
            "WHERE state IN ('open', 'pending') AND lease_token IS NOT NULL"
        ).fetchone()
        return None if row[0] is None else max(float(row[0]), 0.0)

    def _claim(self, after: int, lease: float) -> tuple[int, str] | None:
        store = self._store
        sql = _CLAIMABLE.format(now=store.now)
        if store.kind == "postgresql":
            sql += " FOR UPDATE OF b SKIP LOCKED"
        row = store.execute(sql, (after,)).fetchone()
        if row is None:
            return None
        batch_id = int(row[0])
        token = secrets.token_hex(16)
        cursor = store.execute(
            "UPDATE outbox_batches SET state = 'pending', lease_token = ?, "
            f"lease_expires = {store.now} + ? WHERE id = ? AND state IN ('open', 'pending') "
            f"AND (lease_token IS NULL OR lease_expires <= {store.now})",
            (token, lease, batch_id),
        )
        return (batch_id, token) if cursor.rowcount == 1 else None

    def _record_success(self, batch_id: int, token: str) -> bool:
        store = self._store
        cursor = store.execute(
            "UPDATE outbox_batches SET state = 'done', attempts = attempts + 1, last_error = NULL, "
            "sent_at = ?, lease_token = NULL, lease_expires = NULL "
            "WHERE id = ? AND lease_token = ? AND state = 'pending'",
            (self._now(), batch_id, token),
        )
        if cursor.rowcount != 1:
            return False
        items = store.execute(
            "SELECT record_key, row_guid, version, digest FROM outbox_items WHERE batch_id = ? "
            "ORDER BY record_key, row_guid",  # one lock order for every writer
            (batch_id,),
        ).fetchall()
        now = self._now()
        store.executemany(
            _UPSERT_DELIVERED, [(k, g, int(v), d, batch_id, now) for k, g, v, d in items]
        )
        return True

    def _record_failure(self, batch_id: int, token: str, error: str, tries: int = 1) -> bool:
        cursor = self._store.execute(
            "UPDATE outbox_batches SET attempts = attempts + ?, "
            "state = CASE WHEN attempts + ? >= ? THEN 'dead' ELSE 'pending' END, "
            "last_error = ?, lease_token = NULL, lease_expires = NULL "
            "WHERE id = ? AND lease_token = ? AND state = 'pending'",
            (tries, tries, self.max_attempts, error, batch_id, token),
        )
        return bool(cursor.rowcount == 1)

    def _remaining(self) -> int:
        row = self._store.execute(
            "SELECT count(*) FROM outbox_batches WHERE state IN ('open', 'pending') AND records > 0"
        ).fetchone()
        return int(row[0])

    def _check_api_root(self, base_url: str) -> None:
        if self.api_root is None:
            self._write(
                lambda: self._check_meta(self._meta(), "api_root", base_url, "接口地址 (API root)")
            )
            self.api_root = base_url
        elif self.api_root != base_url:
            raise ValueError(
                f"发件箱 {self.location} 只向 {self.api_root} 发送，不能用于 {base_url}；"
                "每个接口地址（测试、生产）各用一个发件箱，批次号才不会混用 "
                f"(this outbox delivers to {self.api_root} only)"
            )

    def requeue(self, batch_ids: Iterable[int] | None = None) -> int:
        """Moves dead batches (all, or those given) back to pending with their tries reset.

        A requeued batch resends its records as they were stored. Where a newer
        version of one of its RowGuids was delivered meanwhile, that newer version is
        queued again after it, so the newest version lands last.
        """
        wanted = None if batch_ids is None else sorted(set(batch_ids))
        return self._write(lambda: self._requeue(wanted))

    def _requeue(self, wanted: list[int] | None) -> int:
        store = self._store
        store.execute("UPDATE outbox_counters SET value = value WHERE name = 'version'")  # lock
        if wanted is None:
            rows = store.execute(
                "SELECT id FROM outbox_batches WHERE state = 'dead' ORDER BY id"
            ).fetchall()
            wanted = [int(row[0]) for row in rows]
        requeued = [
            batch_id
            for batch_id in wanted
            if store.execute(
                "UPDATE outbox_batches SET state = 'pending', attempts = 0, lease_token = NULL, "
                "lease_expires = NULL WHERE id = ? AND state = 'dead'",
                (batch_id,),
            ).rowcount
            == 1
        ]
        # Only once all of them are pending: a newer version in another requeued batch waits
        # for the older one like any pending batch, and needs no copy.
        newest = _NEWEST_AFTER.format(now=store.now)
        for batch_id in requeued:
            superseded = [
                (row[0], row[1], row[4], row[5])
                for row in store.execute(newest, (batch_id,)).fetchall()
                if row[2] == "done" or int(row[3])  # sent, or being sent right now
            ]
            if superseded:
                version = self._allocate_versions(len(superseded))
                for offset, (key, row_guid, body, digest) in enumerate(superseded):
                    data = json.loads(str(body))
                    self._place(str(key), str(row_guid), data, str(digest), version + offset)
        return len(requeued)

    # ------------------------------------------------------------ inspection

    def batch(self, batch_id: int) -> BatchInfo:
        row = self._store.execute(
            f"SELECT {_BATCH_COLUMNS} FROM outbox_batches WHERE id = ?", (batch_id,)
        ).fetchone()
        if row is None:
            raise KeyError(batch_id)
        return _batch_info(row)

    def batches(self, state: str | None = None) -> list[BatchInfo]:
        """Every batch, or those in ``state``, oldest first."""
        query = f"SELECT {_BATCH_COLUMNS} FROM outbox_batches"
        query += (" WHERE state = ?" if state else "") + " ORDER BY id"
        rows = self._store.execute(query, (state,) if state else ()).fetchall()
        return [_batch_info(row) for row in rows]

    def counts(self) -> dict[str, int]:
        """Number of records per batch state."""
        rows = self._store.execute(
            "SELECT state, sum(records) FROM outbox_batches WHERE records > 0 GROUP BY state"
        ).fetchall()
        return {str(state): int(n) for state, n in rows}

    def status(self) -> OutboxStatus:
        """Counts per state, leases, reconciliation and pruning, and every dead batch."""
        store = self._store
        rows = store.execute(
            "SELECT state, count(*), sum(records) FROM outbox_batches WHERE records > 0 "
            "GROUP BY state"
        ).fetchall()
        leased, unreconciled, pruned = store.execute(
            "SELECT "
            f"sum(CASE WHEN state = 'pending' AND lease_expires > {store.now} THEN 1 ELSE 0 END), "
            "sum(CASE WHEN state = 'done' AND reconciled_at IS NULL THEN 1 ELSE 0 END), "
            "sum(CASE WHEN pruned_at IS NOT NULL THEN 1 ELSE 0 END) "
            "FROM outbox_batches"
        ).fetchone()
        return OutboxStatus(
            location=self.location,
            backend=self.backend,
            org_code=self.org_code,
            api_root=self.api_root,
            sequence_range=self.sequence_range,
            batches={str(s): int(b) for s, b, _ in rows},
            records={str(s): int(r) for s, _, r in rows},
            leased=int(leased or 0),
            unreconciled=int(unreconciled or 0),
            pruned=int(pruned or 0),
            dead=tuple(self.batches("dead")),
        )

    # ------------------------------------------------------------ reconciliation

    def reconciliation_records(
        self, *, include_reconciled: bool = False
    ) -> list[dict[str, object]]:
        """对账记录 (表 17) for every delivered batch: table, Cd_batch, record count, time sent."""
        query = (
            "SELECT record_key, cd_batch, records, sent_at FROM outbox_batches "
            "WHERE state = 'done' AND records > 0"
            + ("" if include_reconciled else " AND reconciled_at IS NULL")
            + " ORDER BY id"
        )
        return [
            {
                RECON_TABLE: RECONCILIATION_TABLES[str(key)],
                RECON_BATCH: str(cd_batch),
                RECON_COUNT: int(count),
                RECON_TIME: str(sent_at),
            }
            for key, cd_batch, count, sent_at in self._store.execute(query).fetchall()
        ]

    def send_reconciliation(self, client: Client) -> int:
        """Sends reconciliation records for delivered batches not yet reconciled.

        Returns how many were accepted; each accepted batch is marked reconciled.
        Raises GatewayError for the first refused request; a count mismatch raises
        ReconciliationMismatchError, whose message names the likely cause.
        """
        self._check_api_root(client.base_url)
        records = self.reconciliation_records()
        sent = 0
        for start in range(0, len(records), BATCH_MAX_RECORDS):
            chunk = records[start : start + BATCH_MAX_RECORDS]
            try:
                client.reconciliation.send_batch(chunk)
            except ErrCodeError as exc:
                if exc.err_code != _MISMATCH_CODE:
                    raise
                raise ReconciliationMismatchError(
                    exc.err_code, exc.err_msg + _mismatch_hint(self.sequence_range), exc.records
                ) from exc
            marks = [(self._now(), r[RECON_BATCH]) for r in chunk]
            self._write(
                partial(
                    self._store.executemany,
                    "UPDATE outbox_batches SET reconciled_at = ? "
                    "WHERE cd_batch = ? AND reconciled_at IS NULL",
                    marks,
                )
            )
            sent += len(chunk)
        return sent

    # ------------------------------------------------------------ pruning

    def prune(self, older_than_days: float | None = None) -> int:
        """Deletes the bodies of records delivered more than ``older_than_days`` ago.

        The default is the outbox's ``retention_days`` (DEFAULT_RETENTION_DAYS, 30).
        Batches keep their Cd_Batch, count and times (reconciliation still works), and
        each RowGuid's digest stays, so unchanged records are still skipped. A batch is kept
        whole while a dead batch holds an older version of one of its records (requeue()
        may need to send it again). Returns how many record bodies were deleted.
        """
        days = self.retention_days if older_than_days is None else older_than_days
        if not days >= 0:
            raise ValueError("older_than_days 不能为负")
        cutoff = format_datetime(datetime.fromtimestamp(self._clock() - days * 86400, BEIJING))
        pruned = 0
        while True:
            removed, batches = self._write(partial(self._prune_some, cutoff))
            pruned += removed
            if not batches:
                return pruned

    def _prune_some(self, cutoff: str) -> tuple[int, int]:
        store = self._store
        ids = [
            int(row[0])
            for row in store.execute(
                "SELECT id FROM outbox_batches b WHERE state = 'done' AND pruned_at IS NULL "
                "AND sent_at <= ? AND NOT EXISTS ("  # kept while a dead batch holds an older
                " SELECT 1 FROM outbox_items i JOIN outbox_items d ON d.record_key = i.record_key"
                " AND d.row_guid = i.row_guid AND d.version < i.version"
                " JOIN outbox_batches db ON db.id = d.batch_id AND db.state = 'dead'"
                " WHERE i.batch_id = b.id) ORDER BY id LIMIT 50",
                (cutoff,),
            ).fetchall()
        ]
        removed = 0
        for batch_id in ids:
            removed += int(
                store.execute("DELETE FROM outbox_items WHERE batch_id = ?", (batch_id,)).rowcount
            )
            store.execute(
                "UPDATE outbox_batches SET pruned_at = ? WHERE id = ?", (self._now(), batch_id)
            )
        return removed, len(ids)

    # ------------------------------------------------------------ migration

    def migrate_from(self, path: str | Path) -> MigrationReport:
        """Moves what an older SQLite outbox (schema 1, the former ./gdzw-outbox.sqlite3) holds.

        Its daily sequences are merged (this outbox never reuses a number it used);
        its batches that are not yet delivered or not yet reconciled are copied with
        their Cd_Batch. A waiting batch whose Cd_Batch this outbox already used gets a
        new one; a delivered one is left out (its reconciliation would count both).
        The old file is not changed.
        """
        old = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
        try:
            meta = dict(old.execute("SELECT name, value FROM meta").fetchall())
            if meta.get("org_code") != self.org_code:
                raise ValueError(
                    f"{path} 属于 {meta.get('org_code')!r}，不是 {self.org_code!r}，不能并入"
                )
            sequences = old.execute("SELECT day, last FROM sequences").fetchall()
            batches = old.execute(
                "SELECT id, record_key, cd_batch, state, attempts, last_error, sent_at "
                "FROM batches WHERE state <> 'done' OR reconciled_at IS NULL ORDER BY id"
            ).fetchall()
            items = {
                int(batch_id): [
                    (str(r[0]), str(r[1]))
                    for r in old.execute(
                        "SELECT row_guid, body FROM items WHERE batch_id = ? ORDER BY position",
                        (batch_id,),
                    ).fetchall()
                ]
                for batch_id, *_ in batches
            }
        finally:
            old.close()
        return self._write(partial(self._import, sequences, batches, items))

    def _import(
        self,
        sequences: list[tuple[str, int]],
        batches: list[tuple[Any, ...]],
        items: dict[int, list[tuple[str, str]]],
    ) -> MigrationReport:
        store = self._store
        total = sum(len(v) for v in items.values())
        version = self._allocate_versions(max(total, 1))
        for day, last in sequences:
            store.execute(
                "INSERT INTO outbox_sequences (day, last) VALUES (?, ?) ON CONFLICT (day) "
                "DO UPDATE SET last = CASE WHEN excluded.last > outbox_sequences.last "
                "THEN excluded.last ELSE outbox_sequences.last END",
                (str(day), int(last)),
            )
        renumbered: list[tuple[str, str]] = []
        skipped: list[str] = []
        moved = records = 0
        for batch_id, key, cd_batch, state, attempts, last_error, sent_at in batches:
            rows = items[int(batch_id)]
            if not rows:
                continue
            cd_batch = str(cd_batch)
            taken = store.execute(
                "SELECT 1 FROM outbox_batches WHERE cd_batch = ?", (cd_batch,)
            ).fetchone()
            if taken is not None:
                if state == "done":
                    skipped.append(cd_batch)
                    continue
                new = self._next_cd_batch()
                renumbered.append((cd_batch, new))
                cd_batch = new
            new_id, _ = self._new_batch(str(key), cd_batch, _STATES[str(state)])
            size_total = 2
            for row_guid, body in rows:
                data = json.loads(body)
                data[_BATCH_FIELD] = cd_batch
                text = _encode(data)
                size = len(text.encode("utf-8"))
                size_total += size + 1
                store.execute(
                    "INSERT INTO outbox_items "
                    "(batch_id, record_key, row_guid, version, digest, size, body) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (new_id, str(key), row_guid, version, _digest(data), size, text),
                )
                version += 1
            store.execute(
                "UPDATE outbox_batches SET records = ?, bytes = ?, attempts = ?, last_error = ?, "
                "sent_at = ? WHERE id = ?",
                (len(rows), size_total, int(attempts), last_error, sent_at, new_id),
            )
            moved += 1
            records += len(rows)
        return MigrationReport(moved, records, tuple(renumbered), tuple(skipped))

    def _upgrade_legacy(self, path: str) -> None:
        """A schema-1 file opened as an outbox: its batches move into the new tables."""
        self.migrate_from(path)

        def drop() -> None:
            for table in ("items", "batches", "sequences", "meta"):
                self._store.execute(f"DROP TABLE IF EXISTS {table}")

        self._write(drop)

    # ------------------------------------------------------------ helpers

    def _now(self) -> str:
        return format_datetime(datetime.fromtimestamp(self._clock(), BEIJING))


def _worst_case(client: Client) -> float:
    """Seconds one send may take: every try's timeout and the backoff between tries, but no
    try starts after the retry deadline."""
    retry = client.retry
    tries = retry.attempts * client.timeout + max(retry.attempts - 1, 0) * retry.ceiling
    return min(tries, retry.deadline + client.timeout)


def _batch_info(row: Sequence[Any]) -> BatchInfo:
    return BatchInfo(
        int(row[0]),
        str(row[1]),
        str(row[2]),
        row[3],
        int(row[4]),
        int(row[5]),
        row[6],
        row[7],
        None if row[8] is None else float(row[8]),
    )


def _encode(data: Mapping[str, object]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _digest(data: Mapping[str, object]) -> str:
    """SHA-256 of the record without Cd_Batch, keys sorted: what "unchanged" compares."""
    content = {k: v for k, v in data.items() if k != _BATCH_FIELD}
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _mismatch_hint(sequence_range: tuple[int, int]) -> str:
    return (
        " —— 可能的原因：同一组织的另一个发送方（另一台机器、另一个目录或另一个发件箱）"
        "用了相同的批次号 Cd_Batch，网关把两边的记录算在同一批次下。同一组织的发送方应共用一个"
        "发件箱（同一 SQLite 文件或同一 PostgreSQL 库），或各用互不相交的 --sequence-range"
        f"（本发件箱为 {sequence_range[0]}-{sequence_range[1]}）。"
        " Likely cause: another sender of this organisation used the same batch numbers;"
        " share one outbox, or give each outbox a disjoint --sequence-range."
    )


def refused_messages(report: EnqueueReport) -> list[str]:
    """One line per refused record problem, for logs and command lines."""
    return [f"#{index + 1}: {p.message}" for index, problems in report.refused for p in problems]
