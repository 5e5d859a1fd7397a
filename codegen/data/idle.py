"""How many worker processes ``--jobs 0`` starts: the processors that are idle, measured
while this process already checks the first records of a large file (no pause to
measure), from the kernel's counters where there are some (Linux), else the load average.

Workers on a busy machine only add the cost of sending results back and forth
(benchmarks/validate_e2e.py measured that), so a processor counts only when it is idle.
The 1-minute load average alone lags by a minute and counts the user's own previous
commands as busy; it is the fallback only.
"""

from __future__ import annotations

import os
import time

__all__ = ["IDLE_SAMPLE", "IdleProbe", "auto_jobs"]

#: Seconds of checking in this process over which the idle processors are measured
#: (once per run, and only for a file large enough for workers).
IDLE_SAMPLE = 0.1


def auto_jobs(idle: float | None) -> int:
    """Worker processes for ``idle`` processors (None: not measured), at least 1 and at
    most the processors this process may run on."""
    try:
        processors = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        processors = os.cpu_count() or 1
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
