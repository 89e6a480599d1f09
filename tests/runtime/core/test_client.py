from __future__ import annotations

from typing import Any

import httpx
import pytest

from khorsyio import HttpClient


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    body = b""
    while True:
        msg = await receive()
        body += msg.get("body", b"")
        if not msg.get("more_body"):
            break
    headers = [(b"content-type", b"text/plain"), (b"x-method", scope["method"].encode())]
    ctype = dict(scope["headers"]).get(b"content-type", b"")
    await send(
        {"type": "http.response.start", "status": 201, "headers": [*headers, (b"x-ctype", ctype)]}
    )
    await send({"type": "http.response.body", "body": body or scope["path"].encode()})


async def test_get_and_post_return_the_seed_shape() -> None:
    client = HttpClient(transport=httpx.ASGITransport(app=echo_app), base_url="http://test")
    await client.start()
    try:
        got = await client.get("/ping", headers={"x-a": "1"})
        assert got["status"] == 201
        assert got["body"] == "/ping"
        assert got["headers"]["x-method"] == "GET"
        posted = await client.post("/p", json_data={"a": 1})
        assert posted["body"] == '{"a":1}'
        assert posted["headers"]["x-ctype"] == "application/json"
        raw = await client.request("PUT", "/r", content=b"x")
        assert raw.status_code == 201
        assert raw.text == "x"
    finally:
        await client.stop()


async def test_a_client_that_is_not_started_says_so() -> None:
    with pytest.raises(RuntimeError, match="HttpClient is not started"):
        await HttpClient().get("http://127.0.0.1:1/")
