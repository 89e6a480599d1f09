"""A bounded log of the most recent events, for debugging and ``/events`` endpoints."""

from __future__ import annotations

from collections import deque
from typing import Any

from khorsyio.events import Envelope

__all__ = ["EventLog"]

_Row = tuple[float, str, str, str, str]


class EventLog:
    """Keeps the last ``max_size`` events; ``recent()`` filters by event type and trace."""

    def __init__(self, max_size: int = 1000) -> None:
        self._rows: deque[_Row] = deque(maxlen=max_size)

    def record(self, env: Envelope) -> None:
        ctx = env.ctx
        err = env.error
        self._rows.append(
            (ctx.timestamp, env.event_type, ctx.trace_id, ctx.source, err.message if err else "")
        )

    def recent(
        self, n: int = 50, event_type: str | None = None, trace_id: str | None = None
    ) -> list[dict[str, Any]]:
        """The last ``n`` events (oldest first), optionally only of a type or a trace."""
        out: list[dict[str, Any]] = []
        for ts, et, tid, source, error in reversed(self._rows):
            if len(out) >= n:
                break
            if (event_type and et != event_type) or (trace_id and tid != trace_id):
                continue
            out.append(
                {
                    "ts": ts,
                    "event_type": et,
                    "trace_id": tid,
                    "source": source,
                    "ok": not error,
                    "error": error,
                }
            )
        out.reverse()
        return out

    def clear(self) -> None:
        self._rows.clear()

    def __len__(self) -> int:
        return len(self._rows)
