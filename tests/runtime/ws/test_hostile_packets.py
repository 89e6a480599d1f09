"""Packets no client library would send, written raw over engine.io long-polling to a real
server: each gets an answer, and the connection stays healthy."""

from __future__ import annotations

import json
from typing import Any

import httpx

from .chat import GOOD_TOKEN
from .conftest import ServeChat

SEP = "\x1e"  # engine.io v4 packet separator in a polling payload


class RawPolling:
    """A socket.io client written by hand: connect, post packets, read what comes back."""

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self.http = http
        self.base = f"{url}/socket.io/"
        self.sid = ""

    async def open(self) -> None:
        r = await self.http.get(self.base, params={"EIO": "4", "transport": "polling"})
        assert r.text.startswith("0"), r.text
        self.sid = json.loads(r.text[1:])["sid"]
        await self.post("40" + json.dumps({"token": GOOD_TOKEN}))
        assert any(p.startswith("40") for p in await self.read()), "not connected"

    async def post(self, *packets: str) -> None:
        r = await self.http.post(
            self.base,
            params={"EIO": "4", "transport": "polling", "sid": self.sid},
            content=SEP.join(packets).encode(),
            headers={"content-type": "text/plain;charset=UTF-8"},
        )
        assert r.status_code == 200, r.text

    async def read(self) -> list[str]:
        r = await self.http.get(
            self.base, params={"EIO": "4", "transport": "polling", "sid": self.sid}
        )
        assert r.status_code == 200, r.text
        return r.text.split(SEP)

    async def until(self, prefix: str, tries: int = 10) -> Any:
        """The JSON of the first packet starting with ``prefix`` (reading up to ``tries``)."""
        for _ in range(tries):
            for p in await self.read():
                if p.startswith(prefix):
                    return json.loads(p[len(prefix) :])
        raise AssertionError(f"no packet starting with {prefix!r}")


async def test_a_message_nested_30000_deep_gets_an_error_and_the_connection_lives(
    serve_chat: ServeChat,
) -> None:
    deep = "[" * 30_000 + "]" * 30_000
    async with serve_chat() as s, httpx.AsyncClient(timeout=10) as http:
        c = RawPolling(http, s.url)
        await c.open()
        await c.post(f'421["event",{deep}]')  # ack id 1
        [ack] = await c.until("431")
        assert ack["code"] == "bad_message"
        assert "nested too deeply" in ack["message"]
        # the same connection still works
        msg = {"event_type": "chat.msg", "payload": {"text": "still here"}}
        await c.post("422" + json.dumps(["event", msg]))
        [ok] = await c.until("432")
        assert ok["event_type"] == "chat.msg", ok
        assert s.calls.shout == ["still here"]
        assert len(s.app.transport.connected_sids) == 1
