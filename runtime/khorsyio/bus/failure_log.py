"""What the log says about a failing event: a line per retried attempt, the traceback once.

A handler that fails three times under ``RetryPolicy(attempts=3)`` logs two WARNING lines
(attempt 1 of 3, attempt 2 of 3, each with the wait before the next) and one ERROR line
with the exception's traceback when it gives up and the event becomes a dead letter.

Each record carries, as ``extra=`` fields (keys of a JSON line, see :mod:`khorsyio.logs`):
``trace_id``, ``handler``, ``event``, ``duration_ms`` (of that attempt), ``outcome``
(``"retry"`` or ``"failed"``) and ``attempt`` (1 for the first).
"""

from __future__ import annotations

import logging
from typing import Any

from khorsyio.errors import HandlerError
from khorsyio.events import Envelope
from khorsyio.retry import RetryPolicy

__all__ = ["log_failure", "log_retry"]

log = logging.getLogger("khorsyio.bus")


def _fields(
    handler: str, env: Envelope, failure: HandlerError, attempt: int, ms: float, outcome: str
) -> dict[str, Any]:
    return {
        "trace_id": env.trace_id,
        "handler": handler,
        "event": env.event_type,
        "duration_ms": round(ms, 3),
        "outcome": outcome,
        "attempt": attempt,
        "code": failure.code,
    }


def log_retry(
    handler: str,
    env: Envelope,
    failure: HandlerError,
    attempt: int,
    duration_ms: float,
    policy: RetryPolicy,
) -> None:
    """One WARNING line for a failed attempt that will be retried; no traceback."""
    log.warning(
        "%s failed on %s trace=%s (attempt %d of %d, retrying in %gs): %s: %s",
        handler,
        env.event_type,
        env.trace_id,
        attempt,
        policy.attempts,
        policy.delay(attempt),
        failure.code,
        failure.message,
        extra=_fields(handler, env, failure, attempt, duration_ms, "retry"),
    )


def log_failure(
    handler: str,
    env: Envelope,
    failure: HandlerError,
    attempts: int,
    duration_ms: float,
    exc: Exception | None,
) -> None:
    """One ERROR line for an event that failed for good, with the exception's traceback."""
    extra = _fields(handler, env, failure, attempts, duration_ms, "failed")
    if attempts > 1:
        log.error(
            "%s failed on %s trace=%s after %d attempts: %s: %s",
            handler,
            env.event_type,
            env.trace_id,
            attempts,
            failure.code,
            failure.message,
            exc_info=exc,
            extra=extra,
        )
    else:
        log.error(
            "%s failed on %s trace=%s",
            handler,
            env.event_type,
            env.trace_id,
            exc_info=exc,
            extra=extra,
        )
