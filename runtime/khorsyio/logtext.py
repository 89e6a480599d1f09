"""Client-supplied text in log lines and messages, cut to a bounded length.

A path, a header or a query value is the client's to choose: 60 KB of it must not become
60 KB of log per request. :func:`clip` cuts one value; :func:`logger` is
``logging.getLogger`` for khorsyio's own loggers, with a filter that clips every string
argument of a record (``log.error("%s %s failed", method, path)``) to :data:`LIMIT`
characters. One filter per logger object: every module logging on ``khorsyio.http``
shares it, whichever of them asked for it.
"""

from __future__ import annotations

import logging

__all__ = ["LIMIT", "clip", "logger"]

LIMIT = 300
"""The longest argument a khorsyio log line shows, in characters."""


def clip(value: object, limit: int = LIMIT) -> str:
    """``value`` as text, at most ``limit`` characters then ``…(+N chars)``."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…(+{len(text) - limit} chars)"


class _ClipArgs(logging.Filter):
    """Clips the string arguments of each record (numbers and short values are left alone)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(isinstance(a, str) and len(a) > LIMIT for a in args):
            record.args = tuple(clip(a) if isinstance(a, str) else a for a in args)
        return True


_FILTER = _ClipArgs()


def logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)`` whose records have their string arguments clipped."""
    log = logging.getLogger(name)
    if _FILTER not in log.filters:
        log.addFilter(_FILTER)
    return log
