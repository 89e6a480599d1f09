"""A headless Chromium driven over the DevTools protocol, for tests of pages.

Every request the page makes, every console error and uncaught exception is recorded. The
browser gets a proxy that does not exist, so nothing reaches beyond loopback even on a
machine with a network (Chromium never proxies loopback), and the test still sees each
attempt in :attr:`Page.requests`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

__all__ = ["Page", "chromium_or_skip", "open_page"]

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--proxy-server=http://127.0.0.1:9",  # discard port: a request off loopback fails
]


def chromium_or_skip() -> str:
    """The chromium executable; skip without it, but fail in CI (CI=true) where it must be."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (scripts/services.sh installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return exe


class Page:
    """One browser tab: ``goto``, ``evaluate``, and what the page did so far."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._next = 0
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._session: str | None = None
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            await self._read_all()
        finally:  # the browser went away: nobody waits forever for an answer
            for fut in self._waiting.values():
                if not fut.done():
                    fut.set_exception(RuntimeError("the browser closed the connection"))

    async def _read_all(self) -> None:
        async for raw in self._ws:
            msg = json.loads(raw)
            if "id" in msg:
                fut = self._waiting.pop(msg["id"], None)
                if fut is not None and not fut.done():
                    fut.set_result(msg)
                continue
            if msg.get("sessionId") == self._session:
                self._event(msg["method"], msg.get("params", {}))

    def session(self, session_id: str) -> None:
        """Talk to the tab attached as ``session_id`` from now on (flat sessions)."""
        self._session = session_id

    def _event(self, method: str, p: dict[str, Any]) -> None:
        if method == "Network.requestWillBeSent":
            self.requests.append(p["request"]["url"])
        elif method == "Network.loadingFailed":
            self.failed.append(f"{p.get('errorText')} ({p.get('requestId')})")
        elif method == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
            args = [a.get("value", a.get("description", "")) for a in p.get("args", [])]
            self.errors.append("console: " + " ".join(str(a) for a in args))
        elif method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            self.errors.append("exception: " + d.get("exception", {}).get("description", d["text"]))
        elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
            e = p["entry"]
            self.errors.append(f"log: {e['text']} {e.get('url', '')}".strip())

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[self._next] = fut
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if self._session is not None:
            msg["sessionId"] = self._session
        await self._ws.send(json.dumps(msg))
        answer = await asyncio.wait_for(fut, 30)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    async def goto(self, url: str) -> None:
        await self.send("Page.navigate", url=url)

    async def evaluate(self, expression: str) -> Any:
        res = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in res:
            raise RuntimeError(f"{expression}: {res['exceptionDetails']}")
        return res["result"].get("value")

    async def wait_for(self, expression: str, timeout: float) -> Any:
        """Poll ``expression`` until it is truthy; its last value after ``timeout``."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            value = await self.evaluate(expression)
            if value or loop.time() > end:
                return value
            await asyncio.sleep(0.1)

    async def close(self) -> None:
        self._reader.cancel()
        with suppress(asyncio.CancelledError):
            await self._reader


async def _devtools_url(proc: asyncio.subprocess.Process, timeout: float) -> str:
    assert proc.stderr is not None
    seen: list[str] = []
    async with asyncio.timeout(timeout):
        while True:
            line = (await proc.stderr.readline()).decode(errors="replace")
            if not line:
                raise RuntimeError("chromium exited:\n" + "".join(seen))
            seen.append(line)
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            if m:
                return m.group(1)


@asynccontextmanager
async def open_page(timeout: float = 20.0) -> AsyncIterator[Page]:
    """Start a headless Chromium with a blank profile; yield a tab with Network/Log on."""
    exe = chromium_or_skip()
    with tempfile.TemporaryDirectory(prefix="khorsyio-chromium-") as profile:
        proc = await asyncio.create_subprocess_exec(
            exe,
            *FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "about:blank",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        drain: asyncio.Task[bytes] | None = None
        try:
            browser_url = await _devtools_url(proc, timeout)
            assert proc.stderr is not None
            drain = asyncio.get_running_loop().create_task(proc.stderr.read())  # never block
            async with connect(browser_url, max_size=None, open_timeout=timeout) as ws:
                page = Page(ws)
                try:
                    target = await page.send("Target.createTarget", url="about:blank")
                    attached = await page.send(
                        "Target.attachToTarget", targetId=target["targetId"], flatten=True
                    )
                    page.session(attached["sessionId"])
                    for domain in ("Network", "Runtime", "Log", "Page"):
                        await page.send(f"{domain}.enable")
                    yield page
                finally:
                    await page.close()
        finally:
            if proc.returncode is None:
                proc.terminate()
                try:
                    async with asyncio.timeout(10):
                        await proc.wait()
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
            if drain is not None:
                with suppress(Exception):
                    await drain
