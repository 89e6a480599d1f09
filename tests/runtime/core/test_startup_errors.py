"""A program stopped by a bad setting or wiring prints one clear line, not a traceback.

Each test runs ``python -m tinyapp`` in a subprocess, as a user runs ``python -m app``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from khorsyio import excepthook
from khorsyio import settings as settings_module

pytestmark = pytest.mark.timeout(120)

TINY_APP = """\
import os
import msgspec
from khorsyio import App, Context, Handler

class Ping(msgspec.Struct):
    n: int = 0

class Echo(Handler[Ping, Ping]):
    subscribes_to = "ping"
    publishes = "pong"

    def __init__(self, mailer: "Mailer") -> None:  # nothing provides it
        self.mailer = mailer

    async def process(self, data: Ping, ctx: Context) -> Ping:
        return data

class Mailer:
    pass

app = App()
mode = os.environ.get("TINY_MODE", "")
if mode == "wiring":
    app.register(Echo)
if mode == "bug":
    raise RuntimeError("a bug in the app itself")

if __name__ == "__main__":
    app.run()
"""


def run_tiny(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "tinyapp.py").write_text(TINY_APP)
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SERVER_", "DB_", "BUS_", "HTTP_", "WS_", "KHORSYIO_TRACEBACK"))
    }
    base.update({"SERVER_PORT": "0", "PYTHONPATH": str(tmp_path)}, **env)
    return subprocess.run(
        [sys.executable, "-m", "tinyapp"],
        cwd=tmp_path,
        env=base,
        capture_output=True,
        text=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
    )


def test_a_bad_setting_is_one_line(tmp_path: Path) -> None:
    res = run_tiny(tmp_path, SERVER_PORT="eighty")
    assert res.returncode == 1
    assert res.stderr.splitlines() == [
        "SettingsError: SERVER_PORT: expected an integer from 0 to 65535, got 'eighty'"
    ]
    assert res.stdout == ""


def test_an_out_of_range_setting_is_one_line_not_a_server_crash(tmp_path: Path) -> None:
    # uvicorn used to die in bind() with an OverflowError traceback
    res = run_tiny(tmp_path, SERVER_PORT="99999")
    assert res.returncode == 1
    assert res.stderr.splitlines() == [
        "SettingsError: SERVER_PORT: expected an integer from 0 to 65535, got '99999'"
    ]


@pytest.mark.skipif(importlib.util.find_spec("granian") is not None, reason="granian installed")
def test_a_missing_granian_names_the_extra_to_install(tmp_path: Path) -> None:
    res = run_tiny(tmp_path, SERVER_SERVER="granian")
    assert res.returncode == 1
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("SettingsError: SERVER_SERVER=granian but granian cannot be")
    assert 'pip install "khorsyio[granian]"' in lines[0]


def test_the_traceback_is_there_on_request(tmp_path: Path) -> None:
    res = run_tiny(tmp_path, SERVER_PORT="eighty", KHORSYIO_TRACEBACK="1")
    assert res.returncode == 1
    assert res.stderr.startswith("Traceback (most recent call last):")
    assert res.stderr.rstrip().endswith(
        "khorsyio.errors.SettingsError: SERVER_PORT: expected an integer from 0 to 65535, "
        "got 'eighty'"
    )


def test_other_errors_keep_their_traceback(tmp_path: Path) -> None:
    res = run_tiny(tmp_path, TINY_MODE="bug")
    assert res.returncode == 1
    assert "Traceback (most recent call last):" in res.stderr
    assert 'tinyapp.py", line' in res.stderr
    assert res.stderr.rstrip().endswith("RuntimeError: a bug in the app itself")


def test_a_wiring_error_at_startup_stops_the_server_without_a_traceback(
    tmp_path: Path,
) -> None:
    res = run_tiny(tmp_path, TINY_MODE="wiring", SERVER_SERVER="uvicorn")
    assert res.returncode != 0
    assert "Traceback" not in res.stderr, res.stderr
    assert "Echo" in res.stderr
    assert "mailer" in res.stderr
    assert "Application startup failed" in res.stderr


def test_the_hook_is_installed_once_and_hands_on_other_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda tp, value, tb: seen.append(value))
    excepthook.install_excepthook()
    hook = sys.excepthook
    excepthook.install_excepthook()
    assert sys.excepthook is hook
    monkeypatch.delenv("KHORSYIO_TRACEBACK", raising=False)
    err = settings_module.SettingsError("X_Y: expected a number, got 'z'")
    hook(type(err), err, None)
    bug = KeyError("k")
    hook(type(bug), bug, None)
    assert seen == [bug]
    assert capsys.readouterr().err == "SettingsError: X_Y: expected a number, got 'z'\n"
