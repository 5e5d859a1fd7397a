"""The generated SQLite outbox: batches, Cd_Batch numbering, delivery, dead letters, crashes."""

from __future__ import annotations

import importlib
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

import pytest

from codegen.model.types import Model

ORG = "11440000MB2D0461X4"
OTHER_ORG = "91440101MA5C12345X"
TOKEN = "outbox-test-token"
# 2024-03-01 16:30 UTC is 2024-03-02 00:30 in Beijing: the Cd_Batch date must be the 2nd.
START = datetime(2024, 3, 1, 16, 30, tzinfo=timezone.utc).timestamp()
DAY = "20240302"
OK_BODY = '{"errCode":"0","errMsg":"成功"}'.encode()


@pytest.fixture(scope="module")
def cm(pkg: ModuleType) -> ModuleType:
    return importlib.import_module(pkg.__name__ + ".client")


@pytest.fixture(scope="module")
def om(pkg: ModuleType) -> ModuleType:
    return importlib.import_module(pkg.__name__ + ".outbox")


class Clock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Gateway:
    """Fake transport recording requests; a batch whose Cd_Batch is in ``failing`` gets a 503."""

    def __init__(self, cm: ModuleType) -> None:
        self.cm = cm
        self.requests: list[Any] = []
        self.failing: set[str] = set()

    def __call__(self, request: Any) -> Any:
        self.requests.append(request)
        body = json.loads(request.body.decode("utf-8"))
        batches = {r.get("Cd_Batch") for r in body} if isinstance(body, list) else set()
        if batches & self.failing:
            return self.cm.HttpResponse(503, {}, '{"errCode":"50300","errMsg":"暂不可用"}'.encode())
        return self.cm.HttpResponse(200, {"Content-Type": "application/json"}, OK_BODY)

    def bodies(self) -> list[Any]:
        return [json.loads(r.body.decode("utf-8")) for r in self.requests]


def make_client(cm: ModuleType, gateway: Gateway) -> Any:
    return cm.Client(
        token=TOKEN,
        environment="test",
        transport=gateway,
        retry=cm.RetryPolicy(attempts=1),
        sleep=lambda _s: None,
        clock=lambda: START,
    )


def row_guid(n: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"gdzw-outbox-test/{n}"))


def record(pkg: ModuleType, key: str, n: int, **changes: object) -> dict[str, object]:
    data = dict(pkg.EXAMPLES[key])
    data["RowGuid"] = row_guid(n)
    data.update(changes)
    return data


def records(pkg: ModuleType, key: str, ns: range) -> list[dict[str, object]]:
    return [record(pkg, key, n) for n in ns]


def cd(day: str, number: int) -> str:
    return f"{ORG}{day}{number:05d}"


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def path(outbox_store: str) -> str:
    return outbox_store


@pytest.fixture()
def outbox(om: ModuleType, path: Path, clock: Clock) -> Iterator[Any]:
    box = om.Outbox(path, ORG, clock=clock, max_attempts=3)
    yield box
    box.close()


# ---------------------------------------------------------------- enqueue and Cd_Batch


def test_cd_batch_is_org_plus_beijing_date_plus_sequence(
    pkg: ModuleType, cm: ModuleType, outbox: Any
) -> None:
    report = outbox.enqueue("accept", records(pkg, "accept", range(3)))
    assert report.accepted == 3 and report.refused == ()
    assert report.batches == (cd(DAY, 1),)
    assert "20240301" not in report.batches[0]  # the UTC date would be wrong
    (batch,) = outbox.batches()
    assert (batch.key, batch.cd_batch, batch.state, batch.records) == (
        "accept",
        cd(DAY, 1),
        "open",
        3,
    )

    gateway = Gateway(cm)
    outbox.deliver(make_client(cm, gateway))
    (body,) = gateway.bodies()
    assert [r["Cd_Batch"] for r in body] == [cd(DAY, 1)] * 3


def test_sequence_persists_across_reopen_and_restarts_next_day(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, path: Path, clock: Clock
) -> None:
    gateway = Gateway(cm)
    client = make_client(cm, gateway)
    with om.Outbox(path, ORG, clock=clock) as box:
        assert box.enqueue("accept", records(pkg, "accept", range(150))).batches == (
            cd(DAY, 1),
            cd(DAY, 2),
        )
        assert [b.records for b in box.batches()] == [99, 51]
        assert box.deliver(client).remaining == 0

    with om.Outbox(path, ORG, clock=clock) as box:
        assert box.enqueue("process", records(pkg, "process", range(150, 152))).batches == (
            cd(DAY, 3),
        )
        box.deliver(client)

    clock.now += 86_400  # the next Beijing day
    with om.Outbox(path, ORG, clock=clock) as box:
        report = box.enqueue("accept", records(pkg, "accept", range(200, 205)))
        assert report.batches == (cd("20240303", 1),)
        box.deliver(client)
        report = box.enqueue("accept", records(pkg, "accept", range(205, 206)))
        assert report.batches == (cd("20240303", 2),)
        assert [b.cd_batch for b in box.batches()] == [
            cd(DAY, 1),
            cd(DAY, 2),
            cd(DAY, 3),
            cd("20240303", 1),
            cd("20240303", 2),
        ]


def test_beijing_midnight_boundary(pkg: ModuleType, om: ModuleType, tmp_path: Path) -> None:
    before = Clock(datetime(2024, 3, 1, 15, 59, 59, tzinfo=timezone.utc).timestamp())
    with om.Outbox(tmp_path / "a.sqlite", ORG, clock=before) as box:
        assert box.enqueue("accept", [record(pkg, "accept", 1)]).batches == (cd("20240301", 1),)
    after = Clock(before.now + 1)
    with om.Outbox(tmp_path / "b.sqlite", ORG, clock=after) as box:
        assert box.enqueue("accept", [record(pkg, "accept", 1)]).batches == (cd("20240302", 1),)


def test_batches_hold_at_most_99_records(pkg: ModuleType, outbox: Any) -> None:
    report = outbox.enqueue("accept", records(pkg, "accept", range(250)))
    assert report.accepted == 250
    assert report.batches == (cd(DAY, 1), cd(DAY, 2), cd(DAY, 3))
    assert [b.records for b in outbox.batches()] == [99, 99, 52]
    # later records join the open batch that still has room
    outbox.enqueue("accept", records(pkg, "accept", range(250, 300)))
    assert [b.records for b in outbox.batches()] == [99, 99, 99, 3]
    assert outbox.counts() == {"open": 300}


def test_record_types_get_their_own_batches(pkg: ModuleType, outbox: Any) -> None:
    outbox.enqueue("accept", records(pkg, "accept", range(2)))
    outbox.enqueue("result", records(pkg, "result", range(2, 4)))
    outbox.enqueue("accept", records(pkg, "accept", range(4, 5)))
    assert [(b.key, b.cd_batch, b.records) for b in outbox.batches()] == [
        ("accept", cd(DAY, 1), 3),
        ("result", cd(DAY, 2), 2),
    ]
    with pytest.raises(ValueError):
        outbox.enqueue("reconciliation", [dict(pkg.EXAMPLES["reconciliation"])])


def test_invalid_records_are_refused_and_not_stored(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, outbox: Any
) -> None:
    bad = record(pkg, "accept", 1, ApplyType="not-a-code")
    del bad["ProjectNo"]
    report = outbox.enqueue(
        "accept", [record(pkg, "accept", 0), bad, record(pkg, "accept", 2), "not a record"]
    )
    assert report.accepted == 2
    assert [index for index, _ in report.refused] == [1, 3]
    problems = dict(report.refused)[1]
    assert problems and all(isinstance(p, pkg.Problem) for p in problems)
    assert {"ProjectNo", "ApplyType"} <= {p.field for p in problems}
    assert om.refused_messages(report)
    assert outbox.counts() == {"open": 2}

    gateway = Gateway(cm)
    outbox.deliver(make_client(cm, gateway))
    assert [r["RowGuid"] for r in gateway.bodies()[0]] == [row_guid(0), row_guid(2)]


def test_dataclass_and_loose_mappings_are_accepted(
    pkg: ModuleType, cm: ModuleType, outbox: Any
) -> None:
    # any Mapping, with letter-case variants of the wire names
    loose = MappingProxyType({k.lower(): v for k, v in record(pkg, "accept", 1).items()})
    report = outbox.enqueue("accept", [pkg.AcceptRecord.from_dict(record(pkg, "accept", 0)), loose])
    assert report.accepted == 2 and report.refused == ()
    gateway = Gateway(cm)
    outbox.deliver(make_client(cm, gateway))
    (body,) = gateway.bodies()
    assert body == [
        record(pkg, "accept", 0, Cd_Batch=cd(DAY, 1)),
        record(pkg, "accept", 1, Cd_Batch=cd(DAY, 1)),
    ]


def test_bad_org_code(om: ModuleType, path: Path) -> None:
    for bad in ["", "1144", "11440000MB2D0461X", "11440000MB2D0461XI", ORG + "0"]:
        with pytest.raises(ValueError):
            om.Outbox(path, bad)
    with pytest.raises(ValueError):
        om.Outbox(path, ORG, max_attempts=0)


def test_reopen_with_other_org_code(om: ModuleType, path: Path) -> None:
    om.Outbox(path, ORG).close()
    with pytest.raises(ValueError, match=ORG):
        om.Outbox(path, OTHER_ORG)
    om.Outbox(path, ORG).close()


def test_same_row_guid_in_unsent_batch_is_replaced(
    pkg: ModuleType, cm: ModuleType, outbox: Any
) -> None:
    outbox.enqueue("accept", [record(pkg, "accept", 0), record(pkg, "accept", 1, TaskName="旧")])
    report = outbox.enqueue("accept", [record(pkg, "accept", 1, TaskName="新")])
    assert report.accepted == 1 and report.batches == (cd(DAY, 1),)
    (batch,) = outbox.batches()
    assert batch.records == 2

    gateway = Gateway(cm)
    outbox.deliver(make_client(cm, gateway))
    (body,) = gateway.bodies()
    assert [(r["RowGuid"], r["TaskName"]) for r in body] == [
        (row_guid(0), pkg.EXAMPLES["accept"]["TaskName"]),
        (row_guid(1), "新"),
    ]


def test_same_row_guid_after_delivery_goes_to_new_batch(
    pkg: ModuleType, cm: ModuleType, outbox: Any
) -> None:
    gateway = Gateway(cm)
    client = make_client(cm, gateway)
    outbox.enqueue("accept", [record(pkg, "accept", 0)])
    outbox.deliver(client)
    report = outbox.enqueue("accept", [record(pkg, "accept", 0, TaskName="更正")])
    assert report.batches == (cd(DAY, 2),)
    assert [(b.cd_batch, b.state, b.records) for b in outbox.batches()] == [
        (cd(DAY, 1), "done", 1),
        (cd(DAY, 2), "open", 1),
    ]
    outbox.deliver(client)
    assert [(r[0]["Cd_Batch"], r[0]["TaskName"]) for r in gateway.bodies()][-1] == (
        cd(DAY, 2),
        "更正",
    )


# ---------------------------------------------------------------- body size


def body_bytes(payload: object) -> int:
    """Bytes of ``payload`` as the client sends it (compact UTF-8 JSON)."""
    return len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def sent_batches(cm: ModuleType, outbox: Any) -> tuple[list[bytes], list[list[dict[str, Any]]]]:
    """Delivers everything; the request bodies as sent and as JSON, in order."""
    gateway = Gateway(cm)
    assert outbox.deliver(make_client(cm, gateway)).remaining == 0
    return [r.body for r in gateway.requests], gateway.bodies()


def test_records_that_add_up_past_the_body_limit_go_into_separate_batches(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, outbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = body_bytes(record(pkg, "accept", 0, Cd_Batch=cd(DAY, 1)))  # every record here: same size
    limit = body_bytes([record(pkg, "accept", n, Cd_Batch=cd(DAY, 1)) for n in range(2)]) + one // 2
    monkeypatch.setattr(om, "BODY_MAX_BYTES", limit)  # two records fit a body, three do not
    assert one < limit < 3 * one

    report = outbox.enqueue("accept", records(pkg, "accept", range(7)))
    assert report.accepted == 7
    assert report.batches == tuple(cd(DAY, n) for n in (1, 2, 3, 4))
    assert [b.records for b in outbox.batches()] == [2, 2, 2, 1]
    outbox.enqueue("accept", records(pkg, "accept", range(7, 9)))  # fills the last, opens one
    assert [b.records for b in outbox.batches()] == [2, 2, 2, 2, 1]

    raw, bodies = sent_batches(cm, outbox)
    assert [len(body) for body in raw] == [2 * one + 3] * 4 + [one + 2]
    assert all(len(body) <= limit for body in raw)
    assert [r["RowGuid"] for body in bodies for r in body] == [row_guid(n) for n in range(9)]


def test_no_stored_batch_is_over_the_body_limit(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, outbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records of random sizes: every body fits, and each batch is closed only when the
    next record would not have fitted (or it holds the most records a batch may)."""
    limit = 12_000
    monkeypatch.setattr(om, "BODY_MAX_BYTES", limit)
    rng = random.Random(20190620)
    sizes = [rng.randint(1, 1000) for _ in range(80)]  # TaskName: String(1000)
    outbox.enqueue(
        "accept", [record(pkg, "accept", n, TaskName="事" * k) for n, k in enumerate(sizes)]
    )
    raw, bodies = sent_batches(cm, outbox)
    assert len(bodies) > 5
    assert all(len(body) <= limit for body in raw)
    assert [r["TaskName"] for body in bodies for r in body] == ["事" * k for k in sizes]
    for body, following in zip(bodies, bodies[1:], strict=False):
        with_next = body + [{**following[0], "Cd_Batch": body[0]["Cd_Batch"]}]
        assert body_bytes(with_next) > limit or len(body) == pkg.spec.BATCH_MAX_RECORDS


def test_a_replaced_record_past_the_body_limit_moves_to_a_batch_with_room(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, outbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = body_bytes([record(pkg, "accept", n, Cd_Batch=cd(DAY, 1)) for n in range(2)]) + 300
    monkeypatch.setattr(om, "BODY_MAX_BYTES", limit)
    outbox.enqueue("accept", records(pkg, "accept", range(2)))
    outbox.enqueue("accept", [record(pkg, "accept", 1, TaskName="小")])  # smaller: stays
    assert [(b.cd_batch, b.records) for b in outbox.batches()] == [(cd(DAY, 1), 2)]
    report = outbox.enqueue("accept", [record(pkg, "accept", 1, TaskName="事" * 200)])
    assert report.batches == (cd(DAY, 2),)  # 600 bytes more: the pair would not fit
    assert [(b.cd_batch, b.records) for b in outbox.batches()] == [(cd(DAY, 1), 1), (cd(DAY, 2), 1)]
    raw, bodies = sent_batches(cm, outbox)
    assert all(len(body) <= limit for body in raw)
    assert [[(r["RowGuid"], r["TaskName"]) for r in body] for body in bodies] == [
        [(row_guid(0), pkg.EXAMPLES["accept"]["TaskName"])],
        [(row_guid(1), "事" * 200)],
    ]


def test_one_valid_record_always_fits_a_body_but_a_full_batch_may_not(
    pkg: ModuleType, model: Model
) -> None:
    """Why batches are split by size at all: 99 accept records at their longest are more
    than the 8 MiB body limit, while any one valid record is far below it."""
    accept = model.record("accept")
    # Each character at most 6 bytes in compact JSON (a \uXXXX escape); 40 for a number.
    longest = 2 + sum(len(f.wire_name) + 4 + 6 * (f.max_length or 7) for f in accept.fields)
    assert longest * 10 < pkg.spec.BODY_MAX_BYTES < longest * pkg.spec.BATCH_MAX_RECORDS


# ---------------------------------------------------------------- delivery


def test_deliver_sends_each_batch_once_oldest_first(
    pkg: ModuleType, cm: ModuleType, outbox: Any
) -> None:
    outbox.enqueue("accept", records(pkg, "accept", range(150)))
    outbox.enqueue("process", records(pkg, "process", range(150, 155)))
    gateway = Gateway(cm)
    client = make_client(cm, gateway)
    seen: list[str] = []
    report = outbox.deliver(client, on_batch=lambda info: seen.append(info.cd_batch))

    root = pkg.spec.API_ROOTS["test"]
    assert [r.url for r in gateway.requests] == [
        root + "/uppro/accept/batchSave",
        root + "/uppro/accept/batchSave",
        root + "/uppro/process/batchSave",
    ]
    bodies = gateway.bodies()
    expected = [
        (cd(DAY, 1), range(0, 99)),
        (cd(DAY, 2), range(99, 150)),
        (cd(DAY, 3), range(150, 155)),
    ]
    for body, (cd_batch, ns) in zip(bodies, expected, strict=True):
        assert [r["RowGuid"] for r in body] == [row_guid(n) for n in ns]
        assert {r["Cd_Batch"] for r in body} == {cd_batch}
        key = "accept" if ns.start < 150 else "process"
        for r in body:
            assert pkg.validate(key, r) == []
    assert seen == [cd(DAY, 1), cd(DAY, 2), cd(DAY, 3)]
    assert [b.cd_batch for b in report.done] == seen
    assert report.failed == () and report.dead == () and report.remaining == 0
    assert all(b.state == "done" and b.attempts == 1 and b.sent_at for b in report.done)
    assert outbox.counts() == {"done": 155}

    again = outbox.deliver(client)
    assert len(gateway.requests) == 3
    assert again.done == () and again.remaining == 0


def test_deliver_max_batches(pkg: ModuleType, cm: ModuleType, outbox: Any) -> None:
    outbox.enqueue("accept", records(pkg, "accept", range(200)))
    gateway = Gateway(cm)
    report = outbox.deliver(make_client(cm, gateway), max_batches=2)
    assert len(report.done) == 2 and report.remaining == 1
    assert [b.state for b in outbox.batches()] == ["done", "done", "open"]


def test_failing_batch_is_retried_unchanged_then_dead_then_requeued(
    pkg: ModuleType, cm: ModuleType, outbox: Any
) -> None:
    gateway = Gateway(cm)
    gateway.failing.add(cd(DAY, 1))
    client = make_client(cm, gateway)
    outbox.enqueue("accept", records(pkg, "accept", range(3)))

    def sent_to(cd_batch: str) -> list[list[tuple[str, str]]]:
        return [
            [(r["RowGuid"], r["Cd_Batch"]) for r in body]
            for body in gateway.bodies()
            if body[0]["Cd_Batch"] == cd_batch
        ]

    first = outbox.deliver(client)
    (failed,) = first.failed
    assert (failed.cd_batch, failed.state, failed.attempts) == (cd(DAY, 1), "pending", 1)
    assert failed.last_error and "503" in failed.last_error
    assert first.done == () and first.remaining == 1

    # the failed batch is sealed: new records go to a new batch, which is not held up by it
    report = outbox.enqueue("accept", [record(pkg, "accept", 3), record(pkg, "accept", 4)])
    assert report.batches == (cd(DAY, 2),)
    assert [(b.cd_batch, b.records) for b in outbox.batches()] == [(cd(DAY, 1), 3), (cd(DAY, 2), 2)]

    second = outbox.deliver(client)
    assert [b.cd_batch for b in second.failed] == [cd(DAY, 1)]
    assert second.failed[0].attempts == 2
    assert [b.cd_batch for b in second.done] == [cd(DAY, 2)]

    third = outbox.deliver(client)
    (dead,) = third.dead
    assert (dead.cd_batch, dead.state, dead.attempts) == (cd(DAY, 1), "dead", 3)
    assert dead.last_error and "503" in dead.last_error
    assert third.remaining == 0
    assert [b.cd_batch for b in outbox.batches("dead")] == [cd(DAY, 1)]

    tries = sent_to(cd(DAY, 1))
    assert len(tries) == 3
    assert all(t == [(row_guid(n), cd(DAY, 1)) for n in range(3)] for t in tries)

    count = len(gateway.requests)
    assert outbox.deliver(client).dead == ()
    assert len(gateway.requests) == count  # dead letters are not sent

    assert outbox.requeue() == 1
    requeued = outbox.batch(dead.id)
    assert (requeued.state, requeued.attempts) == ("pending", 0)
    gateway.failing.clear()
    fourth = outbox.deliver(client)
    assert [b.cd_batch for b in fourth.done] == [cd(DAY, 1)]
    assert sent_to(cd(DAY, 1))[-1] == tries[0]
    assert outbox.batches("pending") == [] and outbox.batches("dead") == []
    assert outbox.requeue() == 0


def test_newer_version_waits_for_older_pending_batch(
    pkg: ModuleType, cm: ModuleType, outbox: Any
) -> None:
    gateway = Gateway(cm)
    gateway.failing.add(cd(DAY, 1))
    client = make_client(cm, gateway)
    outbox.enqueue("accept", [record(pkg, "accept", 0, TaskName="v1"), record(pkg, "accept", 1)])
    outbox.deliver(client)  # cd 1 fails and is sealed with v1

    outbox.enqueue("accept", [record(pkg, "accept", 0, TaskName="v2"), record(pkg, "accept", 2)])
    outbox.enqueue("result", [record(pkg, "result", 0)])  # same RowGuid, other table: no wait
    report = outbox.deliver(client)
    assert [b.cd_batch for b in report.failed] == [cd(DAY, 1)]
    # cd 2 would land v2 before the retried v1: it waits, still open
    assert [b.cd_batch for b in report.done] == [cd(DAY, 3)]
    assert outbox.batch(2).state == "open" and report.remaining == 2
    assert [b[0]["Cd_Batch"] for b in gateway.bodies()] == [cd(DAY, 1), cd(DAY, 1), cd(DAY, 3)]

    # still open, so a newer version replaces v2 in place
    outbox.enqueue("accept", [record(pkg, "accept", 0, TaskName="v3")])
    gateway.failing.clear()
    report = outbox.deliver(client)
    assert [b.cd_batch for b in report.done] == [cd(DAY, 1), cd(DAY, 2)]
    landed = [
        r["TaskName"]
        for request, body in zip(gateway.requests, gateway.bodies(), strict=True)
        if request.url.endswith("/uppro/accept/batchSave")
        for r in body
        if r["RowGuid"] == row_guid(0)
    ]
    assert landed == ["v1", "v1", "v1", "v3"]  # the newest version is written last


def test_dead_older_batch_releases_newer(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, path: Path
) -> None:
    gateway = Gateway(cm)
    gateway.failing.add(cd(DAY, 1))
    client = make_client(cm, gateway)
    with om.Outbox(path, ORG, clock=Clock(), max_attempts=2) as box:
        box.enqueue("accept", [record(pkg, "accept", 0, TaskName="v1")])
        box.deliver(client)
        box.enqueue("accept", [record(pkg, "accept", 0, TaskName="v2")])
        report = box.deliver(client)
        assert [b.cd_batch for b in report.dead] == [cd(DAY, 1)]
        assert [b.cd_batch for b in report.done] == [cd(DAY, 2)]


def test_requeue_selected_batches(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, path: Path
) -> None:
    gateway = Gateway(cm)
    gateway.failing.update({cd(DAY, 1), cd(DAY, 2)})
    with om.Outbox(path, ORG, clock=Clock(), max_attempts=1) as box:
        box.enqueue("accept", records(pkg, "accept", range(150)))
        report = box.deliver(make_client(cm, gateway))
        assert [b.cd_batch for b in report.dead] == [cd(DAY, 1), cd(DAY, 2)]
        second = report.dead[1].id
        assert box.requeue([second]) == 1
        assert box.requeue([second]) == 0  # no longer dead
        assert [b.state for b in box.batches()] == ["dead", "pending"]


# ---------------------------------------------------------------- reconciliation


def test_reconciliation_records(pkg: ModuleType, cm: ModuleType, outbox: Any, clock: Clock) -> None:
    outbox.enqueue("accept", records(pkg, "accept", range(150)))
    outbox.enqueue("process", records(pkg, "process", range(150, 155)))
    outbox.enqueue("material", records(pkg, "material", range(155, 157)))
    gateway = Gateway(cm)
    gateway.failing.add(cd(DAY, 4))  # an undelivered batch has nothing to reconcile
    client = make_client(cm, gateway)
    clock.now += 61  # sent at 2024-03-02 00:31:01 Beijing time
    outbox.deliver(client)

    rows = outbox.reconciliation_records()
    assert rows == [
        {
            "Table_name": "up_pro_accept_v3",
            "Cd_batch": cd(DAY, 1),
            "Cd_count": 99,
            "Cd_time": "2024-03-02 00:31:01",
        },
        {
            "Table_name": "up_pro_accept_v3",
            "Cd_batch": cd(DAY, 2),
            "Cd_count": 51,
            "Cd_time": "2024-03-02 00:31:01",
        },
        {
            "Table_name": "up_pro_process_v3",
            "Cd_batch": cd(DAY, 3),
            "Cd_count": 5,
            "Cd_time": "2024-03-02 00:31:01",
        },
    ]
    for row in rows:
        assert row["Table_name"] in pkg.spec.RECONCILIATION_TABLES.values()
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", str(row["Cd_time"]))
        assert pkg.validate("reconciliation", row) == []

    before = len(gateway.requests)
    assert outbox.send_reconciliation(client) == 3
    assert len(gateway.requests) == before + 1
    last = gateway.requests[-1]
    assert last.url == pkg.spec.API_ROOTS["test"] + "/uppro/reconciliation/batchSave"
    assert json.loads(last.body) == rows

    assert outbox.reconciliation_records() == []
    assert outbox.send_reconciliation(client) == 0
    assert len(gateway.requests) == before + 1  # not sent twice
    assert outbox.reconciliation_records(include_reconciled=True) == rows

    # the failed batch, once delivered, is reconciled on its own
    gateway.failing.clear()
    outbox.deliver(client)
    assert [r["Cd_batch"] for r in outbox.reconciliation_records()] == [cd(DAY, 4)]
    assert outbox.send_reconciliation(client) == 1


def test_failed_reconciliation_is_not_marked(pkg: ModuleType, cm: ModuleType, outbox: Any) -> None:
    outbox.enqueue("accept", records(pkg, "accept", range(2)))
    gateway = Gateway(cm)
    client = make_client(cm, gateway)
    outbox.deliver(client)
    failing = cm.Client(
        token=TOKEN,
        environment="test",
        retry=cm.RetryPolicy(attempts=1),
        transport=lambda _r: cm.HttpResponse(200, {}, b'{"errCode":"40003","errMsg":"count"}'),
    )
    with pytest.raises(cm.ErrCodeError):
        outbox.send_reconciliation(failing)
    assert len(outbox.reconciliation_records()) == 1
    assert outbox.send_reconciliation(client) == 1


# ---------------------------------------------------------------- crash safety

CHILD = textwrap.dedent("""
    import json
    import sqlite3
    import sys
    import uuid

    from gdzw_uppro.client import Client, HttpResponse, RetryPolicy
    from gdzw_uppro.examples import EXAMPLES
    from gdzw_uppro.outbox import Outbox

    outbox_path, received_path, org, total, stop_at, now = sys.argv[1:7]
    total, stop_at, now = int(total), int(stop_at), float(now)
    received = sqlite3.connect(received_path)
    received.execute(
        "CREATE TABLE IF NOT EXISTS received "
        "(row_guid TEXT PRIMARY KEY, cd_batch TEXT NOT NULL, times INTEGER NOT NULL)"
    )
    delivered = 0

    def transport(request):
        global delivered
        body = json.loads(request.body)
        with received:
            received.executemany(
                "INSERT INTO received (row_guid, cd_batch, times) VALUES (?, ?, 1) "
                "ON CONFLICT (row_guid) DO UPDATE SET times = times + 1",
                [(r["RowGuid"], r["Cd_Batch"]) for r in body],
            )
        delivered += 1
        print("received", body[0]["Cd_Batch"], len(body), flush=True)
        if delivered == stop_at:
            # The gateway has stored this batch; the outbox has not yet marked it done.
            # Wait here (stdin never gets data) until the parent kills us.
            sys.stdin.read()
        return HttpResponse(200, {}, b'{"errCode":"0","errMsg":"ok"}')

    def row_guid(n):
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"gdzw-outbox-test/{n}"))

    outbox = Outbox(outbox_path, org, clock=lambda: now)
    for start in range(0, total, 100):
        batch = []
        for n in range(start, min(start + 100, total)):
            record = dict(EXAMPLES["accept"])
            record["RowGuid"] = row_guid(n)
            batch.append(record)
        outbox.enqueue("accept", batch)
    client = Client(
        token="child-token", environment="test", transport=transport,
        retry=RetryPolicy(attempts=1),
    )
    outbox.deliver(client)
    print("finished", flush=True)
    """)


def test_killed_mid_delivery_resumes_without_loss(
    pkg: ModuleType, cm: ModuleType, om: ModuleType, project: Path, tmp_path: Path
) -> None:
    total, stop_at = 700, 4  # 8 batches (7 x 99 + 7); killed while sending the 4th
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    outbox_path = tmp_path / "crash-outbox.sqlite"
    received_path = tmp_path / "received.sqlite"
    env = {**os.environ, "PYTHONPATH": str(project / "generated" / "python")}
    child = subprocess.Popen(
        [
            sys.executable,
            str(script),
            str(outbox_path),
            str(received_path),
            ORG,
            str(total),
            str(stop_at),
            repr(START),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    lines: list[list[str]] = []
    try:
        assert child.stdout is not None
        while len(lines) < stop_at:
            line = child.stdout.readline()
            if not line:
                child.wait(timeout=30)
                assert child.stderr is not None
                pytest.fail(f"child ended early ({child.returncode}): {child.stderr.read()}")
            lines.append(line.split())
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        for stream in (child.stdin, child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    assert child.returncode == -signal.SIGKILL
    assert [line[:2] for line in lines] == [["received", cd_] for cd_ in _cds(stop_at)]

    # Resume in this process against the same gateway store.
    received = sqlite3.connect(received_path)

    def transport(request: Any) -> Any:
        body = json.loads(request.body)
        with received:
            received.executemany(
                "INSERT INTO received (row_guid, cd_batch, times) VALUES (?, ?, 1) "
                "ON CONFLICT (row_guid) DO UPDATE SET times = times + 1",
                [(r["RowGuid"], r["Cd_Batch"]) for r in body],
            )
        return cm.HttpResponse(200, {}, OK_BODY)

    client = cm.Client(
        token=TOKEN, environment="test", transport=transport, retry=cm.RetryPolicy(attempts=1)
    )
    try:
        with om.Outbox(outbox_path, ORG, clock=Clock()) as box:
            # the killed deliverer's lease on the batch in flight still holds: left alone
            first = box.deliver(client)
            assert lines[-1][1] not in {b.cd_batch for b in first.done}
            assert first.remaining == 1
        # once the lease expires, the batch is taken over and resent (same Cd_Batch)
        later = Clock(START + box.lease_for(client) + 1)
        with om.Outbox(outbox_path, ORG, clock=later) as box:
            report = box.deliver(client)
            assert [b.cd_batch for b in report.done] == [lines[-1][1]]
            assert len(first.done + report.done) == 8 - (stop_at - 1)
            assert report.remaining == 0
            assert box.batches("pending") == [] and box.batches("open") == []
            assert box.counts() == {"done": total}
        rows = received.execute("SELECT row_guid, cd_batch, times FROM received").fetchall()
    finally:
        received.close()

    assert {r[0] for r in rows} == {row_guid(n) for n in range(total)}
    times = {r[0]: r[2] for r in rows}
    resent = {row_guid(n) for n in range((stop_at - 1) * 99, stop_at * 99)}
    assert {g for g, t in times.items() if t > 1} == resent  # at least once, never lost
    assert max(times.values()) == 2
    assert {r[1] for r in rows} == set(_cds(8))


def _cds(count: int) -> list[str]:
    return [cd(DAY, n) for n in range(1, count + 1)]
