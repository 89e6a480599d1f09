"""A minimal project skeleton (khorsyio.yaml, contracts, a service, app/main.py) to generate."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from khorsyio_gen.cli import main

SPEC = """\
# The event graph of the test project
version: 1
providers:
  mailer:
    type: app.services.mailer:Mailer  # a custom dependency
domains:
  user:
    handlers:
      CreateUser:
        id: create-user
        on: user.create
        emits: user.created
        input: UserIn
        output: UserOut
        deps: [db, mailer]
        timeout: 5
        retry: {attempts: 3, backoff: 0.1}
      SendWelcome:
        id: send-welcome
        on: user.created
        input: UserOut
        deps: [mailer]
    routes:
      - method: POST
        path: /users
        event: user.create
        reply: user.created
        body: UserIn
        response: UserOut
        status: 201
"""

CONTRACTS = """\
import msgspec


class UserIn(msgspec.Struct):
    name: str
    email: str
    age: int = 0


class UserOut(msgspec.Struct):
    id: int
    name: str


class UserCreated(msgspec.Struct):
    id: int
    name: str
    welcome: bool = True


class Tick(msgspec.Struct):
    count: int = 0
"""

MAILER = """\
class Mailer:
    \"\"\"Sends mail.\"\"\"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, to: str, body: str) -> None:
        \"\"\"Send ``body`` to ``to``.\"\"\"
        self.sent.append((to, body))
"""

MAIN = """\
from khorsyio import App

from app._generated.registry import wire

app = App()
wire(app)
"""

TESTS_CONFTEST = """\
\"\"\"The project's fixture: the app, started on a fresh test database with its tables.\"\"\"

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from khorsyio import App, Base, Settings

from app._generated.registry import wire


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    env = {**os.environ, "DB_DSN": f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"}
    app = App(settings=Settings.load(environ=env, env_file=None))
    wire(app)
    await app.db.create_all(Base.metadata)  # khorsyio_dead_letters too: before startup
    await app.startup()
    yield app
    await app.shutdown()
"""

PYPROJECT = """\
[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
"""

PROJECT_SOURCES = (
    "khorsyio.yaml",
    "pyproject.toml",
    "app/__init__.py",
    "app/contracts/__init__.py",
    "app/contracts/users.py",
    "app/services/__init__.py",
    "app/services/mailer.py",
    "app/main.py",
    "tests/conftest.py",
)
"""The files of :func:`write_project` (the rest is what gen writes)."""


def write_project(root: Path, spec: str = SPEC) -> Path:
    files = {
        "khorsyio.yaml": spec,
        "app/__init__.py": "",
        "app/contracts/__init__.py": "",
        "app/contracts/users.py": CONTRACTS,
        "app/services/__init__.py": "",
        "app/services/mailer.py": MAILER,
        "app/main.py": MAIN,
        "pyproject.toml": PYPROJECT,
        "tests/conftest.py": TESTS_CONFTEST,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "proj")


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    def run(root: Path, *args: str) -> Run:
        capsys.readouterr()
        code = main(["--root", str(root), *args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def snapshot(root: Path) -> dict[str, str]:
    """Every text file under ``root`` (relative path -> content), caches excluded."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and ".pytest_cache" not in p.parts:
            out[str(p.relative_to(root))] = p.read_text(encoding="utf-8")
    return out


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
