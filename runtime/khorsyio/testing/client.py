"""TestClient: in-process HTTP requests to an ASGI app, with its lifespan, sync or async."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Mapping
from concurrent.futures import Future
from types import TracebackType
from typing import Any, TypeVar

import httpx

from khorsyio.errors import LifespanError
from khorsyio.types import ASGIApp

__all__ = ["LifespanError", "TestClient"]

T = TypeVar("T")


class _Lifespan:
    """Drives the ASGI lifespan protocol of an app inside the current event loop."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
        try:
            await self.app(scope, self._to_app.get, self._from_app.put)
        except BaseException as e:  # reported to whoever waits
            await self._from_app.put({"type": "_crashed", "message": f"{type(e).__name__}: {e}"})
            raise

    async def startup(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())
        await self._to_app.put({"type": "lifespan.startup"})
        msg = await self._from_app.get()
        if msg["type"] != "lifespan.startup.complete":
            raise LifespanError(f"app startup failed: {msg.get('message', msg['type'])}")

    async def shutdown(self) -> None:
        task = self._task
        if task is None or task.done():
            return
        await self._to_app.put({"type": "lifespan.shutdown"})
        msg = await self._from_app.get()
        await asyncio.gather(task, return_exceptions=True)
        if msg["type"] != "lifespan.shutdown.complete":
            raise LifespanError(f"app shutdown failed: {msg.get('message', msg['type'])}")


class TestClient:
    """Send requests to ``app`` in-process (httpx's ASGI transport), keeping cookies.

    Async, in a running event loop::

        async with TestClient(app) as client:
            r = await client.get("/health")

    Sync, anywhere else (the app runs in a private event loop on a background thread)::

        with TestClient(app) as client:
            r = client.post("/users", json={"name": "ada"})

    Entering runs the app's lifespan (startup), leaving runs its shutdown. The request
    methods (``get``, ``post``, ``put``, ``patch``, ``delete``, ``head``, ``options``,
    ``request``) take httpx's arguments and return an ``httpx.Response``, awaitable in
    async use. ``headers`` are sent with every request; cookies set by responses are
    kept and sent back.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: ASGIApp,
        *,
        base_url: str = "http://testserver",
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        lifespan: bool = True,
        raise_server_exceptions: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.app = app
        self.base_url = base_url
        self._headers = dict(headers or {})
        self._cookies = dict(cookies or {})
        self._use_lifespan = lifespan
        self._raise = raise_server_exceptions
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._lifespan: _Lifespan | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._mode: str = ""

    # -- shared -------------------------------------------------------------------------

    def _new_client(self) -> httpx.AsyncClient:
        # httpx types scopes as MutableMapping, the ASGI spec (and khorsyio.types) as dict
        app: Any = self.app
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=self._raise)
        return httpx.AsyncClient(
            transport=transport,
            base_url=self.base_url,
            headers=self._headers,
            cookies=self._cookies,
            timeout=self._timeout,
            follow_redirects=False,
        )

    async def _astart(self) -> None:
        if self._client is not None:
            return
        if self._use_lifespan:
            self._lifespan = _Lifespan(self.app)
            await self._lifespan.startup()
        self._client = self._new_client()

    async def _astop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
        lifespan, self._lifespan = self._lifespan, None
        if lifespan is not None:
            await lifespan.shutdown()

    async def _arequest(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if self._client is None:
            await self._astart()
        assert self._client is not None
        return await self._client.request(method, url, **kwargs)

    @property
    def cookies(self) -> httpx.Cookies:
        """The cookie jar (cookies set by responses, sent back on later requests)."""
        if self._client is None:
            return httpx.Cookies(self._cookies)
        return self._client.cookies

    @property
    def headers(self) -> httpx.Headers:
        """Headers sent with every request (changes apply to later requests)."""
        if self._client is None:
            return httpx.Headers(self._headers)
        return self._client.headers

    # -- async use ----------------------------------------------------------------------

    async def __aenter__(self) -> TestClient:
        self._mode = "async"
        await self._astart()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._astop()
        self._mode = ""

    # -- sync use -----------------------------------------------------------------------

    def _run_sync(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            self._thread = threading.Thread(target=run, name="khorsyio-testclient", daemon=True)
            self._thread.start()
            ready.wait()
            self._loop = loop
        fut: Future[T] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return fut.result()

    def __enter__(self) -> TestClient:
        self._mode = "sync"
        self._run_sync(self._astart())
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Run the app's shutdown and stop the background loop (sync use)."""
        if self._loop is None:
            return
        try:
            self._run_sync(self._astop())
        finally:
            loop, self._loop = self._loop, None
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=10)
            loop.close()
            self._mode = ""

    # -- requests -----------------------------------------------------------------------

    def _in_loop(self) -> bool:
        if self._mode == "async":
            return True
        if self._mode == "sync":
            return False
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        """An ``httpx.Response`` (sync use) or an awaitable of one (async use)."""
        coro = self._arequest(method.upper(), url, **kwargs)
        if self._in_loop():
            return coro
        return self._run_sync(coro)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Any:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> Any:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.request("DELETE", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> Any:
        return self.request("HEAD", url, **kwargs)

    def options(self, url: str, **kwargs: Any) -> Any:
        return self.request("OPTIONS", url, **kwargs)
