"""``tests/conftest.py`` for a project that has none: the ``app`` fixture the tests use.

The template ships its own conftest; a project made without the template gets this one
from ``khorsyio gen``, once (it is the person's afterwards, like a handler's test). It does
what the template's does, deciding when the tests run rather than when gen runs, so that it
follows the project as it grows: ``create_app(settings)`` of ``app.main`` or, without one,
``app.main.app`` built again with the test settings in the environment; the tables of
``app.models``' ``Base`` when that module exists (else khorsyio's, which holds the
dead-letter table), created before the app starts; never the database of ``.env``.
"""

from __future__ import annotations

__all__ = ["CONFTEST", "render_conftest"]

CONFTEST = "tests/conftest.py"

_TEXT = '''\
"""Fixtures: the app, started on a fresh test database with its tables, and an HTTP client.

Written once by `khorsyio gen` because the project had no tests/conftest.py; it is yours
now (gen never rewrites it). The app is ``create_app(settings)`` of app.main or, when
app.main has no create_app, ``app.main.app`` imported again with the test settings in the
environment. Its database is TEST_DB_DSN if set, else a new SQLite file per test: never the
DB_DSN of .env.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from khorsyio import App, Base, Settings
from khorsyio.testing import TestClient
from sqlalchemy import MetaData

TEST_ENV = {"HTTP_OPENAPI": "true", "BUS_STRICT_GRAPH": "true"}
"""On top of the environment: OpenAPI served, and a graph error fails the tests too."""


def _test_database(tmp_path: Path) -> str:
    """TEST_DB_DSN if set, else a fresh SQLite file per test."""
    return os.environ.get("TEST_DB_DSN") or f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


def _metadata() -> MetaData | None:
    """The tables of app.models' Base, or None when the project has no app.models."""
    if importlib.util.find_spec("app.models") is None:
        return None
    metadata: MetaData = importlib.import_module("app.models").Base.metadata
    return metadata


def _build(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> App:
    """``create_app(settings)`` of app.main; without it, ``app.main.app`` built again."""
    main = importlib.import_module("app.main")
    create_app = getattr(main, "create_app", None)
    if create_app is not None:
        app = create_app(settings)
    else:
        for key, value in {**TEST_ENV, "DB_DSN": settings.db.dsn}.items():
            monkeypatch.setenv(key, value)
        app = importlib.reload(main).app
    if not isinstance(app, App) or app.settings.db.dsn != settings.db.dsn:
        pytest.fail(
            "app.main did not build its app on the test database: define "
            "create_app(settings: Settings | None = None) -> App in app/main.py (the tests "
            "pass it their settings), or let App() read DB_DSN from the environment"
        )
    return app


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The settings of the environment, on the test database, OpenAPI served, graph strict."""
    env = {**os.environ, **TEST_ENV, "DB_DSN": _test_database(tmp_path)}
    return Settings.load(environ=env, env_file=None)


@pytest.fixture
async def app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[App]:
    """The app, started, on empty tables (khorsyio's dead letters' included)."""
    app = _build(settings, monkeypatch)
    metadata = _metadata() or Base.metadata
    await app.db.drop_all(metadata)
    await app.db.create_all(metadata)
    await app.startup()
    yield app
    await app.shutdown()


@pytest.fixture
async def client(app: App) -> AsyncIterator[TestClient]:
    """An HTTP client of the app (in-process)."""
    async with TestClient(app) as c:
        yield c
'''


def render_conftest() -> str:
    """The text of a new ``tests/conftest.py`` (the same for every project)."""
    return _TEXT
