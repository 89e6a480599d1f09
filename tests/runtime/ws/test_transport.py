"""The transport's wiring: allow-list in the graph, CORS from the App, routing, settings."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec
import pytest

from khorsyio import App, Bus, CorsConfig, Node, Response, Settings
from khorsyio.settings import WsSettings
from khorsyio.ws import SocketTransport
from khorsyio.ws.limits import ClientState
from khorsyio.ws.protocol import envelope_message, split_validation_error

from .chat import build_app
from .conftest import serve


def test_allowed_events_are_websocket_producers_in_the_graph() -> None:
    app = App(settings=Settings())
    app.transport.allow("b.ev", "a.ev")
    app.transport.allow("a.ev")
    assert app.transport.graph_nodes() == [
        Node(kind="websocket", name="ws event a.ev", produces=("a.ev",)),
        Node(kind="websocket", name="ws event b.ev", produces=("b.ev",)),
    ]
    assert app.transport.allowed == {"a.ev", "b.ev"}
    with pytest.raises(ValueError, match="event names"):
        app.transport.allow("")


async def test_strict_startup_needs_the_allow_list() -> None:
    # the chat app is strict: without the allow-list, 'chat.msg' etc. have no producer
    app, _ = build_app()
    app.transport._allowed.clear()
    with pytest.raises(Exception, match="no producer"):
        await app.startup()


def test_settings_reach_socketio() -> None:
    app = App(settings=Settings(ws=WsSettings(max_message_size=1234, ping_interval=7.0)))
    eio = app.transport.sio.eio
    assert eio.max_http_buffer_size == 1234
    assert eio.ping_interval == 7.0


def test_ws_settings_from_the_environment() -> None:
    s = Settings.load({"WS_MAX_MESSAGE_SIZE": "2048", "WS_RATE_LIMIT": "5"}, env_file=None)
    assert s.ws.max_message_size == 2048
    assert s.ws.rate_limit == 5.0


@pytest.mark.parametrize(
    ("cors", "origins", "credentials"),
    [
        (None, None, True),
        (CorsConfig(), "*", False),
        (CorsConfig(origins=["http://a.test"], credentials=True), ["http://a.test"], True),
    ],
)
async def test_cors_follows_the_app(
    cors: CorsConfig | None, origins: Any, credentials: bool
) -> None:
    app = App(cors, settings=Settings())
    await app.transport.start()
    assert app.transport.sio.eio.cors_allowed_origins == origins
    assert app.transport.sio.eio.cors_credentials is credentials
    await app.transport.stop()


async def test_polling_handshake_cors_over_http() -> None:
    app, _ = build_app()
    app.cors = CorsConfig(origins=["http://good.test"])
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        ok = await http.get(
            "/socket.io/?EIO=4&transport=polling", headers={"origin": "http://good.test"}
        )
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == "http://good.test"
        assert ok.text.startswith("0{")
        bad = await http.get(
            "/socket.io/?EIO=4&transport=polling", headers={"origin": "http://evil.test"}
        )
        assert bad.status_code == 400


async def test_other_paths_are_not_socketio() -> None:
    app, _ = build_app()
    sent: list[dict[str, Any]] = []

    async def send(msg: dict[str, Any]) -> None:
        sent.append(msg)

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    await app.transport.asgi({"type": "websocket", "path": "/chat"}, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1008}]


def test_protocol_helpers() -> None:
    assert split_validation_error("Expected `int`, got `str` - at `$.n[1]`") == (
        "Expected `int`, got `str`",
        "$.n[1]",
    )
    assert split_validation_error("Object missing required field `text`") == (
        "Object missing required field `text`",
        "$",
    )
    from khorsyio import Envelope

    from .chat import ChatOut

    env = Envelope.create("chat.reply", ChatOut(text="x"), trace_id="t1")
    assert envelope_message(env) == {
        "event_type": "chat.reply",
        "payload": {"text": "x", "by": ""},
        "trace_id": "t1",
    }


async def test_reply_to_sender_without_a_websocket_sender() -> None:
    from khorsyio import Envelope

    app = App(settings=Settings())
    assert await app.transport.reply_to_sender(Envelope.create("x", None)) is False


class _A(msgspec.Struct):
    text: str


class _B(msgspec.Struct):
    text: str
    n: int = 0


async def test_untyped_handler_gets_the_envelope_and_every_typed_one_is_checked() -> None:
    from khorsyio import Context, Envelope, Handler
    from khorsyio.ws.limits import ClientState

    got: list[Any] = []

    class Raw(Handler):
        subscribes_to = "in.ev"

        async def process(self, data: Envelope, ctx: Context) -> None:
            got.append(("raw", data.payload, ctx.extra["_ws_sid"], ctx.source))

    class TypedA(Handler[_A, None]):
        subscribes_to = "in.ev"

        async def process(self, data: _A, ctx: Context) -> None:
            got.append(("a", data))

    class TypedB(Handler[_B, None]):
        subscribes_to = "in.ev"

        async def process(self, data: _B, ctx: Context) -> None:
            got.append(("b", data))

    app = App(settings=Settings())
    for h in (Raw, TypedA, TypedB):
        app.register(h)
    app.transport.allow("in.ev")
    await app.startup()
    t = app.transport
    sent: list[tuple[str, Any, Any]] = []

    async def fake_emit(event: str, data: Any = None, to: Any = None, **kw: Any) -> None:
        sent.append((event, data, to))

    t.sio.emit = fake_emit
    t._clients["s1"] = ClientState(t.settings)
    try:
        bad = await t._on_event("s1", {"event_type": "in.ev", "payload": {"text": "x", "n": "1"}})
        assert bad["code"] == "validation"
        assert bad["path"] == "$.n"
        assert "_B" in bad["message"]
        assert sent == [("error", bad, "s1")]
        ok = await t._on_event("s1", {"event_type": "in.ev", "payload": {"text": "x", "n": 2}})
        assert set(ok) == {"event_type", "trace_id"}
        await app.bus.wait_idle()
        assert sorted(got, key=lambda g: g[0]) == [
            ("a", _A(text="x")),
            ("b", _B(text="x", n=2)),
            ("raw", {"text": "x", "n": 2}, "s1", "ws"),
        ]
    finally:
        await app.shutdown()


def test_a_client_trace_id_must_look_like_one() -> None:
    """CR/LF or spaces in a trace id would forge log lines: refused like HTTP's x-trace-id."""
    import msgspec

    from khorsyio.ws.protocol import Incoming

    ok = msgspec.convert({"event_type": "chat.msg", "trace_id": "abc-123:x.y_z"}, Incoming)
    assert ok.trace_id == "abc-123:x.y_z"
    for bad in ("a\nb", "with space", "x" * 65, ""):
        with pytest.raises(msgspec.ValidationError, match="trace_id"):
            msgspec.convert({"event_type": "chat.msg", "trace_id": bad}, Incoming)


async def test_cors_set_after_construction_reaches_http_and_socketio() -> None:
    app, _ = build_app()
    app.router.get("/ping", lambda req, send: Response.ok(send))
    app.cors = CorsConfig(origins=["http://good.test"])
    assert app.transport.cors is app.cors
    good, evil = {"origin": "http://good.test"}, {"origin": "http://evil.test"}
    preflight = {"access-control-request-method": "GET"}
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        ok = await http.options("/ping", headers={**good, **preflight})
        assert ok.status_code == 204
        assert ok.headers["access-control-allow-origin"] == "http://good.test"
        refused = await http.options("/ping", headers={**evil, **preflight})
        assert refused.status_code == 403
        poll = "/socket.io/?EIO=4&transport=polling"
        ok = await http.get(poll, headers=good)
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == "http://good.test"
        assert (await http.get(poll, headers=evil)).status_code == 400

        app.cors = CorsConfig(origins=["http://evil.test"])  # both follow a second change
        assert (await http.options("/ping", headers={**good, **preflight})).status_code == 403
        assert (await http.get(poll, headers=good)).status_code == 400
        assert (await http.get(poll, headers=evil)).status_code == 200


async def test_a_message_while_the_bus_is_stopped_is_refused_with_code_shutdown() -> None:
    transport = SocketTransport(Bus(), WsSettings())
    transport.allow("chat.msg")
    client = ClientState(transport.settings)
    answer = await transport._accept(
        "sid1", client, {"event_type": "chat.msg", "payload": {}, "trace_id": "t-1"}
    )
    assert answer == {
        "code": "shutdown",
        "message": "the service is shutting down",
        "event_type": "chat.msg",
        "trace_id": "t-1",
    }
