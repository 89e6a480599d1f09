"""Every request served by ``app.run()`` has a bounded lifetime, and SIGTERM always ends
the server within BUS_DRAIN_TIMEOUT plus a small margin.

Each test runs a small app with ``python app.py`` (``app.run()``: uvicorn, port 0) in a
subprocess and talks to it over raw sockets and httpx on 127.0.0.1; shutdown is a real
SIGTERM. Waits are bounded; the bounds are what is tested, not how fast anything is.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

DRAIN = 1.0  # BUS_DRAIN_TIMEOUT of the served app
MARGIN = 3.0  # what shutdown may take beyond it (process exit, a loaded machine)

# uvicorn exits by re-raising the signal it handled gracefully (else 0)
GRACEFUL = (0, -signal.SIGTERM)

APP = """\
from khorsyio import App, Response

app = App()

async def echo(req, send):
    await Response.json(send, {"n": len(await req.body())})

app.router.post("/echo", echo)

if __name__ == "__main__":
    app.run()
"""


class Served:
    """``python app.py`` under uvicorn; ``url`` once it listens."""

    def __init__(self, tmp_path: Path, **env: str) -> None:
        (tmp_path / "app.py").write_text(APP)
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SERVER_", "DB_", "BUS_", "HTTP_", "WS_"))
        }
        base.update(
            SERVER_SERVER="uvicorn",
            SERVER_PORT="0",
            BUS_DRAIN_TIMEOUT=str(DRAIN),
            DB_DSN="",
            **env,
        )
        self.proc = subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=tmp_path,
            env=base,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.log: list[str] = []
        self._listening = threading.Event()
        self.port = 0
        threading.Thread(target=self._read_log, daemon=True).start()
        if not self._listening.wait(30):
            self.kill()
            pytest.fail("the app did not start:\n" + "".join(self.log))
        self.url = f"http://127.0.0.1:{self.port}"

    def _read_log(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log.append(line)
            m = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                self._listening.set()

    def terminate(self) -> int:
        """SIGTERM; the exit code, failing when the server outlives drain + margin."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=DRAIN + MARGIN)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"still running {DRAIN + MARGIN:g} s after SIGTERM:\n" + "".join(self.log))

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def connect(self, head: bytes) -> socket.socket:
        """A raw connection that has sent ``head`` (and then nothing)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        s.sendall(head)
        return s


@pytest.fixture
def served(tmp_path: Path) -> Iterator[type[Served]]:
    started: list[Served] = []

    class Tracked(Served):
        def __init__(self, **env: str) -> None:
            super().__init__(tmp_path, **env)
            started.append(self)

    yield Tracked  # type: ignore[misc]
    for s in started:
        s.kill()


def polling_session(url: str) -> str:
    """Open a socket.io session over long-polling; its engine.io sid."""
    base = f"{url}/socket.io/?EIO=4&transport=polling"
    r = httpx.get(base, timeout=10)
    sid: str = json.loads(r.text[1:])["sid"]
    assert httpx.post(f"{base}&sid={sid}", content=b"40", timeout=10).text == "OK"
    assert httpx.get(f"{base}&sid={sid}", timeout=10).text.startswith("40")  # CONNECT ack
    return sid


def answer(s: socket.socket) -> bytes:
    """What the server sent until it closed the connection or sent a whole response."""
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except TimeoutError:
            pytest.fail(f"no answer within {s.gettimeout()} s (got {data!r})")
        if not chunk:
            return data
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        m = re.search(rb"content-length: (\d+)", head, re.IGNORECASE)
        if sep and m and len(body) >= int(m.group(1)):
            return data


def test_a_polling_post_over_the_message_limit_is_answered_413_and_ends_the_session(
    served: type[Served],
) -> None:
    srv = served()
    sid = polling_session(srv.url)
    base = f"{srv.url}/socket.io/?EIO=4&transport=polling&sid={sid}"
    big = b'42["event",{"x":"' + b"a" * 70_000 + b'"}]'  # over WS_MAX_MESSAGE_SIZE (64 KiB)
    r = httpx.post(base, content=big, timeout=10)
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"
    # the session is over: its next poll is refused (python-engineio: 400 unknown session)
    assert httpx.get(base, timeout=10).status_code == 400
    assert srv.terminate() in GRACEFUL


def test_a_chunked_polling_post_over_the_limit_is_refused_while_it_streams(
    served: type[Served],
) -> None:
    srv = served()
    sid = polling_session(srv.url)
    path = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
    s = srv.connect(
        f"POST {path} HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n".encode()
    )
    chunk = b"a" * 40_000
    s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) * 2)  # 80 KB, no end chunk yet
    assert b" 413 " in answer(s).split(b"\r\n", 1)[0]
    assert srv.terminate() in GRACEFUL


@pytest.mark.parametrize("where", ["route", "polling"])
def test_a_stalled_body_is_answered_408_after_the_body_timeout(
    served: type[Served], where: str
) -> None:
    srv = served(HTTP_BODY_TIMEOUT="1")
    path = "/echo"
    if where == "polling":
        path = f"/socket.io/?EIO=4&transport=polling&sid={polling_session(srv.url)}"
    s = srv.connect(f"POST {path} HTTP/1.1\r\nhost: t\r\ncontent-length: 100\r\n\r\n40".encode())
    got = answer(s)
    status, _, rest = got.partition(b"\r\n")
    assert b" 408 " in status, got
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["code"] == "request_timeout"
    # the server still serves
    assert httpx.post(f"{srv.url}/echo", content=b"abc", timeout=10).json() == {"n": 3}
    assert srv.terminate() in GRACEFUL


def test_sigterm_with_stalled_bodies_and_an_open_long_poll_ends_within_the_drain(
    served: type[Served],
) -> None:
    srv = served(HTTP_BODY_TIMEOUT="600")  # the body timeout does not end them: shutdown does
    sid = polling_session(srv.url)
    stalled = [
        srv.connect(b"POST /echo HTTP/1.1\r\nhost: t\r\ncontent-length: 1000\r\n\r\nab")
        for _ in range(100)
    ]
    stalled.append(
        srv.connect(
            f"POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\n"
            "host: t\r\ncontent-length: 1000\r\n\r\n4".encode()
        )
    )
    poll = srv.connect(
        f"GET /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nhost: t\r\n\r\n".encode()
    )
    # every connection is being served (a request is in flight on each) before the signal
    assert httpx.post(f"{srv.url}/echo", content=b"x", timeout=10).status_code == 200
    assert srv.terminate() in GRACEFUL
    for s in stalled:
        got = answer(s)  # a 503 "shutdown", or the connection closed
        if got:
            assert b" 503 " in got.split(b"\r\n", 1)[0], got
            assert json.loads(got.partition(b"\r\n\r\n")[2])["code"] == "shutdown"
    # the open long-poll is answered at SIGTERM: its session is closed by the server
    assert b" 200 " in answer(poll).split(b"\r\n", 1)[0]
