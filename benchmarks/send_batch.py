"""`batch_save` against one `save` per record, sent to the mock gateway on loopback (issue 14, 3).

Run by hand (not a test):

    .venv/bin/python benchmarks/send_batch.py [--batch-records 3000] [--save-records 500]
        [--repeat 5] [--seed 2019] [--mock-process] [--profile] [--parts]

Records are valid accept records from ``gen_records.py`` (seeded, every one with its own
RowGuid, names, numbers and dates: each request stores new rows, nothing repeats). One
``Client`` (validating before it sends, the default) talks to one ``MockGateway`` (its
SQLite store in memory, checking headers, signature and every record) over loopback. After
a warm-up of 99 records each way, ``--repeat`` rounds alternate:

- ``client.accept.batch_save(records)`` on ``--batch-records`` records (99 per request);
- ``client.accept.save(record)`` for each of ``--save-records`` records.

Each is timed with ``time.perf_counter`` around the calls, and with ``time.process_time``
(this process's CPU time, the gateway's threads included when it runs here: what the shared
machine's other load does not add); records/s per round, reported
as the median and spread (min–max), and the ratio batch ÷ save taken round by round.
Goals: batch at least 20× save; save no slower than 387 records/s (the README's figure
before this work). By default the mock runs in this process, on its own threads, as the
README's earlier figures did (client and gateway then share one interpreter);
``--mock-process`` runs ``python -m gdzw_uppro.mock`` as a separate process instead.

``--profile`` then sends ``--batch-records`` more records with ``batch_save`` under
cProfile, the gateway's threads profiled too (it runs in this process for that), and
splits a batched record's time by where it is spent: validation (client and gateway),
JSON encoding and decoding, signing, SQLite, HTTP and sockets, the client's and the
mock's own code; CPU time per thread, so time a thread spends blocked is left out.

``--parts`` then times each step of a batched record alone, without a profiler, over
``--batch-records`` more records (CPU time, median of ``--repeat``): the client's prepare
and encoding, the gateway's parsing, validation and SQLite upserts, and one HTTP request
with the gateway's own work stubbed out, for a full body and a one-record body.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from benchlib import Spread, machine
from gen_records import GENERATED, Generator, load_types, package, reconciliation_tables

TOKEN = "benchmark-token"
BEFORE = 387.0  # save records/s in the README before this work
Record = dict[str, Any]


def records(seed: int) -> Iterator[Record]:
    """Valid accept records, endlessly, from the benchmark generator."""
    generator = Generator(load_types(GENERATED), reconciliation_tables(GENERATED), seed, 0.0)
    while True:
        record, _, _ = generator.record("accept", generator.new_case())
        yield record


def take(source: Iterator[Record], count: int) -> list[Record]:
    return [next(source) for _ in range(count)]


class MockProcess:
    """``python -m gdzw_uppro.mock`` in a child process, on a free loopback port."""

    def __init__(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(GENERATED / "python"))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gdzw_uppro.mock", "--port", "0", "--token", TOKEN]
            + ["--log-level", "WARNING"],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url.startswith("http"):
            self.close()
            raise SystemExit("the mock gateway did not start")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall seconds and this process's CPU seconds of ``action()``."""
    started, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - started, time.process_time() - cpu


# --------------------------------------------------------------------------- profile

CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # (category, substrings of a cProfile entry's file name or function name), first match wins
    (
        "validation",
        (
            "validators",  # validators.py and each record type's validators_<key>.py
            "checks.py",
            "domains.py",
            "problems.py",
            "normalize.py",
            "_check_records",
            "_unencodable",
        ),
    ),
    ("JSON encoding", ("json/encoder.py", "_json.encode", "'_json.Encoder'", "c_make_encoder")),
    (
        "JSON decoding",
        ("json/decoder.py", "json/__init__.py", "_json.scanner", "scan_once", "_split_array"),
    ),
    ("signing", ("signing.py", "hashlib", "_hashlib", "'hexdigest'", "secrets.py", "uuid")),
    ("SQLite", ("sqlite3",)),
    (
        "HTTP and sockets",
        (
            "http/",
            "socket",
            "email/",
            "urllib/",
            "ssl.py",
            "selectors.py",
            "'recv",
            "'send",
            "'readline'",
            "'read'",
            "'write'",
            "'flush'",
            "'makefile'",
            "'close'",
        ),
    ),
    ("client's own code", ("client.py", "record_groups.py")),
    ("mock's own code", ("mock.py",)),
)


def category(filename: str, function: str) -> str:
    text = f"{filename} {function}"
    for name, needles in CATEGORIES:
        if any(needle in text for needle in needles):
            return name
    return "other"


def profile_batches(count: int, source: Iterator[Record]) -> None:
    """Profiles ``batch_save`` of ``count`` records, gateway threads included."""
    from gdzw_uppro.client import Client
    from gdzw_uppro.mock import MockGateway

    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()
    original_run = threading.Thread.run

    def profiled_run(self: threading.Thread) -> None:
        profile = cProfile.Profile(time.thread_time)
        with lock:
            profiles.append(profile)
        profile.enable()
        try:
            original_run(self)
        finally:
            profile.disable()

    batch = take(source, count)
    threading.Thread.run = profiled_run  # type: ignore[method-assign]
    try:
        with MockGateway(TOKEN) as gateway:
            client = Client(TOKEN, base_url=gateway.base_url)
            main = cProfile.Profile(time.thread_time)
            main.enable()
            started = time.perf_counter()
            report = client.accept.batch_save(batch)
            seconds = time.perf_counter() - started
            main.disable()
            if not report.ok:
                raise SystemExit(f"batch_save failed under the profiler: {report.failed[:1]}")
    finally:
        threading.Thread.run = original_run  # type: ignore[method-assign]
    sides = {"client (this thread)": [main], "gateway (its threads)": profiles}
    if not sides["gateway (its threads)"]:
        sides.pop("gateway (its threads)")
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for side, group in sides.items():
        stats = pstats.Stats(group[0])
        for extra in group[1:]:
            stats.add(extra)
        entries: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
        for (filename, _, function), (_, calls, own, _, callers) in entries.items():
            if function.startswith(("validate", "normalize")) and "gdzw_uppro" in filename:
                counts[side][function] += calls
            where = category(filename, function)
            if where == "other" and filename == "~" and callers:
                # a built-in (dict.get, isinstance, re's fullmatch, …) belongs where it is
                # called from: its time split by caller
                for (caller_file, _, caller_function), timing in callers.items():
                    totals[side][category(caller_file, caller_function)] += timing[2]
            else:
                totals[side][where] += own
    print(
        f"\n### Where a batched record's time goes: cProfile, {count:,} records in "
        f"{count // 99 + bool(count % 99)} requests, gateway in this process\n"
    )
    print(
        f"Wall time under the profiler {seconds:.2f} s ({count / seconds:,.0f} records/s; "
        "the profiler slows everything, so read the shares, not the speed). Each thread's "
        "CPU time (`time.thread_time`, so time spent blocked waiting for the other side "
        "is not counted), self time of every function summed by where it belongs; CPU µs "
        "per record.\n"
    )
    names = [name for name, _ in CATEGORIES] + ["other"]
    header = " | ".join(sides)
    print(f"| where | {header} | share of the counted time |")
    print("| --- |" + " ---: |" * (len(sides) + 1))
    counted = sum(t for side in totals.values() for t in side.values())
    for name in names:
        values = [totals[side].get(name, 0.0) for side in sides]
        cells = " | ".join(f"{v / count * 1e6:.1f}" for v in values)
        print(f"| {name} | {cells} | {sum(values) / counted:.0%} |")
    cells = " | ".join(f"{sum(totals[side].values()) / count * 1e6:.1f}" for side in sides)
    print(f"| **total** | {cells} | 100% |")
    print("\nCalls per record:", end=" ")
    print(
        "; ".join(
            f"{side}: "
            + ", ".join(f"`{f}` {n / count:.2f}" for f, n in sorted(counts[side].items()))
            for side in sides
        )
        + "."
    )


# --------------------------------------------------------------------------- parts


def time_parts(count: int, source: Iterator[Record], repeat: int) -> None:
    """Each step a batched record goes through, timed alone (CPU time, no profiler): the
    client's prepare and encoding, the gateway's parsing, validation and SQLite, and one
    HTTP request with the gateway's own work stubbed out, for a full and a one-record body.
    The steps call the package's private functions, as ``batch_save`` and the gateway do."""
    from gdzw_uppro import client as client_module
    from gdzw_uppro import mock as mock_module
    from gdzw_uppro.client import Client
    from gdzw_uppro.mock import MockGateway

    batch = take(source, count)
    client = Client(TOKEN, base_url="http://127.0.0.1:9")  # nothing is sent by these steps
    group = client.accept
    ready: list[tuple[int, dict[str, object], object]] = [
        (index, group.prepare(record), record) for index, record in enumerate(batch)
    ]
    bodies = client_module._bodies("accept", ready, {})
    parsed = [mock_module._parse_json(body) for _, body in bodies]
    store = MockGateway(TOKEN)

    def check() -> None:
        for (payload, _), (_, body) in zip(parsed, bodies, strict=True):
            records = mock_module._records_of(payload, "/", True)
            escapes = mock_module._SURROGATE_ESCAPE.search(body) is not None
            mock_module._check_records("accept", records, True, escapes)

    def stored() -> None:
        for payload, texts in parsed:
            store._store("accept", payload, texts)  # type: ignore[arg-type]

    # Nothing a step makes is kept (a request's records are dropped once it is answered):
    # keeping them would time the garbage collector walking thousands of live records.
    def prepare() -> None:
        for record in batch:
            group.prepare(record)

    def parse() -> None:
        for _, body in bodies:
            mock_module._parse_json(body)

    steps: list[tuple[str, Callable[[], object]]] = [
        ("client: prepare (mapping, validation)", prepare),
        ("client: encoding the bodies", lambda: client_module._bodies("accept", ready, {})),
        ("gateway: parsing", parse),
        ("gateway: validation", check),
        ("gateway: SQLite upserts", stored),
    ]
    print(f"\n### Each step of a batched record alone: {count:,} records, median of {repeat}\n")
    print("| step | CPU µs per record |")
    print("| --- | ---: |")
    total = 0.0
    for name, step in steps:
        spent = Spread.of([timed(step)[1] / count * 1e6 for _ in range(repeat)])
        total += spent.median
        print(f"| {name} | {spent.show(1, 1)} |")
    print(f"| **sum** | {total:.1f} |")
    store.close()

    # HTTP alone: the gateway parses, checks and stores nothing (stubbed for this part).
    stubs: list[tuple[object, str, object]] = [
        (mock_module, "_parse_json", lambda body: ([{}], None)),
        (mock_module, "_check_records", lambda *args, **kwargs: None),
        (MockGateway, "_store", lambda self, *args, **kwargs: None),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in stubs]
    for owner, name, stub in stubs:
        setattr(owner, name, stub)
    try:
        with MockGateway(TOKEN) as gateway:
            sender = Client(TOKEN, base_url=gateway.base_url)
            one = [client_module._encode([ready[0][1]])] * len(bodies)
            full = [body for _, body in bodies]
            rows = []
            for label, requests in (("a full body", full), ("a one-record body", one)):
                samples = []
                for _ in range(repeat):

                    def post(requests: list[bytes] = requests) -> None:
                        for body in requests:
                            sender._post_body("accept", "batch_save", body, [])

                    samples.append(timed(post)[1] / len(requests) * 1e3)
                size = sum(map(len, requests)) // len(requests)
                rows.append(f"| {label} ({size:,} bytes) | {Spread.of(samples).show(1, 2)} |")
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)
    print("\nOne HTTP request, the gateway's parsing, checks and storing stubbed out:\n")
    print("| request | CPU ms per request, both sides |")
    print("| --- | ---: |")
    print("\n".join(rows))


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--batch-records", type=int, default=3000, help="per round (3000)")
    parser.add_argument("--save-records", type=int, default=500, help="per round (500)")
    parser.add_argument("--repeat", type=int, default=5, help="counted rounds (5)")
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--mock-process", action="store_true", help="mock in its own process")
    parser.add_argument("--profile", action="store_true", help="cProfile a batched record")
    parser.add_argument("--parts", action="store_true", help="time each step of a batched record")
    args = parser.parse_args()
    if min(args.batch_records, args.save_records, args.repeat) < 1:
        parser.error("counts must be at least 1")
    gdzw_uppro = package(GENERATED)
    from gdzw_uppro.client import Client
    from gdzw_uppro.mock import MockGateway

    source = records(args.seed)
    stored = 0
    batch_rates: list[float] = []
    save_rates: list[float] = []
    batch_cpu: list[float] = []  # CPU µs per record
    save_cpu: list[float] = []
    child: MockProcess | None = MockProcess() if args.mock_process else None
    gateway = None if child is not None else MockGateway(TOKEN).start()
    try:
        base_url = child.base_url if child is not None else gateway.base_url  # type: ignore[union-attr]
        client = Client(TOKEN, base_url=base_url)
        warm = take(source, 198)
        client.accept.batch_save(warm[:99])
        for record in warm[99:]:
            client.accept.save(record)
        for _ in range(args.repeat):
            batch = take(source, args.batch_records)
            singles = take(source, args.save_records)

            def send_batch(batch: list[Record] = batch) -> None:
                report = client.accept.batch_save(batch)
                if not report.ok:
                    raise SystemExit(f"batch_save failed: {report.failed[:1]}")

            def send_each(singles: list[Record] = singles) -> None:
                for record in singles:
                    client.accept.save(record)

            wall, cpu = timed(send_batch)
            batch_rates.append(args.batch_records / wall)
            batch_cpu.append(cpu / args.batch_records * 1e6)
            wall, cpu = timed(send_each)
            save_rates.append(args.save_records / wall)
            save_cpu.append(cpu / args.save_records * 1e6)
        stored = 198 + args.repeat * (args.batch_records + args.save_records)
        if gateway is not None and len(gateway.row_guids("accept")) != stored:
            raise SystemExit("the gateway does not hold every record sent")
    finally:
        if gateway is not None:
            gateway.close()
        if child is not None:
            child.close()

    where = "a separate process" if args.mock_process else "this process (its own threads)"
    print(
        f"## Sending accept records to the mock gateway on loopback: {args.repeat} rounds "
        f"after a warm-up, batch and single sends alternating; gateway in {where}\n"
    )
    print(machine() + f" gdzw_uppro {gdzw_uppro.__version__}.\n")
    print("| method | records per round | records/s |")
    print("| --- | ---: | ---: |")
    batched, single = Spread.of(batch_rates), Spread.of(save_rates)
    print(f"| `batch_save` (99 per request) | {args.batch_records:,} | {batched.show(1, 0)} |")
    print(f"| `save` (one per request) | {args.save_records:,} | {single.show(1, 0)} |")
    ratio = Spread.of([b / s for b, s in zip(batch_rates, save_rates, strict=True)])
    cpu_ratio = Spread.of([s / b for b, s in zip(batch_cpu, save_cpu, strict=True)])
    mine = "this process" + (" (the client only)" if args.mock_process else ", both sides")
    print(
        f"\nCPU µs per record ({mine}): `batch_save` {Spread.of(batch_cpu).show(1, 1)}, "
        f"`save` {Spread.of(save_cpu).show(1, 1)}; save ÷ batch {cpu_ratio.show(1, 1)}"
    )
    print(f"\nbatch ÷ save, round by round: {ratio.show(1, 1)}\n")
    print("Goals (issue 14, goal 3):\n")
    print(
        f"- `batch_save` at least 20× `save`: {ratio.median:.1f}× — "
        f"{'met' if ratio.median >= 20 else 'missed'}"
    )
    print(
        f"- `save` no slower than {BEFORE:.0f} records/s: {single.median:,.0f} — "
        f"{'met' if single.median >= BEFORE else 'missed'}"
        f" (median of rounds; mean {statistics.fmean(save_rates):,.0f})"
    )
    if args.profile:
        profile_batches(args.batch_records, source)
    if args.parts:
        time_parts(args.batch_records, source, args.repeat)


if __name__ == "__main__":
    main()
