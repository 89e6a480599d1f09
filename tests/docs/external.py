"""Directives and preludes for pages whose blocks this suite may not annotate in place.

The seed README (../shared/seed/khorsyio-0.2.0-PKG-INFO.md) is the 0.2.0 package's README:
its snippets are public API that must work *as written*, but many are fragments that assume
an app, a handler's ``self`` or a ``send`` around them. A prelude builds exactly that context
(nothing the snippet itself shows), then the snippet runs unchanged.

docs/generator.md is not this suite's to annotate: its blocks run in a generated project.

Keys are (file name, first non-blank line of the block).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Override:
    directives: dict[str, str] = field(default_factory=dict)
    prelude: str = ""


SEED = "khorsyio-0.2.0-PKG-INFO.md"

EXTERNAL: dict[tuple[str, str], Override] = {}

_APP = """\
from khorsyio import App, Settings

app = App(settings=Settings())
"""

_SEND = """\
sent = []


async def send(message):  # an ASGI send that keeps what the helpers write
    sent.append(message)
"""

# The users table of the facade examples, and the model the ORM examples query.
_USERS = """\
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import String, func, true
from sqlalchemy.orm import Mapped, mapped_column

from khorsyio import App, Base


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    age: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


app = App()  # DB_DSN: a fresh PostgreSQL database, or SQLite ./app.db
await app.db.create_all()
await app.db.executemany("insert into users (name, age) values ($1, $2)", [("alex", 30), ("bo", 9)])
self = SimpleNamespace(_db=app.db)  # inside a handler whose __init__ took db
user_id, name = 1, "cid"
"""

# generator.md describes a generated project: the one tests/generator builds (the spec of
# generator.md's examples: CreateUser and SendWelcome, a mailer), after `khorsyio gen`.
_GENERATED = """\
from pathlib import Path

from khorsyio_gen.cli import main
from tests.generator.conftest import write_project

write_project(Path.cwd())
assert main(["--root", ".", "gen"]) == 0
"""


def _header_of(path: str) -> str:
    """The imports of a generated file (all before its first def, class or decorator): what
    an excerpt of the file runs after."""
    return f"""\
import re as _re

_text = open({path!r}, encoding="utf-8").read()
_end = _re.search(r"^(async def|def|class|@)", _text, _re.M).start()
exec(compile(_text[:_end], {path!r}, "exec"), globals())
"""


EXTERNAL.update(
    {
        (SEED, "import msgspec"): Override({"name": "users"}),
        (SEED, "from khorsyio import Domain, Route"): Override(
            {"continue": "users"},
            _APP + "\n\nasync def get_users(req, send):\n    await Response.json(send, [])\n"
            "\n\nfrom khorsyio import Response\n",
        ),
        (SEED, "ctx.trace_id   # request-wide trace id"): Override(
            {}, 'from khorsyio import Context\n\nctx = Context(user_id="u1")\n'
        ),
        (SEED, "# publish"): Override(
            {"continue": "users"},
            "await app.startup()\n"
            'await app.db.execute("create table users (id integer primary key, name text)")\n'
            "bus = app.bus\n",
        ),
        (SEED, 'app.bus.schedule("system.healthcheck", HealthCheck(), interval=60.0)'): Override(
            {},
            _APP
            + "\nimport msgspec\n\n\nclass HealthCheck(msgspec.Struct):\n    ok: bool = True\n",
        ),
        (SEED, "async def handler(req, send):"): Override(
            {},
            "import msgspec\n\nfrom khorsyio import Response\n\n\n"
            "class MyStruct(msgspec.Struct):\n    name: str = ''\n\n\n"
            + _SEND
            + '\ndata = {"id": 1}\n',
        ),
        (SEED, "app = App(cors=CorsConfig("): Override(
            {}, "from khorsyio import App, CorsConfig\n"
        ),
        (SEED, "async def inject_bus(req):"): Override({}, _APP),
        (SEED, "class ReplyHandler(Handler):"): Override(
            {}, "from khorsyio import Envelope, Handler\n"
        ),
        (SEED, "from khorsyio import SocketClient"): Override(
            {
                "skip": "connects to a server on localhost:8000, which a test may not bind; "
                "docs/websocket.md runs the same calls against khorsyio.testing.serve()"
            }
        ),
        (SEED, 'rows = await self._db.fetch("select * from users where active = $1", True)'): (
            Override({"name": "db", "db": ""}, _USERS)
        ),
        (SEED, "from sqlalchemy import select"): Override({"continue": "db"}),
        (SEED, "from khorsyio.db import apply_filters, apply_order, paginate, apply_cursor"): (
            Override({"continue": "db"}, "last_id = 1  # the last id of the previous page\n")
        ),
        (SEED, "app.bus.metrics.snapshot()"): Override(
            {}, _APP + "from khorsyio import Response\n"
        ),
        (SEED, "class HeavyHandler(Handler):"): Override(
            {},
            "import msgspec\n\nfrom khorsyio import Handler\n\n\n"
            "class Task(msgspec.Struct):\n    n: int\n\n\n"
            "class TaskResult(msgspec.Struct):\n    value: int\n\n\n"
            "def some_heavy_math(n):\n    return n * n\n",
        ),
        ("generator.md", "from khorsyio import App"): Override({"name": "project"}, _GENERATED),
        ("generator.md", "class CreateUser(Handler[UserIn, UserOut]):"): Override(
            {"continue": "project"},
            _header_of("app/domains/user/handlers/create_user.py"),
        ),
        ("generator.md", "async def test_create_user_answers_user_create(app: App) -> None:"): (
            Override(
                # "A stub's test fails": the doc says so, the test checks it.
                {"continue": "project", "raises": "HandlerError"},
                "from khorsyio import App, HandlerError, Settings\n"
                "from khorsyio.testing import run_handler\n\n"
                "from app._generated import samples\n"
                "from app._generated.registry import wire\n"
                "from app.contracts.users import UserOut\n"
                "from app.domains.user.handlers.create_user import CreateUser\n\n"
                "app = App(settings=Settings())\n"
                "wire(app)\n"
                "await app.startup()\n",
            )
        ),
    }
)
