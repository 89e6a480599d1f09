"""A real uvicorn server on 127.0.0.1 (ephemeral port) serving the chat app, in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
import uvicorn

from khorsyio import App

from .chat import Calls, build_app

STARTUP_TIMEOUT = 10.0


class Served:
    def __init__(self, app: App, calls: Calls, url: str) -> None:
        self.app = app
        self.calls = calls
        self.url = url


@asynccontextmanager
async def serve(app: App) -> AsyncIterator[str]:
    """Run ``app`` under uvicorn on an ephemeral port; yield its base URL."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(STARTUP_TIMEOUT):
            while not server.started:  # uvicorn exposes a flag, not an event
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn exited during startup")
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        async with asyncio.timeout(STARTUP_TIMEOUT):
            await task


ServeChat = Callable[..., AbstractAsyncContextManager[Served]]


@pytest.fixture
def serve_chat() -> ServeChat:
    """``async with serve_chat(max_message_size=...) as s``: the chat app, served."""

    @asynccontextmanager
    async def run(**ws: Any) -> AsyncIterator[Served]:
        app, calls = build_app(**ws)
        async with serve(app) as url:
            yield Served(app, calls, url)

    return run
