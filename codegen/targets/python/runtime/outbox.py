# gdzw-codegen runtime module: `codegen build` copies it into the generated package and puts
# the do-not-edit header in place of these three lines, so line numbers stay the same.
# Spec facts come from the generated spec.py (relative imports resolve there).
"""持久发件箱 (a durable SQLite outbox: nothing is lost, nothing is sent twice as two records).

Records are validated and enqueued into stored batches of at most
BATCH_MAX_RECORDS, each given its Cd_Batch (统一社会信用代码 + YYYYMMDD + 5-digit daily
sequence, Beijing time) when the batch is opened. ``deliver()`` sends batches
at least once; the gateway writes by RowGuid, so a resent batch never creates
a second record. A batch is done only on errCode SUCCESS_CODE; one that keeps
failing goes to the dead-letter state with its last error and can be
re-queued. Every state change is one SQLite transaction, so a process killed
at any moment resumes where it stopped."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, Literal

from .client import Client, GatewayError, record_mapping
from .problems import Problem, errors
from .records import BEIJING, format_datetime
from .spec import (
    BATCH_MAX_RECORDS,
    BODY_MAX_BYTES,
    CD_BATCH,
    ORG_CODE_PATTERN,
    RECON_BATCH,
    RECON_COUNT,
    RECON_TABLE,
    RECON_TIME,
    RECONCILIATION_TABLES,
    ROW_GUID,
)
from .validators import VALIDATORS

__all__ = ["BatchInfo", "DeliveryReport", "EnqueueReport", "Outbox", "refused_messages"]

_SCHEMA_VERSION: Final = "1"
_USCC: Final = re.compile(ORG_CODE_PATTERN)
_SEQUENCE_MAX: Final = 99999
_BATCH_FIELD: Final = CD_BATCH
_ROW_GUID: Final = ROW_GUID

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    record_key TEXT NOT NULL,
    cd_batch TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('open', 'pending', 'done', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 2,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    reconciled_at TEXT
);
CREATE INDEX IF NOT EXISTS batches_by_state ON batches (state, id);
CREATE TABLE IF NOT EXISTS items (
    batch_id INTEGER NOT NULL REFERENCES batches (id),
    row_guid TEXT NOT NULL,
    position INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (batch_id, row_guid)
);
CREATE INDEX IF NOT EXISTS items_by_row_guid ON items (row_guid);
CREATE TABLE IF NOT EXISTS sequences (
    day TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class BatchInfo:
    """One stored batch."""

    id: int
    key: str
    cd_batch: str
    state: Literal["open", "pending", "done", "dead"]
    attempts: int
    records: int
    last_error: str | None
    sent_at: str | None


@dataclass(frozen=True)
class EnqueueReport:
    """enqueue()'s result: how many records were stored, and those refused with their problems."""

    accepted: int
    refused: tuple[tuple[int, tuple[Problem, ...]], ...]
    batches: tuple[str, ...]


@dataclass(frozen=True)
class DeliveryReport:
    """deliver()'s result for one pass over the waiting batches."""

    done: tuple[BatchInfo, ...]
    failed: tuple[BatchInfo, ...]
    dead: tuple[BatchInfo, ...]
    remaining: int


class Outbox:
    """A durable outbox in one SQLite file, for one reporting organisation.

    ``org_code`` is the sender's 18-character 统一社会信用代码, the first part of
    every Cd_Batch. ``max_attempts`` bounds the tries of a batch before it goes
    to the dead-letter state. Use one Outbox per thread.
    """

    def __init__(
        self,
        path: str | Path,
        org_code: str,
        *,
        max_attempts: int = 10,
        clock: Callable[[], float] = time.time,
        profile: str = "standard",
    ) -> None:
        if not _USCC.fullmatch(org_code):
            raise ValueError(f"org_code 应为 18 位统一社会信用代码，实为 {org_code!r}")
        if max_attempts < 1:
            raise ValueError("max_attempts 应不小于 1")
        self.org_code = org_code
        self.max_attempts = max_attempts
        self.profile = profile
        self._clock = clock
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a committed batch survives power loss
        self._db.execute("PRAGMA foreign_keys=ON")
        with self._transaction():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._check_meta("schema_version", _SCHEMA_VERSION)
            self._check_meta("org_code", org_code)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ enqueue

    def enqueue(self, key: str, records: Iterable[object]) -> EnqueueReport:
        """Validates and stores records of type ``key``; invalid ones are refused, not stored.

        Each record gets the Cd_Batch of the batch it is stored in. A RowGuid
        already waiting in an unsent batch is replaced there (the newest
        version wins); one already sent goes into a new batch.
        """
        if key not in RECONCILIATION_TABLES:
            raise ValueError(
                f"{key!r} 记录不经发件箱发送；应为 {', '.join(RECONCILIATION_TABLES)} 之一"
            )
        validator = VALIDATORS[key]
        refused: list[tuple[int, tuple[Problem, ...]]] = []
        accepted = 0
        batches: list[str] = []
        with self._transaction():
            for index, record in enumerate(records):
                try:
                    data = record_mapping(key, record)
                except TypeError as exc:
                    refused.append((index, (Problem(None, "not_object", str(exc)),)))
                    continue
                data[_BATCH_FIELD] = self._placeholder_batch()
                problems = errors(validator(data, self.profile))
                if problems:
                    refused.append((index, tuple(problems)))
                    continue
                row_guid = data[_ROW_GUID]
                assert isinstance(row_guid, str)  # validated above
                batch_id, cd_batch = self._place(key, row_guid, data)
                if not batches or batches[-1] != cd_batch:
                    batches.append(cd_batch)
                accepted += 1
        return EnqueueReport(accepted, tuple(refused), tuple(dict.fromkeys(batches)))

    def _place(self, key: str, row_guid: str, data: dict[str, object]) -> tuple[int, str]:
        waiting = self._db.execute(
            "SELECT b.id, b.cd_batch FROM items i JOIN batches b ON b.id = i.batch_id "
            "WHERE b.record_key = ? AND i.row_guid = ? AND b.state = 'open'",
            (key, row_guid),
        ).fetchone()
        if waiting is not None:
            batch_id, cd_batch = int(waiting[0]), str(waiting[1])
            data[_BATCH_FIELD] = cd_batch
            body = _encode(data)
            old, total = self._db.execute(
                "SELECT length(CAST(i.body AS BLOB)), b.bytes FROM items i JOIN batches b ON b.id = i.batch_id "
                "WHERE i.batch_id = ? AND i.row_guid = ?",
                (batch_id, row_guid),
            ).fetchone()
            size = len(body.encode("utf-8"))
            if int(total) - int(old) + size <= BODY_MAX_BYTES:
                self._db.execute(
                    "UPDATE items SET body = ? WHERE batch_id = ? AND row_guid = ?",
                    (body, batch_id, row_guid),
                )
                self._db.execute(
                    "UPDATE batches SET bytes = bytes - ? + ? WHERE id = ?", (old, size, batch_id)
                )
                return batch_id, cd_batch
            # The newer version no longer fits this batch: it leaves it for one with room.
            self._db.execute(
                "DELETE FROM items WHERE batch_id = ? AND row_guid = ?", (batch_id, row_guid)
            )
            self._db.execute(
                "UPDATE batches SET bytes = bytes - ? - 1 WHERE id = ?", (old, batch_id)
            )
        batch_id, cd_batch, position = self._open_batch(key, data)
        data[_BATCH_FIELD] = cd_batch
        body = _encode(data)
        self._db.execute(
            "INSERT INTO items (batch_id, row_guid, position, body) VALUES (?, ?, ?, ?)",
            (batch_id, row_guid, position, body),
        )
        self._db.execute(
            "UPDATE batches SET bytes = bytes + ? WHERE id = ?",
            (len(body.encode("utf-8")) + 1, batch_id),
        )
        return batch_id, cd_batch

    def _open_batch(self, key: str, data: dict[str, object]) -> tuple[int, str, int]:
        """The open batch of ``key`` with room for ``data``, or a new one; and the next position.

        Room means fewer than BATCH_MAX_RECORDS records and a body, the batch's running
        total (``bytes``: the JSON array so far) plus this record, within BODY_MAX_BYTES.
        """
        size = len(_encode(data).encode("utf-8")) + 1
        row = self._db.execute(
            "SELECT b.id, b.cd_batch, b.bytes, (SELECT count(*) FROM items WHERE batch_id = b.id), "
            "(SELECT coalesce(max(position) + 1, 0) FROM items WHERE batch_id = b.id) "
            "FROM batches b WHERE b.record_key = ? AND b.state = 'open' ORDER BY b.id DESC LIMIT 1",
            (key,),
        ).fetchone()
        if (
            row is not None
            and int(row[3]) < BATCH_MAX_RECORDS
            and int(row[2]) + size <= BODY_MAX_BYTES
        ):
            return int(row[0]), str(row[1]), int(row[4])
        cd_batch = self._next_cd_batch()
        cursor = self._db.execute(
            "INSERT INTO batches (record_key, cd_batch, state, created_at) VALUES (?, ?, 'open', ?)",
            (key, cd_batch, self._now()),
        )
        assert cursor.lastrowid is not None
        return int(cursor.lastrowid), cd_batch, 0

    def _today(self) -> str:
        return datetime.fromtimestamp(self._clock(), BEIJING).strftime("%Y%m%d")

    def _placeholder_batch(self) -> str:
        # Validation needs a well-formed Cd_Batch before the real one is chosen.
        return f"{self.org_code}{self._today()}00001"

    def _next_cd_batch(self) -> str:
        day = self._today()
        row = self._db.execute("SELECT last FROM sequences WHERE day = ?", (day,)).fetchone()
        number = 1 if row is None else int(row[0]) + 1
        if number > _SEQUENCE_MAX:
            raise RuntimeError(f"{day} 的批次序号已用尽（最多 {_SEQUENCE_MAX} 个批次）")
        self._db.execute(
            "INSERT INTO sequences (day, last) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET last = excluded.last",
            (day, number),
        )
        return f"{self.org_code}{day}{number:05d}"

    # ------------------------------------------------------------ delivery

    def deliver(
        self,
        client: Client,
        *,
        max_batches: int | None = None,
        on_batch: Callable[[BatchInfo], None] | None = None,
    ) -> DeliveryReport:
        """One pass over the waiting batches, oldest first, each sent once.

        A batch is sealed (no more records join it) before its first try, so a
        retry resends exactly the same records under the same Cd_Batch. A batch
        holding a newer version of a RowGuid that an older pending batch also
        holds is left for a later pass, so the older version never lands last.
        """
        done: list[BatchInfo] = []
        failed: list[BatchInfo] = []
        dead: list[BatchInfo] = []
        ids = [
            int(row[0])
            for row in self._db.execute(
                "SELECT id FROM batches WHERE state IN ('open', 'pending') ORDER BY id"
            ).fetchall()
        ]
        for batch_id in ids[:max_batches] if max_batches is not None else ids:
            if self._waits_for_older(batch_id):
                continue
            with self._transaction():
                self._db.execute(
                    "UPDATE batches SET state = 'pending' WHERE id = ? AND state = 'open'",
                    (batch_id,),
                )
            info = self.batch(batch_id)
            if info.records == 0:
                continue
            bodies = [
                json.loads(str(row[0]))
                for row in self._db.execute(
                    "SELECT body FROM items WHERE batch_id = ? ORDER BY position", (batch_id,)
                ).fetchall()
            ]
            try:
                client.group(info.key).send_batch(bodies)
            except GatewayError as exc:
                # RetryLaterError (the gateway's Retry-After) leaves the batch pending, untried.
                attempts = info.attempts + (1 if exc.counts_as_attempt else 0)
                state = "dead" if attempts >= self.max_attempts else "pending"
                with self._transaction():
                    self._db.execute(
                        "UPDATE batches SET attempts = ?, state = ?, last_error = ? WHERE id = ?",
                        (attempts, state, str(exc)[:2000], batch_id),
                    )
                (dead if state == "dead" else failed).append(self.batch(batch_id))
            else:
                with self._transaction():
                    self._db.execute(
                        "UPDATE batches SET attempts = attempts + 1, state = 'done', last_error = NULL, "
                        "sent_at = ? WHERE id = ?",
                        (self._now(), batch_id),
                    )
                done.append(self.batch(batch_id))
            if on_batch is not None:
                on_batch(self.batch(batch_id))
        remaining = self._db.execute(
            "SELECT count(*) FROM batches b WHERE state IN ('open', 'pending') "
            "AND EXISTS (SELECT 1 FROM items WHERE batch_id = b.id)"
        ).fetchone()[0]
        return DeliveryReport(tuple(done), tuple(failed), tuple(dead), int(remaining))

    def _waits_for_older(self, batch_id: int) -> bool:
        """Whether an older, still-pending batch carries one of this batch's RowGuids.

        The older batch holds an earlier version of that record; sending this one
        first would let the older version overwrite the newer one when the older
        batch finally goes through. So this batch waits until the older is done
        (or dead).
        """
        row = self._db.execute(
            "SELECT 1 FROM items i "
            "JOIN batches b ON b.id = i.batch_id "
            "JOIN items j ON j.row_guid = i.row_guid AND j.batch_id < i.batch_id "
            "JOIN batches o ON o.id = j.batch_id AND o.record_key = b.record_key "
            "WHERE i.batch_id = ? AND o.state IN ('open', 'pending') LIMIT 1",
            (batch_id,),
        ).fetchone()
        return row is not None

    def requeue(self, batch_ids: Iterable[int] | None = None) -> int:
        """Moves dead batches (all, or those given) back to pending with their tries reset.

        A requeued batch resends its records as they were stored. If a newer
        version of one of its RowGuids was delivered meanwhile, enqueue that
        record again after requeueing so the newer version lands last.
        """
        with self._transaction():
            if batch_ids is None:
                cursor = self._db.execute(
                    "UPDATE batches SET state = 'pending', attempts = 0 WHERE state = 'dead'"
                )
                return cursor.rowcount
            count = 0
            for batch_id in batch_ids:
                cursor = self._db.execute(
                    "UPDATE batches SET state = 'pending', attempts = 0 WHERE id = ? AND state = 'dead'",
                    (batch_id,),
                )
                count += cursor.rowcount
            return count

    # ------------------------------------------------------------ inspection

    def batch(self, batch_id: int) -> BatchInfo:
        row = self._db.execute(
            "SELECT id, record_key, cd_batch, state, attempts, "
            "(SELECT count(*) FROM items WHERE batch_id = b.id), last_error, sent_at "
            "FROM batches b WHERE id = ?",
            (batch_id,),
        ).fetchone()
        if row is None:
            raise KeyError(batch_id)
        return BatchInfo(
            int(row[0]), str(row[1]), str(row[2]), row[3], int(row[4]), int(row[5]), row[6], row[7]
        )

    def batches(self, state: str | None = None) -> list[BatchInfo]:
        """Every batch, or those in ``state``, oldest first."""
        query = "SELECT id FROM batches" + (" WHERE state = ?" if state else "") + " ORDER BY id"
        rows = self._db.execute(query, (state,) if state else ()).fetchall()
        return [self.batch(int(row[0])) for row in rows]

    def counts(self) -> dict[str, int]:
        """Number of records per batch state."""
        rows = self._db.execute(
            "SELECT b.state, count(i.row_guid) FROM batches b JOIN items i ON i.batch_id = b.id GROUP BY b.state"
        ).fetchall()
        return {str(state): int(n) for state, n in rows}

    # ------------------------------------------------------------ reconciliation

    def reconciliation_records(
        self, *, include_reconciled: bool = False
    ) -> list[dict[str, object]]:
        """对账记录 (表 17) for every delivered batch: table, Cd_batch, record count, time sent."""
        query = (
            "SELECT b.record_key, b.cd_batch, count(i.row_guid), b.sent_at FROM batches b "
            "JOIN items i ON i.batch_id = b.id WHERE b.state = 'done'"
            + ("" if include_reconciled else " AND b.reconciled_at IS NULL")
            + " GROUP BY b.id ORDER BY b.id"
        )
        return [
            {
                RECON_TABLE: RECONCILIATION_TABLES[str(key)],
                RECON_BATCH: str(cd_batch),
                RECON_COUNT: int(count),
                RECON_TIME: str(sent_at),
            }
            for key, cd_batch, count, sent_at in self._db.execute(query).fetchall()
        ]

    def send_reconciliation(self, client: Client) -> int:
        """Sends reconciliation records for delivered batches not yet reconciled.

        Returns how many were accepted; each accepted batch is marked reconciled.
        Raises GatewayError (e.g. a count mismatch) for the first refused request.
        """
        records = self.reconciliation_records()
        sent = 0
        for start in range(0, len(records), BATCH_MAX_RECORDS):
            chunk = records[start : start + BATCH_MAX_RECORDS]
            client.reconciliation.send_batch(chunk)
            with self._transaction():
                self._db.executemany(
                    "UPDATE batches SET reconciled_at = ? WHERE cd_batch = ?",
                    [(self._now(), r[RECON_BATCH]) for r in chunk],
                )
            sent += len(chunk)
        return sent

    # ------------------------------------------------------------ helpers

    def _now(self) -> str:
        return format_datetime(datetime.fromtimestamp(self._clock(), BEIJING))

    def _check_meta(self, name: str, value: str) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta (name, value) VALUES (?, ?)", (name, value))
        elif row[0] != value:
            raise ValueError(f"发件箱的 {name} 为 {row[0]!r}，与 {value!r} 不符")

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any error: one state change at a time."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")


def _encode(data: dict[str, object]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def refused_messages(report: EnqueueReport) -> list[str]:
    """One line per refused record problem, for logs and command lines."""
    return [f"#{index + 1}: {p.message}" for index, problems in report.refused for p in problems]
