"""Settings from the environment and ``.env``.

Each section is a msgspec Struct; a field ``port`` of the section with prefix ``SERVER_``
is read from ``SERVER_PORT``. The process environment wins over ``.env``. A malformed
or out-of-range value raises :class:`~khorsyio.errors.SettingsError` naming the variable
and what was expected.

Importing this module installs :mod:`khorsyio.excepthook`: a settings or wiring mistake that
stops a program prints one line instead of a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, TypeVar

import msgspec
from dotenv import dotenv_values

from khorsyio.errors import SettingsError
from khorsyio.excepthook import install_excepthook

__all__ = [
    "BusSettings",
    "DbSettings",
    "HttpSettings",
    "LogSettings",
    "ServerSettings",
    "Settings",
    "WsSettings",
]


# Constraints checked when a value is read from the environment (Settings.load)
Port = Annotated[int, msgspec.Meta(ge=0, le=65535)]
Positive = Annotated[int, msgspec.Meta(ge=1)]
Count = Annotated[int, msgspec.Meta(ge=0)]
Seconds = Annotated[float, msgspec.Meta(gt=0)]
Delay = Annotated[float, msgspec.Meta(ge=0)]


class ServerSettings(msgspec.Struct, kw_only=True):
    prefix: ClassVar[str] = "SERVER_"
    host: str = "127.0.0.1"
    port: Port = 8000
    debug: bool = False
    workers: Positive = 1
    server: Literal["auto", "uvicorn", "granian"] = "auto"
    """Which ASGI server ``App.run()`` uses; ``auto`` prefers granian when installed."""


class DbSettings(msgspec.Struct, kw_only=True):
    prefix: ClassVar[str] = "DB_"
    dsn: str = ""
    """Empty: the embedded default, SQLite at ``./app.db``, opened on first use."""
    pool_min: Count = 2
    pool_max: Positive = 10
    echo: bool = False


class BusSettings(msgspec.Struct, kw_only=True):
    prefix: ClassVar[str] = "BUS_"
    handler_timeout: Seconds = 30.0
    concurrency: Positive = 64
    """Default per-handler limit of events processed at once."""
    queue_size: Positive = 1024
    """Default per-handler limit of events waiting; beyond it publishers wait."""
    drain_timeout: Delay = 5.0
    """Seconds shutdown gives the bus and the requests in flight (and ``App.run``'s server)
    before cancelling what is left."""
    strict_graph: bool = False
    """Graph warnings (no consumer, no producer, contract mismatch) stop startup."""
    event_log_size: Count = 1000
    dead_letter_size: Count = 10000
    dead_letter_store: Literal["auto", "memory", "database"] = "auto"
    """Where dead letters are kept: ``auto`` is the database when DB_DSN is set and it has the
    table (else memory, with a warning); ``database`` stops the start without the table."""
    dead_letter_admin: bool = False
    """Serve ``/_khorsyio/dead-letters`` (``khorsyio dlq --url``); needs app.dead_letter_auth."""
    process_workers: Count = 0
    """Size of the pool for ``execution_mode = "process"`` handlers; 0: the CPU count."""


class HttpSettings(msgspec.Struct, kw_only=True):
    prefix: ClassVar[str] = "HTTP_"
    max_body_size: Count = 1024 * 1024
    """Largest request body in bytes; a bigger one is answered 413 without being read."""
    body_timeout: Seconds = 30.0
    """Seconds a request body has to arrive in full, from its first read; a stalled one is
    answered 408 ``request_timeout`` (socket.io long-polling POSTs too)."""
    openapi: bool = False
    """Serve ``/openapi.json`` and ``/docs``."""
    openapi_title: str = "khorsyio app"
    """``info.title`` of the OpenAPI document."""
    openapi_version: str = "0.1.0"
    """``info.version`` of the OpenAPI document (the API's version)."""
    health: bool = True
    """Serve ``/health`` (liveness) and ``/ready`` (database and bus reachable); a route of
    the app's own at either path is kept instead."""
    ready_timeout: Seconds = 2.0
    """Seconds ``/ready`` gives each check (the database's ``SELECT 1``) before failing it."""
    metrics: bool = False
    """Serve ``/metrics`` in the Prometheus text format (needs ``khorsyio[metrics]``)."""


class WsSettings(msgspec.Struct, kw_only=True):
    prefix: ClassVar[str] = "WS_"
    max_message_size: Positive = 64 * 1024
    """Largest incoming socket.io message (bytes); a bigger one closes that connection."""
    ping_interval: Seconds = 25.0
    """Seconds between server pings."""
    ping_timeout: Seconds = 20.0
    """Seconds a client has to answer a ping before it is dropped."""
    max_in_flight: Positive = 32
    """Per client: messages being published at once; more get an error ``rate_limited``."""
    rate_limit: Delay = 0.0
    """Per client: sustained messages per second (token bucket); 0 turns it off."""
    rate_burst: Positive = 100
    """Per client: messages accepted in a burst when ``rate_limit`` is on."""
    max_queued_out: Count = 1000
    """Per client: outgoing packets waiting to be written; beyond it (the client is not
    reading) its new messages are refused without an answer."""
    flood_disconnect: Count = 1000
    """Per client: messages refused in a row before the connection is closed; 0: never."""


class LogSettings(msgspec.Struct, kw_only=True):
    prefix: ClassVar[str] = "LOG_"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    """The root logger's level (:func:`khorsyio.configure_logging`)."""
    format: Literal["auto", "json", "kv"] = "auto"
    """``json``: one JSON object per line; ``kv``: readable ``key=value`` lines; ``auto``:
    ``kv`` when SERVER_DEBUG is set or stderr is a terminal, else ``json``."""


S = TypeVar("S", bound=msgspec.Struct)


def _bounds(meta: msgspec.Meta) -> str:
    lo = meta.ge if meta.ge is not None else meta.gt
    hi = meta.le if meta.le is not None else meta.lt
    if meta.ge is not None and meta.le is not None:
        return f" from {lo:g} to {hi:g}"
    parts = []
    if lo is not None:
        parts.append(f"{'>=' if meta.ge is not None else '>'} {lo:g}")
    if hi is not None:
        parts.append(f"{'<=' if meta.le is not None else '<'} {hi:g}")
    return " " + " and ".join(parts) if parts else ""


def _type_name(tp: Any) -> str:
    metadata = getattr(tp, "__metadata__", None)
    if metadata is not None:  # Annotated[int, Meta(ge=0)]: "an integer >= 0"
        metas = [m for m in metadata if isinstance(m, msgspec.Meta)]
        return _type_name(tp.__origin__) + "".join(_bounds(m) for m in metas)
    if tp is bool:
        return "a boolean (true/false/1/0/yes/no)"
    if tp is int:
        return "an integer"
    if tp is float:
        return "a number"
    if tp is str:
        return "a string"
    args = getattr(tp, "__args__", None)
    if args and all(isinstance(a, str) for a in args):
        return "one of " + ", ".join(repr(a) for a in args)
    return repr(tp)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _load_section(cls: type[S], env: Mapping[str, str]) -> S:
    prefix: str = getattr(cls, "prefix", "")
    values: dict[str, Any] = {}
    for field in msgspec.structs.fields(cls):
        var = prefix + field.name.upper()
        if var not in env:
            continue
        raw = env[var].strip()
        if field.type is bool:
            low = raw.lower()
            if low not in _TRUE | _FALSE:
                raise SettingsError(f"{var}: expected {_type_name(bool)}, got {raw!r}")
            values[field.name] = low in _TRUE
            continue
        try:
            values[field.name] = msgspec.convert(raw, field.type, strict=False)
        except msgspec.ValidationError:
            raise SettingsError(f"{var}: expected {_type_name(field.type)}, got {raw!r}") from None
    return cls(**values)


class Settings(msgspec.Struct, kw_only=True):
    """All settings of an app. ``Settings.load()`` reads them; ``Settings()`` is the defaults."""

    server: ServerSettings = msgspec.field(default_factory=ServerSettings)
    db: DbSettings = msgspec.field(default_factory=DbSettings)
    bus: BusSettings = msgspec.field(default_factory=BusSettings)
    http: HttpSettings = msgspec.field(default_factory=HttpSettings)
    ws: WsSettings = msgspec.field(default_factory=WsSettings)
    log: LogSettings = msgspec.field(default_factory=LogSettings)
    db_configured: bool = False
    """True when DB_DSN was given explicitly (then startup connects and fails loudly)."""

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        env_file: str | os.PathLike[str] | None = ".env",
    ) -> Settings:
        """Read settings from ``environ`` (default ``os.environ``) over ``env_file``."""
        env: dict[str, str] = {}
        if env_file is not None and Path(env_file).is_file():
            env.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        env.update(os.environ if environ is None else environ)
        return cls(
            server=_load_section(ServerSettings, env),
            db=_load_section(DbSettings, env),
            bus=_load_section(BusSettings, env),
            http=_load_section(HttpSettings, env),
            ws=_load_section(WsSettings, env),
            log=_load_section(LogSettings, env),
            db_configured=bool(env.get("DB_DSN", "").strip()),
        )


install_excepthook()  # see khorsyio.excepthook: a settings mistake prints one line
