"""`khorsyio new` from the installed wheel, and template updates that never touch user code."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from .conftest import BIN, REPO, ok, run


def uv() -> str:
    """The virtualenv's uv (scripts/bootstrap.sh installs it there, whatever PATH holds)."""
    found = BIN / "uv"
    assert found.exists(), "uv is needed in the virtualenv (scripts/bootstrap.sh installs it)"
    return str(found)


def test_khorsyio_new_works_from_the_wheel_without_the_checkout(tmp_path: Path) -> None:
    ok(run(REPO, uv(), "build", "--wheel", "--out-dir", str(tmp_path / "dist"), "generator"))
    [wheel] = (tmp_path / "dist").glob("khorsyio_gen-*.whl")
    venv = tmp_path / "venv"
    ok(run(tmp_path, uv(), "venv", "--quiet", "--python", sys.executable, str(venv)))
    py = str(venv / "bin" / "python")
    ok(
        run(
            tmp_path,
            uv(),
            "pip",
            "install",
            "--quiet",
            "--python",
            py,
            str(REPO / "runtime"),
            str(wheel),
        )
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    khorsyio = str(venv / "bin" / "khorsyio")
    ok(run(elsewhere, khorsyio, "new", "svc", "--defaults", "-d", "project_name=Wheel Demo"))
    project = elsewhere / "svc"
    answers = (project / ".copier-answers.yml").read_text()
    assert "site-packages" in answers  # rendered from the wheel, not from the repository
    assert str(REPO) not in answers
    assert (project / "app/domains/users/handlers/create_user.py").is_file()
    ok(run(project, khorsyio, "gen", "--check"))
    assert git(project, "status", "--porcelain") == ""  # new made the first commit
    assert "khorsyio_gen-" in git(project, "ls-files", "wheels")


def git(cwd: Path, *args: str) -> str:
    return ok(run(cwd, "git", "-c", "user.name=t", "-c", "user.email=t@t", *args))


def template_repo(tmp_path: Path) -> Path:
    """This repository's template as a git repository of its own, tagged v1."""
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    shutil.copy(REPO / "copier.yml", tpl / "copier.yml")
    shutil.copytree(REPO / "template", tpl / "template")
    git(tpl, "init", "-q")
    git(tpl, "add", "-A")
    git(tpl, "commit", "-qm", "v1")
    git(tpl, "tag", "v1")
    return tpl


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def user_files(project: Path) -> dict[str, bytes]:
    keep = ("app/", "tests/", "khorsyio.yaml", "migrations/versions/")
    return {
        str(p.relative_to(project)): p.read_bytes()
        for p in sorted(project.rglob("*"))
        if p.is_file()
        and str(p.relative_to(project)).startswith(keep)
        and "__pycache__" not in p.parts
        and not str(p.relative_to(project)).startswith("app/_generated/")
    }


@pytest.fixture
def project_v1(tmp_path: Path) -> tuple[Path, Path]:
    """A project made from template v1, its handlers filled and its graph changed."""
    tpl = template_repo(tmp_path)
    project = tmp_path / "svc"
    ok(
        run(
            tmp_path,
            str(BIN / "khorsyio"),
            "new",
            str(project),
            "--defaults",
            "--src",
            str(tpl),
            "--vcs-ref",
            "v1",
        )
    )
    assert git(project, "log", "--format=%s") == "New project from the khorsyio template\n"
    # the person's work: a process body, a helper, a graph change, regenerated
    edit(
        project / "app/domains/users/handlers/send_welcome.py",
        '        await self._mailer.send(data.email, f"Welcome, {data.name}!")\n',
        "        await self._mailer.send(data.email, greeting(data.name))  # mine\n",
    )
    with (project / "app/domains/users/handlers/send_welcome.py").open("a") as f:
        f.write('\n\ndef greeting(name: str) -> str:\n    return f"Welcome aboard, {name}!"\n')
    edit(project / "tests/users/test_send_welcome.py", "Welcome, Ada!", "Welcome aboard, Ada!")
    edit(project / "khorsyio.yaml", "interval: 60", "interval: 30")
    edit(project / "khorsyio.yaml", "timeout: 5\n", "timeout: 7\n")
    ok(run(project, str(BIN / "khorsyio"), "gen"))
    git(project, "add", "-A")
    git(project, "commit", "-qm", "my work")
    return tpl, project


def release_v2(tpl: Path) -> None:
    """Template v2 changes scaffold files and, on purpose, files the template must not touch."""
    t = tpl / "template"
    edit(
        t / "Makefile.jinja",
        ".PHONY: setup",
        "doctor:  ## a new target of v2\n\t@echo ok\n\n.PHONY: setup",
    )
    edit(t / "README.md.jinja", "## Commands", "## Commands (v2)")
    edit(
        t / "AGENTS.md.jinja",
        "Commands (from the project root",
        "Commands (v2, from the project root",
    )
    edit(t / "pyproject.toml.jinja", '  "mypy>=1.11",', '  "mypy>=1.11",\n  "pytest-timeout>=2.3",')
    handler = next(t.glob("app/domains/*users*/handlers/send_welcome.py"))
    edit(handler, "Welcome, {data.name}!", "Hello from v2, {data.name}!")
    edit(t / "khorsyio.yaml.jinja", "interval: 60", "interval: 5")
    test = next(t.glob("tests/*users*/test_send_welcome.py"))
    edit(test, "Welcome, Ada!", "Hello from v2, Ada!")
    git(tpl, "commit", "-qam", "v2")
    git(tpl, "tag", "v2")


def test_update_keeps_every_user_line_and_takes_the_scaffold(project_v1: tuple[Path, Path]) -> None:
    tpl, project = project_v1
    before = user_files(project)
    release_v2(tpl)
    result = run(project, str(BIN / "khorsyio"), "update")
    assert result.returncode == 0, result.stdout + result.stderr
    assert user_files(project) == before  # byte-identical: handlers, tests, graph, contracts
    assert "doctor:" in (project / "Makefile").read_text()
    assert "## Commands (v2)" in (project / "README.md").read_text()
    agents = (project / "AGENTS.md").read_text()
    assert "Commands (v2, from the project root" in agents
    assert "<!-- khorsyio:begin" in agents  # the managed block survives
    assert "pytest-timeout" in (project / "pyproject.toml").read_text()
    assert "_commit: v2" in (project / ".copier-answers.yml").read_text()
    for path in project.rglob("*.py"):
        assert "<<<<<<<" not in path.read_text(), path
    ok(run(project, str(BIN / "khorsyio"), "gen", "--check"))
    tests = ok(run(project, str(BIN / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"))
    assert "passed" in tests


def test_a_conflict_fails_the_update_and_names_the_file(project_v1: tuple[Path, Path]) -> None:
    tpl, project = project_v1
    edit(project / "Makefile", "test:  ## the project's tests", "test:  ## my own description")
    git(project, "commit", "-qam", "my Makefile")
    edit(
        tpl / "template/Makefile.jinja",
        "test:  ## the project's tests",
        "test:  ## v2's description",
    )
    git(tpl, "commit", "-qam", "v2")
    git(tpl, "tag", "v2")
    result = run(project, str(BIN / "khorsyio"), "update")
    assert result.returncode == 1
    assert "the update left conflicts to resolve in:" in result.stderr
    assert "  Makefile" in result.stderr
    for path in (project / "app").rglob("*.py"):
        assert "<<<<<<<" not in path.read_text(), path


def test_update_refuses_a_dirty_project(project_v1: tuple[Path, Path]) -> None:
    _, project = project_v1
    (project / "README.md").write_text("changed\n")
    result = run(project, str(BIN / "khorsyio"), "update")
    assert result.returncode == 1
    assert "uncommitted changes" in result.stderr
