"""What the log says about a failing event: a line per retried attempt, the traceback once.

A handler that fails three times under ``RetryPolicy(attempts=3)`` logs two WARNING lines
(attempt 1 of 3, attempt 2 of 3, each with the wait before the next) and one ERROR line
with the exception's traceback when it gives up and the event becomes a dead letter.
"""

from __future__ import annotations

import logging

from khorsyio.errors import HandlerError
from khorsyio.events import Envelope
from khorsyio.retry import RetryPolicy

__all__ = ["log_failure", "log_retry"]

log = logging.getLogger("khorsyio.bus")


def log_retry(
    handler: str, env: Envelope, failure: HandlerError, attempt: int, policy: RetryPolicy
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
    )


def log_failure(
    handler: str, env: Envelope, failure: HandlerError, attempts: int, exc: Exception | None
) -> None:
    """One ERROR line for an event that failed for good, with the exception's traceback."""
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
        )
    else:
        log.error("%s failed on %s trace=%s", handler, env.event_type, env.trace_id, exc_info=exc)
