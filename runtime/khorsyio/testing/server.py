"""serve(): the app under a real uvicorn server on 127.0.0.1, for tests with real clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from khorsyio.errors import LifespanError

__all__ = ["serve"]


@asynccontextmanager
async def serve(
    app: Any, *, host: str = "127.0.0.1", port: int = 0, timeout: float = 10.0, **config: Any
) -> AsyncIterator[str]:
    """Run ``app`` under uvicorn in this event loop; yield its base URL.

    ``port=0`` takes a free ephemeral port. The lifespan runs (startup on entry, shutdown on
    exit); a startup that fails or takes longer than ``timeout`` seconds raises. Extra
    keyword arguments go to ``uvicorn.Config``::

        async with serve(app) as url:
            client = SocketClient(url)
            ...
    """
    import uvicorn

    options: dict[str, Any] = {
        "log_level": "warning",
        "lifespan": "on",
        "timeout_graceful_shutdown": 5,
    }
    options.update(config)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, **options))
    task = asyncio.get_running_loop().create_task(server.serve())
    try:
        async with asyncio.timeout(timeout):
            while not server.started:  # uvicorn exposes a flag, not an event
                if task.done():
                    task.result()
                    raise LifespanError("uvicorn exited during startup (see its log)")
                await asyncio.sleep(0.01)
        bound = server.servers[0].sockets[0].getsockname()
        yield f"http://{bound[0]}:{bound[1]}"
    finally:
        server.should_exit = True
        async with asyncio.timeout(timeout):
            await asyncio.gather(task, return_exceptions=True)
