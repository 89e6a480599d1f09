"""The npm ``socket.io-client``, run with Node.js, against a real khorsyio server."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import ServeChat

JS_DIR = Path(__file__).parent / "js"
NODE_TIMEOUT = 30.0


@pytest.fixture(scope="session")
def node_client() -> list[str]:
    """``node client.mjs``, with socket.io-client installed from the lock file if needed."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("Node.js and npm are needed for the socket.io-client tests")
    if not (JS_DIR / "node_modules" / "socket.io-client").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True, timeout=300)
    return [node, str(JS_DIR / "client.mjs")]


async def run_scenario(cmd: list[str], url: str, scenario: str, *args: str) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        url,
        scenario,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), NODE_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    text = out.decode().strip()
    assert proc.returncode == 0, f"node {scenario} failed: {text}\n{err.decode()}"
    result: dict[str, Any] = json.loads(text.splitlines()[-1])
    return result


async def test_chat_reply_reaches_the_sender_only(
    serve_chat: ServeChat, node_client: list[str]
) -> None:
    async with serve_chat() as s:
        r = await run_scenario(node_client, s.url, "chat")
    answer = r["answer"]
    assert answer["event"] == "chat.reply"
    assert answer["data"]["payload"] == {"text": "HELLO", "by": "ann"}
    own = r["own"]["data"]
    assert r["bSaw"] == [{"event": "chat.reply", "trace_id": own["trace_id"]}]
    assert s.calls.shout == ["hello", "mine"]
    assert s.calls.contexts[0][1:] == ("ws", answer["data"]["trace_id"])


async def test_broadcast_to_a_room(serve_chat: ServeChat, node_client: list[str]) -> None:
    async with serve_chat() as s:
        r = await run_scenario(node_client, s.url, "room")
    assert r["msgA"] == r["msgB"]
    assert r["msgA"]["event_type"] == "room.said"
    assert r["msgA"]["payload"] == {"room": "js-room", "text": "hi all"}
    assert r["cSaw"] == ["chat.reply"]


async def test_bad_payload(serve_chat: ServeChat, node_client: list[str]) -> None:
    async with serve_chat() as s:
        r = await run_scenario(node_client, s.url, "bad_payload")
    assert r["bad"]["event"] == "error"
    err = r["bad"]["data"]
    assert err["code"] == "validation"
    assert err["path"] == "$.text"
    assert err["event_type"] == "chat.msg"
    assert r["after"]["data"]["payload"]["text"] == "STILL HERE"
    assert s.calls.shout == ["still here"]


async def test_forbidden_event(serve_chat: ServeChat, node_client: list[str]) -> None:
    async with serve_chat() as s:
        r = await run_scenario(node_client, s.url, "forbidden")
    assert r["denied"]["event"] == "error"
    assert r["denied"]["data"]["code"] == "forbidden_event"
    assert r["after"]["event"] == "chat.reply"
    assert s.calls.wiped == 0


async def test_rejected_auth(serve_chat: ServeChat, node_client: list[str]) -> None:
    async with serve_chat() as s:
        r = await run_scenario(node_client, s.url, "rejected_auth")
        assert s.app.transport.connected_sids == []
    assert r == {"message": "unauthorized", "connected": False}
    assert s.calls.shout == []


async def test_oversize_message(serve_chat: ServeChat, node_client: list[str]) -> None:
    async with serve_chat(max_message_size=4096) as s:
        r = await run_scenario(node_client, s.url, "oversize")
    assert r["reason"] in ("transport close", "transport error")  # the server dropped it
    assert "chat.reply" not in r["seen"]
    assert s.calls.shout == []
