"""socket.io long-polling requests, bounded: a POST's body in size and time, a cancelled
request answered.

python-engineio refuses a POST over ``max_http_buffer_size`` by closing the session and
waiting until a GET has collected the CLOSE packet, which may be never: the POST was left
unanswered and held up server shutdown. So a POST's body is read here first, at most
WS_MAX_MESSAGE_SIZE bytes (else 413 ``payload_too_large``) within HTTP_BODY_TIMEOUT
seconds (else 408 ``request_timeout``); a refused POST ends its session without waiting
(a GET waiting on it is answered with the CLOSE packet), and python-engineio gets the body
read. A poll the server cancels (shutdown past its drain timeout) is answered 503
``shutdown`` when its response has not started.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import parse_qs

from khorsyio.errors import ClientDisconnect, ClientError, PayloadTooLarge
from khorsyio.http.response import Response
from khorsyio.http.timeouts import BodyDeadlines, InFlight, answer_cancelled, read_body
from khorsyio.types import Message, Receive, Scope, Send

__all__ = ["release_poll", "serve_poll"]

log = logging.getLogger("khorsyio.ws")


async def serve_poll(
    sio: Any,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    limit: int,
    deadlines: BodyDeadlines,
    inflight: InFlight,
) -> None:
    """Serve one long-polling request (``scope["type"] == "http"``) with ``sio``, as one of
    the requests in ``inflight``."""
    answered = _Answered(send)
    task = asyncio.current_task()
    assert task is not None  # an ASGI call runs in a task
    inflight.tasks.add(task)
    try:
        if scope.get("method") == "POST":
            try:
                body = await _read_post(scope, receive, limit, deadlines)
            except ClientDisconnect:
                await _end_session(sio, scope)
                return
            except ClientError as e:
                await _end_session(sio, scope)
                await Response.error(answered, e.message, e.status, e.code)
                return
            scope = {**scope, "headers": _with_length(scope["headers"], len(body))}
            receive = _replay(body)
        await sio.handle_request(scope, receive, answered)
    except asyncio.CancelledError:  # the server gave up on it (shutdown past the drain)
        await answer_cancelled(answered, answered.started, f"{scope.get('method')} socket.io poll")
    finally:
        inflight.tasks.discard(task)


async def _read_post(scope: Scope, receive: Receive, limit: int, deadlines: BodyDeadlines) -> bytes:
    for k, v in scope["headers"]:
        if k == b"content-length" and v.isdigit() and int(v) > limit:
            raise PayloadTooLarge(f"request body is {int(v)} bytes; the limit is {limit}")
    return await read_body(receive, limit, deadlines)


async def _end_session(sio: Any, scope: Scope) -> None:
    """Close the engine.io session a refused POST names, not waiting for its queue."""
    sid = _query_sid(scope)
    sock = sio.eio.sockets.get(sid) if sid is not None else None
    if sock is None:
        return
    log.info("ws polling session %s closed: its POST was refused", sid)
    try:
        await sock.close(wait=False)
    finally:
        sio.eio.sockets.pop(sid, None)


class _Answered:
    """``send`` that remembers whether the response has started."""

    __slots__ = ("_send", "started")

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


def _replay(body: bytes) -> Receive:
    """``receive`` giving ``body`` as one message (python-engineio reads it once)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Message:
        if pending:
            return pending.pop()
        await asyncio.Event().wait()  # pragma: no cover - nobody reads past the body
        return {"type": "http.disconnect"}  # pragma: no cover

    return receive


def _with_length(headers: list[tuple[bytes, bytes]], n: int) -> list[tuple[bytes, bytes]]:
    """The headers with ``content-length: n`` (python-engineio reads that many bytes)."""
    kept = [(k, v) for k, v in headers if k not in (b"content-length", b"transfer-encoding")]
    return [*kept, (b"content-length", str(n).encode())]


def _query_sid(scope: Scope) -> str | None:
    qs = scope.get("query_string", b"").decode("latin-1")
    sids = parse_qs(qs).get("sid")
    return sids[0] if sids else None


def release_poll(sock: Any) -> None:
    """Answer the GET a long-polling client left waiting when its session was aborted.

    A session closed by the client (or with ``abort``) queues no CLOSE packet, so its last
    GET would wait ping_interval + ping_timeout seconds, holding up server shutdown. Runs
    after ``close()`` has finished: when it queued a CLOSE packet the queue is not empty
    and the GET is answered by it.
    """
    if sock.closed and sock.queue.empty():
        sock.queue.put_nowait(None)
