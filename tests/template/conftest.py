"""Render the project template with copier, for real, and run the rendered project's tools."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import copier
import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every template test runs once, on the first Python of scripts/test.sh: they drive
    copier, pip, make and the rendered project's own tools in subprocesses, which the second
    Python would only repeat (the runtime and generator tests run on each Python)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.once)


def render(dst: Path, **data: Any) -> Path:
    """``copier copy`` of this repository's template into ``dst`` (answers: defaults + data)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DirtyLocalWarning while developing the template
        copier.run_copy(str(REPO), dst, data=data, defaults=True, quiet=True, unsafe=False)
    return dst


def run(
    cwd: Path, *cmd: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run a tool of the repository's virtualenv in the rendered project."""
    exe = str(BIN / cmd[0]) if (BIN / cmd[0]).exists() else cmd[0]
    full_env = {**os.environ, **(env or {})}
    full_env.pop("PYTHONPATH", None)
    return subprocess.run(
        [exe, *cmd[1:]], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@contextlib.contextmanager
def serve(project: Path, db_file: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`make run` without make: migrate ``db_file``, serve `python -m app` on a free
    127.0.0.1 port until /health answers; yield its base URL, stop the server after.

    The server's output goes to ``server.log`` beside ``db_file`` (a pipe nobody reads
    would fill up and stall it), shown if it dies."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"SERVER_PORT": str(port), "DB_DSN": f"sqlite+aiosqlite:///{db_file}", **(env or {})}
    ok(run(project, "alembic", "upgrade", "head", env=env))
    log = db_file.with_name("server.log")
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(BIN / "python"), "-m", "app"],
            cwd=project,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the app did not start within 60 s"
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def pg_database(pg_dsn: str) -> Iterator[str]:
    """A fresh PostgreSQL database on the test server; its DSN."""
    name = f"tpl_{uuid.uuid4().hex[:12]}"
    admin = pg_dsn.rsplit("/", 1)[0] + "/postgres"
    psql = ["psql", admin, "-qc"]
    subprocess.run([*psql, f"create database {name}"], check=True, capture_output=True)
    yield pg_dsn.rsplit("/", 1)[0] + f"/{name}"
    subprocess.run(
        [*psql, f"drop database if exists {name} with (force)"], check=False, capture_output=True
    )
