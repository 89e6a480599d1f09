"""WebSocket benchmark: round trips per second with 50 concurrent socket.io clients.

Two servers, measured side by side in one run, each under uvicorn in its own process on
127.0.0.1 (so clients and server do not share an interpreter):

- ``khorsyio``: an App whose transport allows ``bench.ping``; one handler validates the
  payload into a Struct (as the transport does for every message), then answers the sender
  with ``transport.reply_to_sender`` (allow-list, validation, flood control, bus dispatch).
- ``socketio``: the bare python-socketio ASGI server the transport is built on, answering
  ``emit("bench.pong", ..., to=sid)`` straight from its event handler (the floor).

The clients are khorsyio's ``SocketClient`` (python-socketio's AsyncClient over websocket):
each sends ``bench.ping`` and awaits the reply with the same trace id, in a loop, for a fixed
time. The same client code drives both servers, so the ratio is the transport + bus cost.

Server CPU time per round trip (read from /proc) is reported too: with the python clients the
client process is usually the bottleneck, so ``--driver node`` (the npm socket.io-client from
tests/runtime/ws/js, run with Node.js) loads the server harder.

usage: python bench/ws.py [--clients 50] [--seconds 5] [--rounds 2] [--driver python|node] [--json]
"""

from __future__ import annotations

import os
import sys

# Run as ``python bench/ws.py``, this folder heads sys.path: keep its other scripts (a
# bench/http.py, say) from shadowing standard modules.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import msgspec  # noqa: E402

from khorsyio import App, Context, Envelope, Handler, Settings, SocketClient  # noqa: E402
from khorsyio.settings import BusSettings, WsSettings  # noqa: E402
from khorsyio.ws import SocketTransport  # noqa: E402


class Ping(msgspec.Struct):
    n: int = 0


class Answer(Handler[Ping, None]):
    """The one handler of the chain: answers the sender."""

    subscribes_to = "bench.ping"

    def __init__(self, transport: SocketTransport) -> None:
        self._transport = transport

    async def process(self, data: Ping, ctx: Context) -> None:
        env = Envelope(event_type="bench.pong", payload=data, ctx=ctx)
        await self._transport.reply_to_sender(env)


def khorsyio_app() -> App:
    settings = Settings(bus=BusSettings(event_log_size=1000), ws=WsSettings(max_in_flight=64))
    app = App(settings=settings, strict=True)
    app.register(Answer)
    app.transport.allow("bench.ping")
    return app


def socketio_app() -> Any:
    import socketio

    sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins=None)

    @sio.on("event")  # type: ignore[misc]
    async def on_event(sid: str, data: dict[str, Any]) -> None:
        await sio.emit(
            "bench.pong",
            {"event_type": "bench.pong", "payload": data["payload"], "trace_id": data["trace_id"]},
            to=sid,
        )

    return socketio.ASGIApp(sio)


# -- server process ---------------------------------------------------------------------


def serve(kind: str, port: int) -> None:
    import uvicorn

    app = khorsyio_app() if kind == "khorsyio" else socketio_app()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="auto")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def wait_port(port: int, proc: asyncio.subprocess.Process, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise TimeoutError(f"server on port {port} did not start in {timeout}s")


# -- clients ----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(url: str, clients: int, seconds: float, pid: int) -> dict[str, float]:
    peers = [
        SocketClient(url, transports=["websocket"], reconnection=False) for _ in range(clients)
    ]
    await asyncio.gather(*(p.connect() for p in peers))
    latencies: list[float] = []
    stop_at = 0.0

    async def loop(p: SocketClient) -> int:
        n = 0
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            await p.request("bench.ping", {"n": n}, "bench.pong", timeout=10)
            latencies.append(time.perf_counter() - t0)
            n += 1
        return n

    # warm-up
    stop_at = time.perf_counter() + 0.5
    await asyncio.gather(*(loop(p) for p in peers))
    latencies.clear()
    cpu0 = cpu_seconds(pid)
    t0 = time.perf_counter()
    stop_at = t0 + seconds
    counts = await asyncio.gather(*(loop(p) for p in peers))
    elapsed = time.perf_counter() - t0
    cpu = cpu_seconds(pid) - cpu0
    await asyncio.gather(*(p.disconnect() for p in peers))
    latencies.sort()
    total = sum(counts)
    return {
        "round_trips": total,
        "per_second": total / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "server_cpu_us": cpu / total * 1e6,
        "server_cpu_share": cpu / elapsed,
    }


async def drive_node(url: str, clients: int, seconds: float, pid: int) -> dict[str, float]:
    """The same loop with the npm socket.io-client under Node.js (a lighter load generator)."""
    driver = os.path.join(_HERE, "ws_driver.mjs")
    cpu0 = cpu_seconds(pid)
    proc = await asyncio.create_subprocess_exec(
        "node", driver, url, str(clients), str(seconds), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(proc.communicate(), seconds + 60)
    cpu = cpu_seconds(pid) - cpu0  # includes connect and warm-up: a slight overestimate
    if proc.returncode != 0:
        raise RuntimeError(f"node driver failed ({proc.returncode})")
    r = json.loads(out.decode().strip().splitlines()[-1])
    total = r["round_trips"]
    return {
        "round_trips": total,
        "per_second": total / r["elapsed"],
        "p50_ms": r["p50_ms"],
        "p99_ms": r["p99_ms"],
        "server_cpu_us": cpu / total * 1e6,
        "server_cpu_share": cpu / (r["elapsed"] + 0.5),
    }


async def measure(kind: str, clients: int, seconds: float, driver: str) -> dict[str, float]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-P", __file__, "--serve", kind, "--port", str(port), env=env
    )
    try:
        await wait_port(port, proc)
        run = drive_node if driver == "node" else drive
        return await run(f"http://127.0.0.1:{port}", clients, seconds, proc.pid)
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 20)


async def main(args: argparse.Namespace) -> None:
    results: dict[str, list[dict[str, float]]] = {"khorsyio": [], "socketio": []}
    for _ in range(args.rounds):
        for kind in results:
            results[kind].append(await measure(kind, args.clients, args.seconds, args.driver))
    summary = {
        kind: {
            key: statistics.median(r[key] for r in runs)
            for key in ("per_second", "p50_ms", "p99_ms", "server_cpu_us", "server_cpu_share")
        }
        for kind, runs in results.items()
    }
    ratio = summary["khorsyio"]["per_second"] / summary["socketio"]["per_second"]
    if args.json:
        print(json.dumps({"clients": args.clients, "summary": summary, "ratio": ratio}))
        return
    print(
        f"{args.clients} concurrent socket.io clients, {args.seconds:g}s x {args.rounds} rounds "
        f"(median), {args.driver} clients, python {sys.version.split()[0]}"
    )
    print(
        f"{'server':<12}{'round trips/s':>15}{'p50 ms':>10}{'p99 ms':>10}"
        f"{'server CPU us/trip':>20}{'server CPU busy':>17}"
    )
    for kind, s in summary.items():
        print(
            f"{kind:<12}{s['per_second']:>15.0f}{s['p50_ms']:>10.2f}{s['p99_ms']:>10.2f}"
            f"{s['server_cpu_us']:>20.0f}{s['server_cpu_share']:>16.0%}"
        )
    print(f"khorsyio / bare python-socketio: {ratio:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--driver",
        choices=["python", "node"],
        default="python",
        help="load generator: SocketClient (python-socketio) or the npm socket.io-client",
    )
    parser.add_argument("--serve", choices=["khorsyio", "socketio"])
    parser.add_argument("--port", type=int, default=0)
    a = parser.parse_args()
    if a.serve:
        serve(a.serve, a.port)
    else:
        asyncio.run(main(a))
