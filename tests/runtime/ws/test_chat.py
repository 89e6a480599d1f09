"""The chat scenarios with python-socketio's client (through SocketClient) and a real server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from khorsyio import SocketClient, SocketConnectionError, SocketRequestError

from .chat import GOOD_TOKEN, ChatIn
from .conftest import ServeChat

TRANSPORTS = [pytest.param(None, id="default"), pytest.param(["polling"], id="polling")]


def client(url: str, *, user: str = "", transports: list[str] | None = None) -> SocketClient:
    auth: dict[str, Any] = {"token": GOOD_TOKEN}
    if user:
        auth["user"] = user
    return SocketClient(url, auth=auth, transports=transports, reconnection=False)


@pytest.mark.parametrize("transports", TRANSPORTS)
async def test_chat_reply_reaches_the_sender_only(
    serve_chat: ServeChat, transports: list[str] | None
) -> None:
    async with serve_chat() as s:
        a = client(s.url, user="ann", transports=transports)
        b = client(s.url, transports=transports)
        b_saw: list[dict[str, Any]] = []
        b.on("chat.reply", b_saw.append)
        async with a, b:
            assert sorted(s.app.transport.connected_sids) == sorted([a.sid, b.sid])
            reply = await a.request("chat.msg", ChatIn(text="hello"), "chat.reply", timeout=10)
            assert reply["event_type"] == "chat.reply"
            assert reply["payload"] == {"text": "HELLO", "by": "ann"}
            # b's own round trip: a reply wrongly sent to b would have arrived before it.
            own = await b.request("chat.msg", {"text": "mine"}, "chat.reply", timeout=10)
            assert [m["trace_id"] for m in b_saw] == [own["trace_id"]]
            assert own["payload"] == {"text": "MINE", "by": ""}
        assert s.calls.shout == ["hello", "mine"]


async def test_seed_snippet_callback_and_send(serve_chat: ServeChat) -> None:
    async with serve_chat() as s:
        c = client(s.url)
        got: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        c.on("chat.reply", lambda data: got.put_nowait(data))
        await c.connect()
        trace = await c.send("chat.msg", {"text": "hello"})
        data = await asyncio.wait_for(got.get(), 10)
        assert data["payload"]["text"] == "HELLO"
        assert data["trace_id"] == trace
        await c.disconnect()


async def test_sender_sid_and_source_in_context(serve_chat: ServeChat) -> None:
    async with serve_chat() as s:
        async with client(s.url) as c:
            await c.request("chat.msg", {"text": "x"}, "chat.reply", trace_id="t-ctx-1")
            assert s.calls.contexts == [(c.sid, "ws", "t-ctx-1")]
        log = s.app.bus.event_log.recent(trace_id="t-ctx-1")
        assert [(e["event_type"], e["source"]) for e in log] == [
            ("chat.msg", "ws"),
            ("chat.reply", "Shout"),
        ]


@pytest.mark.parametrize("transports", TRANSPORTS)
async def test_broadcast_to_a_room(serve_chat: ServeChat, transports: list[str] | None) -> None:
    async with serve_chat() as s:
        a, b, c = (client(s.url, transports=transports) for _ in range(3))
        got_a: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        got_b: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        c_saw: list[dict[str, Any]] = []
        a.on("room.said", got_a.put_nowait)
        b.on("room.said", got_b.put_nowait)
        c.on("room.said", c_saw.append)
        async with a, b, c:
            await a.request("room.join", {"room": "r1"}, "room.joined")
            await b.request("room.join", {"room": "r1"}, "room.joined")
            assert s.app.transport.rooms(a.sid or "") == ["r1"]
            trace = await a.send("room.say", {"room": "r1", "text": "hi all"})
            msg_a = await asyncio.wait_for(got_a.get(), 10)
            msg_b = await asyncio.wait_for(got_b.get(), 10)
            assert msg_a == msg_b
            assert msg_a["payload"] == {"room": "r1", "text": "hi all"}
            assert msg_a["trace_id"] == trace
            await c.request("chat.msg", {"text": "barrier"}, "chat.reply")
            assert c_saw == []
            await s.app.transport.leave(b.sid or "", "r1")
            await a.send("room.say", {"room": "r1", "text": "again"})
            assert (await asyncio.wait_for(got_a.get(), 10))["payload"]["text"] == "again"
            await b.request("chat.msg", {"text": "barrier"}, "chat.reply")
            assert got_b.empty()


@pytest.mark.parametrize("transports", TRANSPORTS)
async def test_bad_payload_is_an_error_event_and_the_connection_stays(
    serve_chat: ServeChat, transports: list[str] | None
) -> None:
    async with serve_chat() as s:
        async with client(s.url, transports=transports) as c:
            errors: list[dict[str, Any]] = []
            c.on("error", errors.append)
            with pytest.raises(SocketRequestError) as ei:
                await c.request("chat.msg", {"text": 42}, "chat.reply")
            err = ei.value
            assert err.code == "validation"
            assert err.path == "$.text"
            assert "ChatIn" in err.message
            assert "Expected `str`, got `int`" in err.message
            assert errors == [err.data]
            with pytest.raises(SocketRequestError) as missing:
                await c.request("chat.msg", {}, "chat.reply")
            assert missing.value.code == "validation"
            assert "text" in missing.value.message
            reply = await c.request("chat.msg", {"text": "fine"}, "chat.reply")
            assert reply["payload"]["text"] == "FINE"
        assert s.calls.shout == ["fine"]


async def test_malformed_message_is_refused(serve_chat: ServeChat) -> None:
    async with serve_chat() as s:
        async with client(s.url) as c:
            errors: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
            c.on("error", errors.put_nowait)
            await c._sio.emit("event", {"payload": {"text": "no type"}, "trace_id": "m1"})
            err = await asyncio.wait_for(errors.get(), 10)
            assert err["code"] == "bad_message"
            assert err["trace_id"] == "m1"
            await c._sio.emit("event", "just a string")
            err = await asyncio.wait_for(errors.get(), 10)
            assert err["code"] == "bad_message"
            assert (await c.request("chat.msg", {"text": "ok"}, "chat.reply"))["payload"]
        assert s.calls.shout == ["ok"]


@pytest.mark.parametrize("transports", TRANSPORTS)
async def test_forbidden_event(serve_chat: ServeChat, transports: list[str] | None) -> None:
    async with serve_chat() as s:
        async with client(s.url, transports=transports) as c:
            with pytest.raises(SocketRequestError) as ei:
                await c.request("admin.wipe", {"text": "everything"}, "admin.wiped")
            assert ei.value.code == "forbidden_event"
            assert ei.value.data["event_type"] == "admin.wipe"
            # events the app publishes internally are not open either
            with pytest.raises(SocketRequestError) as ei2:
                await c.request("chat.reply", {"text": "fake"}, "chat.reply")
            assert ei2.value.code == "forbidden_event"
            assert (await c.request("chat.msg", {"text": "ok"}, "chat.reply"))["payload"]
        assert s.calls.wiped == 0
        assert s.calls.shout == ["ok"]


@pytest.mark.parametrize("transports", TRANSPORTS)
async def test_rejected_auth(serve_chat: ServeChat, transports: list[str] | None) -> None:
    async with serve_chat() as s:
        refused: list[dict[str, Any]] = []
        bad = SocketClient(s.url, auth={"token": "nope"}, transports=transports, reconnection=False)
        bad.on("connect_error", refused.append)
        with pytest.raises(SocketConnectionError) as ei:
            await bad.connect()
        assert "unauthorized" in str(ei.value)
        assert refused == [{"message": "unauthorized"}]
        assert not bad.connected
        anonymous = SocketClient(s.url, transports=transports, reconnection=False)
        with pytest.raises(SocketConnectionError):
            await anonymous.connect()
        assert s.app.transport.connected_sids == []
        assert s.calls.shout == []


@pytest.mark.parametrize("transports", TRANSPORTS)
async def test_auth_hook_binds_the_user_id(
    serve_chat: ServeChat, transports: list[str] | None
) -> None:
    """The identity the hook returns is the only one a connection has: a user id the client
    writes in a message never becomes ctx.user_id, with or without a user bound."""
    async with serve_chat() as s:
        async with client(s.url, user="ann", transports=transports) as c:
            reply = await c.request("chat.msg", {"text": "x"}, "chat.reply", user_id="mallory")
            assert reply["payload"]["by"] == "ann"
        async with client(s.url, transports=transports) as anon:  # the hook returns True
            reply = await anon.request("chat.msg", {"text": "x"}, "chat.reply", user_id="admin")
            assert reply["payload"]["by"] == ""


@pytest.mark.parametrize("transports", TRANSPORTS)
@pytest.mark.parametrize("identity", [42, 4.2, {"id": "u1"}, ["u1"], b"u1"])
async def test_an_auth_hook_returning_a_non_string_id_refuses_the_connection(
    serve_chat: ServeChat,
    transports: list[str] | None,
    identity: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`return user.id` with an integer key: refused (and logged), never accepted with the
    client's own user_id standing in for it."""
    async with serve_chat() as s:
        s.app.transport.on_connect(lambda sid, environ, auth: identity)
        c = SocketClient(
            s.url, auth={"token": GOOD_TOKEN}, transports=transports, reconnection=False
        )
        with pytest.raises(SocketConnectionError, match="unauthorized"):
            await c.connect()
        assert s.app.transport.connected_sids == []
        assert s.calls.shout == []
    assert f"returned {identity!r} ({type(identity).__name__})" in caplog.text


async def test_auth_hook_that_raises_refuses(serve_chat: ServeChat) -> None:
    async with serve_chat() as s:

        async def hook(sid: str, environ: dict[str, Any], auth: Any) -> bool:
            raise RuntimeError("database down")

        s.app.transport.on_connect(hook)
        c = SocketClient(s.url, auth={"token": GOOD_TOKEN}, reconnection=False)
        with pytest.raises(SocketConnectionError) as ei:
            await c.connect()
        assert "database down" not in str(ei.value)

        async def deny(sid: str, environ: dict[str, Any], auth: Any) -> bool:
            raise PermissionError("banned")

        s.app.transport.on_connect(deny)
        with pytest.raises(SocketConnectionError, match="banned"):
            await c.connect()


@pytest.mark.parametrize("transports", [pytest.param(["websocket"], id="websocket"), *TRANSPORTS])
async def test_oversize_message_closes_that_connection(
    serve_chat: ServeChat, transports: list[str] | None
) -> None:
    async with serve_chat(max_message_size=4096) as s:
        big = client(s.url, transports=transports)
        other = client(s.url, transports=transports)
        async with other:
            await big.connect()
            await big.send("chat.msg", {"text": "x" * 10_000})
            await big.wait_disconnected(timeout=15)
            assert not big.connected
            # small messages and other clients are fine
            assert (await other.request("chat.msg", {"text": "x" * 1000}, "chat.reply"))["payload"]
        assert s.calls.shout == ["x" * 1000]


async def test_handler_failure_reaches_the_sender_without_details(serve_chat: ServeChat) -> None:
    async with serve_chat() as s, client(s.url) as c:
        with pytest.raises(SocketRequestError) as ei:
            await c.request("chat.boom", {"text": "x"}, "chat.reply")
        assert ei.value.code == "handler_error"
        assert "secret" not in ei.value.message
        s.app.transport.report_errors = False
        with pytest.raises(TimeoutError):
            await c.request("chat.boom", {"text": "x"}, "chat.reply", timeout=0.5)


async def test_emit_to_one_client_and_to_all(serve_chat: ServeChat) -> None:
    async with serve_chat() as s:
        a, b = client(s.url), client(s.url)
        qa: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        qb: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        a.on("news", qa.put_nowait)
        b.on("news", qb.put_nowait)
        async with a, b:
            await s.app.transport.emit("news", ChatIn(text="only a"), sid=a.sid)
            assert (await asyncio.wait_for(qa.get(), 10)) == {"text": "only a"}
            await s.app.transport.emit("news", {"text": "all"})
            assert (await asyncio.wait_for(qa.get(), 10)) == {"text": "all"}
            assert (await asyncio.wait_for(qb.get(), 10)) == {"text": "all"}
            assert qb.empty()


async def test_ack_tells_accepted_or_refused(serve_chat: ServeChat) -> None:
    async with serve_chat() as s, client(s.url) as c:
        ok = await c._sio.call(
            "event", {"event_type": "chat.msg", "payload": {"text": "a"}, "trace_id": "k1"}
        )
        assert ok == {"event_type": "chat.msg", "trace_id": "k1"}
        refused = await c._sio.call("event", {"event_type": "nope", "payload": {}})
        assert refused["code"] == "forbidden_event"


async def test_request_fails_when_the_server_drops_the_client(serve_chat: ServeChat) -> None:
    async with serve_chat() as s:
        c = client(s.url)
        await c.connect()
        pending = asyncio.create_task(c.request("work.do", {"n": 1}, "work.done", timeout=10))
        await asyncio.wait_for(s.calls.work_started.wait(), 10)
        await s.app.transport.disconnect(c.sid or "")
        with pytest.raises(ConnectionError):
            await pending
        s.calls.gate.set()


async def test_send_before_connect_is_a_clear_error() -> None:
    c = SocketClient("http://127.0.0.1:9", reconnection=False)
    with pytest.raises(SocketConnectionError, match="not connected"):
        await c.send("chat.msg", {"text": "x"})
    with pytest.raises(SocketConnectionError, match="cannot connect"):
        await c.connect(timeout=5)
