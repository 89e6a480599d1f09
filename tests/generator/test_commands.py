"""``gen handler`` (round-trip YAML edit), ``graph`` (Mermaid, DOT, AsyncAPI 3.0 validated by
@asyncapi/parser), ``status`` and ``task``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SPEC, edit

ASYNCAPI_DIR = Path(__file__).with_name("asyncapi")


def test_gen_handler_adds_to_the_spec_keeping_comments_and_order(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli(
        project,
        "gen",
        "handler",
        "AuditUser",
        "--domain",
        "audit",
        "--on",
        "user.created",
        "--emits",
        "audit.logged",
        "--input",
        "UserOut",
        "--output",
        "UserCreated",
        "--deps",
        "db,mailer",
    )
    assert r.code == 0, r.err
    text = (project / "khorsyio.yaml").read_text()
    assert text.startswith(SPEC)  # everything before is byte-identical, comments included
    assert "# a custom dependency" in text
    assert text[len(SPEC) :] == (
        "  audit:\n"
        "    handlers:\n"
        "      AuditUser:\n"
        "        id: audit-user\n"
        "        on: user.created\n"
        "        emits: audit.logged\n"
        "        input: UserOut\n"
        "        output: UserCreated\n"
        "        deps: [db, mailer]\n"
    )
    assert (project / "app/domains/audit/handlers/audit_user.py").is_file()
    assert (project / "tests/audit/test_audit_user.py").is_file()
    assert "no consumer" in r.err  # audit.logged is a warning, gen still works


def test_gen_handler_into_an_existing_domain(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli(
        project,
        "gen",
        "handler",
        "LogUser",
        "--domain",
        "user",
        "--on",
        "user.created",
        "--input",
        "UserOut",
    )
    assert r.code == 0, r.err
    text = (project / "khorsyio.yaml").read_text()
    assert text.index("LogUser:") < text.index("    routes:")
    assert (project / "app/domains/user/handlers/log_user.py").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["CreateUser", "--domain", "user", "--on", "a.b", "--input", "UserIn"], "exists"),
        (["Bad-Name", "--domain", "user", "--on", "a.b", "--input", "UserIn"], "CamelCase"),
        (
            ["Ok", "--domain", "user", "--on", "Bad Event", "--input", "UserIn"],
            "domains.user.handlers.Ok.on: expected a dotted lower-case event name",
        ),
        (["Ok", "--domain", "user", "--on", "a.b", "--input", "Nope"], "unknown contract 'Nope'"),
    ],
)
def test_gen_handler_bad_input(project: Path, cli, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    before = (project / "khorsyio.yaml").read_text()
    r = cli(project, "gen", "handler", *args)
    assert r.code != 0
    assert message in r.err
    assert "Traceback" not in r.err
    assert (project / "khorsyio.yaml").read_text() == before


def test_mermaid_and_dot(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli(project, "graph")
    assert r.code == 0
    assert r.out.startswith("flowchart LR\n")
    assert 'n_POST__users(["POST /users"])' in r.out
    assert "n_POST__users -->|user.create| n_CreateUser" in r.out
    assert "n_CreateUser -->|user.created| n_SendWelcome" in r.out
    r = cli(project, "graph", "--format", "dot")
    assert r.out.startswith("digraph khorsyio {")
    assert 'n_CreateUser -> n_SendWelcome [label="user.created"];' in r.out


def _npm_install() -> None:
    if (ASYNCAPI_DIR / "node_modules" / "@asyncapi" / "parser").is_dir():
        return
    npm = shutil.which("npm")
    assert npm is not None, "npm is needed to validate AsyncAPI documents"
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=ASYNCAPI_DIR, check=True, capture_output=True
    )


def test_asyncapi_is_valid_for_a_real_parser(project: Path, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    edit(
        project / "khorsyio.yaml",
        "    routes:",
        "      Ping:\n        on: chat.ping\n        input: Tick\n    routes:",
    )
    (project / "khorsyio.yaml").write_text(
        (project / "khorsyio.yaml").read_text()
        + "websocket:\n  allow: [chat.ping]\nschedules:\n  - event: chat.ping\n    contract: Tick\n"
        "    interval: 30\n    payload: {count: 1}\n"
    )
    out = tmp_path / "asyncapi.json"
    r = cli(project, "graph", "--format", "asyncapi", "-o", str(out))
    assert r.code == 0, r.err
    doc = json.loads(out.read_text())
    assert doc["asyncapi"] == "3.0.0"
    assert doc["components"]["schemas"]["UserIn"]["required"] == ["name", "email"]
    assert doc["channels"]["chat_ping"]["servers"] == [{"$ref": "#/servers/websocket"}]
    _npm_install()
    node = shutil.which("node")
    assert node is not None
    proc = subprocess.run(
        [node, "validate.mjs", str(out)],
        cwd=ASYNCAPI_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    assert result["valid"] is True
    assert result["version"] == "3.0.0"
    assert set(result["channels"]) == {"user.create", "user.created", "chat.ping"}


def test_asyncapi_parser_rejects_a_broken_document(tmp_path: Path) -> None:
    _npm_install()
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"asyncapi": "3.0.0", "info": {"title": "x"}, "channels": {"a": {"address": 1}}})
    )
    node = shutil.which("node")
    assert node is not None
    proc = subprocess.run(
        [node, "validate.mjs", str(bad)],
        cwd=ASYNCAPI_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1


def test_status_reports_stubs_missing_tests_and_drift(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    r = cli(project, "status", "--format", "json")
    assert r.code == 1
    st = json.loads(r.out)
    assert [s.split(":")[0] for s in st["stubs"]] == ["CreateUser", "SendWelcome"]
    assert st["drift"] == []
    (project / "tests/user/test_send_welcome.py").unlink()
    edit(project / "khorsyio.yaml", "timeout: 5", "timeout: 6")
    st = json.loads(cli(project, "status", "--format", "json").out)
    assert st["without_test"] == ["SendWelcome: tests/user/test_send_welcome.py"]
    assert "app/domains/user/handlers/create_user.py" in st["drift"]
    r = cli(project, "status")
    assert "handlers whose process is still a stub:" in r.out
    assert "handlers without a test:" in r.out


def test_status_is_clean_when_everything_is_filled(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    for rel, out in (
        ("app/domains/user/handlers/create_user.py", "UserOut(id=1, name=data.name)"),
        ("app/domains/user/handlers/send_welcome.py", "None"),
    ):
        text = (project / rel).read_text()
        start = text.index("raise NotImplementedError(")
        end = text.index(")\n", text.index('"', start) + 1) + 2
        (project / rel).write_text(text[:start] + f"return {out}\n" + text[end:])
    assert cli(project, "gen").code == 0
    r = cli(project, "status")
    assert r.code == 0, r.out
    assert "all handlers filled and tested" in r.out


def test_task_card_is_self_contained(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    r = cli(project, "task", "CreateUser")
    assert r.code == 0
    card = r.out
    for words in (
        "# Task: implement CreateUser.process",
        "## The module: app/domains/user/handlers/create_user.py",
        "class CreateUser(Handler[UserIn, UserOut]):",
        "class UserIn(msgspec.Struct):",
        "- `email: str`",
        "`self._mailer`: `Mailer` from `app.services.mailer`",
        "`async send(to: str, body: str) -> None`",
        "`self._db`: `Database` from `khorsyio`",
        "async fetch(",
        "route POST /users publishes user.create",
        "user.created → SendWelcome (user)",
        "## The test to make pass: tests/user/test_create_user.py",
        "def test_create_user_answers_user_create(app: App) -> None:",
        "python -m pytest tests/user/test_create_user.py",
        "khorsyio check",
    ):
        assert words in card, words
    assert "khorsyio task CreateUser" in (project / "AGENTS.md").read_text()


def test_task_unknown_handler(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli(project, "task", "Nope")
    assert r.code == 1
    assert "no handler 'Nope'" in r.err
    assert "CreateUser" in r.err


def test_conditional_routing_handler(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    edit(
        project / "khorsyio.yaml",
        "    routes:",
        "      Route:\n        on: user.created\n        input: UserOut\n        emits: user.vip\n"
        "        also_emits: [user.plain]\n        output: UserOut\n    routes:",
    )
    (project / "khorsyio.yaml").write_text(
        (project / "khorsyio.yaml").read_text() + "terminal: [user.vip, user.plain]\n"
    )
    assert cli(project, "check").code == 0
    assert cli(project, "gen").code == 0
    text = (project / "app/domains/user/handlers/route.py").read_text()
    assert "async def process(self, data: UserOut, ctx: Context) -> UserOut | Envelope:" in text
    assert "from khorsyio import Context, Envelope, Handler" in text
    words = " ".join(text.split())
    assert "Routes: return ctx.forward(event, data) with one of (or return the output):" in words
    assert "user.plain: no contract declared" in words
    assert 'publishes = "user.vip"\n    also_publishes = ("user.plain",)\n' in text


def test_typed_conditional_routing(project: Path, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """also_emits as a mapping types each routed edge: stub, docstring, test and check."""
    edit(
        project / "khorsyio.yaml",
        "    routes:",
        "      Route:\n        on: user.created\n        input: UserOut\n"
        "        also_emits: {user.vip: UserOut, user.plain: UserIn}\n"
        "      Vip:\n        on: user.vip\n        input: UserOut\n    routes:",
    )
    (project / "khorsyio.yaml").write_text(
        (project / "khorsyio.yaml").read_text() + "terminal: [user.plain]\n"
    )
    assert cli(project, "check").code == 0
    assert cli(project, "gen").code == 0
    text = (project / "app/domains/user/handlers/route.py").read_text()
    assert "class Route(Handler[UserOut, None]):" in text
    assert 'also_publishes = {"user.vip": UserOut, "user.plain": UserIn}\n' in text
    assert "async def process(self, data: UserOut, ctx: Context) -> Envelope | None:" in text
    words = " ".join(text.split())
    assert "user.vip: data is a ``UserOut`` user.plain: data is a ``UserIn``" in words
    assert "Output: nothing" not in words
    test = (project / "tests/user/test_route.py").read_text()
    assert "assert isinstance(result, Envelope)" in test
    assert "assert result.event_type in ('user.vip', 'user.plain')" in test.replace('"', "'")
    assert (
        'if result.event_type == "user.plain":\n        assert isinstance(result.payload, UserIn)'
        in test
    )
    out = tmp_path / "events.json"
    assert cli(project, "graph", "--format", "asyncapi", "-o", str(out)).code == 0
    channels = json.loads(out.read_text())["channels"]
    plain = next(c for c in channels.values() if c["address"] == "user.plain")
    assert list(plain["messages"]) == ["UserIn"]  # a terminal event: its contract from also_emits
    # a routed edge whose contract is not the consumer's input is an error, naming the path
    edit(project / "khorsyio.yaml", "{user.vip: UserOut,", "{user.vip: UserIn,")
    result = cli(project, "check")
    assert result.code == 1
    assert "Route publishes 'user.vip' as UserIn but Vip expects UserOut" in result.out + result.err


def test_root_after_the_command(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from khorsyio_gen.cli import main

    assert main(["check", "--root", str(project)]) == 0
    assert "ok" in capsys.readouterr().out
    assert main(["gen", "--dry-run", "--root", str(project)]) == 0
    assert "write app/_generated/registry.py" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        ("deps: [mailer]\n", "deps: [mailer, mailer]\n", "dep 'mailer' is listed twice"),
        ("      SendWelcome:", "      Class:", "'Class' (module class) is a Python keyword"),
        ("      SendWelcome:", "      Mailer:", "handler name 'Mailer' is a provider's type"),
    ],
)
def test_names_and_deps_that_would_generate_broken_code_are_refused(
    project: Path,
    cli,  # type: ignore[no-untyped-def]
    before: str,
    after: str,
    message: str,
) -> None:
    edit(project / "khorsyio.yaml", before, after)
    r = cli(project, "check")
    assert r.code == 1
    assert message in r.out + r.err
    assert cli(project, "gen").code == 1


def test_task_on_a_broken_spec_is_a_clear_error(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    edit(project / "khorsyio.yaml", "input: UserIn", "input: Nope")
    r = cli(project, "task", "CreateUser")
    assert r.code == 1
    assert "Nope" in r.err
    assert "Traceback" not in r.err


def test_a_graph_finding_has_one_severity_in_gen_and_check(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli(
        project,
        "gen",
        "handler",
        "Foo",
        "--domain",
        "user",
        "--on",
        "new.thing",
        "--input",
        "UserIn",
    )
    assert r.code == 0  # gen reports graph findings and goes on
    line = next(x for x in r.err.splitlines() if "event 'new.thing' has no producer" in x)
    assert line.startswith("error: khorsyio.yaml:")
    assert "gen went on despite 1 graph error(s)" in r.err
    assert (project / "app/domains/user/handlers/foo.py").is_file()
    c = cli(project, "check")
    assert c.code == 1
    assert line in c.out.splitlines()  # the very same line, severity included
    c = cli(project, "check", "--format", "json")
    found = [p for p in json.loads(c.out)["problems"] if p["code"] == "no_producer"]
    assert [p["severity"] for p in found] == ["error"]


def test_a_warning_is_a_warning_everywhere(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    edit(project / "khorsyio.yaml", "        deps: [mailer]\n", "")
    edit(project / "khorsyio.yaml", "deps: [db, mailer]", "deps: [db]")
    g = cli(project, "gen")
    assert g.code == 0, g.err
    assert "warning: khorsyio.yaml:4: providers.mailer: provider 'mailer' is unused" in g.err
    assert "error:" not in g.err
    c = cli(project, "check")
    assert c.code == 0
    assert "warning: khorsyio.yaml:4: providers.mailer: provider 'mailer' is unused" in c.out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    from khorsyio_gen import __version__
    from khorsyio_gen.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out == f"khorsyio-gen {__version__}, khorsyio {version('khorsyio')}\n"


def test_gen_says_when_there_is_nothing_to_do(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    r = cli(project, "gen")
    assert r.code == 0
    n = int(r.out.split("nothing to do: ")[1].split()[0])
    assert r.out.strip().endswith(f"nothing to do: {n} files up to date")
    assert n > 10
    assert cli(project, "gen", "--check").out.strip() == f"up to date: {n} files"
    assert cli(project, "gen", "--dry-run").out.strip() == f"nothing to do: {n} files up to date"


@pytest.mark.parametrize(
    ("name", "start"),
    [("g.mmd", "flowchart LR\n"), ("g.dot", "digraph khorsyio {"), ("g.json", "{")],
)
def test_graph_output_format_follows_the_extension(
    project: Path,
    cli,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    name: str,
    start: str,
) -> None:
    r = cli(project, "graph", "-o", str(tmp_path / name))
    assert r.code == 0, r.err
    assert (tmp_path / name).read_text().startswith(start)


def test_graph_refuses_unknown_file_types_and_formats_images_cannot_be(
    project: Path,
    cli,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    r = cli(project, "graph", "-o", str(tmp_path / "g.txt"))
    assert r.code == 1
    assert "unknown graph file type '.txt': use one of .mmd" in r.err
    r = cli(project, "graph", "--format", "mermaid", "-o", str(tmp_path / "g.png"))
    assert r.code == 1
    assert "an image is rendered from the DOT graph, not from mermaid" in r.err
    r = cli(project, "graph", "--format", "mermaid", "-o", str(tmp_path / "g.txt"))
    assert r.code == 0  # an explicit text format goes to any file
    assert not list(tmp_path.glob("*.png"))


def test_graph_png_needs_graphviz(
    project: Path,
    cli,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    r = cli(project, "graph", "-o", str(tmp_path / "g.png"))
    assert r.code == 1
    assert "a PNG image needs Graphviz, and its `dot` command is not on PATH" in r.err
    assert "Traceback" not in r.err
    assert not (tmp_path / "g.png").exists()
    # with a dot on PATH (a stand-in here: Graphviz is not installed on the test machine)
    dot = empty / "dot"
    dot.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "assert sys.argv[1:3] == ['-Tpng', '-o'], sys.argv\n"
        "assert 'digraph khorsyio' in sys.stdin.read()\n"
        "open(sys.argv[3], 'wb').write(bytes([137]) + b'PNG')\n"
    )
    dot.chmod(0o755)
    r = cli(project, "graph", "-o", str(tmp_path / "g.png"))
    assert r.code == 0, r.err
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    assert f"wrote {tmp_path / 'g.png'} (png)" in r.out


def test_asyncapi_title_is_the_project_name(project: Path, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "a.json"
    assert cli(project, "graph", "-o", str(out)).code == 0
    assert json.loads(out.read_text())["info"] == {"title": "proj", "version": "0.1.0"}
    (project / "pyproject.toml").write_text('[project]\nname = "shop-api"\nversion = "1.2.3"\n')
    assert cli(project, "graph", "-o", str(out)).code == 0
    assert json.loads(out.read_text())["info"] == {"title": "shop-api", "version": "1.2.3"}


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (  # an unclosed quote: where it opens, not past the last line
            'version: 1\ndomains:\n  user:\n    description: "abc\n    handlers: {}\n',
            "khorsyio.yaml:4:18:",
            "found unexpected end of stream while scanning a quoted scalar that starts here",
        ),
        (  # YAML breaks lines at U+2028, an editor does not: the editor's line
            'version: 1\nexternal: ["a\u2028b"]\ndomains: {user: @}\n',
            "khorsyio.yaml:3:17:",
            "found character that cannot start any token",
        ),
        (
            "\ufeffversion: 1\ndomains:\n  user:\n    handlers:\n   routes: []\n",
            "khorsyio.yaml:5:4:",
            "did not find expected key (while parsing a block mapping at line 3, column 3)",
        ),
    ],
)
def test_a_yaml_syntax_error_names_the_users_line_and_column(
    project: Path,
    cli,  # type: ignore[no-untyped-def]
    text: str,
    where: str,
    message: str,
) -> None:
    (project / "khorsyio.yaml").write_text(text, encoding="utf-8")
    for command in ("check", "gen"):
        r = cli(project, command)
        assert r.code == 1
        assert r.err.startswith(f"error: {where} YAML syntax error: "), r.err
        assert message in r.err
