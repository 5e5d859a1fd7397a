"""One outbox shared by several Outbox objects (threads, processes) on SQLite and PostgreSQL:
claims and leases, token-conditional writes, version order, the shared Cd_Batch sequence and
ranges, skipping unchanged records, pruning, requeue, reconciliation messages, migration."""

from __future__ import annotations

import importlib
import json
import sqlite3
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from test_outbox import (
    DAY,
    ORG,
    START,
    TOKEN,
    Clock,
    Gateway,
    cd,
    make_client,
    record,
    records,
    row_guid,
)


@pytest.fixture()
def om(pkg: ModuleType) -> ModuleType:
    return pkg.outbox


@pytest.fixture()
def cm(pkg: ModuleType) -> ModuleType:
    return pkg.client


@pytest.fixture()
def store(outbox_store: str) -> str:
    return outbox_store


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def pair(om: ModuleType, store: Path | str, clock: Clock) -> Iterator[tuple[Any, Any]]:
    """Two Outbox objects on one store, as two processes would have."""
    a = om.Outbox(store, ORG, clock=clock, max_attempts=3)
    b = om.Outbox(store, ORG, clock=clock, max_attempts=3)
    yield a, b
    a.close()
    b.close()


def expire_leases(box: Any) -> None:
    """Ends every lease, as time passing would (PostgreSQL leases follow the database clock)."""
    box._write(lambda: box._store.execute("UPDATE outbox_batches SET lease_expires = 0"))


# ---------------------------------------------------------------- claims and leases


def test_a_leased_batch_is_left_to_its_deliverer(
    pkg: ModuleType, cm: ModuleType, pair: tuple[Any, Any]
) -> None:
    a, b = pair
    a.enqueue("accept", records(pkg, "accept", range(150)))
    gateway = Gateway(cm)
    seen_by_b: list[Any] = []

    def transport(request: Any) -> Any:
        # While A's first request is in flight, B delivers: it must not take A's batch.
        if not seen_by_b:
            seen_by_b.append(b.deliver(make_client(cm, gateway)))
        return gateway(request)

    first = a.deliver(make_client(cm, transport), max_batches=1)  # type: ignore[arg-type]
    (by_b,) = seen_by_b
    assert [x.cd_batch for x in by_b.done] == [cd(DAY, 2)]  # the other batch, not A's
    assert [x.cd_batch for x in first.done] == [cd(DAY, 1)]
    sent = [body[0]["Cd_Batch"] for body in gateway.bodies()]
    assert sorted(sent) == [cd(DAY, 1), cd(DAY, 2)]  # each sent exactly once
    assert a.counts() == {"done": 150}


def test_expired_lease_is_taken_over_and_the_late_writer_changes_nothing(
    pkg: ModuleType, cm: ModuleType, pair: tuple[Any, Any]
) -> None:
    a, b = pair
    a.enqueue("accept", records(pkg, "accept", range(3)))
    gateway = Gateway(cm)
    taken_over: list[Any] = []

    def slow(request: Any) -> Any:
        # A's request outlives its lease: B takes the batch over and delivers it first.
        expire_leases(a)
        taken_over.append(b.deliver(make_client(cm, gateway)))
        return cm.HttpResponse(503, {}, b'{"errCode":"50300","errMsg":"late"}')

    report = a.deliver(make_client(cm, slow))  # type: ignore[arg-type]
    (by_b,) = taken_over
    assert [x.cd_batch for x in by_b.done] == [cd(DAY, 1)]
    # A's late failure is not written: the batch stays done (done is final)
    assert [x.cd_batch for x in report.lost] == [cd(DAY, 1)]
    assert report.failed == () and report.dead == ()
    (batch,) = a.batches()
    assert (batch.state, batch.attempts, batch.last_error) == ("done", 1, None)


def test_a_late_success_after_takeover_changes_nothing(
    pkg: ModuleType, cm: ModuleType, pair: tuple[Any, Any]
) -> None:
    a, b = pair
    a.enqueue("accept", records(pkg, "accept", range(2)))
    failing = Gateway(cm)
    failing.failing.add(cd(DAY, 1))
    ok = Gateway(cm)

    def slow(request: Any) -> Any:
        expire_leases(a)
        b.deliver(make_client(cm, failing))  # B takes over and fails: attempts 1, pending
        return ok(request)

    report = a.deliver(make_client(cm, slow))  # type: ignore[arg-type]
    assert [x.cd_batch for x in report.lost] == [cd(DAY, 1)]
    (batch,) = a.batches()
    assert (batch.state, batch.attempts) == ("pending", 1)  # B's outcome stands
    assert batch.leased_until is None


def test_crashed_deliverers_lease_expires_on_the_sqlite_clock(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, tmp_path: Path
) -> None:
    clock = Clock()
    path = tmp_path / "o.sqlite3"
    with om.Outbox(path, ORG, clock=clock) as a, om.Outbox(path, ORG, clock=clock) as b:
        a.enqueue("accept", records(pkg, "accept", range(2)))
        client = make_client(cm, Gateway(cm))
        # A claims and "dies" before sending (the claim is committed, nothing else happens)
        claim = a._write(lambda: a._claim(0, a.lease_for(client)))
        assert claim is not None
        assert b.deliver(client).done == ()
        wait = b.lease_wait()
        assert wait == pytest.approx(a.lease_for(client))
        clock.now += wait + 0.001
        assert [x.cd_batch for x in b.deliver(client).done] == [cd(DAY, 1)]


def test_a_deliverer_too_slow_to_send_within_its_lease_lets_the_batch_go(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, tmp_path: Path
) -> None:
    clock = Clock()
    gateway = Gateway(cm)
    client = make_client(cm, gateway)
    with om.Outbox(tmp_path / "o.sqlite3", ORG, clock=clock) as box:
        box.enqueue("accept", records(pkg, "accept", range(2)))
        lease = box.lease_for(client)

        def stall(info: Any) -> None:  # the process stalls between the claim and the send
            clock.now += lease / 2

        report = box.deliver(client, on_claim=stall)
        assert [b.cd_batch for b in report.lost] == [cd(DAY, 1)] and gateway.requests == []
        assert box.batch(1).leased_until is None and box.batch(1).state == "pending"
        assert [b.cd_batch for b in box.deliver(client).done] == [cd(DAY, 1)]


def test_lease_covers_the_clients_worst_case(
    cm: ModuleType, om: ModuleType, tmp_path: Path
) -> None:
    retry = cm.RetryPolicy(attempts=4, backoff=0.5, ceiling=30.0, deadline=120.0)
    client = cm.Client(TOKEN, environment="test", timeout=30.0, retry=retry)
    with om.Outbox(tmp_path / "o.sqlite3", ORG) as box:
        # 4 tries of 30 s and 3 waits of at most 30 s, but no wait after 120 s: 150 s,
        # and a margin of a quarter (at least 5 s)
        assert box.lease_for(client) == pytest.approx(150 + 37.5)
        quick = cm.Client(TOKEN, environment="test", timeout=1.0, retry=cm.RetryPolicy(1))
        assert box.lease_for(quick) == pytest.approx(1 + 5)
    with om.Outbox(tmp_path / "o.sqlite3", ORG, lease_seconds=7) as box:
        assert box.lease_for(client) == 7


def test_newer_version_is_not_sent_while_an_older_one_is_claimed(
    pkg: ModuleType, cm: ModuleType, pair: tuple[Any, Any]
) -> None:
    a, b = pair
    a.enqueue("accept", [record(pkg, "accept", 0, TaskName="v1")])
    gateway = Gateway(cm)
    during: list[Any] = []

    def transport(request: Any) -> Any:
        if not during:
            # v1 is claimed by A and in flight; B enqueues v2 and delivers
            b.enqueue("accept", [record(pkg, "accept", 0, TaskName="v2")])
            during.append(b.deliver(make_client(cm, gateway)))
        return gateway(request)

    a.deliver(make_client(cm, transport), max_batches=1)  # type: ignore[arg-type]
    assert during[0].done == () and during[0].remaining == 2
    b.deliver(make_client(cm, gateway))
    landed = [r["TaskName"] for body in gateway.bodies() for r in body]
    assert landed == ["v1", "v2"]
    assert a.counts() == {"done": 2}


def test_deliver_all_waits_for_leases_held_by_others(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, tmp_path: Path
) -> None:
    clock = Clock()
    path = tmp_path / "o.sqlite3"
    with om.Outbox(path, ORG, clock=clock) as a, om.Outbox(path, ORG, clock=clock) as b:
        a.enqueue("accept", records(pkg, "accept", range(2)))
        client = make_client(cm, Gateway(cm))
        assert a._write(lambda: a._claim(0, 30.0)) is not None
        waits: list[float] = []

        def sleep(seconds: float) -> None:
            waits.append(seconds)
            clock.now += seconds

        report = b.deliver_all(client, sleep=sleep, poll=10.0)
        assert [x.cd_batch for x in report.done] == [cd(DAY, 1)]
        assert waits == [10.0, 10.0, 10.0]


# ---------------------------------------------------------------- one sequence per organisation


def test_objects_sharing_a_store_share_the_daily_sequence(
    pkg: ModuleType, pair: tuple[Any, Any]
) -> None:
    a, b = pair
    numbers = []
    for i, key in enumerate(("accept", "process", "result", "material")):
        numbers += (a, b)[i % 2].enqueue(key, [record(pkg, key, 100 + i)]).batches
    assert numbers == [cd(DAY, n) for n in (1, 2, 3, 4)]
    assert [x.cd_batch for x in a.batches()] == numbers == [x.cd_batch for x in b.batches()]


def test_threads_enqueue_and_deliver_without_locking_errors(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, store: Path | str
) -> None:
    """Two enqueuers and two deliverers, each on its own Outbox and thread: nothing raises,
    every record is delivered once per version, no Cd_Batch is given twice."""
    errors: list[BaseException] = []
    gateway = Gateway(cm)
    lock = threading.Lock()

    def locked(request: Any) -> Any:
        with lock:
            return gateway(request)

    def enqueue(start: int) -> None:
        try:
            with om.Outbox(store, ORG, clock=Clock(), busy_timeout=60) as box:
                for first in range(start, start + 1000, 250):
                    box.enqueue("accept", records(pkg, "accept", range(first, first + 250)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def deliver() -> None:
        try:
            with om.Outbox(store, ORG, clock=Clock()) as box:
                for _ in range(5):
                    box.deliver(make_client(cm, locked))  # type: ignore[arg-type]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    om.Outbox(store, ORG, clock=Clock()).close()
    threads = [threading.Thread(target=enqueue, args=(n,)) for n in (0, 1000)]
    threads += [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with om.Outbox(store, ORG, clock=Clock()) as box:
        box.deliver_all(make_client(cm, gateway))
        assert box.counts() == {"done": 2000}
    sent = [(r["RowGuid"], r["Cd_Batch"]) for body in gateway.bodies() for r in body]
    assert {g for g, _ in sent} == {row_guid(n) for n in range(2000)}
    assert len(sent) == 2000
    by_batch: dict[str, set[str]] = {}
    for body in gateway.bodies():
        assert body[0]["Cd_Batch"] not in by_batch
        by_batch[body[0]["Cd_Batch"]] = {r["RowGuid"] for r in body}


def test_sequence_range_is_stored_and_enforced(
    pkg: ModuleType, om: ModuleType, store: Path | str, clock: Clock
) -> None:
    with om.Outbox(store, ORG, clock=clock, sequence_range="50000-50001") as box:
        assert box.sequence_range == (50000, 50001)
        assert box.enqueue("accept", [record(pkg, "accept", 0)]).batches == (cd(DAY, 50000),)
        assert box.enqueue("process", [record(pkg, "process", 1)]).batches == (cd(DAY, 50001),)
        with pytest.raises(RuntimeError, match="50000-50001"):
            box.enqueue("result", [record(pkg, "result", 2)])
        assert box.counts() == {"open": 2}  # the refused chunk wrote nothing
    with om.Outbox(store, ORG, clock=clock) as box:  # the stored range holds
        assert box.sequence_range == (50000, 50001)
    with pytest.raises(ValueError, match="50000-50001"):
        om.Outbox(store, ORG, sequence_range=(1, 49999))
    clock.now += 86_400
    with om.Outbox(store, ORG, clock=clock, sequence_range=(50000, 50001)) as box:
        assert box.enqueue("result", [record(pkg, "result", 2)]).batches == (cd("20240303", 50000),)


@pytest.mark.parametrize("bad", ["", "5", "0-10", "10-5", "1-100000", "a-b", (3, 2)])
def test_bad_sequence_range(om: ModuleType, tmp_path: Path, bad: object) -> None:
    with pytest.raises(ValueError, match="序号段"):
        om.Outbox(tmp_path / "o.sqlite3", ORG, sequence_range=bad)


def test_outbox_keeps_its_api_root(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, store: Path | str
) -> None:
    with om.Outbox(store, ORG, clock=Clock()) as box:
        box.enqueue("accept", [record(pkg, "accept", 0)])
        box.deliver(make_client(cm, Gateway(cm)))
        assert box.api_root == pkg.spec.API_ROOTS["test"]
        production = cm.Client(TOKEN, environment="production", transport=Gateway(cm))
        with pytest.raises(ValueError, match="bs-test"):
            box.deliver(production)
        with pytest.raises(ValueError, match="bs-test"):
            box.send_reconciliation(production)
    with pytest.raises(ValueError, match="接口地址"):
        om.Outbox(store, ORG, api_root=pkg.spec.API_ROOTS["production"])
    with om.Outbox(store) as box:  # the org code is stored
        assert box.org_code == ORG


def test_new_outbox_needs_an_org_code(om: ModuleType, store: Path | str) -> None:
    with pytest.raises(ValueError, match="org_code"):
        om.Outbox(store)


def test_default_outbox_path(om: ModuleType, tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path)}
    path = om.default_outbox_path(ORG, "test", environ=env)
    assert path == tmp_path / "gdzw_uppro" / "outbox" / f"{ORG}-test.sqlite3"
    other = om.default_outbox_path(ORG, "http://127.0.0.1:8080/ebus/tysb-sjcj", environ=env)
    assert other.parent == path.parent and other.name.startswith(f"{ORG}-127.0.0.1-8080-")
    assert other != om.default_outbox_path(ORG, "http://127.0.0.1:8081/x", environ=env)
    home = om.default_outbox_path(ORG, "production", environ={"XDG_STATE_HOME": "relative"})
    assert home == Path.home() / ".local" / "state" / "gdzw_uppro" / "outbox" / home.name


# ---------------------------------------------------------------- deliberate resends


def test_unchanged_records_are_skipped(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, store: Path | str
) -> None:
    gateway = Gateway(cm)
    client = make_client(cm, gateway)
    with om.Outbox(store, ORG, clock=Clock()) as box:
        first = records(pkg, "accept", range(3))
        box.enqueue("accept", first)
        # the same records again while they wait: nothing new
        assert box.enqueue("accept", first).skipped == (0, 1, 2)
        box.deliver(client)
        again = box.enqueue("accept", [*first, record(pkg, "accept", 1, TaskName="新")])
        assert again.skipped == (0, 1, 2) and again.accepted == 1
        assert again.batches == (cd(DAY, 2),)
        # Cd_Batch does not count as content
        moved = dict(first[0], Cd_Batch=cd("20200101", 7))
        assert box.enqueue("accept", [moved]).skipped == (0,)
        forced = box.enqueue("accept", first[:1], resend=True)
        assert forced.skipped == () and forced.accepted == 1
        # back to the first version of #1: differs from the newest (新), so it is queued
        assert box.enqueue("accept", [first[1]]).skipped == ()


def test_a_record_whose_newest_version_is_dead_is_not_skipped(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, tmp_path: Path
) -> None:
    gateway = Gateway(cm)
    gateway.failing.add(cd(DAY, 1))
    with om.Outbox(tmp_path / "o.sqlite3", ORG, clock=Clock(), max_attempts=1) as box:
        box.enqueue("accept", [record(pkg, "accept", 0)])
        assert len(box.deliver(make_client(cm, gateway)).dead) == 1
        assert box.enqueue("accept", [record(pkg, "accept", 0)]).skipped == ()


def test_prune_drops_old_bodies_but_keeps_counts_and_digests(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, store: Path | str, clock: Clock
) -> None:
    gateway = Gateway(cm)
    client = make_client(cm, gateway)
    with om.Outbox(store, ORG, clock=clock) as box:
        assert box.retention_days == om.DEFAULT_RETENTION_DAYS == 30
        box.enqueue("accept", records(pkg, "accept", range(5)))
        box.deliver(client)
        assert box.prune() == 0  # delivered just now
        clock.now += 31 * 86_400
        box.enqueue("accept", records(pkg, "accept", range(5, 7)))
        box.deliver(client)
        assert box.prune() == 5
        assert box.prune() == 0
        assert box.counts() == {"done": 7}
        assert [r["Cd_count"] for r in box.reconciliation_records()] == [5, 2]
        assert box.enqueue("accept", records(pkg, "accept", range(5))).skipped == tuple(range(5))
        assert box.status().pruned == 1
        assert box.prune(older_than_days=0) == 2
        with pytest.raises(ValueError):
            box.prune(older_than_days=-1)


def test_requeue_queues_newer_delivered_versions_again(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, store: Path | str
) -> None:
    gateway = Gateway(cm)
    gateway.failing.add(cd(DAY, 1))
    client = make_client(cm, gateway)
    with om.Outbox(store, ORG, clock=Clock(), max_attempts=1) as box:
        box.enqueue("accept", [record(pkg, "accept", 0, TaskName="v1"), record(pkg, "accept", 1)])
        box.deliver(client)  # cd 1 dead with v1
        box.enqueue("accept", [record(pkg, "accept", 0, TaskName="v2")])
        box.deliver(client)  # cd 2 delivers v2
        gateway.failing.clear()
        assert box.requeue() == 1
        assert [(b.cd_batch, b.state) for b in box.batches()] == [
            (cd(DAY, 1), "pending"),
            (cd(DAY, 2), "done"),
            (cd(DAY, 3), "open"),  # v2 again, to land after the requeued v1
        ]
        box.deliver_all(client)
    landed = [
        r["TaskName"] for body in gateway.bodies() for r in body if r["RowGuid"] == row_guid(0)
    ]
    assert landed == ["v1", "v2", "v1", "v2"]


def test_requeue_of_several_dead_versions_lands_the_newest_last(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, store: Path | str
) -> None:
    """v1 and v3 dead, v2 delivered in between: requeueing both needs no copy of v2, and v3
    (the newest) lands last."""
    gateway = Gateway(cm)
    gateway.failing.update({cd(DAY, 1), cd(DAY, 3)})
    client = make_client(cm, gateway)
    with om.Outbox(store, ORG, clock=Clock(), max_attempts=1) as box:
        for version in (1, 2, 3):
            box.enqueue("accept", [record(pkg, "accept", 0, TaskName=f"v{version}")])
            box.deliver(client)
        assert [b.state for b in box.batches()] == ["dead", "done", "dead"]
        # the delivered v2's body is kept while an older version waits in a dead batch
        assert box.prune(older_than_days=0) == 0
        gateway.failing.clear()
        assert box.requeue() == 2
        assert [b.state for b in box.batches()] == ["pending", "done", "pending"]
        box.deliver_all(client)
        assert box.prune(older_than_days=0) == 3
    landed = [r["TaskName"] for body in gateway.bodies() for r in body]
    assert landed[3:] == ["v1", "v3"]


def test_reconciliation_mismatch_names_the_likely_cause(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, tmp_path: Path
) -> None:
    """Two outboxes of one organisation (two folders) both start at …00001: the gateway
    counts both under one batch and refuses the reconciliation, naming the likely cause."""
    mock = importlib.import_module(pkg.__name__ + ".mock")
    with mock.MockGateway(TOKEN) as server:
        client = cm.Client(TOKEN, base_url=server.base_url)
        for n, folder in enumerate(("one", "two")):
            (tmp_path / folder).mkdir()
            with om.Outbox(tmp_path / folder / "o.sqlite3", ORG) as box:
                box.enqueue("accept", records(pkg, "accept", range(n * 10, n * 10 + 10)))
                box.deliver(client)
        with om.Outbox(tmp_path / "two" / "o.sqlite3", ORG) as box:
            with pytest.raises(om.ReconciliationMismatchError) as info:
                box.send_reconciliation(client)
    message = str(info.value)
    assert "网关存有 20 条" in message and "相同的批次号" in message
    assert "--sequence-range" in message and "same batch numbers" in message
    assert isinstance(info.value, cm.ErrCodeError)


def test_missing_psycopg_says_how_to_install(
    om: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg raises ImportError
    with pytest.raises(ImportError, match=r"pip install -e '\.\[postgres\]'"):
        om.Outbox("postgresql://nobody@127.0.0.1:1/none", ORG)


def test_location_hides_the_password(om: ModuleType, postgres_url: str) -> None:
    with om.Outbox(postgres_url, ORG) as box:
        assert box.backend == "postgresql"
        if "@" in postgres_url and ":" in postgres_url.split("@")[0][len("postgresql://") :]:
            assert ":***@" in box.location


# ---------------------------------------------------------------- status and migration


def test_status(pkg: ModuleType, cm: ModuleType, om: ModuleType, store: Path | str) -> None:
    gateway = Gateway(cm)
    gateway.failing.add(cd(DAY, 1))
    with om.Outbox(store, ORG, clock=Clock(), max_attempts=1) as box:
        box.enqueue("accept", records(pkg, "accept", range(120)))
        box.deliver(make_client(cm, gateway))
        box.enqueue("accept", records(pkg, "accept", range(200, 203)))
        status = box.status()
    assert status.backend == ("postgresql" if store.startswith("postgresql:") else "sqlite")
    assert (status.org_code, status.sequence_range) == (ORG, (1, 99999))
    assert status.batches == {"dead": 1, "done": 1, "open": 1}
    assert status.records == {"dead": 99, "done": 21, "open": 3}
    assert status.unreconciled == 1 and status.leased == 0
    (dead,) = status.dead
    assert dead.cd_batch == cd(DAY, 1) and "503" in (dead.last_error or "")


V1_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT, record_key TEXT NOT NULL, cd_batch TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 2,
    last_error TEXT, created_at TEXT NOT NULL, sent_at TEXT, reconciled_at TEXT);
CREATE TABLE items (batch_id INTEGER NOT NULL, row_guid TEXT NOT NULL, position INTEGER NOT NULL,
    body TEXT NOT NULL, PRIMARY KEY (batch_id, row_guid));
CREATE TABLE sequences (day TEXT PRIMARY KEY, last INTEGER NOT NULL);
"""


def make_v1(pkg: ModuleType, path: Path) -> None:
    """An outbox as the previous release left it: 3 batches of day DAY, one delivered."""
    db = sqlite3.connect(path)
    db.executescript(V1_SCHEMA)
    db.executemany("INSERT INTO meta VALUES (?, ?)", [("schema_version", "1"), ("org_code", ORG)])
    db.execute(f"INSERT INTO sequences VALUES ('{DAY}', 3)")
    for n, state in enumerate(("done", "pending", "open"), 1):
        db.execute(
            "INSERT INTO batches (id, record_key, cd_batch, state, attempts, created_at, "
            "sent_at, reconciled_at) VALUES (?, 'accept', ?, ?, ?, 'x', ?, ?)",
            (n, cd(DAY, n), state, 1 if state != "open" else 0, "2024-03-02 00:30:00", None),
        )
        for m in range(2):
            body = record(pkg, "accept", n * 10 + m, Cd_Batch=cd(DAY, n))
            db.execute(
                "INSERT INTO items VALUES (?, ?, ?, ?)",
                (n, body["RowGuid"], m, json.dumps(body, ensure_ascii=False)),
            )
    db.commit()
    db.close()


def test_schema_1_file_is_upgraded_in_place(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, tmp_path: Path
) -> None:
    path = tmp_path / "gdzw-outbox.sqlite3"
    make_v1(pkg, path)
    gateway = Gateway(cm)
    with om.Outbox(path, ORG, clock=Clock()) as box:
        assert [(b.cd_batch, b.state, b.records) for b in box.batches()] == [
            (cd(DAY, 1), "done", 2),
            (cd(DAY, 2), "pending", 2),
            (cd(DAY, 3), "open", 2),
        ]
        assert box.enqueue("accept", [record(pkg, "accept", 99)]).batches == (cd(DAY, 3),)
        box.deliver(make_client(cm, gateway))
        assert box.counts() == {"done": 7}
        assert len(box.reconciliation_records()) == 3
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert "batches" not in tables and "outbox_batches" in tables


def test_migrate_old_default_outbox_renumbers_clashing_batches(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, store: Path | str, tmp_path: Path
) -> None:
    old = tmp_path / "gdzw-outbox.sqlite3"
    make_v1(pkg, old)
    with om.Outbox(store, ORG, clock=Clock()) as box:
        box.enqueue("process", [record(pkg, "process", 500)])  # takes …00001 here too
        report = box.migrate_from(old)
        assert report.skipped == (cd(DAY, 1),)  # delivered there, its number is taken here
        assert report.renumbered == ()
        assert (report.batches, report.records) == (2, 4)
        # the old outbox used numbers 1–3 today: the next one here is 4
        assert box.enqueue("result", [record(pkg, "result", 501)]).batches == (cd(DAY, 4),)
        assert [b.cd_batch for b in box.batches()] == [cd(DAY, n) for n in (1, 2, 3, 4)]
        again = box.migrate_from(old)  # both numbers taken now: renumbered
        assert again.renumbered == ((cd(DAY, 2), cd(DAY, 5)), (cd(DAY, 3), cd(DAY, 6)))
    with pytest.raises(ValueError, match="不能并入"):
        with om.Outbox(tmp_path / "other.sqlite3", "91440101MA5C12345X") as other:
            other.migrate_from(old)
    assert START  # the clock the records were made with
