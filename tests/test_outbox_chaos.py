"""Chaos: three processes deliver from one outbox (a SQLite file, a PostgreSQL database) while
newer versions are enqueued, the mock gateway injects 20% faults and the deliverers are
SIGKILLed at random points. Dead batches are requeued until everything is done. Then:

- every RowGuid is at the gateway in its newest version;
- no Cd_Batch was used for two different sets of records;
- every reconciliation is accepted;
- every duplicate send of a batch is accounted for by a kill of the deliverer holding it or
  by a fault injected after the gateway stored it.

Deterministic seeds choose the records, the faults and when each deliverer is killed (after
its n-th line of output); the test waits on the deliverers' output, never on a clock.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import selectors
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

TOKEN = "chaos-token"
ORG = "11440000MB2D0461X4"
DELIVERERS = 3
ROUNDS = 60  # enqueue rounds while the deliverers run
PER_ROUND = 12  # records per round: new RowGuids and newer versions of earlier ones
KILLS = 8
AFTER_STORING = {"internal_error_after_storing", "drop_after_storing"}
# Bounds the whole test; reaching it is a failure, not a wait.
GUARD_SECONDS = 240

DELIVERER = """
import sys
from gdzw_uppro.client import Client, RetryPolicy
from gdzw_uppro.outbox import Outbox

target, base_url, token, org = sys.argv[1:5]
# One try per claim, 2 s at most. A 4 s lease (not the default 2 s + a 5 s margin): a
# send still starts only with the worst case, 2 s (half the lease), left to hold, and a
# killed deliverer's batch is free again sooner.
client = Client(token, base_url=base_url, timeout=2.0,
                retry=RetryPolicy(attempts=1, deadline=2.0))
with Outbox(target, org, max_attempts=2, lease_seconds=4.0) as outbox:
    outbox.deliver_all(
        client,
        on_claim=lambda b: print("claim", b.cd_batch, flush=True),
        on_batch=lambda b: print("end", b.cd_batch, b.state, flush=True),
        poll=0.2,
    )
print("exit", flush=True)
"""


@dataclass
class Deliverer:
    process: subprocess.Popen[bytes]
    kill_after: int  # lines of output
    lines: int = 0
    holding: str | None = None  # the batch claimed and not yet ended
    buffer: bytes = b""
    output: list[str] = field(default_factory=list)


def recording_gateway(mock: ModuleType) -> Any:
    """The mock gateway, noting every stored business request and the fault drawn for it."""

    class Recording(mock.MockGateway):  # type: ignore[misc,name-defined]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.stores: list[tuple[str, frozenset[str], str | None]] = []
            self.versions: list[tuple[str, str, str]] = []  # RowGuid, TaskName, Cd_Batch
            self._noted = threading.local()
            self._notes_lock = threading.Lock()

        def _draw(self) -> tuple[str | None, bool]:
            fault, business_error = super()._draw()
            self._noted.fault = fault
            return fault, business_error

        def _store(
            self, key: str, records: list[dict[str, object]], texts: list[str] | None = None
        ) -> str | None:
            mismatch = super()._store(key, records, texts)
            if key != "reconciliation" and mismatch is None:
                batches = {str(r["Cd_Batch"]) for r in records}
                assert len(batches) == 1, batches
                guids = frozenset(str(r["RowGuid"]) for r in records)
                with self._notes_lock:
                    cd_batch = batches.pop()
                    self.stores.append((cd_batch, guids, self._noted.fault))
                    self.versions += [
                        (str(r["RowGuid"]), str(r["TaskName"]), cd_batch) for r in records
                    ]
            return mismatch

    return Recording


def guid(n: int) -> str:
    return str(uuid.UUID(int=0xC4A05 << 64 | n))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_chaos(
    pkg: ModuleType, project: Path, tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    if backend == "postgresql":
        target: str = request.getfixturevalue("postgres_url")
    else:
        target = str(tmp_path / "chaos.sqlite3")
    seed = 20191 if backend == "sqlite" else 20192
    rng = random.Random(seed)
    mock = importlib.import_module(pkg.__name__ + ".mock")
    outbox_module = importlib.import_module(pkg.__name__ + ".outbox")
    client_module = importlib.import_module(pkg.__name__ + ".client")
    script = tmp_path / "deliverer.py"
    script.write_text(DELIVERER, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(project / "generated" / "python"))
    started = time.monotonic()

    newest: dict[str, int] = {}  # RowGuid → newest version enqueued
    kills_holding: Counter[str] = Counter()
    kills = 0
    deliverers: list[Deliverer] = []
    selector = selectors.DefaultSelector()

    with recording_gateway(mock)(TOKEN, seed=seed, fault_rate=0.2) as gateway:
        args = [sys.executable, str(script), target, gateway.base_url, TOKEN, ORG]
        outbox = outbox_module.Outbox(target, ORG, max_attempts=2)

        def spawn() -> None:
            process = subprocess.Popen(
                args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
            )
            assert process.stdout is not None
            os.set_blocking(process.stdout.fileno(), False)
            d = Deliverer(process, kill_after=rng.randint(1, 12))
            deliverers.append(d)
            selector.register(process.stdout, selectors.EVENT_READ, d)

        def finish(d: Deliverer) -> None:
            assert d.process.stdout is not None and d.process.stderr is not None
            selector.unregister(d.process.stdout)
            d.process.wait(timeout=60)
            stderr = d.process.stderr.read().decode("utf-8", "replace")
            d.process.stdout.close()
            d.process.stderr.close()
            deliverers.remove(d)
            if d.process.returncode != -signal.SIGKILL:
                assert d.process.returncode == 0, stderr
                assert "locked" not in stderr and "Traceback" not in stderr, stderr

        def take_lines(d: Deliverer, chunk: bytes) -> list[str]:
            """The complete lines in ``chunk``; tracks the batch the deliverer holds."""
            d.buffer += chunk
            *complete, d.buffer = d.buffer.split(b"\n")
            lines = []
            for raw in complete:
                line = raw.decode("utf-8").split()
                lines.append(" ".join(line))
                d.lines += 1
                if line[0] == "claim":
                    d.holding = line[1]
                elif line[0] == "end":
                    d.holding = None
            d.output += lines
            return lines

        def enqueue_round() -> None:
            batch = []
            for _ in range(PER_ROUND):
                if newest and rng.random() < 0.5:
                    row = rng.choice(sorted(newest))
                else:
                    row = guid(len(newest))
                newest[row] = newest.get(row, 0) + 1
                record = dict(pkg.EXAMPLES["accept"], RowGuid=row, TaskName=f"v{newest[row]}")
                batch.append(record)
            report = outbox.enqueue("accept", batch)
            assert report.refused == ()

        rounds = 1
        enqueue_round()

        def more() -> bool:
            # enqueue ROUNDS rounds, and more if needed until KILLS kills have happened
            return rounds < ROUNDS or (kills < KILLS and rounds < 4 * ROUNDS)

        for _ in range(DELIVERERS):
            spawn()
        while deliverers:
            assert (
                time.monotonic() - started < GUARD_SECONDS
            ), f"chaos phase did not end: {rounds} rounds, {kills} kills, " + repr(
                [(d.lines, d.output[-6:]) for d in deliverers]
            )
            events = selector.select(timeout=60)
            assert events, "no deliverer made progress for 60 s"
            for key, _ in events:
                d: Deliverer = key.data
                if d not in deliverers:  # killed earlier in this loop
                    continue
                assert d.process.stdout is not None
                chunk = d.process.stdout.read()
                if chunk is None:
                    continue
                if not chunk:  # the deliverer exited: nothing was waiting
                    finish(d)
                    if more():
                        enqueue_round()
                        rounds += 1
                        spawn()
                    continue
                for line in take_lines(d, chunk):
                    if more() and line.startswith("end "):  # a newer round per batch ended
                        enqueue_round()
                        rounds += 1
                if kills < KILLS and d.lines >= d.kill_after:
                    d.process.send_signal(signal.SIGKILL)
                    d.process.wait(timeout=60)
                    # what it printed before it died: the batch it held may be in there
                    os.set_blocking(d.process.stdout.fileno(), True)
                    for _ in take_lines(d, d.process.stdout.read()):
                        pass
                    kills += 1
                    if d.holding is not None:
                        kills_holding[d.holding] += 1
                    finish(d)
                    spawn()
            if not deliverers and more():
                enqueue_round()
                rounds += 1
                spawn()
        assert rounds >= ROUNDS and kills == KILLS

        # Requeue dead batches and deliver until everything is done.
        retry = client_module.RetryPolicy(attempts=20, backoff=0.001, ceiling=0.01, deadline=30)
        client = client_module.Client(TOKEN, base_url=gateway.base_url, timeout=5.0, retry=retry)
        requeued = 0
        while True:
            outbox.deliver_all(client)
            dead = outbox.batches("dead")
            if not dead:
                break
            requeued += outbox.requeue()
        reconciliation = outbox.reconciliation_records()
        assert outbox.send_reconciliation(client) == len(reconciliation)
        status = outbox.status()
        trace = {
            row: (
                [(v, cd) for g, v, cd in gateway.versions if g == row],
                outbox._store.execute(
                    "SELECT b.id, b.cd_batch, b.state, i.version, b.attempts, i.body "
                    "FROM outbox_items i JOIN outbox_batches b ON b.id = i.batch_id "
                    "WHERE i.row_guid = ? ORDER BY i.version",
                    (row,),
                ).fetchall(),
            )
            for row in newest
        }
        outbox.close()

        landed = {str(r["RowGuid"]): str(r["TaskName"]) for r in gateway.records("accept")}
        held = {str(r["Cd_batch"]): int(r["Cd_count"]) for r in gateway.records("reconciliation")}
        stores = list(gateway.stores)
        counts = {cd: gateway.count("accept", cd) for cd in held}

    # every RowGuid is at the gateway in its newest version
    wrong = {row for row, version in newest.items() if landed.get(row) != f"v{version}"}
    for row in wrong:
        arrivals, items = trace[row]
        print("WRONG", row, newest[row], arrivals)
        for item in items:
            print("   ", item[:5], json.loads(item[5])["TaskName"])
    assert landed == {row: f"v{version}" for row, version in newest.items()}
    # no Cd_Batch was used for two different sets of records
    sets: dict[str, set[frozenset[str]]] = defaultdict(set)
    for cd_batch, guids, _ in stores:
        sets[cd_batch].add(guids)
    assert all(len(s) == 1 for s in sets.values()), {k: v for k, v in sets.items() if len(v) > 1}
    # every reconciliation was accepted: one per delivered batch, counts as the gateway holds
    assert set(held) == set(sets) and held == counts
    assert status.unreconciled == 0 and status.batches == {"done": len(sets)}
    # every duplicate send is accounted for by a kill or a fault after storing
    sends = Counter(cd for cd, _, _ in stores)
    after_storing = Counter(cd for cd, _, fault in stores if fault in AFTER_STORING)
    unexplained = {
        cd: (n - 1, after_storing[cd], kills_holding[cd])
        for cd, n in sends.items()
        if n - 1 > after_storing[cd] + kills_holding[cd]
    }
    assert unexplained == {}
    duplicates = sum(n - 1 for n in sends.values())
    figures = {
        "backend": backend,
        "row_guids": len(newest),
        "versions": sum(newest.values()),
        "batches": len(sets),
        "sends": len(stores),
        "duplicates": duplicates,
        "after_storing_faults": sum(after_storing.values()),
        "kills": kills,
        "kills_holding_a_batch": sum(kills_holding.values()),
        "requeued": requeued,
        "seconds": round(time.monotonic() - started, 1),
    }
    print("chaos figures:", json.dumps(figures))
    figures_file = os.environ.get("GDZW_CHAOS_FIGURES")
    if figures_file:
        with open(figures_file, "a", encoding="utf-8") as out:
            out.write(json.dumps(figures) + "\n")
