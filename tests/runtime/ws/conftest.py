"""A real uvicorn server on 127.0.0.1 (ephemeral port) serving the chat app, in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest

from khorsyio import App
from khorsyio.testing import serve

from .chat import Calls, build_app


class Served:
    def __init__(self, app: App, calls: Calls, url: str) -> None:
        self.app = app
        self.calls = calls
        self.url = url


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
