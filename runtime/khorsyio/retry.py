"""Retry policies for handlers."""

from __future__ import annotations

import math

import msgspec

from khorsyio.errors import UsageError

__all__ = ["MAX_ATTEMPTS", "MAX_DELAY", "RetryPolicy"]

MAX_ATTEMPTS = 10_000
"""The most calls a policy may make: past that, a retry loop is a bug, not a policy."""

MAX_DELAY = 86_400.0
"""The longest wait (seconds) a policy may ask for before one retry: a day."""


def _number(name: str, value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UsageError(f"RetryPolicy.{name} must be a number, got {value!r}")
    if not math.isfinite(value) or not low <= value <= high:
        raise UsageError(
            f"RetryPolicy.{name} must be a finite number from {low:g} to {high:g}, got {value!r}"
        )
    return float(value)


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How a failing handler is retried before its event goes to the dead letters.

    ``attempts`` counts every call, the first included (``attempts=1`` never retries; at
    most :data:`MAX_ATTEMPTS`). The wait before retry *n* (1-based) is ``backoff *
    multiplier ** (n - 1)``, capped at ``max_backoff`` (at most :data:`MAX_DELAY` seconds):
    it saturates there, however many retries, so a long run still ends in a dead letter.
    Only errors whose code is in ``retry_on`` are retried (a handler exception has code
    ``"handler_error"``, a timeout ``"timeout"``; an input that does not fit the contract,
    ``"invalid_input"``, is never retried: it would fail again).

    Values that are not finite numbers, or out of these ranges, raise ``ValueError`` here.
    """

    attempts: int = 3
    backoff: float = 0.1
    multiplier: float = 2.0
    max_backoff: float = 10.0
    retry_on: frozenset[str] = frozenset({"handler_error", "timeout"})

    def __post_init__(self) -> None:
        a = self.attempts
        if isinstance(a, bool) or not isinstance(a, int) or not 1 <= a <= MAX_ATTEMPTS:
            raise UsageError(
                f"RetryPolicy.attempts must be an integer from 1 to {MAX_ATTEMPTS}, got {a!r}"
            )
        _number("backoff", self.backoff, 0.0, MAX_DELAY)
        _number("multiplier", self.multiplier, 1.0, 1000.0)
        _number("max_backoff", self.max_backoff, 0.0, MAX_DELAY)

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based), never over ``max_backoff``.

        Computed without ``multiplier ** (retry - 1)`` overflowing: past the cap the wait
        stays at ``max_backoff``.
        """
        cap = float(self.max_backoff)
        backoff = float(self.backoff)
        multiplier = float(self.multiplier)
        if backoff == 0.0 or retry <= 1 or multiplier == 1.0:
            return min(cap, backoff)
        if backoff >= cap:
            return cap
        # backoff * multiplier ** (retry - 1) >= cap  <=>  retry - 1 >= log(cap / backoff, m)
        if (retry - 1) * math.log(multiplier) >= math.log(cap / backoff):
            return cap
        return min(cap, backoff * multiplier ** (retry - 1))
