"""A small chat domain served over socket.io for the websocket tests."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from khorsyio import App, Context, Envelope, Handler, Settings
from khorsyio.settings import WsSettings
from khorsyio.ws import SocketTransport


class ChatIn(msgspec.Struct):
    text: str


class ChatOut(msgspec.Struct):
    text: str
    by: str = ""


class RoomIn(msgspec.Struct):
    room: str


class RoomSay(msgspec.Struct):
    room: str
    text: str


class Work(msgspec.Struct):
    n: int


class Calls:
    """What the handlers saw, for the tests to check."""

    def __init__(self) -> None:
        self.shout: list[str] = []
        self.contexts: list[tuple[str, str, str]] = []
        """(ctx.extra["_ws_sid"], ctx.source, ctx.trace_id) of each chat.msg."""
        self.wiped = 0
        self.worked: list[int] = []
        self.gate = asyncio.Event()
        self.work_started = asyncio.Event()


class Shout(Handler[ChatIn, ChatOut]):
    subscribes_to = "chat.msg"
    publishes = "chat.reply"

    def __init__(self, calls: Calls) -> None:
        self._calls = calls

    async def process(self, data: ChatIn, ctx: Context) -> ChatOut:
        self._calls.shout.append(data.text)
        self._calls.contexts.append((ctx.extra.get("_ws_sid", ""), ctx.source, ctx.trace_id))
        return ChatOut(text=data.text.upper(), by=ctx.user_id)


class ReplyHandler(Handler):  # the seed's snippet, as written
    subscribes_to = "chat.reply"
    publishes = ""

    def __init__(self, transport):  # type: ignore[no-untyped-def]
        self._transport = transport

    async def process(self, data, ctx):  # type: ignore[no-untyped-def]
        if isinstance(data, Envelope):
            await self._transport.reply_to_sender(data)


class JoinRoom(Handler[RoomIn, RoomIn]):
    subscribes_to = "room.join"
    publishes = "room.joined"

    def __init__(self, transport: SocketTransport) -> None:
        self._transport = transport

    async def process(self, data: RoomIn, ctx: Context) -> RoomIn:
        await self._transport.join(ctx.extra["_ws_sid"], data.room)
        return data


class Joined(Handler):
    subscribes_to = "room.joined"

    def __init__(self, transport: SocketTransport) -> None:
        self._transport = transport

    async def process(self, data: Envelope, ctx: Context) -> None:
        await self._transport.reply_to_sender(data)


class Say(Handler[RoomSay, RoomSay]):
    subscribes_to = "room.say"
    publishes = "room.said"

    async def process(self, data: RoomSay, ctx: Context) -> RoomSay:
        return data


class Broadcast(Handler):
    subscribes_to = "room.said"

    def __init__(self, transport: SocketTransport) -> None:
        self._transport = transport

    async def process(self, data: Envelope, ctx: Context) -> None:
        await self._transport.emit_envelope(data, room=data.payload.room)


class Wipe(Handler[ChatIn, None]):
    """Subscribed, but not open to websocket clients."""

    subscribes_to = "admin.wipe"

    def __init__(self, calls: Calls) -> None:
        self._calls = calls

    async def process(self, data: ChatIn, ctx: Context) -> None:
        self._calls.wiped += 1


class SlowWork(Handler[Work, ChatOut]):
    """One at a time, one waiting: shows the per-client in-flight bound."""

    subscribes_to = "work.do"
    publishes = "work.done"
    concurrency = 1
    queue_size = 1

    def __init__(self, calls: Calls) -> None:
        self._calls = calls

    async def process(self, data: Work, ctx: Context) -> ChatOut:
        self._calls.work_started.set()
        await self._calls.gate.wait()
        self._calls.worked.append(data.n)
        return ChatOut(text=str(data.n))


class WorkDone(Handler):
    subscribes_to = "work.done"

    def __init__(self, transport: SocketTransport) -> None:
        self._transport = transport

    async def process(self, data: Envelope, ctx: Context) -> None:
        await self._transport.reply_to_sender(data)


class Boom(Handler[ChatIn, ChatOut]):
    subscribes_to = "chat.boom"
    publishes = "chat.reply"

    async def process(self, data: ChatIn, ctx: Context) -> ChatOut:
        raise RuntimeError("secret internal detail")


GOOD_TOKEN = "let-me-in"


def build_app(**ws: Any) -> tuple[App, Calls]:
    """The chat app; ``ws`` overrides WS_* settings (max_message_size=...)."""
    settings = Settings(ws=WsSettings(**ws))
    app = App(settings=settings, strict=True)
    calls = Calls()
    app.provide(Calls, calls)
    for h in (
        Shout,
        ReplyHandler,
        JoinRoom,
        Joined,
        Say,
        Broadcast,
        Wipe,
        SlowWork,
        WorkDone,
        Boom,
    ):
        app.register(h)
    app.declare_external("admin.wipe")
    app.transport.allow("chat.msg", "chat.boom", "room.join", "room.say", "work.do")

    def check(sid: str, environ: dict[str, Any], auth: Any) -> bool | str:
        if isinstance(auth, dict) and auth.get("token") == GOOD_TOKEN:
            return str(auth.get("user", "")) or True
        return False

    app.transport.on_connect(check)
    return app, calls
