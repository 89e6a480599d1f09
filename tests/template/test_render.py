"""Straight after `copier copy`, every supported combination lints, checks and passes its tests."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from .conftest import REPO, ok, render, run, serve

COMBINATIONS = [
    pytest.param({"database": "sqlite", "include_example": True}, id="sqlite-memory-example"),
    pytest.param({"database": "sqlite", "include_example": False}, id="sqlite-memory-empty"),
    pytest.param(
        {"database": "postgresql", "include_example": True}, id="postgresql-memory-example"
    ),
    pytest.param(
        {"database": "postgresql", "include_example": False, "server": "granian"},
        id="postgresql-memory-empty-granian",
    ),
]


@pytest.mark.parametrize("answers", COMBINATIONS)
def test_a_rendered_project_is_green(
    tmp_path: Path, answers: dict[str, object], request: pytest.FixtureRequest
) -> None:
    project = render(tmp_path / "svc", project_name="Shop API", **answers)
    env = {}
    if answers["database"] == "postgresql":
        env["TEST_DB_DSN"] = request.getfixturevalue("pg_database")
    ok(run(project, "git", "init", "-q"))
    ok(run(project, "ruff", "check", "."))
    ok(run(project, "ruff", "format", "--check", "."))
    ok(run(project, "mypy"))
    assert "the graph is consistent" in ok(run(project, "khorsyio", "check"))
    ok(run(project, "khorsyio", "gen", "--check"))
    assert "all handlers filled and tested" in ok(run(project, "khorsyio", "status"))
    tests = ok(run(project, "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", env=env))
    expected = 21 if answers["include_example"] else 6
    assert f"{expected} passed" in tests


def test_the_answers_shape_the_project(tmp_path: Path) -> None:
    project = render(
        tmp_path / "svc",
        project_name="Shop API",
        database="postgresql",
        server="granian",
        python_version="3.12",
    )
    pyproject = (project / "pyproject.toml").read_text()
    assert 'name = "shop_api"' in pyproject
    assert '"khorsyio[postgres,granian,metrics]==' in pyproject
    assert 'requires-python = ">=3.12"' in pyproject
    assert 'target-version = "py312"' in pyproject
    env = (project / ".env").read_text()
    assert "DB_DSN=postgresql://postgres@127.0.0.1:5432/shop_api" in env
    assert "SERVER_SERVER=granian" in env
    assert (project / ".env.example").read_text().replace("Settings of", "") != ""
    assert 'python-version: "3.12"' in (project / ".github/workflows/ci.yml").read_text()
    answers = (project / ".copier-answers.yml").read_text()
    assert "package_name: shop_api" in answers


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"package_name": "1abc"}, "not a valid lower-case Python identifier"),
        ({"package_name": "My-Service"}, "not a valid lower-case Python identifier"),
        ({"package_name": "app"}, "not a valid lower-case Python identifier"),
        ({"project_name": "  "}, "The project name cannot be empty"),
    ],
)
def test_bad_answers_are_refused(tmp_path: Path, answers: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render(tmp_path / "svc", **answers)
    assert not (tmp_path / "svc" / "pyproject.toml").exists()


def test_migrations_match_the_models(tmp_path: Path) -> None:
    project = render(tmp_path / "svc")
    env = {"DB_DSN": f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"}
    ok(run(project, "alembic", "upgrade", "head", env=env))
    assert "No new upgrade operations detected" in ok(run(project, "alembic", "check", env=env))


@pytest.mark.parametrize("example", [True, False], ids=["example", "empty"])
def test_every_project_ships_the_dead_letter_migration(tmp_path: Path, example: bool) -> None:
    project = render(tmp_path / "svc", include_example=example)
    versions = sorted(p.name for p in (project / "migrations" / "versions").glob("*.py"))
    expected = ["0000_khorsyio_dead_letters.py"] + (["0001_users.py"] if example else [])
    assert versions == expected
    db = tmp_path / "m.db"
    env = {"DB_DSN": f"sqlite+aiosqlite:///{db}"}
    ok(run(project, "alembic", "upgrade", "head", env=env))
    assert "No new upgrade operations detected" in ok(run(project, "alembic", "check", env=env))
    # the app starts on the migrated database and keeps its dead letters there
    code = (
        "import asyncio\n"
        "from app.main import create_app\n"
        "async def main():\n"
        "    app = create_app()\n"
        "    await app.startup()\n"
        "    print(type(app.bus.dead_letters).__name__, await app.bus.dead_letters.count())\n"
        "    await app.shutdown()\n"
        "asyncio.run(main())\n"
    )
    assert ok(run(project, "python", "-c", code, env=env)).split() == ["DatabaseDeadLetters", "0"]


def test_a_project_pins_the_khorsyio_it_is_made_with(tmp_path: Path) -> None:
    import khorsyio
    import khorsyio_gen

    assert khorsyio.__version__ == khorsyio_gen.__version__
    project = render(tmp_path / "svc")  # copier.yml's default khorsyio_version: the same
    pyproject = (project / "pyproject.toml").read_text()
    assert f'"khorsyio[metrics]=={khorsyio.__version__}",' in pyproject  # /metrics served
    assert f'"khorsyio-gen=={khorsyio.__version__}",' in pyproject


def test_the_template_is_in_step_with_the_generator() -> None:
    result = run(REPO, "python", str(REPO / "scripts" / "sync_template.py"), "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rendered_app_serves_health_openapi_and_the_chain(tmp_path: Path) -> None:
    """`make run` without make: migrate, then `python -m app` on 127.0.0.1."""
    project = render(tmp_path / "svc", project_name='Shop "API"', package_name="shop")
    log = tmp_path / "server.log"
    with serve(project, tmp_path / "run.db", {"LOG_FORMAT": "json"}) as base:  # over .env's kv
        assert httpx.get(f"{base}/health").json() == {"status": "ok"}
        spec = httpx.get(f"{base}/openapi.json").json()
        assert {"/users", "/health"} <= set(spec["paths"])
        assert spec["info"]["title"] == 'Shop "API"'  # the project's name, from .env
        created = httpx.post(f"{base}/users", json={"name": "Ada", "email": "ada@x.io"})
        assert created.status_code == 201
        assert created.json()["name"] == "Ada"
        listed = httpx.get(f"{base}/users", params={"name__icontains": "ad"}).json()
        assert [u["email"] for u in listed["items"]] == ["ada@x.io"]
        # issue 15: what a web page may post cross-site without a preflight is not JSON
        evil = httpx.post(
            f"{base}/users",
            content=b'{"name": "Eve", "email": "eve@x.io"}',
            headers={"content-type": "text/plain", "origin": "http://evil.example"},
        )
        assert (evil.status_code, evil.json()["code"]) == (415, "unsupported_media_type")
        # a 20 KB search is refused by the contract (422), not a 500 from SQLite
        huge = httpx.get(f"{base}/users", params={"name__icontains": "a%" * 10_000})
        assert (huge.status_code, huge.json()["code"]) == (422, "validation")
        listed = httpx.get(f"{base}/users").json()
        assert [u["email"] for u in listed["items"]] == ["ada@x.io"]
        ready = httpx.get(f"{base}/ready")
        assert ready.json() == {"status": "ready", "checks": {"db": "ok", "bus": "ok"}}
        metrics = httpx.get(f"{base}/metrics").text
        assert 'khorsyio_http_requests_total{method="POST",route="/users",status="201"} 1.0' in (
            metrics
        )
    out = log.read_text()
    # logs as LOG_FORMAT says: one JSON object a line (uvicorn's own lines keep their format)
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert {"logger": "khorsyio.app", "level": "INFO", "message": "app started"} in [
        {k: r[k] for k in ("logger", "level", "message")} for r in records
    ], out
