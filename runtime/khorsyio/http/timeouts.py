"""Bounded request lifetimes: the body read deadline, and the answer to a cancelled request.

``BodyDeadline`` wraps an ASGI ``receive``: the whole request body must arrive within
HTTP_BODY_TIMEOUT seconds of its first read (watched by :class:`BodyDeadlines`), else the
read raises a 408 ``request_timeout`` :class:`~khorsyio.errors.ClientError` (answered like
any client error). ``read_body`` reads a
bounded body through it (the socket.io polling path reads its POSTs so).
``answer_cancelled`` ends a request the server (or :class:`InFlight`, at shutdown) cancelled
past the drain timeout, answering 503 ``shutdown`` when its response has not started.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from khorsyio.errors import ClientDisconnect, ClientError, PayloadTooLarge
from khorsyio.http.response import SHUTDOWN_CODE, SHUTDOWN_MESSAGE, Response, error_body
from khorsyio.types import Message, Receive, Send

__all__ = [
    "BodyDeadline",
    "BodyDeadlines",
    "InFlight",
    "answer_cancelled",
    "read_body",
    "receive_body",
]

log = logging.getLogger("khorsyio.http")

REQUEST_TIMEOUT_CODE = "request_timeout"
_SHUTTING_DOWN = error_body(SHUTDOWN_MESSAGE, SHUTDOWN_CODE)
_ANSWER_WITHIN = 1.0  # seconds a cancelled request's 503 may take to write


class BodyDeadlines:
    """The request bodies being read, watched by one timer for all (no timer a request:
    this is the hot path). A body not in ``timeout`` seconds after its first read is
    refused within a quarter of that (at most a second) more."""

    __slots__ = ("_interval", "_loop", "_timer", "active", "timeout")

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._interval = min(1.0, timeout / 4)
        self.active: set[BodyDeadline] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def watch(self, body: BodyDeadline) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (tests): what the old one had is gone
            self.active.clear()
            self._loop, self._timer = loop, None
        body.deadline = loop.time() + self.timeout
        self.active.add(body)
        if self._timer is None:
            self._timer = loop.call_later(self._interval, self._tick)

    def _tick(self) -> None:
        loop = self._loop
        assert loop is not None  # set by watch() before the timer
        now = loop.time()
        for body in [b for b in self.active if b.deadline <= now]:
            self.active.discard(body)
            body.expire()
        self._timer = loop.call_later(self._interval, self._tick) if self.active else None


class BodyDeadline:
    """``receive`` with a deadline on the request body (see :class:`BodyDeadlines`).

    The clock starts at the first read; once the last body chunk has come, reads (a wait for
    ``http.disconnect``) are passed through unbounded. Past the deadline, the read in
    progress is cancelled and raises a 408 ``request_timeout`` instead (or the next read
    does, when none was in progress).
    """

    __slots__ = ("_deadlines", "_done", "_fired", "_receive", "_waiter", "deadline", "expired")

    def __init__(self, receive: Receive, deadlines: BodyDeadlines) -> None:
        self._receive = receive
        self._deadlines = deadlines
        self.deadline = -1.0
        self._waiter: asyncio.Task[Any] | None = None
        self._done = False
        self.expired = False
        self._fired = False  # expire() cancelled the read in progress

    async def __call__(self) -> Message:
        if self._done:
            return await self._receive()
        if self.expired:
            raise self._timed_out()
        if self.deadline < 0:
            self._deadlines.watch(self)
        self._waiter = task = asyncio.current_task()
        try:
            msg = await self._receive()
        except asyncio.CancelledError:
            if self._fired and task is not None and task.uncancel() == 0:
                raise self._timed_out() from None
            raise  # cancelled by someone else too (the server, at shutdown)
        finally:
            self._waiter = None
        if msg["type"] != "http.request" or not msg.get("more_body", False):
            self._done = True
            self._deadlines.active.discard(self)
        return msg

    def expire(self) -> None:
        self.expired = True
        if self._waiter is not None:
            self._fired = True
            self._waiter.cancel()

    def _timed_out(self) -> ClientError:
        return ClientError(
            f"the request body did not arrive within {self._deadlines.timeout:g} s",
            status=408,
            code=REQUEST_TIMEOUT_CODE,
        )


async def receive_body(receive: Receive, limit: int, what: str) -> bytes:
    """The whole body ``receive`` gives, at most ``limit`` bytes (413); ``what`` names the
    request when the client disconnects. The one body reader (``Request.body`` and the
    socket.io polling path)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            raise ClientDisconnect(f"{what}: client disconnected")
        chunk = msg.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"request body is over the limit of {limit} bytes")
            chunks.append(chunk)
        if not msg.get("more_body", False):
            return b"".join(chunks)  # one chunk: that very object, not a copy


async def read_body(receive: Receive, limit: int, deadlines: BodyDeadlines) -> bytes:
    """The whole body, at most ``limit`` bytes (413), within ``deadlines.timeout`` (408)."""
    return await receive_body(BodyDeadline(receive, deadlines), limit, "a polling POST")


async def answer_cancelled(send: Send, started: bool, what: str) -> None:
    """End a request the server cancelled: answer 503 ``shutdown`` unless started.

    Servers cancel a request only to be rid of it (uvicorn past ``timeout_graceful_shutdown``),
    so the cancellation ends here: the request task is uncancelled and returns (no
    "Exception in ASGI application" traceback per request at shutdown). The answer is
    bounded: a client that does not read cannot hold the cancelled request up.
    """
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()
    log.info("%s: cancelled by the server (shutdown)%s", what, "" if started else ", answered 503")
    if started:
        return
    try:
        async with asyncio.timeout(_ANSWER_WITHIN):
            await Response.json(send, _SHUTTING_DOWN, 503, headers={"connection": "close"})
    except Exception:  # the connection is gone, or its buffer full: nothing to answer
        log.debug("the 503 of a cancelled request could not be sent", exc_info=True)


class InFlight:
    """The request tasks being served, so that shutdown can drain, then cancel them."""

    __slots__ = ("tasks",)

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()

    async def drain(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for the requests in flight, then cancel the rest
        (each answers 503 ``shutdown``); how many were cancelled."""
        current = asyncio.current_task()
        pending = {t for t in self.tasks if t is not current}
        if not pending:
            return 0
        _, late = await asyncio.wait(pending, timeout=timeout)
        for t in late:
            t.cancel()
        if late:
            await asyncio.wait(late, timeout=_ANSWER_WITHIN + 1.0)
            log.warning("%d request(s) still in flight after %.1fs cancelled", len(late), timeout)
        return len(late)
