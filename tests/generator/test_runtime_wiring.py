"""The generated wiring on the real runtime: schedules, websocket allow-list, externals,
terminals, bus routes in OpenAPI, and the app's own strict graph check at startup."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import SPEC, write_project

EXTRA = """\
      Count:
        id: count
        on: stats.tick
        emits: stats.counted
        input: Tick
        output: Tick
        timeout: 2
        concurrency: 2
        queue_size: 10
        execution_mode: main
      Echo:
        on: chat.say
        input: Tick
      Paid:
        on: billing.paid
        input: Tick
    routes:"""

TAIL = """\
schedules:
  - event: stats.tick
    contract: Tick
    interval: 3600
    payload: {count: 2}
websocket:
  allow: [chat.say]
external: [billing.paid]
terminal: [stats.counted]
"""

SCRIPT = """\
import asyncio

from app.main import app

assert app.transport.allowed == frozenset({"chat.say"}), app.transport.allowed
assert [s.event_type for s in app.bus.schedules] == ["stats.tick"], app.bus.schedules
assert app.bus.schedules[0].data.count == 2
paths = app.openapi()["paths"]
assert "/users" in paths and "post" in paths["/users"], paths


async def main() -> None:
    await app.startup()  # strict: raises on any wiring error
    try:
        assert [p for p in app.graph_problems if p.severity == "error"] == []
    finally:
        await app.shutdown()


asyncio.run(main())
print("wired")
"""


def test_generated_wiring_boots_on_the_runtime(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    spec = SPEC.replace("    routes:", EXTRA, 1) + TAIL
    spec = spec.replace(
        "        input: UserOut\n        deps: [mailer]\n",
        "        input: UserOut\n        deps: [mailer]\n",
    )
    root = write_project(tmp_path / "proj", spec)
    assert cli(root, "check").code == 0
    r = cli(root, "gen")
    assert r.code == 0, r.err
    registry = (root / "app/_generated/registry.py").read_text()
    assert 'app.transport.allow("chat.say")' in registry
    assert 'app.bus.schedule("stats.tick", Tick(count=2), interval=3600.0)' in registry
    assert 'app.declare_external("billing.paid")' in registry
    assert 'app.declare_terminal("stats.counted")' in registry
    handler = (root / "app/domains/user/handlers/count.py").read_text()
    assert "    concurrency = 2\n    queue_size = 10\n" in handler
    assert "execution_mode" not in handler  # the default is not written
    (root / "check_wiring.py").write_text(SCRIPT)
    proc = subprocess.run(
        [sys.executable, "check_wiring.py"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "wired" in proc.stdout
