"""Flood control against a real server: bounded in-flight messages, a token bucket, a drop."""

from __future__ import annotations

import asyncio
from typing import Any

from khorsyio import SocketClient

from .chat import GOOD_TOKEN
from .conftest import ServeChat


def client(url: str) -> SocketClient:
    return SocketClient(url, auth={"token": GOOD_TOKEN}, reconnection=False)


async def test_in_flight_messages_are_bounded_per_client(serve_chat: ServeChat) -> None:
    # SlowWork: one event processed, one waiting; the next publishes wait (backpressure)
    # and count as in flight; beyond max_in_flight the client is told "rate_limited".
    async with serve_chat(max_in_flight=4) as s:
        c = client(s.url)
        errors: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        done: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        c.on("error", errors.put_nowait)
        c.on("work.done", done.put_nowait)
        async with c:
            traces = [await c.send("work.do", {"n": i}) for i in range(20)]
            # 1 running + 1 queued + 4 waiting publishes are accepted; 14 are refused.
            refused = [await asyncio.wait_for(errors.get(), 10) for _ in range(14)]
            assert [e["code"] for e in refused] == ["rate_limited"] * 14
            assert [e["trace_id"] for e in refused] == traces[6:]
            assert s.calls.worked == []
            assert s.app.bus.in_flight == 2
            assert s.app.transport._clients[c.sid or ""].in_flight == 4
            s.calls.gate.set()
            results = [await asyncio.wait_for(done.get(), 10) for _ in range(6)]
            assert sorted(int(r["payload"]["text"]) for r in results) == list(range(6))
            # the connection stays usable, and nothing else was refused before this reply
            reply = await c.request("work.do", {"n": 99}, "work.done")
            assert reply["payload"]["text"] == "99"
            assert errors.empty()
            assert s.calls.worked == [*range(6), 99]


async def test_token_bucket_rate_limit(serve_chat: ServeChat) -> None:
    # 3 messages of burst, refilled at one per 1000 s: the 4th and 5th are refused.
    async with serve_chat(rate_limit=0.001, rate_burst=3) as s:
        c = client(s.url)
        replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        errors: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        c.on("chat.reply", replies.put_nowait)
        c.on("error", errors.put_nowait)
        async with c:
            traces = [await c.send("chat.msg", {"text": str(i)}) for i in range(5)]
            refused = [await asyncio.wait_for(errors.get(), 10) for _ in range(2)]
            answered = [await asyncio.wait_for(replies.get(), 10) for _ in range(3)]
            assert [e["code"] for e in refused] == ["rate_limited", "rate_limited"]
            assert {e["trace_id"] for e in refused} == set(traces[3:])
            assert {r["trace_id"] for r in answered} == set(traces[:3])
        assert sorted(s.calls.shout) == ["0", "1", "2"]


async def test_a_client_that_keeps_flooding_is_dropped(serve_chat: ServeChat) -> None:
    async with serve_chat(rate_limit=0.001, rate_burst=1, flood_disconnect=5) as s:
        c = client(s.url)
        other = client(s.url)
        async with other:
            await c.connect()
            for i in range(10):
                await c.send("chat.msg", {"text": str(i)})
            await c.wait_disconnected(timeout=10)
            assert not c.connected
            assert other.sid in s.app.transport.connected_sids
            assert c.sid not in s.app.transport.connected_sids
            assert (await other.request("chat.msg", {"text": "ok"}, "chat.reply"))["payload"]
