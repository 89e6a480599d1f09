"""Per-handler counters: processed, errors, retries, average duration; optionally buckets.

The subscriptions update a handler's :class:`HandlerStats` in place. With
``Metrics(timed=True)`` (the app's when HTTP_METRICS is on) each handler gets a
:class:`TimedHandlerStats` instead, which also counts every attempt's duration into
histogram buckets, at the cost of a few operations per event; otherwise nothing is added to
the dispatch path.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

__all__ = ["DURATION_BUCKETS_MS", "HandlerStats", "Metrics", "TimedHandlerStats"]

DURATION_BUCKETS_MS: tuple[float, ...] = (
    1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0,
)  # fmt: skip
"""Upper bounds (milliseconds, inclusive) of the handler duration histogram; +Inf follows."""


class HandlerStats:
    """Counters of one handler; updated in place on the dispatch path (no dict lookups)."""

    __slots__ = (
        "dead_lettered",
        "errors",
        "last_error",
        "name",
        "processed",
        "retries",
        "total_ms",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.processed = 0
        self.errors = 0
        self.retries = 0
        self.dead_lettered = 0
        self.total_ms = 0.0
        self.last_error = ""

    def record(self, duration_ms: float, error: str | None = None) -> None:
        self.processed += 1
        self.total_ms += duration_ms
        if error is not None:
            self.errors += 1
            self.last_error = error

    @property
    def avg_ms(self) -> float:
        return round(self.total_ms / self.processed, 3) if self.processed else 0.0


class TimedHandlerStats(HandlerStats):
    """:class:`HandlerStats` that also counts each attempt's duration into ``buckets``.

    ``buckets[i]`` counts the attempts of at most ``bounds[i]`` ms (not cumulative), the
    last one those above every bound. Every addition to ``total_ms`` is one attempt.
    """

    __slots__ = ("_total", "bounds", "buckets")

    def __init__(self, name: str, bounds: tuple[float, ...] = DURATION_BUCKETS_MS) -> None:
        self._total = 0.0
        self.bounds = bounds
        self.buckets = [0] * (len(bounds) + 1)
        super().__init__(name)

    @property
    def total_ms(self) -> float:
        return self._total

    @total_ms.setter
    def total_ms(self, value: float) -> None:
        delta = value - self._total
        self._total = value
        if delta or value:  # the 0.0 of __init__ is no attempt
            self.buckets[bisect_left(self.bounds, delta)] += 1


class Metrics:
    """``snapshot()`` gives ``{handler: {"processed", "errors", "avg_ms"}}``.

    ``retries`` and ``last_error`` are added for a handler that has them.
    """

    def __init__(self, *, timed: bool = False) -> None:
        self._stats: dict[str, HandlerStats] = {}
        self.timed = timed
        """New handlers get :class:`TimedHandlerStats` (a duration histogram)."""

    def stats_for(self, name: str) -> HandlerStats:
        stats = self._stats.get(name)
        if stats is None:
            stats = self._stats[name] = (
                TimedHandlerStats(name) if self.timed else HandlerStats(name)
            )
        return stats

    def handlers(self) -> list[HandlerStats]:
        """The stats of every handler seen so far."""
        return list(self._stats.values())

    def snapshot(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for name, s in self._stats.items():
            entry: dict[str, Any] = {
                "processed": s.processed,
                "errors": s.errors,
                "avg_ms": s.avg_ms,
            }
            if s.retries:
                entry["retries"] = s.retries
            if s.last_error:
                entry["last_error"] = s.last_error
            out[name] = entry
        return out
