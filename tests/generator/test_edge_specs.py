"""Unusual but valid specs still give ruff-clean, idempotent, importable output."""

from __future__ import annotations

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
