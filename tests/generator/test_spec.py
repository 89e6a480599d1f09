"""The spec model, its JSON Schema, and load errors naming file, key path and line."""

from __future__ import annotations

import json
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
