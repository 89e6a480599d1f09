"""An app whose transport served a client starts and stops again (a module-level app used by
two tests, each with its own server or TestClient)."""

from __future__ import annotations

import logging

import pytest

from khorsyio import App, Settings, SocketClient
from khorsyio.testing import serve


async def test_an_app_serves_websockets_again_after_a_restart(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App(settings=Settings())
    for _ in range(2):
        async with serve(app) as url, SocketClient(url, reconnection=False) as client:
            assert client.connected
            # engine.io's task that drops clients whose pings time out runs again too.
            assert app.transport.sio.eio.service_task_handle is not None
        assert not app.started
    failed = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failed, [r.getMessage() for r in failed]
