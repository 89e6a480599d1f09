"""``khorsyio check``: wiring checks on spec + contracts, clear errors, exit codes, JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import SPEC, edit, snapshot


def test_clean_project_exits_0(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli(project, "check")
    assert r.code == 0, r.out + r.err
    assert "ok" in r.out


def _problems(cli, root: Path) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    r = cli(root, "check", "--format", "json")
    data = json.loads(r.out)
    assert data["ok"] is (r.code == 0)
    problems: list[dict[str, object]] = data["problems"]
    return problems


@pytest.mark.parametrize(
    ("old", "new", "code", "key", "words"),
    [
        (
            "input: UserIn\n        output: UserOut",
            "input: UserInn\n        output: UserOut",
            "unknown_contract",
            "domains.user.handlers.CreateUser.input",
            ["unknown contract 'UserInn'", "UserIn", "POST /users → user.create → CreateUser"],
        ),
        (
            "deps: [mailer]",
            "deps: [mailr]",
            "missing_provider",
            "domains.user.handlers.SendWelcome.deps[0]",
            [
                "POST /users → user.create → CreateUser → user.created → SendWelcome → dep 'mailr'",
                "no provider named 'mailr'",
            ],
        ),
        (
            "        input: UserOut\n        deps: [mailer]",
            "        input: UserCreated\n        deps: [mailer]",
            "contract_mismatch",
            "domains.user.handlers.SendWelcome",
            ["CreateUser publishes 'user.created' as UserOut but SendWelcome expects UserCreated"],
        ),
        (
            "      SendWelcome:\n        id: send-welcome",
            "      CreateUser:\n        id: send-welcome",
            "duplicate key",
            "",
            [],
        ),
        (
            "on: user.created\n",
            "on: user.welcome\n",
            "no_producer",
            "domains.user.handlers.SendWelcome",
            ["event 'user.welcome' has no producer"],
        ),
    ],
)
def test_each_wiring_error_names_the_path(  # type: ignore[no-untyped-def]
    project: Path, cli, old: str, new: str, code: str, key: str, words: list[str]
) -> None:
    edit(project / "khorsyio.yaml", old, new)
    r = cli(project, "check")
    assert r.code == 1
    assert "Traceback" not in r.out + r.err
    if code == "duplicate key":  # YAML itself refuses duplicate keys
        assert "duplicate key" in r.err
        assert "khorsyio.yaml:" in r.err
        return
    problems = [p for p in _problems(cli, project) if p["code"] == code]
    assert problems, r.out
    p = problems[0]
    assert p["key"] == key
    assert p["file"] == "khorsyio.yaml"
    assert isinstance(p["line"], int)
    for w in words:
        assert w in str(p["message"]), p["message"]
    assert f"khorsyio.yaml:{p['line']}: {key}:" in r.out


def test_duplicate_handler_across_domains(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    spec = SPEC + (
        "  billing:\n    handlers:\n      SendWelcome:\n        id: other\n"
        "        on: user.created\n        input: UserOut\n"
    )
    (project / "khorsyio.yaml").write_text(spec)
    problems = _problems(cli, project)
    dup = [p for p in problems if p["code"] == "duplicate_handler"]
    assert dup
    assert dup[0]["key"] == "domains.billing.handlers.SendWelcome"
    assert "also declared at domains.user.handlers.SendWelcome" in str(dup[0]["message"])


def test_duplicate_id(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    edit(project / "khorsyio.yaml", "id: send-welcome", "id: create-user")
    codes = {p["code"] for p in _problems(cli, project)}
    assert "duplicate_id" in codes


def test_unused_provider_is_a_warning(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    edit(project / "khorsyio.yaml", "deps: [mailer]", "deps: []")
    edit(project / "khorsyio.yaml", "deps: [db, mailer]", "deps: [db]")
    r = cli(project, "check")
    assert r.code == 0
    assert "warning" in r.out
    assert "provider 'mailer' is unused" in r.out


def test_route_waiting_for_an_unreachable_reply(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    edit(project / "khorsyio.yaml", "reply: user.created", "reply: user.done")
    problems = _problems(cli, project)
    no_path = [p for p in problems if p["code"] == "no_path"]
    assert no_path
    assert no_path[0]["key"] == "domains.user.routes[0]"
    assert "POST /users waits for 'user.done'" in str(no_path[0]["message"])


def test_route_response_must_match_reply_contract(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    edit(project / "khorsyio.yaml", "response: UserOut", "response: UserCreated")
    problems = _problems(cli, project)
    bad = [p for p in problems if p["code"] == "contract_mismatch"]
    assert bad
    assert bad[0]["key"] == "domains.user.routes[0].response"


def test_contract_module_that_fails_to_import(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (project / "app/contracts/broken.py").write_text("import msgspec\n\nx = 1 / 0\n")
    r = cli(project, "check")
    assert r.code == 1
    assert "app/contracts/broken.py:3" in r.err
    assert "ZeroDivisionError" in r.err
    assert "Traceback" not in r.err


def test_contract_module_with_syntax_error(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (project / "app/contracts/broken.py").write_text("class (:\n")
    r = cli(project, "check")
    assert r.code == 1
    assert "app/contracts/broken.py:1" in r.err


def test_handler_modules_are_never_imported(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    handler = project / "app/domains/user/handlers/create_user.py"
    edit(
        handler,
        "raise NotImplementedError(",
        "raise SystemExit(1)\n        raise NotImplementedError(",
    )
    (project / "app/domains/user/handlers/__init__.py").write_text("raise RuntimeError('boom')\n")
    assert cli(project, "check").code == 0
    assert cli(project, "gen").code == 0
    assert cli(project, "gen", "--check").code == 0


def test_missing_provider_module(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    edit(project / "khorsyio.yaml", "app.services.mailer:Mailer", "app.services.nope:Mailer")
    r = cli(project, "check")
    assert r.code == 1
    assert "providers.mailer.type" in r.err
    assert "'app.services.nope' not found" in r.err


def test_provider_factory_must_make_the_declared_type(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = project / "app/services/mailer.py"
    path.write_text(
        path.read_text()
        + "\n\nclass Other:\n    pass\n\n\ndef make_other() -> Other:\n    return Other()\n"
    )
    edit(
        project / "khorsyio.yaml",
        "    type: app.services.mailer:Mailer  # a custom dependency",
        "    type: app.services.mailer:Mailer\n    factory: app.services.mailer:make_other",
    )
    problems = _problems(cli, project)
    bad = [p for p in problems if p["code"] == "provider_type"]
    assert bad
    assert bad[0]["key"] == "providers.mailer.factory"
    assert "makes a Other, not a Mailer" in str(bad[0]["message"])
    assert cli(project, "gen").code == 1


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        ("      SendWelcome:\n", "      None:\n", "domains.user.handlers.None", "Python keyword"),
        ("      SendWelcome:\n", "      Import:\n", "domains.user.handlers.Import", "keyword"),
        ("  mailer:\n    type", "  class:\n    type", "providers.class", "Python keyword"),
        ("  mailer:\n    type", "  self:\n    type", "providers.self", "first parameter"),
        ("  user:\n", "  def:\n", "domains.def", "Python keyword"),
        ("  user:\n", "  __init__:\n", "domains.__init__", "dunder name"),
        ("deps: [db, mailer]", "deps: [db, mailer, import]", "CreateUser.deps[2]", "keyword"),
    ],
)
def test_names_python_refuses_stop_every_command(  # type: ignore[no-untyped-def]
    project: Path, cli, old: str, new: str, key: str, words: str
) -> None:
    edit(project / "khorsyio.yaml", old, new)
    before = snapshot(project)
    for command in ("check", "gen"):
        r = cli(project, command)
        assert r.code == 1
        assert "Traceback" not in r.err
        assert re.search(rf"khorsyio\.yaml:\d+: \S*{re.escape(key)}: .*{words}", r.err), r.err
    assert snapshot(project) == before


def _route_project(project: Path, route: str, contracts: str = "") -> None:
    text = (project / "khorsyio.yaml").read_text(encoding="utf-8")
    text = text.replace("    routes:\n", "    routes:\n" + route, 1)
    (project / "khorsyio.yaml").write_text(text, encoding="utf-8")
    if contracts:
        with (project / "app" / "contracts" / "users.py").open("a", encoding="utf-8") as f:
            f.write(contracts)


_ORDER_REF = "\n\nclass OrderRef(msgspec.Struct):\n    order_id: int\n    reason: str = ''\n"


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        ("/orders/{id}/cancel", "OrderRef", "the body OrderRef has no field 'id'"),
        ("/orders/{order_id:uuid}", "OrderRef", "'{order_id:uuid}' cannot fill OrderRef.order_id"),
        ("/orders/{order_id}", None, "the route has no body"),
    ],
)
def test_a_path_parameter_no_field_takes_is_an_error(  # type: ignore[no-untyped-def]
    project: Path, cli, path: str, body: str | None, words: str
) -> None:
    body_line = f"        body: {body}\n" if body else ""
    _route_project(
        project,
        f"      - method: POST\n        path: {path}\n        event: user.create\n"
        f"        reply: user.created\n{body_line}",
        _ORDER_REF,
    )
    problems = [p for p in _problems(cli, project) if p["code"] == "unbound_path_param"]
    assert len(problems) == 1, problems
    assert problems[0]["key"] == "domains.user.routes[0].path"
    assert isinstance(problems[0]["line"], int)
    assert words in str(problems[0]["message"]), problems[0]["message"]
    r = cli(project, "gen")
    assert r.code == 1
    assert "fills no field" in r.err or "cannot fill" in r.err


def test_path_parameters_that_fill_the_body_pass(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _route_project(
        project,
        "      - method: POST\n        path: /orders/{order_id:int}/cancel\n"
        "        event: user.create\n        reply: user.created\n        body: OrderRef\n",
        _ORDER_REF,
    )
    problems = _problems(cli, project)
    assert not [p for p in problems if p["code"] == "unbound_path_param"], problems


@pytest.mark.parametrize(
    ("first", "second", "words"),
    [
        ("/v", "/v", "route 'POST /v' is declared twice"),
        ("/u/{a}", "/u/{b}", "route 'POST /u/{b}' has the path shape of 'POST /u/{a}'"),
    ],
)
def test_routes_the_router_would_refuse_are_errors(  # type: ignore[no-untyped-def]
    project: Path, cli, first: str, second: str, words: str
) -> None:
    route = (
        "      - {method: POST, path: '%s', event: user.create, reply: user.created, "
        "body: UserIn}\n"
    )
    text = (project / "khorsyio.yaml").read_text(encoding="utf-8")
    text = text.replace("    routes:\n", "    routes:\n" + route % first, 1)
    text += "  admin:\n    routes:\n" + route % second  # another domain: one router
    (project / "khorsyio.yaml").write_text(text, encoding="utf-8")
    problems = [p for p in _problems(cli, project) if p["code"] == "duplicate_route"]
    assert [p["key"] for p in problems] == ["domains.admin.routes[0]"]
    assert words in str(problems[0]["message"])


def test_a_process_handler_may_take_settings_and_custom_providers_not_live_objects(  # type: ignore[no-untyped-def]
    project: Path, cli
) -> None:
    # the runtime rebuilds a process handler in each worker from pickled copies of its
    # dependencies: the app's live objects (db, bus, client...) cannot be among them
    edit(
        project / "khorsyio.yaml",
        "deps: [mailer]",
        "deps: [mailer, settings]\n        execution_mode: process",
    )
    assert [p for p in _problems(cli, project) if p["code"] == "process_mode_deps"] == []
    edit(project / "khorsyio.yaml", "deps: [mailer, settings]", "deps: [mailer, settings, db]")
    problems = [p for p in _problems(cli, project) if p["code"] == "process_mode_deps"]
    assert [p["key"] for p in problems] == ["domains.user.handlers.SendWelcome.deps[2]"]
    assert "'db' is the app's live object" in str(problems[0]["message"])
    assert cli(project, "gen").code == 1
