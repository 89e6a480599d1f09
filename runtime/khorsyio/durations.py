"""Durations given in seconds, checked where they enter (a handler's ``timeout``, a bus
route's, ``bus.request(timeout=)``, ``bus.stop(drain_timeout=)``): NaN never times out
and infinity never ends, so neither is accepted."""

from __future__ import annotations

import math

from khorsyio.errors import KhorsyioError, UsageError

__all__ = ["seconds"]


def seconds(
    value: object, what: str, *, error: type[KhorsyioError] = UsageError, zero: bool = False
) -> float:
    """``value`` as a float when it is a finite number of seconds > 0 (>= 0 with ``zero``),
    else ``error`` naming ``what``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
        or (value == 0 and not zero)
    ):
        bound = ">= 0" if zero else "> 0"
        raise error(f"{what} must be a positive, finite number of seconds ({bound}), got {value!r}")
    return float(value)
