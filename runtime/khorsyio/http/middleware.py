"""The middleware stack: ``mw(req, send, call_next)`` layers around the routed request.

Built once (when the app starts) from :attr:`Router.wrappers`, outermost first, the way
Starlette builds its middleware stack; with no middleware the stack *is* the endpoint, so
it costs nothing. A layer may answer by itself (``await Response.json(req.send, ...)``
without calling ``call_next``), pass the request on (``await call_next()``), or pass on
a wrapper of ``send`` that sees each response message before it goes out::

    async def timing(req: Request, send: Send, call_next: CallNext) -> None:
        t0 = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - t0) * 1000
                message["headers"] = [*message["headers"], (b"server-timing", b"app;dur=%.1f" % ms)]
            await send(message)

        await call_next(timed)
        # here the response has been sent: req.status is its status
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from khorsyio.types import Send

if TYPE_CHECKING:
    from khorsyio.http.request import Request

__all__ = ["CallNext", "Endpoint", "Middleware", "build_stack"]


class CallNext(Protocol):
    """``await call_next(send)``: run the inner layers and the route, answering through
    ``send`` (the layer's own ``send`` when omitted)."""

    def __call__(self, send: Send | None = None, /) -> Awaitable[None]: ...


Endpoint = Callable[["Request", Send], Awaitable[None]]
"""``await endpoint(req, send)``: what a layer wraps (the next layer, or the route)."""

Middleware = Callable[["Request", Send, CallNext], Awaitable[Any]]
"""``async def mw(req, send, call_next)``: one layer of the stack."""


def build_stack(wrappers: Sequence[Middleware], endpoint: Endpoint) -> Endpoint:
    """``endpoint`` wrapped in ``wrappers``, the first one outermost."""
    app = endpoint
    for mw in reversed(wrappers):
        app = _layer(mw, app)
    return app


def _layer(mw: Middleware, inner: Endpoint) -> Endpoint:
    async def layer(req: Request, send: Send) -> None:
        async def call_next(next_send: Send | None = None, /) -> None:
            await inner(req, send if next_send is None else next_send)

        await mw(req, send, call_next)

    layer.__qualname__ = f"layer({getattr(mw, '__qualname__', repr(mw))})"
    return layer
