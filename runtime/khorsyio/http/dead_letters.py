"""The dead-letter admin endpoint: ``/_khorsyio/dead-letters``, off unless enabled.

``BUS_DEAD_LETTER_ADMIN=true`` mounts these routes; every request first goes through the
app's ``dead_letter_auth`` hook (``fn(request) -> bool``, sync or async), and the app
refuses to start with the endpoint on and no hook. ``khorsyio dlq --url`` is its client.

=======  ======================================  ================================
GET      /_khorsyio/dead-letters                 ``?handler=&limit=``: summaries
GET      /_khorsyio/dead-letters/{id}            one letter, envelope and error
POST     /_khorsyio/dead-letters/{id}/replay     deliver it again
POST     /_khorsyio/dead-letters/replay          ``?handler=``: replay them all
DELETE   /_khorsyio/dead-letters/{id}            delete one
DELETE   /_khorsyio/dead-letters                 ``?handler=``: purge
=======  ======================================  ================================
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from khorsyio.bus.dead_letters import DeadLetterStore
from khorsyio.errors import BusClosedError, ClientError, UnknownNameError
from khorsyio.http.request import Request
from khorsyio.http.response import SHUTDOWN_CODE, Response
from khorsyio.http.routes import Route
from khorsyio.types import Send

__all__ = ["ADMIN_PATH", "DeadLetterAuth", "admin_routes"]

ADMIN_PATH = "/_khorsyio/dead-letters"

DeadLetterAuth = Callable[[Request], bool | Awaitable[bool]]
"""``fn(request)``: true lets the request through; false answers 401 when the request has no
``Authorization`` header, 403 when it has one."""

_TAGS = ("khorsyio",)
_ENCODER = msgspec.json.Encoder(enc_hook=repr)


def _not_found(message: str) -> ClientError:
    return ClientError(message, status=404, code="unknown_dead_letter")


async def _store(req: Request) -> DeadLetterStore | None:
    """The app's store once the hook allows the request; None when refused (answered)."""
    app = req.app
    hook: DeadLetterAuth | None = getattr(app, "dead_letter_auth", None)
    allowed: Any = False
    if hook is not None:
        allowed = hook(req)
        if inspect.isawaitable(allowed):
            allowed = await allowed
    if allowed is not True:
        if req.header("authorization") is None:
            await Response.error(req.send, "authentication required", 401, code="unauthorized")
        else:
            await Response.error(req.send, "forbidden", 403, code="forbidden")
        return None
    store: DeadLetterStore = app.bus.dead_letters
    return store


def _handler(req: Request) -> str | None:
    return req.param("handler") or None


def _limit(req: Request) -> int | None:
    raw = req.param("limit")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or int(raw) > 1_000_000:
        raise ClientError(f"limit must be an integer from 0 to 1000000, got {raw!r}")
    return int(raw)


async def _list(req: Request, send: Send) -> None:
    store = await _store(req)
    if store is None:
        return
    handler = _handler(req)
    items = await store.snapshot(handler, _limit(req))
    await Response.json(send, {"count": await store.count(handler), "items": items})


async def _show(req: Request, send: Send) -> None:
    store = await _store(req)
    if store is None:
        return
    try:
        letter = await store.get(req.path_params["id"])
    except UnknownNameError as e:
        raise _not_found(str(e.args[0])) from None
    await Response.json(send, _ENCODER.encode(letter))


async def _replay(req: Request, send: Send) -> None:
    store = await _store(req)
    if store is None:
        return
    letter_id = req.path_params["id"]
    try:
        await store.get(letter_id)
    except UnknownNameError as e:
        raise _not_found(str(e.args[0])) from None
    try:
        letter = await store.replay(letter_id)
    except (UnknownNameError, BusClosedError) as e:
        raise _refused(e) from None
    trace_id = letter.envelope.trace_id
    await Response.json(send, {"replayed": 1, "id": letter_id, "trace_id": trace_id})


async def _replay_all(req: Request, send: Send) -> None:
    store = await _store(req)
    if store is None:
        return
    try:
        n = await store.replay_all(_handler(req))
    except (UnknownNameError, BusClosedError) as e:
        raise _refused(e) from None
    await Response.json(send, {"replayed": n})


def _refused(e: Exception) -> ClientError:
    """A replay the bus did not take: no such handler (any more), claimed meanwhile (409),
    or the bus is not running (503)."""
    if isinstance(e, BusClosedError):
        return ClientError(str(e), status=503, code=SHUTDOWN_CODE)
    return ClientError(str(e.args[0]) if e.args else str(e), status=409, code="not_replayed")


async def _remove(req: Request, send: Send) -> None:
    store = await _store(req)
    if store is None:
        return
    letter_id = req.path_params["id"]
    if not await store.remove(letter_id):
        raise _not_found(f"no dead letter #{letter_id}")
    await Response.json(send, {"purged": 1})


async def _purge(req: Request, send: Send) -> None:
    store = await _store(req)
    if store is None:
        return
    await Response.json(send, {"purged": await store.purge(_handler(req))})


def admin_routes() -> list[Route]:
    """The endpoint's routes (the app mounts them when BUS_DEAD_LETTER_ADMIN is true)."""
    one = ADMIN_PATH + "/{id:int}"

    def r(method: str, path: str, fn: Callable[..., Any], summary: str) -> Route:
        return Route(method, path, fn, summary=summary, tags=_TAGS)

    return [
        r("GET", ADMIN_PATH, _list, "List dead letters (?handler=, ?limit=)"),
        r("GET", one, _show, "One dead letter, with its event and error"),
        r("POST", one + "/replay", _replay, "Replay a dead letter"),
        r("POST", ADMIN_PATH + "/replay", _replay_all, "Replay every dead letter (?handler=)"),
        r("DELETE", one, _remove, "Delete a dead letter"),
        r("DELETE", ADMIN_PATH, _purge, "Delete every dead letter (?handler=)"),
    ]
