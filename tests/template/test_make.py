"""A project made by `khorsyio new`, driven by its own README's commands, as a user would.

`make setup` builds the project's own virtualenv with pip from the package index and the
project's `wheels/` (the khorsyio it was made with is not published), so these tests install
for real and take a minute each: they run once, not per Python.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from .conftest import BIN, ok, run

pytestmark = [pytest.mark.slow, pytest.mark.once, pytest.mark.timeout(900)]


def make(project: Path, target: str, env: dict[str, str] | None = None) -> str:
    # the user's shell: no virtualenv of this repository on PATH, nothing it exported
    clean = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    clean["PATH"] = os.pathsep.join(
        p for p in clean.get("PATH", "").split(os.pathsep) if Path(p) != BIN
    )
    clean.update(env or {})
    result = subprocess.run(
        ["make", target], cwd=project, env=clean, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"make {target}\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def readme_commands(project: Path) -> list[str]:
    readme = (project / "README.md").read_text()
    return re.findall(r"^make (\w+)", readme, re.MULTILINE)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_readme_commands_work_in_a_new_project(
    tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    project = tmp_path / "shop"
    ok(
        run(
            tmp_path,
            str(BIN / "khorsyio"),
            "new",
            str(project),
            "--defaults",
            "-d",
            f"database={database}",
        )
    )
    pyproject = (project / "pyproject.toml").read_text()
    assert "khorsyio[]" not in pyproject
    assert sorted(p.name.split("-")[0] for p in (project / "wheels").glob("*.whl")) == [
        "khorsyio",
        "khorsyio_gen",
    ]
    assert {"setup", "test", "lint", "check", "run", "dev"} <= set(readme_commands(project))
    env = {}
    if database == "postgresql":
        env["TEST_DB_DSN"] = request.getfixturevalue("pg_database")

    make(project, "setup")
    venv = project / ".venv" / "bin"
    installed = ok(run(project, str(venv / "python"), "-m", "pip", "list", "--format=freeze"))
    assert "khorsyio==" in installed
    assert "khorsyio-gen==" in installed
    make(project, "lint")
    assert "the graph is consistent" in make(project, "check")
    assert " passed" in make(project, "test", env)
    assert not (project / "app.db").exists()  # the tests never touch the developer's database
    if database == "sqlite":
        for target in ("run", "dev"):
            log = serve_and_stop(project, target)
            # the app's own logging reaches the console: SendWelcome's mailer logs each mail
            assert f"app.services.mailer: mail to ada{target}@example.com" in log
    # nothing a command wrote is left for git to see, but for the virtualenv (ignored)
    assert ok(run(project, "git", "status", "--porcelain")) == ""


def serve_and_stop(project: Path, target: str) -> str:
    """`make run` (or `make dev`) on a free port: migrate, serve, answer, stop on SIGINT."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SERVER_PORT": str(port), "SERVER_HOST": "127.0.0.1"}
    env.pop("VIRTUAL_ENV", None)
    proc = subprocess.Popen(
        ["make", "run"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()[0]
                assert time.monotonic() < deadline, "make run did not serve in 60 s"
                time.sleep(0.3)
        assert r.json() == {"status": "ok"}
        # .env turns on /ready and /metrics
        assert httpx.get(f"http://127.0.0.1:{port}/ready", timeout=5).status_code == 200
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert 'khorsyio_http_requests_total{method="GET",route="/health"' in metrics
        created = httpx.post(
            f"http://127.0.0.1:{port}/users",
            json={"name": "Ada", "email": f"ada{target}@example.com"},
            timeout=5,
        )
        assert created.status_code == 201, created.text
        time.sleep(0.5)  # the welcome mail goes out after the reply (fan-out)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    text = out.decode()
    assert "Traceback" not in text, text
    return text
