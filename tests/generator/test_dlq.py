"""``khorsyio dlq``, run for real: against an app served by uvicorn on 127.0.0.1, and
against the SQLite file of an app's database."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import msgspec
import pytest

from khorsyio import App, Context, Handler, RetryPolicy, Settings
from khorsyio.testing import serve

pytestmark = pytest.mark.slow

KHORSYIO = str(Path(sys.executable).parent / "khorsyio")


class Refund(msgspec.Struct):
    n: int


class PayBack(Handler[Refund, None]):
    subscribes_to = "refund.pay"
    retry = RetryPolicy(attempts=2, backoff=0.0)
    down = True
    seen: list[tuple[int, str]] = []

    async def process(self, data: Refund, ctx: Context) -> None:
        PayBack.seen.append((data.n, ctx.trace_id))
        if PayBack.down:
            raise ConnectionError("the bank is closed")


async def dlq(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        KHORSYIO,
        "dlq",
        *args,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _app(dsn: str, **env: str) -> App:
    settings = Settings.load(environ={"DB_DSN": dsn, **env}, env_file=None)
    app = App(settings=settings)
    app.register(PayBack)
    app.dead_letter_auth = lambda req: req.header("authorization") == "Bearer t0ken"
    return app


async def _two_letters(app: App) -> None:
    await app.db.create_all()
    await app.startup()
    await app.bus.publish("refund.pay", Refund(1), trace_id="trace-r1")
    await app.bus.publish("refund.pay", Refund(2), trace_id="trace-r2")
    assert await app.bus.wait_idle(10)


async def test_dlq_against_a_running_app(tmp_path: Path) -> None:
    PayBack.down, PayBack.seen = True, []
    app = _app(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", BUS_DEAD_LETTER_ADMIN="true")
    await _two_letters(app)
    async with serve(app) as url:
        auth = ("--url", url, "--token", "t0ken")
        code, out, err = await dlq("list", *auth)
        assert code == 0, err
        lines = out.splitlines()
        assert len(lines) == 3
        assert lines[-1] == "2 dead letters"
        assert "PayBack  refund.pay  attempts=2  trace=trace-r1  handler_error: " in lines[0]

        code, out, _ = await dlq("list", "--json", "--limit", "1", *auth)
        body = json.loads(out)
        assert body["count"] == 2
        assert [d["trace_id"] for d in body["items"]] == ["trace-r1"]
        first = (await app.bus.dead_letters.list())[0].id

        code, out, _ = await dlq("show", str(first), *auth)
        assert code == 0
        assert json.loads(out)["envelope"]["payload"] == {"n": 1}

        PayBack.down = False
        code, out, err = await dlq("replay", str(first), *auth)
        assert (code, out.strip()) == (0, f"replayed #{first} (trace trace-r1)"), err
        assert await app.bus.wait_idle(10)
        assert PayBack.seen[-1] == (1, "trace-r1")  # same trace, a fresh attempt

        code, _, err = await dlq("replay", str(first), *auth)
        assert code == 1
        assert f"no dead letter #{first}" in err
        assert "Traceback" not in err

        code, _, err = await dlq("list", "--url", url, "--token", "wrong")
        assert code == 1
        assert "refused (403 forbidden)" in err
        code, _, err = await dlq("list", "--url", url)
        assert code == 1
        assert "refused (401 unauthorized)" in err

        code, _, err = await dlq("purge", *auth)
        assert code == 2
        assert "add --yes" in err
        code, out, _ = await dlq("purge", "--yes", "--handler", "PayBack", *auth)
        assert (code, out.strip()) == (0, "purged 1 dead letter(s)")
        assert await app.bus.dead_letters.count() == 0


async def test_dlq_against_an_app_without_the_endpoint(tmp_path: Path) -> None:
    app = _app(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    await app.db.create_all()
    async with serve(app) as url:
        code, _, err = await dlq("list", "--url", url, "--token", "t0ken")
    assert code == 1
    assert "BUS_DEAD_LETTER_ADMIN=true" in err
    code, _, err = await dlq("list", "--url", "http://127.0.0.1:9")  # nobody listens
    assert code == 1
    assert err.startswith("error: cannot reach http://127.0.0.1:9")


async def test_dlq_against_the_database_file(tmp_path: Path) -> None:
    PayBack.down, PayBack.seen = True, []
    path = tmp_path / "app.db"
    app = _app(f"sqlite+aiosqlite:///{path}")
    await _two_letters(app)
    await app.shutdown()  # the app is gone: its letters are in the file
    db = ("--db", f"sqlite:///{path}")

    code, out, err = await dlq("list", *db)
    assert code == 0, err
    assert out.splitlines()[-1] == "2 dead letters"
    first = json.loads((await dlq("list", "--json", *db))[1])["items"][0]["id"]
    code, out, _ = await dlq("show", str(first), *db)
    assert json.loads(out)["envelope"]["ctx"]["trace_id"] == "trace-r1"
    code, _, err = await dlq("show", "999", *db)
    assert (code, err.strip()) == (1, "error: no dead letter #999")

    code, _, err = await dlq("replay", str(first), *db)
    assert code == 2
    assert "replay needs the running app" in err
    assert "--url" in err

    # the project's .env names the database when no target is given
    (tmp_path / ".env").write_text(f"DB_DSN=sqlite:///{path}\n")
    code, out, _ = await dlq("purge", "--yes", "--handler", "PayBack", cwd=tmp_path)
    assert (code, out.strip()) == (0, "purged 2 dead letter(s)")

    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = await dlq("list", cwd=empty)
    assert code == 2
    assert "no target: give --url or --db" in err
    code, _, err = await dlq("list", "--db", f"sqlite:///{tmp_path / 'other.db'}")
    assert code == 1
    assert "no SQLite database at" in err
    (tmp_path / "bare.db").touch()
    code, _, err = await dlq("list", "--db", f"sqlite:///{tmp_path / 'bare.db'}")
    assert code == 1
    assert "no table khorsyio_dead_letters" in err
    assert "Traceback" not in err
