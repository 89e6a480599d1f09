from __future__ import annotations

from pathlib import Path

import pytest

from khorsyio import Settings, SettingsError

SEED_ENV = """\
SERVER_HOST=0.0.0.0
SERVER_PORT=8000
SERVER_DEBUG=false
SERVER_WORKERS=1
DB_DSN=postgresql+asyncpg://localhost:5432/khorsyio
DB_POOL_MIN=2
DB_POOL_MAX=10
BUS_HANDLER_TIMEOUT=30.0
"""


def test_the_seed_variables_load_from_a_dotenv_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(SEED_ENV)
    s = Settings.load(environ={}, env_file=env_file)
    assert (s.server.host, s.server.port, s.server.debug, s.server.workers) == (
        "0.0.0.0",
        8000,
        False,
        1,
    )
    assert s.db.dsn == "postgresql+asyncpg://localhost:5432/khorsyio"
    assert (s.db.pool_min, s.db.pool_max) == (2, 10)
    assert s.bus.handler_timeout == 30.0
    assert s.db_configured


def test_the_environment_wins_over_dotenv(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SERVER_PORT=8000\nSERVER_DEBUG=no\n")
    s = Settings.load(environ={"SERVER_PORT": "9001", "SERVER_DEBUG": "TRUE"}, env_file=env_file)
    assert s.server.port == 9001
    assert s.server.debug is True


def test_defaults_need_no_settings_at_all(tmp_path: Path) -> None:
    s = Settings.load(environ={}, env_file=tmp_path / "missing.env")
    assert s.server.port == 8000
    assert s.db.dsn == ""
    assert not s.db_configured
    assert s.bus.drain_timeout == 5.0
    assert s.http.max_body_size == 1024 * 1024


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        (
            "SERVER_PORT",
            "eighty",
            "SERVER_PORT: expected an integer from 0 to 65535, got 'eighty'",
        ),
        ("SERVER_PORT", "70000", "SERVER_PORT: expected an integer from 0 to 65535, got '70000'"),
        ("SERVER_WORKERS", "0", "SERVER_WORKERS: expected an integer >= 1, got '0'"),
        ("BUS_QUEUE_SIZE", "0", "BUS_QUEUE_SIZE: expected an integer >= 1, got '0'"),
        ("BUS_HANDLER_TIMEOUT", "0", "BUS_HANDLER_TIMEOUT: expected a number > 0, got '0'"),
        ("BUS_HANDLER_TIMEOUT", "nan", "BUS_HANDLER_TIMEOUT: expected a number > 0, got 'nan'"),
        ("BUS_DRAIN_TIMEOUT", "-1", "BUS_DRAIN_TIMEOUT: expected a number >= 0, got '-1'"),
        ("DB_POOL_MIN", "-1", "DB_POOL_MIN: expected an integer >= 0, got '-1'"),
        ("WS_PING_TIMEOUT", "-5", "WS_PING_TIMEOUT: expected a number > 0, got '-5'"),
        (
            "SERVER_DEBUG",
            "maybe",
            "SERVER_DEBUG: expected a boolean (true/false/1/0/yes/no), got 'maybe'",
        ),
        ("BUS_HANDLER_TIMEOUT", "soon", "BUS_HANDLER_TIMEOUT: expected a number > 0, got 'soon'"),
        (
            "SERVER_SERVER",
            "gunicorn",
            "SERVER_SERVER: expected one of 'auto', 'uvicorn', 'granian', got 'gunicorn'",
        ),
    ],
)
def test_a_malformed_value_names_the_variable_and_the_expectation(
    var: str, value: str, expected: str
) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.load(environ={var: value}, env_file=None)
    assert str(info.value) == expected


def test_app_reports_malformed_settings_at_construction(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from khorsyio import App

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DB_POOL_MAX", "ten")
    with pytest.raises(SettingsError, match="DB_POOL_MAX: expected an integer"):
        App()
