"""Bounded counting for the validate report: Space-Saving for the most frequent values, and
capped tallies for keys that come from the spec (rules, fields) but could in principle be
anything the input names.

Space-Saving (Metwally, Agrawal, El Abbadi 2005) keeps ``capacity`` counters. A new item
when all are taken replaces one with the smallest count and inherits that count as its
possible overcount, so every item whose true count exceeds N/capacity is kept and each kept
count is at most ``error`` too high. Buckets by count make every update O(1).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T", bound=Hashable)


@dataclass(frozen=True)
class Estimate(Generic[T]):
    item: T
    count: int  # at most ``error`` higher than the true count
    error: int

    @property
    def guaranteed(self) -> int:
        """The count the item surely reached."""
        return self.count - self.error


class SpaceSaving(Generic[T]):
    """The most frequent items of a stream in ``capacity`` counters."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.total = 0
        self.evictions = 0
        self._count: dict[T, int] = {}
        self._error: dict[T, int] = {}
        # count → the items holding it, oldest first (dicts keep insertion order).
        self._buckets: dict[int, dict[T, None]] = {}
        self._min = 0

    def __len__(self) -> int:
        return len(self._count)

    @property
    def exact(self) -> bool:
        """No counter was ever replaced: every count is exact."""
        return self.evictions == 0

    def add(self, item: T) -> None:
        self.total += 1
        count = self._count.get(item)
        if count is not None:
            self._move(item, count, count + 1)
            return
        if len(self._count) < self.capacity:
            self._count[item] = 1
            self._error[item] = 0
            self._buckets.setdefault(1, {})[item] = None
            self._min = 1
            return
        # Replace the oldest item of the smallest count.
        smallest = self._min
        bucket = self._buckets[smallest]
        victim = next(iter(bucket))
        del bucket[victim], self._count[victim], self._error[victim]
        self.evictions += 1
        if not bucket:
            del self._buckets[smallest]
        self._count[item] = smallest + 1
        self._error[item] = smallest
        self._buckets.setdefault(smallest + 1, {})[item] = None
        if smallest not in self._buckets:
            self._min = smallest + 1

    def _move(self, item: T, count: int, new: int) -> None:
        bucket = self._buckets[count]
        del bucket[item]
        if not bucket:
            del self._buckets[count]
            if self._min == count:
                self._min = new
        self._buckets.setdefault(new, {})[item] = None
        self._count[item] = new

    def top(self, n: int) -> list[Estimate[T]]:
        """The ``n`` largest counts, ties in the order the items were first kept."""
        order = sorted(self._count.items(), key=lambda pair: -pair[1])
        return [Estimate(item, count, self._error[item]) for item, count in order[:n]]


class CappedCounter(Generic[T]):
    """Counts per key for at most ``capacity`` keys; later new keys count under ``other``.

    Keys come from the spec (rule ids, field names), so the cap is never reached by valid
    use; it keeps hostile input (a million distinct unknown keys) from growing the report.
    """

    def __init__(self, capacity: int, other: T) -> None:
        self.capacity = capacity
        self.other = other
        self.counts: dict[T, int] = {}

    def __len__(self) -> int:
        return len(self.counts)

    def add(self, key: T, amount: int = 1) -> None:
        if key not in self.counts and len(self.counts) >= self.capacity:
            key = self.other
        self.counts[key] = self.counts.get(key, 0) + amount

    def most_common(self) -> list[tuple[T, int]]:
        return sorted(self.counts.items(), key=lambda pair: -pair[1])
