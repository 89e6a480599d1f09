"""Handler examples in the OpenAPI document: gen passes them to the routes as RouteExample.

A route shows the examples of the handler answering its event: the input as the request,
the output when that handler publishes the route's reply, and an error the route maps.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from khorsyio_gen.cli import main

from .conftest import CONTRACTS, write_project
from .test_gen import ruff_clean

SPEC = """\
version: 1
domains:
  user:
    handlers:
      CreateUser:
        on: user.create
        emits: user.created
        input: UserIn
        output: UserOut
        examples:
          a new user:
            description: "the first sign-up: \\"ada\\" \\u00d7 2 \\\\ ok"
            input: {name: ada, email: ada@example.org}
            output: {id: 1, name: ada}
          a taken email:
            input: {name: bob, email: ada@example.org}
            error: {code: exists, message: "the email is taken \\u2014 try another"}
          a bad name:
            input: {name: "\\u0430da", email: x@example.org}
            error: bad_name
          nobody:
            input: {name: ghost, email: g@example.org}
            error: not_found
          a long one:
            input: {name: NAME, email: e@example.org}
            output: {id: 2, name: NAME}
      Prepare:
        on: user.invite
        emits: user.prepared
        input: UserIn
        output: UserIn
        examples:
          an invite:
            input: {name: cy, email: cy@example.org}
            output: {name: cy, email: cy@example.org, age: 1}
          refused:
            input: {name: cy, email: bad}
            error: exists
      Invite:
        on: user.prepared
        emits: user.invited
        input: UserIn
        output: UserOut
      RenameUser:
        on: user.rename
        emits: user.renamed
        input: Rename
        output: UserOut
        examples:
          rename:
            input: {id: 7, name: eve}
            output: {id: 7, name: eve}
      SendWelcome:
        on: user.created
        input: UserOut
    routes:
      - method: POST
        path: /users
        event: user.create
        reply: user.created
        body: UserIn
        response: UserOut
        status: 201
        errors: {exists: 409}
      - method: POST
        path: /invites
        event: user.invite
        reply: user.invited
        body: UserIn
        response: UserOut
        errors: {exists: 409}
      - method: PUT
        path: /users/{id:int}/name
        event: user.rename
        reply: user.renamed
        body: Rename
        response: UserOut
terminal: [user.invited, user.renamed]
"""

RENAME = """

class Rename(msgspec.Struct):
    id: int
    name: str
"""

LONG = "a name " * 20
SCRIPT = """\
import json

from app.main import app

print(json.dumps(app.openapi()))
"""


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project, checked and generated once for the module."""
    root = write_project(
        tmp_path_factory.mktemp("examples") / "proj", SPEC.replace("NAME", LONG.strip())
    )
    (root / "app/contracts/users.py").write_text(CONTRACTS + RENAME, encoding="utf-8")
    assert main(["--root", str(root), "check"]) == 0
    assert main(["--root", str(root), "gen"]) == 0
    return root


@pytest.fixture(scope="module")
def doc(root: Path) -> dict[str, Any]:
    """The app's OpenAPI document, built in a process of its own."""
    (root / "dump_openapi.py").write_text(SCRIPT, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "dump_openapi.py"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    document: dict[str, Any] = json.loads(proc.stdout)
    validate(document)
    return document


def _examples(media: dict[str, Any]) -> dict[str, Any]:
    return {name: ex["value"] for name, ex in media.get("examples", {}).items()}


def _responses(op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        status: _examples(r["content"]["application/json"])
        for status, r in op["responses"].items()
        if "examples" in r.get("content", {}).get("application/json", {})
    }


def test_routes_module_carries_the_examples_and_stays_clean(root: Path, tmp_path: Path) -> None:
    text = (root / "app/_generated/routes/user.py").read_text(encoding="utf-8")
    assert "from khorsyio import BusRoute, RouteExample\n" in text
    assert 'error="exists",\n                    message="the email is taken' in text
    assert 'error="bad_name"' not in text  # /users maps no bad_name: the input only
    assert 'error="not_found"' in text  # a default mapping of every bus route
    assert "\\N{MULTIPLICATION SIGN}" in text
    assert 'request={"name": "\\N{CYRILLIC SMALL LETTER A}da", "email"' in text
    assert "\\\\ ok" in text
    ruff_clean(root)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            "app/_generated/routes",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_app_documents_the_examples(doc: dict[str, Any]) -> None:
    users = doc["paths"]["/users"]["post"]
    body = _examples(users["requestBody"]["content"]["application/json"])
    assert list(body) == ["a new user", "a taken email", "a bad name", "nobody", "a long one"]
    assert body["a new user"] == {"name": "ada", "email": "ada@example.org"}
    assert body["a bad name"] == {"name": "\u0430da", "email": "x@example.org"}
    summary = users["requestBody"]["content"]["application/json"]["examples"]["a new user"]
    assert summary["summary"] == 'the first sign-up: "ada" \u00d7 2 \\ ok'
    assert _responses(users) == {
        "201": {
            "a new user": {"id": 1, "name": "ada"},
            "a long one": {"id": 2, "name": LONG.strip()},
        },
        "409": {
            "a taken email": {"error": "the email is taken \u2014 try another", "code": "exists"}
        },
        "404": {"nobody": {"error": "not_found", "code": "not_found"}},
    }


def test_a_chain_shows_the_input_and_errors_but_not_an_inner_output(doc: dict[str, Any]) -> None:
    invites = doc["paths"]["/invites"]["post"]
    body = _examples(invites["requestBody"]["content"]["application/json"])
    assert list(body) == ["an invite", "refused"]
    # Prepare publishes user.prepared, not the reply user.invited: its output is not the answer
    assert _responses(invites) == {"409": {"refused": {"error": "exists", "code": "exists"}}}


def test_path_parameters_are_not_repeated_in_the_body_example(doc: dict[str, Any]) -> None:
    rename = doc["paths"]["/users/{id}/name"]["put"]
    assert rename["parameters"][0]["examples"] == {"rename": {"value": 7}}
    assert _examples(rename["requestBody"]["content"]["application/json"]) == {
        "rename": {"name": "eve"}
    }
    assert _responses(rename) == {"200": {"rename": {"id": 7, "name": "eve"}}}
