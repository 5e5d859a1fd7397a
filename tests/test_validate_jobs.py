"""``codegen validate --jobs``: worker processes change nothing but the speed.

A seeded mixed dataset with problems (and hostile lines, a duplicate RowGuid, a
reconciliation count made wrong) is validated in this process (``--jobs 1``) and by
worker processes, with the size threshold lowered and small chunks so that many chunks
are in flight: the output, the summary and the exit code are byte for byte the same, in
``--interface`` mode and in dataset mode with its cross-record checks.
"""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from codegen.cli.main import main
from codegen.data import fast_json, idle, record_checks

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dataset(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,500 mixed records, half the business records broken, plus hostile lines."""
    directory = tmp_path_factory.mktemp("mixed")
    command = [
        sys.executable,
        str(REPO / "benchmarks" / "gen_records.py"),
        "--records=1500",
        "--mix=mixed",
        "--seed=14",
        f"--out-dir={directory}",
        f"--generated={project / 'generated'}",
    ]
    subprocess.run(command, check=True, capture_output=True)
    accept = directory / "accept.jsonl"
    lines = accept.read_bytes().split(b"\n")
    first = json.loads(lines[0])
    lines[5:5] = [
        b'{"RowGuid": ',  # broken JSON
        b"",  # blank
        b'{"a": "\xff"}',  # not UTF-8
        json.dumps(first, ensure_ascii=False).encode(),  # a duplicate RowGuid
        b'{"Cd_count": 1e400}',  # a number json refuses
    ]
    accept.write_bytes(b"\n".join(lines))
    # Line ends of every kind and a line longer than a piece, in the material file.
    material = directory / "material.jsonl"
    lines = material.read_bytes().split(b"\n")
    long_record = json.loads(lines[3])
    long_record["Padding"] = "长" * 30_000
    lines[3] = json.dumps(long_record, ensure_ascii=False).encode()
    ends = [b"\n", b"\r\n", b"\r", b"\n\n", b"\r\n\r\n"]
    material.write_bytes(b"".join(line + ends[i % len(ends)] for i, line in enumerate(lines)))
    reconciliation = directory / "reconciliation.jsonl"
    records = [json.loads(line) for line in reconciliation.read_text("utf-8").splitlines()]
    records[0]["Cd_count"] += 1
    reconciliation.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8"
    )
    return directory


def run(project: Path, jobs: int, *args: str | Path) -> Result:
    return CliRunner().invoke(
        main, ["--root", str(project), "validate", f"--jobs={jobs}", *map(str, args)]
    )


@pytest.fixture()
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Workers for every file, pieces of 20 kB (a few records each; a long line spans
    pieces), 37 lines at a time in process; returns the worker counts started."""
    monkeypatch.setattr(record_checks, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(record_checks, "CHUNK_BYTES", 20_000)
    monkeypatch.setattr(record_checks, "CHUNK_LINES", 37)
    started: list[int] = []
    workers = record_checks._Workers

    def counted(count: int, *args: object) -> object:
        started.append(count)
        return workers(count, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(record_checks, "_Workers", counted)
    return started


@pytest.mark.parametrize("fast", [True, False], ids=["orjson", "json"])
def test_dataset_mode_is_the_same_with_workers(
    project: Path, dataset: Path, small_chunks: list[int], fast: bool
) -> None:
    try:
        fast_json.use_fast(fast)
        serial = run(project, 1, dataset)
        parallel = run(project, 3, dataset)
    finally:
        fast_json.use_fast(True)
    assert (parallel.exit_code, parallel.stdout, parallel.stderr) == (
        serial.exit_code,
        serial.stdout,
        serial.stderr,
    )
    assert small_chunks == [3]  # one set of workers, for the whole run
    assert serial.exit_code == 2  # the hostile lines cannot be read
    assert "[duplicate_row_guid]" in serial.stdout
    assert "[reconciliation_count]" in serial.stdout
    assert "(1504 records," in serial.stderr  # 1,500 and 4 non-blank added lines
    assert len(serial.stdout.splitlines()) > 700


def test_interface_mode_is_the_same_with_workers(
    project: Path, dataset: Path, small_chunks: list[int]
) -> None:
    files = sorted(dataset.glob("*.jsonl"))
    serial = run(project, 1, "--interface", "process", *files[:3])
    parallel = run(project, 2, "--interface", "process", *files[:3])
    assert (parallel.exit_code, parallel.stdout, parallel.stderr) == (
        serial.exit_code,
        serial.stdout,
        serial.stderr,
    )
    assert serial.exit_code == 2 and serial.stdout
    assert small_chunks == [2]


def test_the_threshold_keeps_small_files_in_process(
    project: Path, dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below PARALLEL_MIN_BYTES no worker is started (a pool would only cost)."""

    def no_workers(*args: object) -> None:
        raise AssertionError("workers started for a small file")

    monkeypatch.setattr(record_checks, "_Workers", no_workers)
    result = run(project, 4, dataset)
    assert result.exit_code == 2 and "Traceback" not in result.stdout


def test_workers_read_a_copy_that_differs_from_the_first_run(
    project: Path, dataset: Path, small_chunks: list[int], tmp_path: Path
) -> None:
    """Not vacuous: a changed record changes the parallel run's output where expected."""
    copy = tmp_path / "set"
    shutil.copytree(dataset, copy)
    before = run(project, 2, copy).stdout
    process = copy / "process.jsonl"
    lines = process.read_text("utf-8").splitlines()
    record = json.loads(lines[-1])
    record["Cd_operation"] = "X"
    lines[-1] = json.dumps(record, ensure_ascii=False)
    process.write_text("\n".join(lines) + "\n", "utf-8")
    after = run(project, 2, copy).stdout
    changed = set(after.splitlines()) - set(before.splitlines())
    assert changed and all(f"process.jsonl:#{len(lines)} " in line for line in changed)


def test_auto_jobs_leaves_busy_processors_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """--jobs 0: the processors idle now, at most those this process may use, at least one;
    without the kernel's counters, their number less the load average."""
    monkeypatch.setattr(idle.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(idle, "cpu_quota", lambda: None)  # whatever this machine's container
    for measured, jobs in ((8.0, 4), (4.0, 4), (2.6, 3), (1.4, 1), (0.2, 1)):
        assert idle.auto_jobs(measured) == jobs
    for load, jobs in ((0.0, 4), (1.4, 3), (2.4, 2), (3.9, 1), (12.0, 1)):
        monkeypatch.setattr(idle.os, "getloadavg", lambda load=load: (load, 0.0, 0.0))
        assert idle.auto_jobs(None) == jobs


def test_a_containers_cpu_quota_and_the_cap_bound_the_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A quota of 1.5 processors on a machine of 64 idle ones: 2 workers; without a quota
    no more than MAX_AUTO_JOBS, since the main process would be the bottleneck."""
    monkeypatch.setattr(idle.os, "sched_getaffinity", lambda pid: set(range(64)))
    monkeypatch.setattr(idle, "cpu_quota", lambda: 1.5)
    assert idle.auto_jobs(60.0) == 2
    assert idle.auto_jobs(0.3) == 1
    monkeypatch.setattr(idle, "cpu_quota", lambda: 0.2)
    assert idle.auto_jobs(60.0) == 1
    monkeypatch.setattr(idle, "cpu_quota", lambda: None)
    assert idle.auto_jobs(60.0) == idle.MAX_AUTO_JOBS == 8
    assert idle.auto_jobs(5.2) == 5


def test_cpu_quota_from_cgroup_v2_and_v1(tmp_path: Path) -> None:
    """The smallest quota on the process's cgroup path, its parents and the mount's root
    (a container sees the host's path but its own cgroup at the root); "max" and -1 are
    no quota; unreadable or garbled files are none either."""
    cgroups = tmp_path / "cgroup"
    root = tmp_path / "fs"
    app = root / "user.slice" / "app"
    app.mkdir(parents=True)
    (app / "cpu.max").write_text("150000 100000\n")
    (root / "user.slice" / "cpu.max").write_text("max 100000\n")
    cgroups.write_text("0::/user.slice/app\n")
    assert idle.cpu_quota(str(cgroups), str(root)) == 1.5
    (root / "cpu.max").write_text("50000 100000\n")  # tighter further up
    assert idle.cpu_quota(str(cgroups), str(root)) == 0.5
    (app / "cpu.max").write_text("garbage\n")
    (root / "cpu.max").write_text("max 100000\n")
    assert idle.cpu_quota(str(cgroups), str(root)) is None
    # v1: a tree per controller set; the host's path does not exist in a container.
    v1 = tmp_path / "v1"
    cpu = v1 / "cpu,cpuacct"
    cpu.mkdir(parents=True)
    (cpu / "cpu.cfs_quota_us").write_text("200000\n")
    (cpu / "cpu.cfs_period_us").write_text("100000\n")
    cgroups.write_text("4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n")
    assert idle.cpu_quota(str(cgroups), str(v1)) == 2.0
    (cpu / "cpu.cfs_quota_us").write_text("-1\n")
    assert idle.cpu_quota(str(cgroups), str(v1)) is None
    cgroups.write_text("not a cgroup line\n")
    assert idle.cpu_quota(str(cgroups), str(v1)) is None
    assert idle.cpu_quota(str(tmp_path / "absent"), str(v1)) is None


def test_the_probe_counts_idle_ticks_and_its_own_processor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Idle and I/O-wait ticks over all ticks between two readings, times the processors,
    plus this process's own CPU time over the wall time (the processor it works on is one
    a worker can have); None when the counters cannot be read or did not move."""
    stat = tmp_path / "stat"
    clock = {"wall": 10.0, "cpu": 3.0}
    monkeypatch.setattr(idle.time, "monotonic", lambda: clock["wall"])
    monkeypatch.setattr(idle.time, "process_time", lambda: clock["cpu"])
    monkeypatch.setattr(idle.os, "cpu_count", lambda: 4)
    stat.write_text("cpu  100 0 50 800 50 0 0 0 7 7\ncpu0 1 2 3\n")
    probe = idle.IdleProbe(str(stat))
    stat.write_text("cpu  160 0 70 1080 90 0 0 0 9 9\ncpu0 1 2 3\n")
    clock["wall"], clock["cpu"] = 10.1, 3.05
    assert probe.elapsed() == pytest.approx(0.1)
    # 400 ticks passed, 320 of them idle or waiting: 0.8 of 4 processors; and half of one
    # processor was this process's own work.
    assert probe.processors() == pytest.approx(3.7)
    clock["cpu"] = 3.5  # more than the wall time (a coarse clock): one processor at most
    assert probe.processors() == pytest.approx(4.2)
    assert idle.IdleProbe(str(tmp_path / "absent")).processors() is None
    probe = idle.IdleProbe(str(stat))
    clock["wall"] += 0.1
    assert probe.processors() is None  # the counters did not move
    stat.write_text("intr 5\n")
    assert idle.IdleProbe(str(stat)).processors() is None


@pytest.mark.parametrize("measured", [2.0, 0.6], ids=["idle", "busy"])
def test_jobs_0_measures_while_it_checks(
    project: Path,
    dataset: Path,
    small_chunks: list[int],
    monkeypatch: pytest.MonkeyPatch,
    measured: float,
) -> None:
    """--jobs 0: the first pieces of the first large file are checked in this process
    while the idle processors are measured, the rest by that many workers (none when one
    processor is idle); the output is that of --jobs 1 either way."""
    monkeypatch.setattr(record_checks, "IDLE_SAMPLE", 0.0)  # decided after the first piece
    monkeypatch.setattr(idle.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(idle, "cpu_quota", lambda: None)  # whatever this machine's container
    probes: list[float] = []

    def processors(self: idle.IdleProbe) -> float:
        probes.append(measured)
        return measured

    monkeypatch.setattr(idle.IdleProbe, "processors", processors)
    checked_here: list[int] = []
    here = record_checks.RecordChecker._here

    def counted(self: record_checks.RecordChecker, *args: Any) -> Any:
        checked_here.append(args[-1])  # the piece's first line
        return here(self, *args)

    monkeypatch.setattr(record_checks.RecordChecker, "_here", counted)
    serial = run(project, 1, dataset)
    checked_here.clear()
    measuring = run(project, 0, dataset)
    assert (measuring.exit_code, measuring.stdout, measuring.stderr) == (
        serial.exit_code,
        serial.stdout,
        serial.stderr,
    )
    assert probes == [measured]  # once per run
    if measured >= 2:
        assert small_chunks == [2]
        assert checked_here == [1]  # the first piece of the first file, then the workers
    else:
        assert small_chunks == []
        assert len(checked_here) > 10 and checked_here[0] == 1  # every piece, here


def test_a_worker_that_dies_is_a_clean_error(
    project: Path, dataset: Path, small_chunks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed mid-run (say by the OOM killer): a message naming --jobs 1, no
    traceback, and the workers still running are stopped."""

    def dies(*args: object) -> None:
        os._exit(9)

    monkeypatch.setattr(record_checks, "_check_piece", dies)
    result = run(project, 2, dataset)
    assert result.exit_code == 1
    assert "--jobs 1" in result.stderr and "Traceback" not in result.output
    assert not multiprocessing.active_children()


@pytest.mark.parametrize("end", [b"\r", b"\r\n", b"\n"], ids=["cr", "crlf", "lf"])
def test_pieces_stay_bounded_whatever_ends_the_lines(end: bytes) -> None:
    """A file whose lines end in "\\r" alone has no "\\n" to cut at: it must still be cut
    into pieces of about the piece size (one piece of the whole file would hold every
    record's result in one worker and in one message), each starting at a line's start,
    with that line's number; never between the "\\r" and "\\n" of one line end."""
    import io

    lines = [b'{"n": %d}' % i + b"x" * (i % 7) for i in range(3000)]
    data = b"".join(line + end for line in lines)
    pieces = list(record_checks._pieces(io.BytesIO(data), 1000))
    assert pieces[0][0] == 0 and pieces[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:], strict=False))
    assert max(stop - start for start, stop, _ in pieces) <= 1000 + max(map(len, lines)) + len(end)
    starts = {}
    offset = 0
    for number, line in enumerate(lines, start=1):
        starts[offset] = number
        offset += len(line) + len(end)
    assert all(starts.get(start) == first for start, _, first in pieces)


@pytest.mark.parametrize("jobs", [1, 2])
def test_records_are_numbered_across_pieces(
    project: Path, dataset: Path, small_chunks: list[int], jobs: int
) -> None:
    """Pieces number their records from 1 and the run adds the records of the pieces
    before: in a file with no blank line every record's number is its line's number,
    in the output and in the cross-record index (the duplicate RowGuid names both)."""
    process = dataset / "process.jsonl"
    assert b"\n\n" not in process.read_bytes() and b"\r" not in process.read_bytes()
    result = run(project, jobs, "--interface", "process", process)
    numbered = [line.split(": ", 1)[0] for line in result.stdout.splitlines()]
    assert len(numbered) > 100
    pairs = [place.rsplit(":#", 1)[1].split(" (line ") for place in numbered]
    assert all(number == line.rstrip(")") for number, line in pairs)
    assert int(pairs[-1][0]) > 2 * 37  # records from many pieces


def test_a_report_is_the_same_with_workers(
    project: Path, dataset: Path, small_chunks: list[int], tmp_path: Path
) -> None:
    """--report takes every record's own result from the pieces, numbered in the file."""
    reports = []
    plain = run(project, 1, dataset)  # without a report: another path to the same output
    for jobs in (1, 3):
        path = tmp_path / f"report-{jobs}.json"
        result = run(project, jobs, dataset, "--report", path)
        assert result.exit_code == 2, result.output
        assert (result.stdout, result.stderr) == (plain.stdout, plain.stderr + _written(path))
        reports.append(json.loads(path.read_text("utf-8")))
    serial, parallel = reports
    assert serial == parallel
    assert ".jsonl:#" in json.dumps(serial["examples"], ensure_ascii=False)
    assert serial["summary"]["records"] == 1504


def _written(path: Path) -> str:
    return f"报告已写入 {path} (report written)\n"


def test_the_one_loop_summary_is_the_generic_one(project: Path, dataset: Path) -> None:
    """``check_lines_summarized`` (JSON Lines without a report) gives the piece that
    ``summarize(check_lines(...))`` gives, hostile lines and every line end included."""
    from codegen.data import jsonstream
    from codegen.data.datasets import rules_from_package
    from codegen.data.generated_package import load_generated_package
    from codegen.data.pieces import summarize

    package = load_generated_package(project / "generated")
    problems = rows = 0
    for profile in ("standard", "strict"):
        settings = record_checks.Settings(profile, "utf8", rules_from_package(package))
        for path in sorted(dataset.glob("*.jsonl")):
            key = path.stem
            with open(path, "rb") as stream:
                lines = list(jsonstream.raw_json_lines(stream, 1 << 20))
            offset = 7
            fused = record_checks.check_lines_summarized(
                package, settings, key, str(path), lines, offset, 3
            )
            results = record_checks.check_lines(package, settings, key, path, lines)
            generic = summarize(str(path), key, results, offset, lambda sheet: 3, False)
            assert fused == generic
            problems += len(fused.lines)
            rows += sum(map(len, fused.rows.values()))
    assert problems > 1000 and rows > 2500  # not vacuous: problems and index rows compared


def _measured(monkeypatch: pytest.MonkeyPatch, processors: float, sample: float = 0.0) -> list[int]:
    """--jobs 0 made deterministic: the probe finds ``processors`` idle after ``sample``
    pieces checked here (its clock: one second a piece); returns the first line of every
    piece checked in this process."""
    monkeypatch.setattr(record_checks, "IDLE_SAMPLE", sample)
    monkeypatch.setattr(idle.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(idle, "cpu_quota", lambda: None)  # whatever this machine's container
    monkeypatch.setattr(idle.IdleProbe, "processors", lambda self: processors)
    checked_here: list[int] = []
    monkeypatch.setattr(idle.IdleProbe, "elapsed", lambda self: float(len(checked_here)))
    here = record_checks.RecordChecker._here

    def counted(self: record_checks.RecordChecker, *args: Any) -> Any:
        checked_here.append(args[-1])
        return here(self, *args)

    monkeypatch.setattr(record_checks.RecordChecker, "_here", counted)
    return checked_here


def test_the_measurement_goes_on_into_the_next_large_file(
    project: Path, dataset: Path, small_chunks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large file that ends before the idle processors are measured leaves the decision
    to the next one, which goes on measuring; no workers for a file with no pieces left."""
    short = dataset / "receive.jsonl"
    long = dataset / "material.jsonl"
    with open(short, "rb") as stream:
        firsts = [line for _, _, line in record_checks._pieces(stream, 20_000)]
    assert len(firsts) > 1
    serial = run(project, 1, "--interface", "receive", short, long)
    checked_here = _measured(monkeypatch, 2.0, sample=len(firsts) + 1)
    measuring = run(project, 0, "--interface", "receive", short, long)
    assert (measuring.exit_code, measuring.stdout, measuring.stderr) == (
        serial.exit_code,
        serial.stdout,
        serial.stderr,
    )
    assert checked_here == [*firsts, 1]  # the short file, then the long file's first piece
    assert small_chunks == [2]
    # Decided on the last piece of a file: no workers for nothing.
    small_chunks.clear()
    checked_here.clear()
    monkeypatch.setattr(record_checks, "IDLE_SAMPLE", float(len(firsts)))
    alone = run(project, 1, "--interface", "receive", short)
    only = run(project, 0, "--interface", "receive", short)
    assert checked_here == firsts and small_chunks == []
    assert (only.exit_code, only.stdout) == (alone.exit_code, alone.stdout)


@pytest.mark.parametrize("processors", [0.6, 2.0], ids=["busy", "idle"])
def test_a_file_replaced_during_the_run(
    project: Path,
    dataset: Path,
    small_chunks: list[int],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    processors: float,
) -> None:
    """Replaced while its first piece is checked: the rest comes from the file that was
    opened, as with --jobs 1, whether in this process or in the workers (which are handed
    the open file, not its name)."""
    source = dataset / "process.jsonl"
    target = tmp_path / "process.jsonl"
    shutil.copy(source, target)
    serial = run(project, 1, "--interface", "process", target)
    checked_here = _measured(monkeypatch, processors)
    replacement = tmp_path / "other.jsonl"
    replacement.write_text('{"RowGuid": "x"}\n' * 50, "utf-8")
    here = record_checks.RecordChecker._here

    def replacing(self: record_checks.RecordChecker, *args: Any) -> Any:
        if not checked_here:  # the first piece: the file is open by then
            os.replace(replacement, target)
        return here(self, *args)

    monkeypatch.setattr(record_checks.RecordChecker, "_here", replacing)
    result = run(project, 0, "--interface", "process", target)
    assert (result.exit_code, result.stdout, result.stderr) == (
        serial.exit_code,
        serial.stdout,
        serial.stderr,
    )
    assert small_chunks == ([2] if processors >= 2 else [])
    # Not vacuous: the name now leads to the other file, whose problems are others.
    assert target.read_text("utf-8").startswith('{"RowGuid": "x"}')
    assert serial.stdout.count("\n") > 100
    assert run(project, 1, "--interface", "process", target).stdout != serial.stdout


def test_pieces_are_checked_a_chunk_at_a_time(
    project: Path, small_chunks: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """However many records a piece of the file holds (3 bytes each here, 26 problems
    each), results come a chunk of CHUNK_LINES records at a time, in this process and
    from the workers: memory is bounded by a chunk, not by a piece."""
    from codegen.data.datasets import rules_from_package
    from codegen.data.generated_package import load_generated_package

    path = tmp_path / "accept.jsonl"
    path.write_bytes(b"{}\n" * 5000)
    package = load_generated_package(project / "generated")
    settings = record_checks.Settings("standard", "char", rules_from_package(package))
    sizes = {}
    for jobs in (1, 2):
        with record_checks.RecordChecker(package, settings, lambda f, s: 1, jobs) as checker:
            pieces = list(checker.pieces("accept", path))
        sizes[jobs] = [piece.size for piece in pieces]
        assert sum(sizes[jobs]) == 5000 and max(sizes[jobs]) == 37
        assert sum(piece.errors for piece in pieces) > 5000
    assert len(sizes[2]) >= len(sizes[1])  # the workers' chunks end with their pieces
    checked_here = _measured(monkeypatch, 0.6)
    with record_checks.RecordChecker(package, settings, lambda f, s: 1, 0) as checker:
        assert max(piece.size for piece in checker.pieces("accept", path)) == 37
    assert checked_here


def test_chunks_are_bounded_by_bytes_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """A thousand lines as long as a request body would not fit in memory."""
    from codegen.data.jsonstream import RawLine

    monkeypatch.setattr(record_checks, "CHUNK_LINES", 1000)
    monkeypatch.setattr(record_checks, "CHUNK_BYTES", 20_000)
    lines = [RawLine(i, i, b"x" * 5_000, None) for i in range(1, 11)]
    lines.insert(3, RawLine(99, 99, None, "too long"))
    chunks = list(record_checks._chunks(iter(lines)))
    assert [len(chunk) for chunk in chunks] == [5, 4, 2]
    assert [line for chunk in chunks for line in chunk] == lines


def test_workers_that_cannot_start_are_a_clean_error(
    project: Path, dataset: Path, small_chunks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """fork refused (too many processes): a message naming --jobs 1, exit 1, not a file
    reported unreadable; the worker already started is stopped."""
    real = multiprocessing.get_context("fork")
    started: list[object] = []

    class Context:
        Pipe = staticmethod(real.Pipe)
        get_start_method = staticmethod(real.get_start_method)

        @staticmethod
        def Process(**kwargs: Any) -> Any:  # noqa: N802 - multiprocessing's name
            if started:
                raise OSError(11, "Resource temporarily unavailable")
            process = real.Process(**kwargs)
            started.append(process)
            return process

    monkeypatch.setattr(record_checks.multiprocessing, "get_context", lambda method: Context)
    result = run(project, 2, dataset)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot start a worker process" in result.output and "--jobs 1" in result.output
    assert "cannot read" not in result.output
    assert started and not multiprocessing.active_children()


def test_the_real_probe_reads_this_machine() -> None:
    """On Linux the probe reads /proc/stat: a number of processors between none and all
    (this process's own share of one included), once the kernel's counters have moved.
    How many depends on the machine's load, which a test does not know."""
    if not os.path.exists("/proc/stat"):
        pytest.skip("no /proc/stat on this system")
    probe = idle.IdleProbe()
    found = None
    while found is None and probe.elapsed() < 5:
        found = probe.processors()
    assert found is not None
    assert 0 <= found <= (os.cpu_count() or 1) + 1


def test_a_worker_that_dies_between_files_is_a_clean_error(
    project: Path, dataset: Path, small_chunks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed while it had nothing to do, between two files: the next file is not
    reported unreadable; the run ends with the message naming --jobs 1."""
    pieces = record_checks.RecordChecker.pieces
    calls: list[str] = []

    def killing(self: record_checks.RecordChecker, key: str, path: Path) -> Any:
        calls.append(path.name)
        if len(calls) == 2:
            assert self._workers is not None
            process = self._workers.processes[1]
            os.kill(process.pid or 0, signal.SIGKILL)
            process.join()
        return pieces(self, key, path)

    monkeypatch.setattr(record_checks.RecordChecker, "pieces", killing)
    files = sorted(dataset.glob("*.jsonl"))[:3]
    result = run(project, 2, "--interface", "process", *files)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "a worker process ended unexpectedly" in result.output and "--jobs 1" in result.output
    assert "cannot read" not in result.output
    assert len(calls) == 2 and not multiprocessing.active_children()


def test_ctrl_c_is_not_a_worker_failure(
    project: Path, dataset: Path, small_chunks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C reaches the workers too (they end) while this process prints: the run is
    aborted as click aborts any command, without blaming the workers or a traceback."""
    from codegen.cli import validate as validate_module

    consume = validate_module._consume
    taken: list[int] = []

    def interrupted(piece: Any, *args: Any) -> None:
        taken.append(piece.size)
        if len(taken) == 3:
            for child in multiprocessing.active_children():
                os.kill(child.pid or 0, signal.SIGINT)
                child.join()
            raise KeyboardInterrupt
        consume(piece, *args)

    monkeypatch.setattr(validate_module, "_consume", interrupted)
    ignored: list[object] = []  # what Python would print as "Exception ignored in ..."
    monkeypatch.setattr(sys, "unraisablehook", ignored.append)
    result = run(project, 2, dataset)
    assert result.exit_code == 1 and "Aborted!" in result.output
    assert "worker" not in result.output and "Traceback" not in result.output
    assert not ignored
    assert not multiprocessing.active_children()


def _full_disk_under_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every write to standard output fails as on a full disk; standard error works."""
    from codegen.cli import validate as validate_module

    echo = validate_module.click.echo

    def full(message: Any = None, *args: Any, err: bool = False, **kwargs: Any) -> None:
        if not err:
            raise OSError(errno.ENOSPC, "No space left on device")
        echo(message, *args, err=err, **kwargs)

    monkeypatch.setattr(validate_module.click, "echo", full)


@pytest.mark.parametrize("jobs", [1, 2])
def test_output_that_cannot_be_written_is_a_clean_error(
    project: Path,
    dataset: Path,
    small_chunks: list[int],
    monkeypatch: pytest.MonkeyPatch,
    jobs: int,
) -> None:
    """A full disk under the output: one message saying so, exit 2; not the input
    reported unreadable, no traceback, no worker left."""
    _full_disk_under_stdout(monkeypatch)
    result = run(project, jobs, dataset)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "cannot write the output" in result.output and "No space left" in result.output
    assert "cannot read" not in result.output
    assert not multiprocessing.active_children()


# The start of a child process's script: thresholds low enough for a few kB to go
# through workers, the package and settings; argv: generated dir, the file to check.
_CHILD = """
import sys
from pathlib import Path
from codegen.data import record_checks
from codegen.data.datasets import rules_from_package
from codegen.data.generated_package import load_generated_package

record_checks.PARALLEL_MIN_BYTES = 0
record_checks.CHUNK_BYTES = 2_000
record_checks.CHUNK_LINES = 37
package = load_generated_package(Path(sys.argv[1]))
settings = record_checks.Settings("standard", "char", rules_from_package(package))
"""


def _child_args(project: Path, tmp_path: Path) -> list[str]:
    """The child's arguments: 3,000 records of 26 problems each (megabytes of results)."""
    path = tmp_path / "accept.jsonl"
    path.write_bytes(b"{}\n" * 3000)
    return [str(project / "generated"), str(path)]


def test_pieces_left_untaken_neither_hang_nor_leak(project: Path, tmp_path: Path) -> None:
    """A caller that takes one piece of a file and moves on (its generator never closed):
    the next file's pieces are its own, and leaving the checker stops the workers, which
    were blocked sending results nobody read (26 problems a record, megabytes a piece).
    In a child process, so that a hang fails instead of waiting."""
    script = _CHILD + """
path = Path(sys.argv[2])
with record_checks.RecordChecker(package, settings, lambda f, s: 1, 1) as checker:
    alone = sum(piece.size for piece in checker.pieces("accept", path))
with record_checks.RecordChecker(package, settings, lambda f, s: 1, 2) as checker:
    kept = checker.pieces("accept", path)
    next(kept)
    again = sum(piece.size for piece in checker.pieces("accept", path))
    # Closed only once another file is under way: it leaves that file's results alone,
    # and taken up again it refuses.
    kept = checker.pieces("accept", path)
    next(kept)
    current = checker.pieces("accept", path)
    third = next(current).size
    kept.close()
    third += sum(piece.size for piece in current)
    kept = checker.pieces("accept", path)
    next(kept)
    current = checker.pieces("accept", path)
    next(current)
    try:
        next(kept)
    except RuntimeError as exc:
        refused = "another file" in str(exc)
    kept = checker.pieces("accept", path)
    next(kept)
print(alone, again, third, refused)
"""
    done = subprocess.run(
        [sys.executable, "-c", script, *_child_args(project, tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3000", "3000", "3000", "True"]


_WORKERS_SCRIPT = _CHILD + """
import os, signal
with record_checks.RecordChecker(package, settings, lambda f, s: 1, 2) as checker:
    pieces = checker.pieces("accept", Path(sys.argv[2]))
    next(pieces)
    workers = checker._workers
    print(*(process.pid for process in workers.processes), flush=True)
    if sys.argv[3] == "wait":
        sys.stdin.read()  # until killed
    os.kill(workers.processes[0].pid, signal.SIGKILL)
    workers.processes[0].join()
    pieces.close()  # its drain meets the dead worker: broken, quietly
    print(workers.broken, flush=True)
print("left", flush=True)  # the checker stopped the live worker without waiting on it
"""


def _workers_run(project: Path, tmp_path: Path, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _WORKERS_SCRIPT, *_child_args(project, tmp_path), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def test_a_dead_worker_does_not_hang_the_stop(project: Path, tmp_path: Path) -> None:
    """A worker found dead while the others were still sending: leaving the checker stops
    them at once (it used to send them None and wait for ever)."""
    child = _workers_run(project, tmp_path, "kill")
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert out.split("\n")[1:3] == ["True", "left"]


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs os.pidfd_open (Linux)")
def test_workers_end_when_the_main_process_is_killed(project: Path, tmp_path: Path) -> None:
    """SIGKILL to the main process (the OOM killer, docker stop's second signal): its
    workers see their pipe close and end, instead of waiting for ever."""
    import select

    child = _workers_run(project, tmp_path, "wait")
    assert child.stdout is not None
    pids = [int(pid) for pid in child.stdout.readline().split()]
    assert len(pids) == 2
    handles = [os.pidfd_open(pid) for pid in pids]
    try:
        child.kill()
        child.wait(timeout=60)
        ended: set[int] = set()
        while len(ended) < len(handles):
            ready, _, _ = select.select([h for h in handles if h not in ended], [], [], 60)
            assert ready, f"workers {pids} still running a minute after the main process died"
            ended.update(ready)
    finally:
        for handle in handles:
            os.close(handle)


def test_clean_data_with_a_full_disk_under_the_summary(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No problems: the summary goes to standard output, which cannot be written: the
    same clean error, exit 2."""
    _full_disk_under_stdout(monkeypatch)
    empty = tmp_path / "accept.jsonl"
    empty.write_bytes(b"")
    result = run(project, 1, "--interface", "accept", empty)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "cannot write the output" in result.output


def test_a_reader_gone_is_not_the_inputs_fault(
    project: Path, dataset: Path, small_chunks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """| head: the first write into the closed pipe ends the run (click's way, exit 1);
    the file being read is not reported unreadable and no further file is started."""
    from codegen.cli import validate as validate_module

    started: list[str] = []
    failed_at: list[int] = []

    def gone(message: Any = None, *args: Any, err: bool = False, **kwargs: Any) -> None:
        if not err:
            failed_at.append(len(started))
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    monkeypatch.setattr(validate_module.click, "echo", gone)
    pieces = record_checks.RecordChecker.pieces

    def counted(self: record_checks.RecordChecker, key: str, path: Path) -> Any:
        started.append(path.name)
        return pieces(self, key, path)

    monkeypatch.setattr(record_checks.RecordChecker, "pieces", counted)
    result = run(project, 2, dataset)
    assert result.exit_code == 1 and "cannot read" not in result.output
    assert failed_at[:1] == [len(started)]  # no file started after the first failed write
    assert (
        len(started) < len(list(dataset.glob("*.jsonl"))) and not multiprocessing.active_children()
    )


def test_a_handle_not_handed_over_is_a_worker_error(
    project: Path, dataset: Path, small_chunks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Passing the open file fails (macOS's acknowledgement mixed with results, a full fd
    table): the workers are broken, the run ends with the message naming --jobs 1, and
    nothing waits on a pipe that is out of step."""

    def refused(*args: Any) -> None:
        raise RuntimeError("did not receive acknowledgement of fd")

    monkeypatch.setattr(record_checks.reduction, "send_handle", refused)
    result = run(project, 2, dataset)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "--jobs 1" in result.output and not multiprocessing.active_children()


def test_where_files_cannot_be_handed_over_one_process_checks(
    project: Path, dataset: Path, small_chunks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No pread, or a handle that must be acknowledged on the results' socket (macOS):
    --jobs 2 runs in one process, with the same output."""
    serial = run(project, 1, dataset)
    monkeypatch.setattr(record_checks, "_CAN_HAND_FILES", False)
    result = run(project, 2, dataset)
    assert (result.exit_code, result.stdout, result.stderr) == (
        serial.exit_code,
        serial.stdout,
        serial.stderr,
    )
    assert small_chunks == []
