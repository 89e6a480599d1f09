"""Per-handler counters: processed, errors, average duration."""

from __future__ import annotations

from typing import Any

__all__ = ["HandlerStats", "Metrics"]


class HandlerStats:
    """Counters of one handler; updated in place on the dispatch path (no dict lookups)."""

    __slots__ = ("errors", "last_error", "name", "processed", "retries", "total_ms")

    def __init__(self, name: str) -> None:
        self.name = name
        self.processed = 0
        self.errors = 0
        self.retries = 0
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


class Metrics:
    """``snapshot()`` gives ``{handler: {"processed", "errors", "avg_ms"}}``."""

    def __init__(self) -> None:
        self._stats: dict[str, HandlerStats] = {}

    def stats_for(self, name: str) -> HandlerStats:
        stats = self._stats.get(name)
        if stats is None:
            stats = self._stats[name] = HandlerStats(name)
        return stats

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
