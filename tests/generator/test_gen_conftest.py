"""``khorsyio gen`` writes ``tests/conftest.py`` (the ``app`` fixture) in a project that has
none: once, then it is the person's. The generated tests then run on the app's test
database instead of failing with "fixture 'app' not found"."""

from __future__ import annotations

from pathlib import Path

import pytest

from khorsyio_gen.manifest import read_manifest
from khorsyio_gen.render.conftest import CONFTEST, render_conftest

from .conftest import edit, write_project
from .test_e2e import pytest_in
from .test_gen import ruff_clean

DEV_ENV = "DB_DSN=sqlite+aiosqlite:///./dev.db\n"
"""A developer's .env: the tests must never open (or create) this database."""

MAIN_WITH_CREATE_APP = """\
from khorsyio import App, Settings

from app._generated.registry import wire


def create_app(settings: Settings | None = None) -> App:
    app = App(settings=settings)
    wire(app)
    return app


app = create_app()
"""

MODELS = """\
from khorsyio import Base
from sqlalchemy.orm import Mapped, mapped_column


class Thing(Base):
    __tablename__ = "things"

    id: Mapped[int] = mapped_column(primary_key=True)
"""

TABLE_TEST = """\
from khorsyio import App


async def test_the_app_has_the_tables_on_the_test_database(app: App) -> None:
    assert "dev.db" not in app.settings.db.dsn
    assert await app.db.fetch("select * from things") == []
"""


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    """A project made without the template: no tests/conftest.py, a developer's .env."""
    root = write_project(tmp_path / "proj")
    (root / CONFTEST).unlink()
    (root / ".env").write_text(DEV_ENV)
    return root


def test_gen_writes_a_conftest_on_which_the_stub_test_fails_on_the_stub(bare: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli(bare, "gen")
    assert r.code == 0, r.err
    assert f"wrote {CONFTEST}" in r.out
    assert (bare / CONFTEST).read_text() == render_conftest()
    assert CONFTEST in read_manifest(bare).created
    ruff_clean(bare)
    run = pytest_in(bare, "tests/user/test_create_user.py")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "fixture 'app' not found" not in run.stdout
    assert "CreateUser.process is not implemented yet" in run.stdout, run.stdout
    assert not (bare / "dev.db").exists()


def test_the_conftest_takes_create_app_and_the_tables_of_app_models(bare: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (bare / "app/main.py").write_text(MAIN_WITH_CREATE_APP)
    (bare / "app/models.py").write_text(MODELS)
    assert cli(bare, "gen").code == 0
    (bare / "tests/test_tables.py").write_text(TABLE_TEST)
    run = pytest_in(bare, "tests/test_tables.py")
    assert run.returncode == 0, run.stdout + run.stderr
    assert not (bare / "dev.db").exists()


def test_a_second_gen_leaves_the_conftest_alone(bare: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(bare, "gen").code == 0
    recorded = read_manifest(bare).created
    edit(bare / CONFTEST, '"""Fixtures:', '"""Our fixtures:')
    edited = (bare / CONFTEST).read_text()
    r = cli(bare, "gen")
    assert r.code == 0
    assert CONFTEST not in r.out
    assert (bare / CONFTEST).read_text() == edited
    assert cli(bare, "gen", "--check").code == 0
    assert read_manifest(bare).created == recorded
    # deleted by the person: not written again (like a handler's test)
    (bare / CONFTEST).unlink()
    assert cli(bare, "gen", "--check").code == 0
    assert not (bare / CONFTEST).exists()


def test_a_project_with_a_conftest_gets_none_and_no_record(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    before = (project / CONFTEST).read_text()
    assert cli(project, "gen").code == 0
    assert (project / CONFTEST).read_text() == before
    assert read_manifest(project).created == {}
    assert '"created"' not in (project / "app/_generated/manifest.json").read_text()
