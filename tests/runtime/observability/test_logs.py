"""Structured logs: JSON lines or key=value lines, bus records with their fields, redaction."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from khorsyio import (
    Bus,
    Context,
    Handler,
    JsonFormatter,
    KeyValueFormatter,
    RetryPolicy,
    Settings,
    SettingsError,
    configure_logging,
)
from khorsyio.logs import REDACTED

from ..core.contracts import Num


@pytest.fixture
def root_logging() -> Iterator[None]:
    """Restore the root logger's handlers and level after the test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    root.setLevel(level)


def _settings(**env: str) -> Settings:
    return Settings.load(environ=env, env_file=None)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_message_and_the_extra_fields(root_logging: None) -> None:
    out = io.StringIO()
    configure_logging(_settings(LOG_FORMAT="json"), stream=out)
    logging.getLogger("myapp.orders").info("order %s placed", 7, extra={"order_id": 7})
    [line] = _lines(out)
    assert line["level"] == "INFO"
    assert line["logger"] == "myapp.orders"
    assert line["message"] == "order 7 placed"
    assert line["order_id"] == 7
    assert str(line["ts"]).endswith("Z")


def test_kv_lines_are_readable_and_quote_what_needs_it(root_logging: None) -> None:
    out = io.StringIO()
    configure_logging(_settings(LOG_FORMAT="kv"), stream=out)
    logging.getLogger("myapp").warning("slow", extra={"route": "/users/{id}", "why": "a b"})
    text = out.getvalue()
    assert "WARNING myapp: slow" in text
    assert "route=/users/{id}" in text
    assert 'why="a b"' in text


def test_auto_is_kv_in_debug_and_json_otherwise(root_logging: None) -> None:
    out = io.StringIO()
    configure_logging(_settings(SERVER_DEBUG="true"), stream=out)
    assert isinstance(logging.getLogger().handlers[-1].formatter, KeyValueFormatter)
    configure_logging(_settings(), stream=out)
    handler = logging.getLogger().handlers[-1]
    assert isinstance(handler.formatter, JsonFormatter)
    # called again: the handler is replaced, not added
    ours = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h.formatter, JsonFormatter | KeyValueFormatter)
    ]
    assert ours == [handler]


def test_log_level_is_applied_and_a_bad_one_names_the_variable(root_logging: None) -> None:
    out = io.StringIO()
    configure_logging(_settings(LOG_FORMAT="json", LOG_LEVEL="WARNING"), stream=out)
    logging.getLogger("myapp").info("hidden")
    logging.getLogger("myapp").warning("shown")
    assert [line["message"] for line in _lines(out)] == ["shown"]
    with pytest.raises(SettingsError, match="LOG_LEVEL: expected one of 'DEBUG'"):
        _settings(LOG_LEVEL="loud")
    with pytest.raises(SettingsError, match="LOG_FORMAT"):
        _settings(LOG_FORMAT="xml")


def test_sensitive_header_values_never_reach_a_line(root_logging: None) -> None:
    out = io.StringIO()
    configure_logging(_settings(LOG_FORMAT="json"), stream=out)
    log = logging.getLogger("myapp")
    log.info(
        "request",
        extra={
            "headers": {"Authorization": "Bearer s3cret", "Accept": "text/html"},
            "asgi_headers": [(b"cookie", b"sid=s3cret"), (b"host", b"example.org")],
            "cookie": "sid=s3cret",
        },
    )
    configure_logging(_settings(LOG_FORMAT="kv"), stream=out)
    log.info("request", extra={"headers": {"set-cookie": "sid=s3cret"}})
    assert "s3cret" not in out.getvalue()
    [line] = [json.loads(x) for x in out.getvalue().splitlines() if x.startswith("{")]
    assert line["headers"] == {"Authorization": REDACTED, "Accept": "text/html"}
    assert line["asgi_headers"] == [["cookie", REDACTED], ["host", "example.org"]]
    assert line["cookie"] == REDACTED


class AlwaysFails(Handler[Num, None]):
    subscribes_to = "flaky"
    retry = RetryPolicy(attempts=3, backoff=0.001)

    async def process(self, data: Num, ctx: Context) -> None:
        raise ConnectionError("db down")


async def test_a_retried_failure_logs_a_json_line_per_attempt_traceback_on_the_last(
    root_logging: None,
) -> None:
    out = io.StringIO()
    configure_logging(_settings(LOG_FORMAT="json"), stream=out)
    bus = Bus()
    bus.register(AlwaysFails())
    await bus.start()
    try:
        await bus.publish("flaky", Num(1), trace_id="t-flaky")
        assert await bus.wait_idle(5)
    finally:
        await bus.stop(drain_timeout=1.0)
    lines = [x for x in _lines(out) if x.get("handler") == "AlwaysFails"]
    assert [(x["attempt"], x["outcome"], x["level"]) for x in lines] == [
        (1, "retry", "WARNING"),
        (2, "retry", "WARNING"),
        (3, "failed", "ERROR"),
    ]
    for x in lines:
        assert x["trace_id"] == "t-flaky"
        assert x["event"] == "flaky"
        assert isinstance(x["duration_ms"], float)
        assert x["duration_ms"] >= 0
    assert ["exc" in x for x in lines] == [False, False, True]
    assert "ConnectionError: db down" in str(lines[-1]["exc"])
