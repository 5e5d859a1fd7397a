"""Shared helpers for the benchmarks: whole-process measurement, interleaving, medians.

Every figure a benchmark reports comes from here, so they are all taken the same way:

- a command runs as a whole process (start-up included), its output sent to a file;
- wall time is ``time.perf_counter()`` from spawning to reaping; user and sys CPU come
  from ``os.wait4``'s resource usage of the finished process (and of the children it
  waited for);
- peak memory is of the whole process tree: every ``interval`` seconds the tree (the
  process and every descendant, found through ``/proc/*/stat``) is walked and the
  resident sets (``/proc/PID/statm``) summed; the peak of those sums is reported, or
  the largest single process's own high-water mark (``ru_maxrss`` from ``wait4``) when
  that is higher (a spike between two samples);
- commands run interleaved (A B C A B C …) after warm-up runs that are not counted,
  and each figure is reported as the median with the spread (min–max).
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

PAGE = os.sysconf("SC_PAGE_SIZE")
T = TypeVar("T")


@dataclass(frozen=True)
class Run:
    """One finished process: seconds, peak memory in bytes, exit status."""

    wall: float
    user: float
    sys: float
    tree_peak: int  # the peak of the sampled tree sums, or the single high-water mark
    single_peak: int  # the largest single process's high-water mark (wait4 ru_maxrss)
    returncode: int

    @property
    def cpu(self) -> float:
        return self.user + self.sys


def _children_map() -> dict[int, list[int]]:
    """Parent pid → child pids, from /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces: split after the last ")"
        fields = stat[stat.rfind(b")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def tree_rss(root: int) -> int:
    """Bytes resident in ``root`` and all its descendants now (0 if it is gone)."""
    children = _children_map()
    total = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
        stack.extend(children.get(pid, ()))
    return total


def run(
    command: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    output: Path | None = None,
    interval: float = 0.05,
    timeout: float | None = None,
    sample: bool = True,
) -> Run:
    """Runs ``command`` once, stdout and stderr to ``output`` (or /dev/null), measured."""
    sink = open(output, "wb") if output is not None else open(os.devnull, "wb")
    try:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        peak = 0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if sample:
                peak = max(peak, tree_rss(process.pid))
            if timeout is not None and time.perf_counter() - started > timeout:
                process.kill()
            time.sleep(interval)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    finally:
        sink.close()
    single = usage.ru_maxrss * 1024  # kilobytes on Linux
    return Run(
        wall,
        usage.ru_utime,
        usage.ru_stime,
        max(peak, single),
        single,
        process.returncode,
    )


def interleaved(
    actions: Mapping[str, Callable[[], T]], repeat: int, warmup: int = 1
) -> dict[str, list[T]]:
    """Runs every action ``warmup`` times (not kept), then ``repeat`` rounds A B C, A B C, …"""
    for _ in range(warmup):
        for action in actions.values():
            action()
    results: dict[str, list[T]] = {name: [] for name in actions}
    for _ in range(repeat):
        for name, action in actions.items():
            results[name].append(action())
    return results


@dataclass(frozen=True)
class Spread:
    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(statistics.median(values), min(values), max(values))

    def show(self, scale: float = 1.0, digits: int = 2) -> str:
        """``1.23 (1.10–1.40)``."""
        m, lo, hi = (v * scale for v in (self.median, self.low, self.high))
        return f"{m:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


def ratios(a: Sequence[float], b: Sequence[float]) -> Spread:
    """a/b pair by pair (same round), so a drift in machine speed cancels."""
    return Spread.of([x / y for x, y in zip(a, b, strict=True)])


MB = 1 / (1024 * 1024)


def machine() -> str:
    """One line on where the figures were taken."""
    load = os.getloadavg()
    return (
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs "
        f"shared with other workers (1/5/15-minute load {load[0]:.1f}/{load[1]:.1f}/"
        f"{load[2]:.1f}): figures are noisy, quote medians and ratios."
    )
