"""SocketClient: a socket.io client that speaks khorsyio's websocket protocol."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import socketio

from khorsyio.bus.callbacks import call_each
from khorsyio.errors import SocketConnectionError, SocketRequestError, UsageError
from khorsyio.events import new_trace_id
from khorsyio.ws.protocol import ERROR_EVENT, INCOMING_EVENT

__all__ = ["SocketClient", "SocketConnectionError", "SocketRequestError"]

log = logging.getLogger("khorsyio.ws.client")

MessageCallback = Callable[[dict[str, Any]], Awaitable[None] | None]


class _Waiter:
    __slots__ = ("future", "response_type")

    def __init__(self, response_type: str | None, future: asyncio.Future[dict[str, Any]]) -> None:
        self.response_type = response_type
        self.future = future


class SocketClient:
    """Connects to a khorsyio app's socket.io endpoint::

        client = SocketClient("http://localhost:8000")
        client.on("chat.reply", lambda data: print(data["payload"]))
        await client.connect()
        await client.send("chat.msg", {"text": "hello"})

    ``auth`` is sent with the connection (the server's auth hook sees it); ``transports``
    restricts socket.io's transports (``["websocket"]``, ``["polling"]``).
    """

    def __init__(
        self,
        url: str,
        *,
        auth: Any = None,
        transports: list[str] | None = None,
        headers: dict[str, str] | None = None,
        socketio_path: str = "socket.io",
        reconnection: bool = True,
    ) -> None:
        self.url = url
        self.auth = auth
        self.transports = transports
        self.headers = dict(headers or {})
        self.socketio_path = socketio_path
        self._sio: Any = socketio.AsyncClient(reconnection=reconnection, logger=False)
        self._callbacks: dict[str, list[MessageCallback]] = {}
        self._waiters: dict[str, _Waiter] = {}
        self._connect_error: Any = None
        self._disconnected: asyncio.Event | None = None
        self._sio.on("*", self._on_any)
        self._sio.on("connect", self._on_connect)
        self._sio.on("disconnect", self._on_disconnect)
        self._sio.on("connect_error", self._on_connect_error)

    # -- public API -----------------------------------------------------------------------

    def on(self, event_type: str, callback: MessageCallback) -> None:
        """Call ``callback(message)`` (sync or async) for each ``event_type`` received.

        ``message`` is ``{"event_type", "payload", "trace_id"}`` for bus events, the error
        body for ``"error"``, ``{"sid"}`` for ``"connect"``, ``{"reason"}`` for
        ``"disconnect"``, the server's data for ``"connect_error"``.
        """
        self._callbacks.setdefault(event_type, []).append(callback)

    @property
    def connected(self) -> bool:
        return bool(self._sio.connected)

    @property
    def sid(self) -> str | None:
        sid: str | None = self._sio.get_sid()
        return sid

    async def connect(self, timeout: float = 10.0) -> None:
        """Connect; raise :class:`SocketConnectionError` when refused or unreachable."""
        self._connect_error = None
        self._disconnected = asyncio.Event()
        try:
            await self._sio.connect(
                self.url,
                headers=self.headers,
                auth=self.auth,
                transports=self.transports,
                socketio_path=self.socketio_path,
                wait_timeout=timeout,
            )
        except socketio.exceptions.ConnectionError as e:
            data = self._connect_error
            message = data.get("message") if isinstance(data, dict) else None
            raise SocketConnectionError(
                f"cannot connect to {self.url}: {message or e}", data
            ) from None

    async def send(
        self,
        event_type: str,
        payload: Any = None,
        trace_id: str | None = None,
        user_id: str | None = None,
    ) -> str:
        """Publish ``payload`` (a Struct or JSON-ready value) as ``event_type``; the trace id.

        Raises :class:`SocketConnectionError` when not connected.
        """
        if not self._sio.connected:
            raise SocketConnectionError(f"not connected to {self.url} (call connect() first)")
        tid = trace_id or new_trace_id()
        msg: dict[str, Any] = {
            "event_type": event_type,
            "payload": msgspec.to_builtins(payload),
            "trace_id": tid,
        }
        if user_id is not None:
            msg["user_id"] = user_id
        await self._sio.emit(INCOMING_EVENT, msg)
        return tid

    async def request(
        self,
        event_type: str,
        payload: Any = None,
        response_type: str | None = None,
        *,
        timeout: float = 10.0,
        trace_id: str | None = None,
        user_id: str | None = None,
    ) -> dict[str, Any]:
        """Send and wait for the reply in the same trace; the reply message.

        The reply is the first ``response_type`` event carrying this message's trace id
        (any event with that trace id when ``response_type`` is None). An ``"error"`` event
        with that trace id raises :class:`SocketRequestError`; no reply within ``timeout``
        seconds raises :class:`TimeoutError`.
        """
        tid = trace_id or new_trace_id()
        if tid in self._waiters:
            raise UsageError(f"a request with trace id {tid!r} is already waiting")
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters[tid] = _Waiter(response_type, fut)
        try:
            async with asyncio.timeout(timeout):
                await self.send(event_type, payload, trace_id=tid, user_id=user_id)
                return await fut
        except TimeoutError:
            raise TimeoutError(
                f"no {response_type or 'reply'!r} to {event_type!r} (trace {tid}) within {timeout}s"
            ) from None
        finally:
            del self._waiters[tid]

    async def disconnect(self) -> None:
        """Close the connection (a no-op when not connected)."""
        await self._sio.disconnect()

    async def wait_disconnected(self, timeout: float | None = None) -> None:
        """Return once the connection has ended (raise TimeoutError after ``timeout``)."""
        if self._disconnected is None:
            return
        async with asyncio.timeout(timeout):
            await self._disconnected.wait()

    async def __aenter__(self) -> SocketClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()

    # -- socket.io handlers ---------------------------------------------------------------

    async def _on_any(self, event: str, data: Any = None, *rest: Any) -> None:
        message: dict[str, Any] = data if isinstance(data, dict) else {"payload": data}
        tid = message.get("trace_id")
        if isinstance(tid, str):
            waiter = self._waiters.get(tid)
            if waiter is not None and not waiter.future.done():
                if event == ERROR_EVENT:
                    waiter.future.set_exception(SocketRequestError(message))
                elif waiter.response_type is None or waiter.response_type == event:
                    waiter.future.set_result(message)
        await self._dispatch(event, message)

    async def _on_connect(self) -> None:
        await self._dispatch("connect", {"sid": self.sid})

    async def _on_disconnect(self, reason: Any = None) -> None:
        if self._disconnected is not None:
            self._disconnected.set()
        for waiter in self._waiters.values():
            if not waiter.future.done():
                waiter.future.set_exception(SocketConnectionError(f"disconnected ({reason})"))
        await self._dispatch("disconnect", {"reason": str(reason) if reason else ""})

    async def _on_connect_error(self, data: Any = None) -> None:
        self._connect_error = data
        await self._dispatch(
            "connect_error", data if isinstance(data, dict) else {"message": str(data)}
        )

    async def _dispatch(self, event: str, message: dict[str, Any]) -> None:
        callbacks = self._callbacks.get(event)
        if callbacks:
            await call_each(
                callbacks,
                message,
                lambda cb: log.exception("SocketClient callback for %r failed", event),
            )
