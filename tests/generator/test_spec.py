"""The spec model, its JSON Schema, and load errors naming file, key path and line."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from khorsyio_gen.errors import SpecError
from khorsyio_gen.load import load_spec_text
from khorsyio_gen.schema import SCHEMA_FILE, render_schema

from .conftest import SPEC


def test_shipped_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render_schema(), (
        "run: python -m khorsyio_gen.schema"
    )


def test_schema_describes_handlers() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    handler = schema["$defs"]["HandlerSpec"]
    assert set(handler["required"]) == {"on", "input"}
    assert handler["additionalProperties"] is False


def test_example_spec_loads() -> None:
    spec, _ = load_spec_text(SPEC)
    h = spec.domains["user"].handlers["CreateUser"]
    assert (h.id, h.on, h.emits, h.deps, h.timeout) == (
        "create-user",
        "user.create",
        "user.created",
        ["db", "mailer"],
        5,
    )
    assert h.retry is not None
    assert h.retry.attempts == 3
    assert spec.domains["user"].routes[0].status == 201


@pytest.mark.parametrize(
    ("text", "key", "line", "expected"),
    [
        (
            "domains:\n  user:\n    handlers:\n      CreateUser:\n        on: 5\n"
            "        input: A\n",
            "domains.user.handlers.CreateUser.on",
            5,
            "expected `str`, got `int`",
        ),
        (
            "domains:\n  user:\n    handlers:\n      create-user:\n        on: a\n"
            "        input: A\n",
            "domains.user.handlers.create-user",
            4,
            "CamelCase class name",
        ),
        (
            "domains:\n  user:\n    handlers:\n      A:\n        on: Bad Event\n        input: A\n",
            "domains.user.handlers.A.on",
            5,
            "dotted lower-case event name",
        ),
        (
            "domains:\n  user:\n    handlers:\n      A:\n        on: a\n        inptu: A\n",
            "domains.user.handlers.A",
            4,
            "unknown key `inptu`",
        ),
        (
            "domains:\n  user:\n    routes:\n      - method: GET\n        path: x\n"
            "        event: a\n        reply: b\n",
            "domains.user.routes[0].path",
            5,
            "URL path",
        ),
        (
            "domains:\n  user:\n    handlers:\n      A:\n        on: a\n        input: A\n"
            "        retry: {attempts: 0}\n",
            "domains.user.handlers.A.retry.attempts",
            7,
            ">= 1",
        ),
        ("providers:\n  m:\n    type: nocolon\n", "providers.m.type", 3, "'package.module:Name'"),
        ("domains:\n  User: {}\n", "domains.User", 2, "lower-case Python identifier"),
        ("domains:\n  user:\n    handlers:\n      A:\n        input: X\n", "", 4, "missing"),
    ],
)
def test_spec_errors_name_key_line_and_expectation(
    text: str, key: str, line: int, expected: str
) -> None:
    with pytest.raises(SpecError) as info:
        load_spec_text(text)
    err = info.value
    assert err.file == "khorsyio.yaml"
    if key:
        assert err.key == key
    assert err.line == line
    assert expected in err.detail
    assert str(err).startswith(f"khorsyio.yaml:{line}:")


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("domains:\n  user: [\n", 2, ":2:9: YAML syntax error"),  # the line left open
        ("a: 1\n  b: 2\n", 2, "khorsyio.yaml:2:4: YAML syntax error: mapping values"),
        (
            "domains:\n  u:\n    handlers:\n      A: {on: a, input: X}\n"
            "      A: {on: b, input: X}\n",
            5,
            "duplicate key",
        ),
    ],
)
def test_yaml_syntax_errors_have_line_and_column(text: str, line: int, expected: str) -> None:
    with pytest.raises(SpecError) as info:
        load_spec_text(text)
    assert info.value.line == line
    assert expected in str(info.value)


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(SpecError, match="mapping"):
        load_spec_text("- a\n- b\n")


def test_missing_spec_file_is_a_clear_error(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli(tmp_path, "check")
    assert r.code == 1
    assert "khorsyio.yaml" in r.err
    assert "not found" in r.err
    assert "Traceback" not in r.err


def _handler(extra: str, name: str = "A", domain: str = "user") -> str:
    return (
        f"domains:\n  {domain}:\n    handlers:\n      {name}:\n        on: a\n        input: X\n"
        + "".join(f"        {line}\n" for line in extra.splitlines())
    )


def _route(extra: str, path: str = "/x") -> str:
    return (
        "domains:\n  user:\n    routes:\n      - method: POST\n"
        f"        path: '{path}'\n        event: a\n        reply: b\n"
        + "".join(f"        {line}\n" for line in extra.splitlines())
    )


def _schedule(extra: str) -> str:
    return "schedules:\n  - event: a\n    contract: Tick\n" + "".join(
        f"    {line}\n" for line in extra.splitlines()
    )


HANDLER = "domains.user.handlers.A"
ROUTE = "domains.user.routes[0]"

REFUSED = [
    # numbers: finite and in the runtime's range
    (_handler("timeout: .inf"), f"{HANDLER}.timeout", 7, "inf is not a finite number"),
    (_handler("timeout: 1e400"), f"{HANDLER}.timeout", 7, "inf is not a finite number"),
    (_handler("timeout: .nan"), f"{HANDLER}.timeout", 7, "nan is not a finite number"),
    (_handler("timeout: -.inf"), f"{HANDLER}.timeout", 7, "not a finite number"),
    (_handler("timeout: 0"), f"{HANDLER}.timeout", 7, "> 0"),
    (_handler("timeout: 1e300"), f"{HANDLER}.timeout", 7, "<= 86400"),
    (_handler("retry: {attempts: 100000}"), f"{HANDLER}.retry.attempts", 7, "<= 10000"),
    (_handler("retry: {backoff: .inf}"), f"{HANDLER}.retry.backoff", 7, "not a finite number"),
    (_handler("retry: {backoff: -1}"), f"{HANDLER}.retry.backoff", 7, ">= 0"),
    (_handler("retry: {multiplier: 0.5}"), f"{HANDLER}.retry.multiplier", 7, ">= 1"),
    (_handler("retry: {multiplier: 1e9}"), f"{HANDLER}.retry.multiplier", 7, "<= 1000"),
    (_handler("retry:\n  max_backoff: .nan"), f"{HANDLER}.retry.max_backoff", 8, "nan"),
    (_handler("concurrency: 0"), f"{HANDLER}.concurrency", 7, ">= 1"),
    (_handler("concurrency: 1e3"), f"{HANDLER}.concurrency", 7, "got `float`"),
    (_handler("queue_size: 99999999999999999999"), f"{HANDLER}.queue_size", 7, "<= 1000000"),
    (_handler("concurrency: true"), f"{HANDLER}.concurrency", 7, "got `bool`"),
    (_schedule("interval: .inf"), "schedules[0].interval", 4, "inf is not a finite number"),
    (_schedule("interval: 0"), "schedules[0].interval", 4, ">= 0.001"),
    (_schedule("interval: 1\npayload: {count: .nan}"), "schedules[0].payload.count", 5, "nan"),
    (_schedule("interval: 1\npayload: {n: 1e400}"), "schedules[0].payload.n", 5, "finite"),
    (_schedule("interval: 1\npayload: {n: 99999999999999999999}"), "", 5, "64 bits"),
    (_route("status: 101"), f"{ROUTE}.status", 8, ">= 200"),
    (_route("status: 404"), f"{ROUTE}.status", 8, "<= 299"),
    (_route("errors: {gone: 200}"), f"{ROUTE}.errors.gone", 8, ">= 400"),
    (_route("errors: {gone: 600}"), f"{ROUTE}.errors.gone", 8, "<= 599"),
    (_route("errors: {'no code': 409}"), f"{ROUTE}.errors.no code", 8, "an error code"),
    (_route("timeout: .inf"), f"{ROUTE}.timeout", 8, "not a finite number"),
    # names: identifiers Python accepts, no keyword, no dunder
    (_handler("", domain="__init__"), "domains.__init__", 2, "dunder name"),
    (_handler("", domain="class"), "domains.class", 2, "Python keyword"),
    (_handler("", name="None"), "domains.user.handlers.None", 4, "Python keyword"),
    (_handler("", name="True"), "domains.user.handlers.True", 4, "Python keyword"),
    (_handler("", name="Lambda"), "domains.user.handlers.Lambda", 4, "(module lambda) is"),
    (_handler("deps: [db, import]"), f"{HANDLER}.deps[1]", 7, "'import' is a Python keyword"),
    (_handler("deps: [self]"), f"{HANDLER}.deps[0]", 7, "own first parameter"),
    (_handler("deps: [__class__]"), f"{HANDLER}.deps[0]", 7, "dunder name"),
    (_handler("id: 'a b'"), f"{HANDLER}.id", 7, "an id of letters"),
    (_handler('description: "a\\0b"'), f"{HANDLER}.description", 7, "control character"),
    (_route('summary: "x\\x1b[2J"'), f"{ROUTE}.summary", 8, "control character"),
    ("providers:\n  self:\n    type: a.b:C\n", "providers.self", 2, "own first parameter"),
    ("providers:\n  m:\n    type: a.class:C\n", "providers.m.type", 3, "'class' in"),
    ("providers:\n  m:\n    type: a.b:C\n    factory: a.b:def\n", "", 4, "cannot be imported"),
    ("contracts: [app.def]\n", "contracts[0]", 1, "Python keyword"),
    ("contracts: [app.__init__]\n", "contracts[0]", 1, "dunder name"),
    (_schedule("interval: 1\npayload: {class: 1}"), "", 5, "'class' is a Python keyword"),
    # paths: what the router accepts
    (_route("", path="/x/{id:float}"), f"{ROUTE}.path", 5, "unknown converter 'float'"),
    (_route("", path="/x/{id}/{id}"), f"{ROUTE}.path", 5, "appears twice"),
    (_route("", path="/x/{rest:path}/y"), f"{ROUTE}.path", 5, "must be last"),
    (_route("", path="/x/a{id}"), f"{ROUTE}.path", 5, "must be a whole"),
    (_route("", path="/x y"), f"{ROUTE}.path", 5, "URL path"),
]


@pytest.mark.parametrize(("text", "key", "line", "expected"), REFUSED)
def test_values_that_would_build_a_broken_app_are_refused(
    text: str, key: str, line: int, expected: str
) -> None:
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "svc/khorsyio.yaml")
    err = info.value
    assert err.file == "svc/khorsyio.yaml"
    if key:
        assert err.key == key
    assert err.line == line, str(err)
    assert expected in err.detail, str(err)
    assert str(err).startswith(f"svc/khorsyio.yaml:{line}: {err.key}: ")


@pytest.mark.parametrize(
    "path", ["/loans/{id:int}", "/k/{key:uuid}", "/f/{rest:path}", "/u/{name:str}", "/a-b.c~d"]
)
def test_route_paths_accept_the_documented_syntax(path: str) -> None:
    spec, _ = load_spec_text(_route("", path=path))
    assert spec.domains["user"].routes[0].path == path


def test_bounds_the_runtime_accepts_load() -> None:
    spec, _ = load_spec_text(
        _handler("timeout: 86400\nconcurrency: 1000000\nretry: {attempts: 10000, backoff: 0}")
    )
    h = spec.domains["user"].handlers["A"]
    assert h.retry is not None
    from khorsyio import RetryPolicy

    RetryPolicy(
        attempts=h.retry.attempts,
        backoff=h.retry.backoff,
        multiplier=h.retry.multiplier,
        max_backoff=h.retry.max_backoff,
    )


def test_an_alias_bomb_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    t0 = time.perf_counter()
    with pytest.raises(SpecError) as info:
        load_spec_text("\n".join(lines) + "\n")
    assert time.perf_counter() - t0 < 5  # a billion values, if expanded
    assert "alias bomb" in str(info.value)
    assert str(info.value).startswith("khorsyio.yaml:2: ")


@pytest.mark.parametrize(
    ("text", "words"),
    [("a: &a [*a]\n", "contains it"), ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested more")],
)
def test_recursive_or_deep_yaml_is_refused(text: str, words: str) -> None:
    with pytest.raises(SpecError, match=words):
        load_spec_text(text)


def test_aliases_within_reason_still_load() -> None:
    spec, _ = load_spec_text(
        "domains:\n  user:\n    handlers:\n"
        "      A: {on: a, input: X, retry: &r {attempts: 5}}\n"
        "      B: {on: b, input: X, retry: *r}\n"
    )
    retries = [h.retry for h in spec.domains["user"].handlers.values()]
    assert [r.attempts for r in retries if r is not None] == [5, 5]
