"""App details: namespaced handler names, startup-failure logs, the serve target."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from khorsyio import App, Context, Domain, Handler, Settings
from khorsyio.domain import namespaced_class
from khorsyio.serve import main_target

from .contracts import UserIn, UserOut


class CreateUser(Handler[UserIn, UserOut]):
    subscribes_to = "create"
    publishes = "created"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def process(self, data: UserIn, ctx: Context) -> UserOut:
        return UserOut(name=data.name)


async def test_a_ready_instance_in_a_domain_shows_its_qualified_names() -> None:
    ready = CreateUser(Settings())
    app = App(settings=Settings())
    app.mount(Domain(namespace="user", handlers=[ready]))
    await app.startup()
    try:
        [sub] = app.bus.subscriptions
        assert sub.handler is ready
        assert (ready.subscribes_to, ready.publishes) == ("user.create", "user.created")
        assert "subscribes_to" not in vars(ready)  # a class attribute, not an instance one
        assert isinstance(ready, CreateUser)
        assert (CreateUser.subscribes_to, CreateUser.publishes) == ("create", "created")
        answer = await app.bus.request(
            "user.create", UserIn(name="a"), response_type="user.created"
        )
        assert answer.payload == UserOut(name="a")
    finally:
        await app.shutdown()


async def test_a_handler_class_in_a_domain_is_built_with_its_dependencies() -> None:
    app = App(settings=Settings())
    app.mount(Domain(namespace="user", handlers=[CreateUser]))
    await app.startup()
    try:
        [sub] = app.bus.subscriptions
        assert sub.handler.settings is app.settings  # type: ignore[attr-defined]
        assert type(sub.handler).__qualname__ == CreateUser.__qualname__
        assert type(sub.handler).__module__ == CreateUser.__module__
    finally:
        await app.shutdown()


def test_namespaced_class_changes_only_the_names() -> None:
    ns = namespaced_class(CreateUser, "user")
    assert issubclass(ns, CreateUser)
    assert (ns.subscribes_to, ns.publishes) == ("user.create", "user.created")
    assert (ns.input_type, ns.output_type) == (UserIn, UserOut)
    assert namespaced_class(ns, "user") is ns  # already qualified: nothing to change


async def _lifespan_startup(app: App) -> list[dict[str, Any]]:
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    inbox.put_nowait({"type": "lifespan.startup"})
    sent: list[dict[str, Any]] = []

    async def send(msg: dict[str, Any]) -> None:
        sent.append(msg)

    await app({"type": "lifespan"}, inbox.get, send)
    return sent


async def test_a_khorsyio_startup_error_is_one_line_with_the_traceback_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(CreateUser):
        def __init__(self, nothing_like_this) -> None:  # type: ignore[no-untyped-def]
            ...

    app = App(settings=Settings())
    app.register(Broken)
    with caplog.at_level(logging.DEBUG, logger="khorsyio.app"):
        sent = await _lifespan_startup(app)
    assert sent[0]["type"] == "lifespan.startup.failed"
    records = [r for r in caplog.records if r.name == "khorsyio.app"]
    [error] = [r for r in records if r.levelno == logging.ERROR]
    assert error.getMessage().startswith("startup failed: 1 wiring problem(s)")
    assert error.exc_info is None
    [debug] = [r for r in records if r.levelno == logging.DEBUG]
    assert debug.exc_info is not None
    assert debug.exc_info[0].__name__ == "WiringError"  # type: ignore[union-attr]


async def test_another_startup_error_is_logged_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App(settings=Settings())

    async def broken_start() -> None:
        raise ZeroDivisionError("bug in a provider")

    app.client.start = broken_start  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, logger="khorsyio.app"):
        sent = await _lifespan_startup(app)
    assert sent[0] == {"type": "lifespan.startup.failed", "message": "bug in a provider"}
    [error] = [r for r in caplog.records if r.name == "khorsyio.app"]
    assert error.getMessage() == "startup failed: bug in a provider"
    assert error.exc_info is not None
    assert error.exc_info[0] is ZeroDivisionError


def test_the_serve_target_logs_the_import_path_it_adds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    script = tmp_path / "service.py"
    script.write_text("app = None\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(tmp_path)])
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    with caplog.at_level(logging.INFO, logger="khorsyio.serve"):
        assert main_target() == "service:app"
    assert sys.path[0] == str(tmp_path)
    assert os.environ["PYTHONPATH"] == os.pathsep.join([str(tmp_path), "/elsewhere"])
    lines = [r.getMessage() for r in caplog.records if r.name == "khorsyio.serve"]
    assert lines == [
        f"serving service:app: {tmp_path} added to PYTHONPATH for the workers",
        f"serving service:app: {tmp_path} put first on sys.path",
    ]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="khorsyio.serve"):
        assert main_target() == "service:app"  # already importable: nothing changes
    assert [r for r in caplog.records if r.name == "khorsyio.serve"] == []
    assert sys.path.count(str(tmp_path)) == 1
