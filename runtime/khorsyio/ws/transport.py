"""SocketTransport: the socket.io server of an App, bridged to its bus."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import msgspec
import socketio

from khorsyio.errors import BusClosedError, UsageError
from khorsyio.events import Envelope, new_envelope, new_trace_id
from khorsyio.graph import Node
from khorsyio.http.cors import CorsConfig
from khorsyio.http.response import SHUTDOWN_CODE, SHUTDOWN_MESSAGE, Response, error_body
from khorsyio.http.timeouts import BodyDeadlines, InFlight
from khorsyio.settings import WsSettings
from khorsyio.types import Receive, Scope, Send
from khorsyio.ws.auth import AuthHook, authenticate
from khorsyio.ws.limits import ClientState
from khorsyio.ws.packets import BoundedPacket, Undecodable
from khorsyio.ws.polling import release_poll, serve_poll
from khorsyio.ws.protocol import (
    ERROR_EVENT,
    INCOMING_EVENT,
    Incoming,
    envelope_message,
    error_message,
    split_validation_error,
)

if TYPE_CHECKING:
    from khorsyio.bus import Bus

__all__ = ["AuthHook", "SocketTransport"]

log = logging.getLogger("khorsyio.ws")

SOCKETIO_PATH = "/socket.io/"

# Error codes whose message is safe to show a client; others get a generic message.
_NOT_FOUND = error_body("not found", "not_found")

_SHOWN_CODES = frozenset({"validation", "timeout", "no_handler", "not_found", "forbidden"})


class SocketTransport:
    """The socket.io server of an :class:`~khorsyio.App` (``app.transport``).

    Clients publish on the bus by emitting ``"event"`` with ``{"event_type", "payload",
    "trace_id"?, "user_id"?}``, for the events declared open with :meth:`allow` only. The
    payload is validated against the input type of the handlers subscribed to the event;
    a refused message is answered with an ``"error"`` event and the connection stays open.
    The sender's sid travels in ``ctx.extra["_ws_sid"]`` so a handler can answer with
    :meth:`reply_to_sender`.

    It needs the ``bus`` it publishes on, its ``settings`` (WS_*) and the ``cors`` config
    that says which browser origins may connect (``None``: same origin only). ``App``
    builds it and keeps its ``cors`` the same as the HTTP layer's.
    """

    def __init__(
        self,
        bus: Bus,
        settings: WsSettings | None = None,
        cors: CorsConfig | None = None,
        *,
        body_timeout: float = 30.0,
    ) -> None:
        self.bus = bus
        self.settings: WsSettings = settings if settings is not None else WsSettings()
        self.body_deadlines = BodyDeadlines(body_timeout)
        """A long-polling POST's body has ``body_timeout`` seconds to arrive (an App's
        HTTP_BODY_TIMEOUT)."""
        self.inflight = InFlight()
        """The long-polling requests being served: ``App.shutdown`` drains them."""
        self.report_errors = True
        """Send a client an ``"error"`` event when a chain it started fails."""
        self._allowed: set[str] = set()
        self._auth: AuthHook | None = None
        self._clients: dict[str, ClientState] = {}
        self._error_hook_installed = False
        s = self.settings
        self.sio: Any = socketio.AsyncServer(
            async_mode="asgi",
            serializer=BoundedPacket,  # a too-deep packet is answered, not dropped
            cors_allowed_origins=_cors_origins(cors),
            cors_credentials=_cors_credentials(cors),
            max_http_buffer_size=s.max_message_size,
            ping_interval=s.ping_interval,
            ping_timeout=s.ping_timeout,
            logger=False,
            engineio_logger=False,
        )
        self._cors = cors
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on(INCOMING_EVENT, self._on_event)
        self._eio_disconnect: Any = getattr(self.sio.eio, "handlers", {}).get("disconnect")
        if self._eio_disconnect is not None:  # else python-engineio's internals moved
            self.sio.eio.on("disconnect", self._on_eio_disconnect)

    # -- configuration --------------------------------------------------------------------

    def allow(self, *events: str) -> None:
        """Open ``events`` to websocket clients; nothing else can be published from outside."""
        for e in events:
            if not isinstance(e, str) or not e:
                raise UsageError(f"transport.allow() takes event names, got {e!r}")
        self._allowed.update(events)

    @property
    def cors(self) -> CorsConfig | None:
        """Which browser origins may connect (long-polling and websocket); settable."""
        return self._cors

    @cors.setter
    def cors(self, cors: CorsConfig | None) -> None:
        self._cors = cors
        self.sio.eio.cors_allowed_origins = _cors_origins(cors)
        self.sio.eio.cors_credentials = _cors_credentials(cors)

    @property
    def allowed(self) -> frozenset[str]:
        return frozenset(self._allowed)

    def on_connect(self, fn: AuthHook) -> AuthHook:
        """Set the auth hook ``fn(sid, environ, auth)`` (usable as a decorator)."""
        self._auth = fn
        return fn

    def graph_nodes(self) -> list[Node]:
        """Each allowed event is produced by websocket clients."""
        return [
            Node(kind="websocket", name=f"ws event {e}", produces=(e,))
            for e in sorted(self._allowed)
        ]

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        if not self._error_hook_installed:
            self.bus.on_error(self._on_chain_error)
            self._error_hook_installed = True

    async def stop(self) -> None:
        for sid in list(self._clients):
            try:
                await self.sio.disconnect(sid)
            except Exception:  # a socket already gone
                log.debug("disconnect %s at shutdown failed", sid, exc_info=True)
        self._clients.clear()
        await self.sio.shutdown()
        # engine.io leaves its service task (ping timeouts) finished but marked as started:
        # reset it, so that the app can start again (else no task would watch the clients,
        # and the next shutdown would await None).
        eio = self.sio.eio
        if eio.service_task_event is not None:  # it had started
            eio.service_task_event = None
            eio.start_service_task = True

    async def asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve socket.io (websocket and long-polling) under ``/socket.io/``."""
        path = scope.get("path", "")
        if not (path + "/").startswith(SOCKETIO_PATH):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await Response.json(send, _NOT_FOUND, 404)
            return
        if scope["type"] != "http":
            await self.sio.handle_request(scope, receive, send)
            return
        await serve_poll(
            self.sio,
            scope,
            receive,
            send,
            limit=self.settings.max_message_size,
            deadlines=self.body_deadlines,
            inflight=self.inflight,
        )

    # -- sending --------------------------------------------------------------------------

    @property
    def connected_sids(self) -> list[str]:
        """The sids of the clients connected now."""
        return list(self._clients)

    async def emit(
        self, event: str, data: Any = None, sid: str | None = None, room: str | None = None
    ) -> None:
        """Emit ``event`` to one client, a room, or (neither given) every client.

        ``data`` may be a Struct or anything msgspec turns into JSON-ready values.
        """
        if sid is not None and room is not None:
            raise UsageError("emit(): give sid or room, not both")
        await self.sio.emit(event, msgspec.to_builtins(data), to=sid if sid is not None else room)

    async def emit_envelope(
        self, envelope: Envelope, sid: str | None = None, room: str | None = None
    ) -> None:
        """Emit an envelope as ``{"event_type", "payload", "trace_id"}`` under its event type."""
        await self.emit(envelope.event_type, envelope_message(envelope), sid=sid, room=room)

    async def reply_to_sender(self, envelope: Envelope) -> bool:
        """Emit ``envelope`` to the client whose message started its chain.

        Returns False (and sends nothing) when the chain did not come from a websocket
        client or that client has gone.
        """
        sid = envelope.ctx.extra.get("_ws_sid")
        if not isinstance(sid, str) or sid not in self._clients:
            return False
        await self.emit_envelope(envelope, sid=sid)
        return True

    async def join(self, sid: str, room: str) -> None:
        """Put client ``sid`` in ``room``."""
        await self.sio.enter_room(sid, room)

    async def leave(self, sid: str, room: str) -> None:
        """Take client ``sid`` out of ``room``."""
        await self.sio.leave_room(sid, room)

    def rooms(self, sid: str) -> list[str]:
        """The rooms ``sid`` is in (its own sid room excluded)."""
        return [r for r in self.sio.rooms(sid) if r != sid]

    async def disconnect(self, sid: str) -> None:
        """Close the connection of client ``sid``."""
        await self.sio.disconnect(sid)

    # -- socket.io handlers ---------------------------------------------------------------

    async def _on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        user_id: str | None = None  # no hook: nothing is authenticated, clients say who they are
        if self._auth is not None:
            user_id = await authenticate(self._auth, sid, environ, auth)
        self._clients[sid] = ClientState(self.settings, user_id)
        return True

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        self._clients.pop(sid, None)

    async def _on_eio_disconnect(self, eio_sid: str, reason: Any = None) -> None:
        await self._eio_disconnect(eio_sid, reason)
        sock = self.sio.eio.sockets.get(eio_sid)
        if sock is not None and not sock.upgraded:
            asyncio.get_running_loop().call_soon(release_poll, sock)

    async def _on_event(self, sid: str, data: Any = None) -> dict[str, Any]:
        client = self._clients.get(sid)
        if client is None:  # pragma: no cover - socket.io only calls us for connected sids
            return error_message("not_connected", "not connected")
        trace_id = _trace_of(data)
        if self._outgoing_backlog(sid) > self.settings.max_queued_out:
            client.strikes += 1
            await self._maybe_drop(sid, client)
            return error_message("rate_limited", "the client is not reading", trace_id=trace_id)

        refusal = client.admit()
        if refusal is not None:
            await self._refuse(sid, error_message("rate_limited", refusal, trace_id=trace_id))
            await self._maybe_drop(sid, client)
            return error_message("rate_limited", refusal, trace_id=trace_id)
        try:
            result = await self._accept(sid, client, data)
        finally:
            client.done()
        if result.get("code"):
            await self._refuse(sid, result)
        return result

    async def _accept(self, sid: str, client: ClientState, data: Any) -> dict[str, Any]:
        if isinstance(data, Undecodable):
            return error_message("bad_message", data.reason)
        try:
            msg = msgspec.convert(data, Incoming)
        except RecursionError:  # decodable, but too deep to validate
            return error_message("bad_message", "the message is nested too deeply")
        except msgspec.ValidationError as e:
            text, path = split_validation_error(e)
            return error_message(
                "bad_message",
                f"a message is {{'event_type', 'payload', 'trace_id'?, 'user_id'?}}: {text}",
                path=path,
                trace_id=_trace_of(data),
            )
        trace_id = msg.trace_id or new_trace_id()
        event = msg.event_type
        if event not in self._allowed:
            return error_message(
                "forbidden_event",
                f"event '{event}' is not open to websocket clients",
                event_type=event,
                trace_id=trace_id,
            )
        payload: Any = msg.payload
        types = _input_types(self.bus.subscribers(event))
        for tp in types:
            try:
                converted = msgspec.convert(msg.payload, tp)
            except RecursionError:
                return error_message(
                    "bad_message", "the message is nested too deeply", trace_id=trace_id
                )
            except msgspec.ValidationError as e:
                text, path = split_validation_error(e)
                return error_message(
                    "validation",
                    f"payload of '{event}' is not a valid {tp.__name__}: {text}",
                    path=path,
                    event_type=event,
                    trace_id=trace_id,
                )
            if len(types) == 1:  # else each handler decodes the (validated) JSON value
                payload = converted
        user_id = client.user_id if client.user_id is not None else (msg.user_id or "")
        env = new_envelope(event, payload, "ws", trace_id, user_id, {"_ws_sid": sid})
        try:
            await self.bus.publish(env)
        except BusClosedError:
            return error_message(
                SHUTDOWN_CODE, SHUTDOWN_MESSAGE, event_type=event, trace_id=trace_id
            )
        return {"event_type": event, "trace_id": trace_id}

    async def _refuse(self, sid: str, body: dict[str, Any]) -> None:
        await self.sio.emit(ERROR_EVENT, body, to=sid)

    async def _maybe_drop(self, sid: str, client: ClientState) -> None:
        limit = self.settings.flood_disconnect
        if limit and client.strikes >= limit:
            log.warning("ws client %s dropped: %d messages refused in a row", sid, client.strikes)
            self._clients.pop(sid, None)
            await self.sio.disconnect(sid)

    def _outgoing_backlog(self, sid: str) -> int:
        """Packets queued for ``sid`` and not yet written (0 when unknown)."""
        try:
            eio_sid = self.sio.manager.eio_sid_from_sid(sid, "/")
            sock = self.sio.eio.sockets.get(eio_sid)
            return int(sock.queue.qsize()) if sock is not None else 0
        except Exception:  # internals of python-engineio moved: no outgoing bound
            return 0

    async def _on_chain_error(self, err_env: Envelope) -> None:
        sid = err_env.ctx.extra.get("_ws_sid")
        if not self.report_errors or not isinstance(sid, str) or sid not in self._clients:
            return
        err = err_env.error
        if err is None:  # pragma: no cover - the bus only reports error envelopes
            return
        message = err.message if err.code in _SHOWN_CODES else "the request failed on the server"
        body = error_message(
            err.code, message, event_type=err_env.event_type, trace_id=err_env.ctx.trace_id
        )
        await self._refuse(sid, body)


def _cors_origins(cors: CorsConfig | None) -> Any:
    """python-engineio's ``cors_allowed_origins``: ``None`` is same origin only."""
    if cors is None:
        return None
    return "*" if cors.any_origin else list(cors.origins)


def _cors_credentials(cors: CorsConfig | None) -> bool:
    return True if cors is None else cors.credentials


def _trace_of(data: Any) -> str | None:
    if isinstance(data, dict):
        tid = data.get("trace_id")
        if isinstance(tid, str) and 0 < len(tid) <= 128:
            return tid
    return None


def _input_types(subs: Iterable[Any]) -> list[type[msgspec.Struct]]:
    seen: list[type[msgspec.Struct]] = []
    for sub in subs:
        tp = sub.input_type
        if tp is not None and tp not in seen:
            seen.append(tp)
    return seen
