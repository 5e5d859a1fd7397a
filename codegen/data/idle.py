"""How many worker processes ``--jobs 0`` starts: the processors that are idle, measured
while this process already checks the first records of a large file (no pause to
measure), from the kernel's counters where there are some (Linux), else the load average.

Workers on a busy machine only add the cost of sending results back and forth
(benchmarks/validate_e2e.py measured that), so a processor counts only when it is idle.
The 1-minute load average alone lags by a minute and counts the user's own previous
commands as busy; it is the fallback only.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["IDLE_SAMPLE", "MAX_AUTO_JOBS", "IdleProbe", "auto_jobs", "cpu_quota"]

#: Seconds of checking in this process over which the idle processors are measured
#: (once per run, and only for a file large enough for workers).
IDLE_SAMPLE = 0.1

#: At most this many workers for --jobs 0: the main process prints and indexes every
#: record (about a seventh of the work), so more would wait on it, each with its memory.
MAX_AUTO_JOBS = 8


def auto_jobs(idle: float | None) -> int:
    """Worker processes for ``idle`` processors (None: not measured), at least 1 and at
    most the processors this process may run on: its affinity, a container's CPU quota
    (which the kernel's counters and the affinity do not show) and MAX_AUTO_JOBS."""
    try:
        processors = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        processors = os.cpu_count() or 1
    quota = cpu_quota()
    if quota is not None:
        processors = min(processors, max(1, math.ceil(quota)))
    processors = min(processors, MAX_AUTO_JOBS)
    if idle is None:
        try:
            idle = processors - os.getloadavg()[0]
        except OSError:  # pragma: no cover - no load average on this system
            idle = float(processors)
    return max(1, min(processors, round(idle)))


class IdleProbe:
    """The idle processors from now until :meth:`processors` is asked: the kernel's idle
    and I/O-wait ticks over all ticks (of the first line of ``stat``), times the
    processors, plus this process's own share of a processor over the same time, since
    the processor it works on is one its workers can have."""

    def __init__(self, stat: str = "/proc/stat") -> None:
        self.stat = stat
        self.started = time.monotonic()
        self.cpu = time.process_time()
        self.ticks = self._ticks()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def processors(self) -> float | None:
        """Idle processors since this probe began; None where the counters cannot be read
        or did not move."""
        ticks = self._ticks()
        wall = self.elapsed()
        if self.ticks is None or ticks is None or wall <= 0:
            return None
        total = ticks[1] - self.ticks[1]
        if total <= 0:
            return None
        idle = (ticks[0] - self.ticks[0]) / total * (os.cpu_count() or 1)
        own = min(1.0, (time.process_time() - self.cpu) / wall)
        return idle + own

    def _ticks(self) -> tuple[int, int] | None:
        """(idle and I/O-wait ticks, all ticks) of every processor so far."""
        try:
            with open(self.stat, "rb") as handle:
                # cpu user nice system idle iowait irq softirq steal [guest guest_nice]: the
                # guest times are counted in user and nice already.
                ticks = [int(x) for x in handle.readline().split()[1:9]]
            return ticks[3] + ticks[4], sum(ticks)
        except (OSError, ValueError, IndexError):
            return None


def cpu_quota(cgroups: str = "/proc/self/cgroup", root: str = "/sys/fs/cgroup") -> float | None:
    """The processors a cgroup CPU quota allows this process (a container's ``--cpus``):
    the smallest quota on its cgroup's path, cgroup v2 (``cpu.max``) or v1
    (``cpu.cfs_quota_us`` over ``cpu.cfs_period_us``); None without one or where there
    are no cgroups."""
    try:
        lines = Path(cgroups).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    found: list[float] = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == "0" and not controllers:  # v2: one tree, mounted at root
            for directory in _up_from(Path(root), path):
                found.extend(_quota_v2(directory))
        elif "cpu" in controllers.split(","):  # v1: a tree per controller (set)
            for base in dict.fromkeys((Path(root) / controllers, Path(root) / "cpu")):
                for directory in _up_from(base, path):
                    found.extend(_quota_v1(directory))
    return min(found) if found else None


def _up_from(base: Path, path: str) -> Iterator[Path]:
    """``base/path`` and its parents up to ``base``; in a container the path is often the
    host's while ``base`` is the container's own cgroup, so ``base`` counts too."""
    directory = base / path.strip("/")
    while True:
        yield directory
        if directory == base or base not in directory.parents:
            return
        directory = directory.parent


def _quota_v2(directory: Path) -> list[float]:
    try:
        quota, period = (directory / "cpu.max").read_text(encoding="ascii").split()[:2]
        return [] if quota == "max" else [int(quota) / int(period)]
    except (OSError, ValueError, UnicodeDecodeError, ZeroDivisionError):
        return []


def _quota_v1(directory: Path) -> list[float]:
    try:
        quota = int((directory / "cpu.cfs_quota_us").read_text(encoding="ascii"))
        period = int((directory / "cpu.cfs_period_us").read_text(encoding="ascii"))
    except (OSError, ValueError, UnicodeDecodeError):
        return []
    return [quota / period] if quota > 0 and period > 0 else []
