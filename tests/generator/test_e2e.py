"""End to end: generate a project, fill the bodies, run its tests (and the type checkers),
change the graph, regenerate, run its tests again."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import edit, write_project
from .test_gen import ruff_clean

BIN = Path(sys.executable).parent

HTTP_TEST = '''\
"""The person's own test: the whole app over HTTP."""

from khorsyio.testing import TestClient

from app.main import app


def test_post_users_runs_the_chain() -> None:
    with TestClient(app) as client:
        r = client.post("/users", json={"name": "ada", "email": "ada@example.org"})
    assert r.status_code == 201, r.text
    assert r.json() == {"id": 1, "name": "ada"}
'''


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=root, capture_output=True, text=True, check=False, timeout=300
    )


def pytest_in(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest in the project ``root`` (on ``args``: files, options)."""
    return run(
        root,
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        *args,
    )


def fill(path: Path, body: str) -> None:
    text = path.read_text()
    start = text.index("raise NotImplementedError(")
    end = text.index(")\n", text.index('"', start) + 1) + 2
    path.write_text(text[:start] + body.strip() + "\n" + text[end:])


def typecheck(root: Path) -> None:
    (root / "pyrightconfig.json").write_text(
        json.dumps({"typeCheckingMode": "strict", "include": ["app", "tests"]})
    )
    mypy = run(root, str(BIN / "mypy"), "--strict", "--no-incremental", "app", "tests")
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    pyright = run(root, str(BIN / "pyright"), "--pythonpath", sys.executable)
    assert pyright.returncode == 0, pyright.stdout + pyright.stderr


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_generate_fill_test_change_regenerate_test(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj")
    gen = run(root, str(BIN / "khorsyio"), "gen")
    assert gen.returncode == 0, gen.stderr

    # stubs are reported as not implemented, never as passing
    first = pytest_in(root)
    assert first.returncode == 1
    assert "2 failed" in first.stdout
    assert "CreateUser.process is not implemented yet" in first.stdout
    assert "SendWelcome.process is not implemented yet" in first.stdout

    create = root / "app/domains/user/handlers/create_user.py"
    welcome = root / "app/domains/user/handlers/send_welcome.py"
    fill(
        create,
        'await self._mailer.send(data.email, "welcome")\n'
        "        return UserOut(id=1, name=data.name)",
    )
    fill(welcome, 'await self._mailer.send(data.name, "hello")\n        return None')
    (root / "tests/test_http.py").write_text(HTTP_TEST)
    body_create = create.read_text().split("async def process")[1]
    body_welcome = welcome.read_text().split("async def process")[1].split(":", 1)[1]

    filled = pytest_in(root)
    assert filled.returncode == 0, filled.stdout + filled.stderr
    assert "3 passed" in filled.stdout
    ruff_clean(root)
    typecheck(root)
    assert run(root, str(BIN / "khorsyio"), "gen").returncode == 0  # AGENTS.md: nothing to fill
    assert (
        "Every handler in khorsyio.yaml has a `process` body." in (root / "AGENTS.md").read_text()
    )

    # change the graph: rename an event, add a dependency, change a timeout, rename and move
    spec = root / "khorsyio.yaml"
    edit(spec, "on: user.create", "on: user.register")
    edit(spec, "event: user.create", "event: user.register")
    edit(spec, "deps: [db, mailer]", "deps: [db, mailer, client]")
    edit(spec, "timeout: 5", "timeout: 8")
    text = spec.read_text()
    start, end = text.index("      SendWelcome:"), text.index("    routes:")
    block = text[start:end].replace("SendWelcome:", "GreetUser:")
    spec.write_text(text[:start] + text[end:] + "  greet:\n    handlers:\n" + block)
    check = run(root, str(BIN / "khorsyio"), "check")
    assert check.returncode == 0, check.stdout + check.stderr
    regen = run(root, str(BIN / "khorsyio"), "gen")
    assert regen.returncode == 0, regen.stderr
    assert (
        "moved app/domains/user/handlers/send_welcome.py"
        " -> app/domains/greet/handlers/greet_user.py" in regen.stdout
    )

    greet = root / "app/domains/greet/handlers/greet_user.py"
    assert not welcome.exists()
    new_create = create.read_text()
    assert 'subscribes_to = "user.register"' in new_create
    assert "timeout = 8.0" in new_create
    assert "self._client = client" in new_create
    assert new_create.split("async def process")[1] == body_create
    assert "class GreetUser(Handler[UserOut, None]):" in greet.read_text()
    assert greet.read_text().split("async def process")[1].split(":", 1)[1] == body_welcome
    assert (root / "tests/greet/test_greet_user.py").is_file()

    again = pytest_in(root)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "3 passed" in again.stdout
    ruff_clean(root)
    typecheck(root)
    assert run(root, str(BIN / "khorsyio"), "gen", "--check").returncode == 0
    status = run(root, str(BIN / "khorsyio"), "status")
    assert status.returncode == 0, status.stdout
