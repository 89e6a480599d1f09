"""Retry policies for handlers."""

from __future__ import annotations

import msgspec

__all__ = ["RetryPolicy"]


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How a failing handler is retried before its event goes to the dead letters.

    ``attempts`` counts every call, the first included (``attempts=1`` never retries).
    The wait before retry *n* (1-based) is ``backoff * multiplier ** (n - 1)``, capped at
    ``max_backoff``. Only errors whose code is in ``retry_on`` are retried (a handler
    exception has code ``"handler_error"``, a timeout ``"timeout"``; an input that does not
    fit the contract, ``"invalid_input"``, is never retried: it would fail again).
    """

    attempts: int = 3
    backoff: float = 0.1
    multiplier: float = 2.0
    max_backoff: float = 10.0
    retry_on: frozenset[str] = frozenset({"handler_error", "timeout"})

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if self.backoff < 0 or self.max_backoff < 0 or self.multiplier < 1:
            raise ValueError("RetryPolicy: backoff and max_backoff >= 0, multiplier >= 1")

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        return float(min(self.max_backoff, self.backoff * self.multiplier ** (retry - 1)))
