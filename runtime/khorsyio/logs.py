"""Structured logs through the standard :mod:`logging` module.

:func:`configure_logging` gives the root logger one stderr handler whose formatter writes
either one JSON object per line (:class:`JsonFormatter`, for production) or readable
``key=value`` lines (:class:`KeyValueFormatter`, for development), as LOG_FORMAT says, at
LOG_LEVEL. Any logger reaches it: khorsyio's own and an app's ``logging.getLogger(__name__)``.

Fields given with ``extra=`` become keys of the line (the bus adds ``trace_id``,
``handler``, ``event``, ``duration_ms``, ``outcome`` and ``attempt`` to its records). The
value of a sensitive header (:data:`SENSITIVE_KEYS`: Authorization, Cookie...) is replaced
by ``"[redacted]"`` wherever it appears in an extra: as a key of a mapping or as the name of
a ``(name, value)`` pair such as an ASGI header.
"""

from __future__ import annotations

import datetime
import logging
import sys
from collections.abc import Mapping
from typing import IO, Any

import msgspec

from khorsyio.settings import LogSettings, Settings

__all__ = [
    "REDACTED",
    "SENSITIVE_KEYS",
    "JsonFormatter",
    "KeyValueFormatter",
    "configure_logging",
    "redact",
]

REDACTED = "[redacted]"
SENSITIVE_KEYS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "x-auth-token",
        "password",
    }
)
"""Names (case-insensitive) whose values never reach a log line."""

# attributes every LogRecord has: everything else on a record came from ``extra=``
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "taskName"}
)
_ENCODE = msgspec.json.Encoder(enc_hook=repr).encode


def _sensitive(name: Any) -> bool:
    if isinstance(name, bytes):
        name = name.decode("latin-1")
    return isinstance(name, str) and name.lower() in SENSITIVE_KEYS


def redact(value: Any) -> Any:
    """``value`` with the values of sensitive keys replaced (mappings, lists, pairs)."""
    if isinstance(value, Mapping):
        return {k: REDACTED if _sensitive(k) else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if len(value) == 2 and _sensitive(value[0]):
            return [redact(value[0]), REDACTED]
        return [redact(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The ``extra=`` fields of ``record``, redacted."""
    return {
        k: REDACTED if _sensitive(k) else redact(v)
        for k, v in vars(record).items()
        if k not in _STANDARD and not k.startswith("_")
    }


def _timestamp(record: logging.LogRecord) -> str:
    t = datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``ts``, ``level``, ``logger``, ``message``, the extra fields,
    and ``exc`` (the formatted traceback) when the record carries an exception."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update(record_fields(record))
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return _ENCODE(out).decode()


def _kv_value(v: Any) -> str:
    text = v if isinstance(v, str) else _ENCODE(v).decode()
    if text and not any(c in text for c in ' "=\n\t'):
        return text
    return _ENCODE(text).decode()


class KeyValueFormatter(logging.Formatter):
    """``ts LEVEL logger: message key=value ...``; a traceback on the lines below."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        fields = record_fields(record)
        if fields:
            line += " " + " ".join(f"{k}={_kv_value(v)}" for k, v in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class _KhorsyioHandler(logging.StreamHandler[IO[str]]):
    """The handler :func:`configure_logging` installs (and replaces when called again)."""


def configure_logging(
    settings: Settings | LogSettings | None = None,
    *,
    debug: bool | None = None,
    stream: IO[str] | None = None,
) -> logging.Handler:
    """Send every log record to ``stream`` (stderr) as LOG_FORMAT and LOG_LEVEL say.

    ``settings``: the app's (``app.settings``), only their ``log`` section, or None for
    ``Settings.load()``. ``debug`` (by default SERVER_DEBUG) makes ``LOG_FORMAT=auto`` pick
    the ``kv`` lines, as a terminal on stderr does. Calling it again replaces the handler it
    installed before; handlers installed by others are left alone. Returns the handler.
    """
    if settings is None:
        settings = Settings.load()
    if isinstance(settings, Settings):
        log_settings = settings.log
        if debug is None:
            debug = settings.server.debug
    else:
        log_settings = settings
    out = stream if stream is not None else sys.stderr
    fmt = log_settings.format
    if fmt == "auto":
        tty = getattr(out, "isatty", None)
        fmt = "kv" if debug or (tty is not None and tty()) else "json"
    handler = _KhorsyioHandler(out)
    handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _KhorsyioHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(log_settings.level)
    return handler
