"""Unusual but valid specs still give ruff-clean, idempotent, importable output."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import snapshot, write_project
from .test_gen import ruff_clean

SPECS = {
    "empty": "version: 1\n",
    "domain_without_handlers": "domains:\n  empty: {}\n",
    "routes_only": (
        "domains:\n  api:\n    routes:\n      - method: GET\n        path: /ping\n"
        "        event: api.ping\n        reply: api.pong\nexternal: [api.pong]\n"
    ),
    "minimal_handler": (
        "domains:\n  core:\n    handlers:\n      Sink:\n        on: core.in\n"
        "        input: Tick\nexternal: [core.in]\n"
    ),
    "process_mode": (
        "domains:\n  core:\n    handlers:\n      Crunch:\n        on: core.in\n"
        "        input: Tick\n        emits: core.out\n        output: Tick\n"
        "        execution_mode: process\n"
        "external: [core.in]\nterminal: [core.out]\n"
    ),
    "schedule_and_provider_only": (
        "providers:\n  mailer:\n    type: app.services.mailer:Mailer\n"
        "schedules:\n  - event: core.tick\n    contract: Tick\n    interval: 5\n"
        "domains:\n  core:\n    handlers:\n      OnTick:\n        on: core.tick\n"
        "        input: Tick\n"
    ),
    "values_at_their_limits": (
        "domains:\n  core:\n    handlers:\n      Crunch:\n        on: core.in\n"
        "        input: Tick\n        emits: core.out\n        output: Tick\n"
        "        timeout: 86400\n        concurrency: 1000000\n        queue_size: 1\n"
        "        retry: {attempts: 10000, backoff: 0, multiplier: 1000, max_backoff: 86400}\n"
        "    routes:\n      - method: POST\n        path: /ticks/{count:int}\n"
        "        event: core.in\n        reply: core.out\n        body: Tick\n"
        "        response: Tick\n        status: 299\n        errors: {x.y-z: 599}\n"
        "        timeout: 30\n"
        "schedules:\n  - event: core.in\n    contract: Tick\n    interval: 31536000\n"
        "    payload: {count: -9223372036854775808}\n"
    ),
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_edge_spec(tmp_path: Path, cli, name: str) -> None:  # type: ignore[no-untyped-def]
    root = write_project(tmp_path / "proj", SPECS[name])
    r = cli(root, "gen")
    assert r.code == 0, r.err
    ruff_clean(root)
    before = snapshot(root)
    assert cli(root, "gen").out.startswith("nothing to do: ")
    assert snapshot(root) == before
    proc = subprocess.run(
        [sys.executable, "-c", "import app.main"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


REQUEST = """\
from khorsyio.testing import TestClient

from app.main import app

with TestClient(app) as c:
    for path, kw in (("/ticks/5", {}), ("/ticks/6", {"json": {}}), ("/ticks/x", {})):
        res = c.post(path, **kw)
        print(res.status_code, res.text)
"""


def test_a_typed_path_parameter_reaches_the_handler(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """``path: /ticks/{count:int}`` with ``body: Tick``: the path fills ``Tick.count``."""
    root = write_project(tmp_path / "proj", SPECS["values_at_their_limits"])
    assert cli(root, "gen").code == 0
    module = root / "app/domains/core/handlers/crunch.py"
    text = module.read_text(encoding="utf-8")
    body = re.sub(r"raise NotImplementedError\(.*?\)\n", "return data\n", text, count=1, flags=re.S)
    assert body != text
    module.write_text(body, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-c", REQUEST],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        '299 {"count":5}',
        '299 {"count":6}',
        '404 {"error":"not found","code":"not_found"}',  # {count:int} does not match 'x'
    ]
