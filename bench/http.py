"""HTTP benchmark: khorsyio next to raw ASGI, Starlette, FastAPI and Litestar, in one run.

Endpoints, the same on every app:
- ``GET /health`` answers ``{"status": "ok"}``;
- ``POST /users`` validates ``{"name": str, "age": int}`` into a typed object and passes it
  through a chain of 3 steps: 3 bus handlers on khorsyio (a ``BusRoute``), 3 awaited
  function calls elsewhere. The raw ASGI app decodes with msgspec and calls the 3 steps
  inline (the baseline of the issue); Starlette and Litestar use msgspec Structs too,
  FastAPI uses pydantic models (its idiom). ``khorsyio_typed`` is khorsyio with a typed
  ``Route`` and the 3 awaited calls instead of the bus: the HTTP layer alone.

Each app is served by uvicorn with 1 worker (uvloop + httptools: ``uvicorn[standard]``) on
127.0.0.1, pinned to one CPU, and loaded by wrk pinned to another. Reported: req/s, p50,
p99, peak RSS of the server, the server's CPU time per request, and the ratios to the raw
ASGI app (of req/s, and of CPU time per request, which other load on the machine disturbs
much less than req/s). The peers live in their own
virtualenv, ``.venv-bench-3.X`` for the Python running this script (created here with uv),
so the test environment stays clean.

usage: python bench/http.py [--duration 10] [--connections 64] [--rounds 3]
       [--frameworks raw,khorsyio]
       [--json] [--no-setup]
"""

import os
import sys

# This file is named like the stdlib "http" package: keep its directory off the import path.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != _HERE]

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

ROOT = os.path.dirname(_HERE)
# One bench virtualenv per Python version (run this script with the Python to measure).
BENCH_VENV = os.path.join(ROOT, f".venv-bench-{sys.version_info[0]}.{sys.version_info[1]}")
PEERS = ["starlette", "fastapi", "litestar", "uvicorn[standard]", "msgspec", "pydantic"]
FRAMEWORKS = ["raw", "starlette", "fastapi", "litestar", "khorsyio", "khorsyio_typed"]
USER_BODY = '{"name": "ada", "age": 36}'

# -- the apps (built inside the server process) ------------------------------------------


def _settings() -> Any:
    """Defaults; with KHORSYIO_BENCH_METRICS=1, HTTP_METRICS on (needs prometheus-client)."""
    from khorsyio.settings import HttpSettings, Settings

    if os.environ.get("KHORSYIO_BENCH_METRICS") != "1":
        return Settings()
    return Settings(http=HttpSettings(metrics=True))


def make_raw() -> Any:
    import msgspec

    class UserIn(msgspec.Struct):
        name: str
        age: int = 0

    class UserOut(msgspec.Struct):
        id: int
        name: str
        age: int

    decode = msgspec.json.Decoder(UserIn).decode
    encode = msgspec.json.Encoder().encode

    async def step1(u: UserIn) -> UserIn:
        return UserIn(name=u.name.strip(), age=u.age)

    async def step2(u: UserIn) -> UserOut:
        return UserOut(id=1, name=u.name, age=u.age)

    async def step3(u: UserOut) -> UserOut:
        return u

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                await send({"type": msg["type"] + ".complete"})
                if msg["type"] == "lifespan.shutdown":
                    return
        path, method = scope["path"], scope["method"]
        if path == "/health" and method == "GET":
            body = encode({"status": "ok"})
            status = 200
        elif path == "/users" and method == "POST":
            chunks = []
            more = True
            while more:
                msg = await receive()
                chunks.append(msg.get("body", b""))
                more = msg.get("more_body", False)
            try:
                user = decode(b"".join(chunks))
            except msgspec.DecodeError as e:
                body, status = encode({"error": str(e), "code": "validation"}), 422
            else:
                body, status = encode(await step3(await step2(await step1(user)))), 201
        else:
            body, status = b'{"error":"not found"}', 404
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def make_khorsyio() -> Any:
    import msgspec

    from khorsyio import App, BusRoute, Context, Handler, Response

    class UserIn(msgspec.Struct):
        name: str
        age: int = 0

    class Checked(msgspec.Struct):
        name: str
        age: int

    class UserOut(msgspec.Struct):
        id: int
        name: str
        age: int

    class Check(Handler[UserIn, Checked]):
        subscribes_to = "user.create"
        publishes = "user.checked"

        async def process(self, data: UserIn, ctx: Context) -> Checked:
            return Checked(name=data.name.strip(), age=data.age)

    class Store(Handler[Checked, UserOut]):
        subscribes_to = "user.checked"
        publishes = "user.stored"

        async def process(self, data: Checked, ctx: Context) -> UserOut:
            return UserOut(id=1, name=data.name, age=data.age)

    class Present(Handler[UserOut, UserOut]):
        subscribes_to = "user.stored"
        publishes = "user.created"

        async def process(self, data: UserOut, ctx: Context) -> UserOut:
            return data

    app = App(settings=_settings())
    for h in (Check, Store, Present):
        app.register(h)
    app.router.get("/health", lambda req, send: Response.ok(send, status="ok"))
    app.router.add(
        BusRoute(
            "POST",
            "/users",
            event="user.create",
            reply="user.created",
            body=UserIn,
            response=UserOut,
            status=201,
        )
    )
    return app


def make_raw_loaded() -> Any:
    """The raw app in a process that also built and started a khorsyio App (not routed
    through it): what loading the runtime costs by itself (``--frameworks raw,raw_loaded``)."""
    from khorsyio import App

    kapp = App(settings=_settings())
    raw = make_raw()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await kapp(scope, receive, send)
            return
        await raw(scope, receive, send)

    return app


def make_khorsyio_typed() -> Any:
    """khorsyio with a typed Route and 3 awaited calls: the HTTP layer without the bus."""
    import msgspec

    from khorsyio import App, Request, Response, Route

    class UserIn(msgspec.Struct):
        name: str
        age: int = 0

    class UserOut(msgspec.Struct):
        id: int
        name: str
        age: int

    async def step1(u: UserIn) -> UserIn:
        return UserIn(name=u.name.strip(), age=u.age)

    async def step2(u: UserIn) -> UserOut:
        return UserOut(id=1, name=u.name, age=u.age)

    async def step3(u: UserOut) -> UserOut:
        return u

    async def users(req: Request, body: UserIn) -> UserOut:
        return await step3(await step2(await step1(body)))

    app = App(settings=_settings())
    app.router.get("/health", lambda req, send: Response.ok(send, status="ok"))
    app.router.add(Route("POST", "/users", users, body=UserIn, response=UserOut, status=201))
    return app


def make_starlette() -> Any:
    import msgspec
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    class UserIn(msgspec.Struct):
        name: str
        age: int = 0

    class UserOut(msgspec.Struct):
        id: int
        name: str
        age: int

    decode = msgspec.json.Decoder(UserIn).decode

    async def step1(u: UserIn) -> UserIn:
        return UserIn(name=u.name.strip(), age=u.age)

    async def step2(u: UserIn) -> UserOut:
        return UserOut(id=1, name=u.name, age=u.age)

    async def step3(u: UserOut) -> UserOut:
        return u

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def users(request: Request) -> Response:
        try:
            user = decode(await request.body())
        except msgspec.DecodeError as e:
            return JSONResponse({"error": str(e)}, status_code=422)
        out = await step3(await step2(await step1(user)))
        return Response(msgspec.json.encode(out), status_code=201, media_type="application/json")

    return Starlette(routes=[Route("/health", health), Route("/users", users, methods=["POST"])])


def make_fastapi() -> Any:
    from fastapi import FastAPI
    from pydantic import BaseModel

    class UserIn(BaseModel):
        name: str
        age: int = 0

    class UserOut(BaseModel):
        id: int
        name: str
        age: int

    async def step1(u: UserIn) -> UserIn:
        return UserIn(name=u.name.strip(), age=u.age)

    async def step2(u: UserIn) -> UserOut:
        return UserOut(id=1, name=u.name, age=u.age)

    async def step3(u: UserOut) -> UserOut:
        return u

    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/users", status_code=201)
    async def users(user: UserIn) -> UserOut:
        return await step3(await step2(await step1(user)))

    return app


def make_litestar() -> Any:
    import msgspec
    from litestar import Litestar, get, post

    class UserIn(msgspec.Struct):
        name: str
        age: int = 0

    class UserOut(msgspec.Struct):
        id: int
        name: str
        age: int

    async def step1(u: UserIn) -> UserIn:
        return UserIn(name=u.name.strip(), age=u.age)

    async def step2(u: UserIn) -> UserOut:
        return UserOut(id=1, name=u.name, age=u.age)

    async def step3(u: UserOut) -> UserOut:
        return u

    @get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @post("/users", status_code=201)
    async def users(data: UserIn) -> UserOut:
        return await step3(await step2(await step1(data)))

    return Litestar(route_handlers=[health, users], debug=False, logging_config=None)


def serve(framework: str, port: int) -> None:
    import uvicorn

    app = globals()[f"make_{framework}"]()
    uvicorn.run(app, host="127.0.0.1", port=port, workers=1, log_level="warning", access_log=False)


# -- the driver ----------------------------------------------------------------------------


def ensure_venv(setup: bool) -> str:
    py = os.path.join(BENCH_VENV, "bin", "python")
    if setup:
        uv = shutil.which("uv")
        if uv is None:
            raise SystemExit("uv is needed to create .venv-bench (pip install uv)")
        if not os.path.exists(py):
            subprocess.run(
                [uv, "venv", "--quiet", "--python", sys.executable, BENCH_VENV], check=True
            )
        subprocess.run(
            [
                uv,
                "pip",
                "install",
                "--quiet",
                "--python",
                py,
                "-e",
                os.path.join(ROOT, "runtime"),
                *PEERS,
            ],
            check=True,
        )
    if not os.path.exists(py):
        raise SystemExit(f"{BENCH_VENV} is missing: run without --no-setup")
    return py


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("server did not start")


def peak_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not m:
        return float("nan")
    return float(m.group(1)) * _UNIT[m.group(2)]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(
    url: str, args: argparse.Namespace, script: str | None, cpus: str, pid: int = 0
) -> dict[str, float]:
    cmd = [
        "taskset",
        "-c",
        cpus,
        "wrk",
        "-t1",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--latency",
    ]
    if script:
        cmd += ["-s", script]
    cpu0 = cpu_seconds(pid) if pid else 0.0
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pid) - cpu0 if pid else 0.0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    lat = dict(re.findall(r"^\s+(50|99)(?:\.000)?%\s+(\S+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": rps,
        "cpu_us_per_req": cpu * 1e6 / total if total else float("nan"),
        "p50_ms": _ms(lat.get("50", "")),
        "p99_ms": _ms(lat.get("99", "")),
        "non_2xx": float(non2xx.group(1)) if non2xx else 0.0,
        "socket_errors": 1.0 if errors else 0.0,
    }


def bench_one(
    py: str, framework: str, args: argparse.Namespace, post_script: str
) -> dict[str, Any]:
    port = free_port()
    server_cpu, client_cpu = ("0", "1") if (os.cpu_count() or 1) > 1 else ("0", "0")
    proc = subprocess.Popen(
        [
            "taskset",
            "-c",
            server_cpu,
            py,
            os.path.abspath(__file__),
            "--serve",
            framework,
            "--port",
            str(port),
        ],
        cwd=ROOT,
    )
    try:
        wait_ready(port, proc)
        base = f"http://127.0.0.1:{port}"
        # warm up both endpoints
        warm = argparse.Namespace(connections=args.connections, duration=2)
        run_wrk(base + "/health", warm, None, client_cpu)
        run_wrk(base + "/users", warm, post_script, client_cpu)
        health = run_wrk(base + "/health", args, None, client_cpu, proc.pid)
        users = run_wrk(base + "/users", args, post_script, client_cpu, proc.pid)
        rss = peak_rss_kib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"framework": framework, "health": health, "users": users, "peak_rss_mib": rss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3, help="best of N interleaved rounds")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--no-setup", action="store_true", help="do not create/refresh .venv-bench")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    py = ensure_venv(not args.no_setup)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(
            'wrk.method = "POST"\n'
            f"wrk.body = '{USER_BODY}'\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
        post_script = f.name
    runs: dict[str, list[dict[str, Any]]] = {}
    try:
        for rnd in range(args.rounds):
            for fw in args.frameworks.split(","):
                print(f"-- round {rnd + 1}/{args.rounds}: {fw}", file=sys.stderr, flush=True)
                runs.setdefault(fw, []).append(bench_one(py, fw, args, post_script))
    finally:
        os.unlink(post_script)
    # The best round of each: on a shared machine, other load only ever slows a run down.
    # CPU time per request (server process, user + system) is the steadier figure there.
    results = []
    for fw, rs in runs.items():
        best: dict[str, Any] = {"framework": fw, "rounds": len(rs)}
        for ep in ("health", "users"):
            best[ep] = dict(max((r[ep] for r in rs), key=lambda m: m["rps"]))
            best[ep]["cpu_us_per_req"] = min(r[ep]["cpu_us_per_req"] for r in rs)
        best["peak_rss_mib"] = max(r["peak_rss_mib"] for r in rs)
        results.append(best)
    raw = next((r for r in results if r["framework"] == "raw"), None)
    for r in results:
        for ep in ("health", "users"):
            m = r[ep]
            m["ratio"] = m["rps"] / raw[ep]["rps"] if raw else float("nan")
            m["cpu_ratio"] = (
                raw[ep]["cpu_us_per_req"] / m["cpu_us_per_req"] if raw else float("nan")
            )
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"uvicorn 1 worker, wrk -t1 -c{args.connections} -d{args.duration}s, "
        f"best of {args.rounds} rounds, python {sys.version.split()[0]}"
    )
    print("ratio: req/s against raw ASGI; cpu ratio: raw's CPU time per request / this one's")
    head = (
        f"{'framework':<14} {'endpoint':<13} {'req/s':>8} {'ratio':>6} {'cpu us':>7} "
        f"{'cpu ratio':>9} {'p50 ms':>7} {'p99 ms':>7} {'RSS MiB':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        for ep, label in (("health", "GET /health"), ("users", "POST /users")):
            m = r[ep]
            bad = "  (non-2xx!)" if m["non_2xx"] else ""
            print(
                f"{r['framework']:<14} {label:<13} {m['rps']:>8.0f} {m['ratio']:>6.2f} "
                f"{m['cpu_us_per_req']:>7.1f} {m['cpu_ratio']:>9.2f} "
                f"{m['p50_ms']:>7.2f} {m['p99_ms']:>7.2f} {r['peak_rss_mib']:>8.1f}{bad}"
            )


if __name__ == "__main__":
    main()
