"""In process: a stalled body is answered 408; shutdown drains the requests in flight, then
answers them 503 ``shutdown``. (Served by uvicorn with a real SIGTERM:
tests/runtime/core/test_served_lifetimes.py.)"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from khorsyio import App, Response
from khorsyio.settings import BusSettings, HttpSettings, Settings
from khorsyio.types import Message

pytestmark = pytest.mark.timeout(30)


def scope(method: str, path: str, query: bytes = b"") -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query,
        "headers": [(b"content-length", b"10")],
    }


class Stalled:
    """A ``receive`` whose body never comes; ``reading`` is set once it is awaited."""

    def __init__(self) -> None:
        self.reading = asyncio.Event()

    async def __call__(self) -> Message:
        self.reading.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


class Sent:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    def json(self) -> Any:
        return json.loads(b"".join(m.get("body", b"") for m in self.messages[1:]))


def make_app(**http: Any) -> App:
    app = App(settings=Settings(http=HttpSettings(**http), bus=BusSettings(drain_timeout=0.2)))

    async def echo(req: Any, send: Any) -> None:
        await Response.json(send, {"n": len(await req.body())})

    app.router.post("/echo", echo)
    return app


async def test_a_stalled_body_is_answered_408() -> None:
    app = make_app(body_timeout=0.05)
    await app.startup()
    sent = Sent()
    await app(scope("POST", "/echo"), Stalled(), sent)
    assert sent.status == 408
    assert sent.json()["code"] == "request_timeout"
    await app.shutdown()


@pytest.mark.parametrize("where", ["route", "polling"])
async def test_shutdown_answers_the_requests_still_in_flight_503(where: str) -> None:
    app = make_app(body_timeout=600)
    await app.startup()
    sent = Sent()
    if where == "route":
        request = scope("POST", "/echo")
    else:  # a polling POST of an unknown session: its body is read before anything else
        request = scope("POST", "/socket.io/", b"EIO=4&transport=polling&sid=x")
    receive = Stalled()
    task = asyncio.get_running_loop().create_task(app(request, receive, sent))
    await receive.reading.wait()
    await app.shutdown()  # drains 0.2 s, then cancels
    assert task.done()
    assert not task.cancelled()  # ended by the app, not left for the server to cancel
    assert sent.status == 503
    assert sent.json() == {"error": "the service is shutting down", "code": "shutdown"}
