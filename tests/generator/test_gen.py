"""``khorsyio gen``: the files it writes, idempotence, --check/--diff/--dry-run, ruff-clean
output, atomic writes, unparsable handler modules, AGENTS.md, --prune."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from khorsyio_gen import gen as gen_module
from khorsyio_gen.fmt import RUFF_CONFIG, ruff_bin

from .conftest import edit, snapshot

EXPECTED = {
    "AGENTS.md",
    "app/_generated/__init__.py",
    "app/_generated/domains/__init__.py",
    "app/_generated/domains/user.py",
    "app/_generated/handlers.py",
    "app/_generated/manifest.json",
    "app/_generated/registry.py",
    "app/_generated/routes/__init__.py",
    "app/_generated/routes/user.py",
    "app/_generated/samples.py",
    "app/_generated/services.py",
    "app/domains/__init__.py",
    "app/domains/user/__init__.py",
    "app/domains/user/handlers/__init__.py",
    "app/domains/user/handlers/create_user.py",
    "app/domains/user/handlers/send_welcome.py",
    "tests/__init__.py",
    "tests/user/__init__.py",
    "tests/user/test_create_user.py",
    "tests/user/test_send_welcome.py",
}


def ruff_clean(root: Path) -> None:
    ruff = ruff_bin()
    for args in (["check"], ["format", "--check"]):
        proc = subprocess.run(
            [ruff, *args, "--config", str(RUFF_CONFIG), "--no-cache", str(root)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_gen_writes_the_project_files(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    before = set(snapshot(project))
    r = cli(project, "gen")
    assert r.code == 0, r.err
    assert set(snapshot(project)) - before == EXPECTED
    handler = (project / "app/domains/user/handlers/create_user.py").read_text()
    assert "class CreateUser(Handler[UserIn, UserOut]):" in handler
    assert "raise NotImplementedError(" in handler
    assert 'subscribes_to = "user.create"' in handler
    assert "retry = RetryPolicy(attempts=3, backoff=0.1)" in handler
    assert "def __init__(self, db: Database, mailer: Mailer) -> None:" in handler
    assert "async def process(self, data: UserIn, ctx: Context) -> UserOut:" in handler
    # the docstring tells an LLM what it needs
    for words in (
        "name: str",
        "age: int = 0",
        "self._mailer: Mailer (from app.services.mailer)",
        "async send(to: str, body: str) -> None",
        "route POST /users publishes user.create",
        "user.created → SendWelcome (user)",
        "python -m pytest tests/user/test_create_user.py",
    ):
        assert words in handler, words
    registry = (project / "app/_generated/handlers.py").read_text()
    assert "return CreateUser(db=app.db, mailer=services.mailer)" in registry
    routes = (project / "app/_generated/routes/user.py").read_text()
    assert "BusRoute(" in routes
    assert 'event="user.create"' in routes
    assert "status=201" in routes
    ruff_clean(project)


def test_gen_twice_changes_nothing(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    first = snapshot(project)
    r = cli(project, "gen")
    assert r.code == 0
    assert r.out.startswith("nothing to do: ")
    assert snapshot(project) == first
    assert cli(project, "gen", "--check").code == 0


def test_output_is_deterministic(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from .conftest import write_project

    a, b = write_project(tmp_path / "a"), write_project(tmp_path / "b")
    assert cli(a, "gen").code == 0
    assert cli(b, "gen").code == 0
    assert snapshot(a) == snapshot(b)


def test_check_lists_stale_files_and_exits_1(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli(project, "gen", "--check")
    assert r.code == 1
    assert "stale: app/_generated/registry.py" in r.out
    assert not (project / "app/_generated").exists()
    assert cli(project, "gen").code == 0
    edit(project / "khorsyio.yaml", "timeout: 5", "timeout: 9")
    r = cli(project, "gen", "--check")
    assert r.code == 1
    assert r.out.splitlines() == [
        "stale: app/_generated/manifest.json",
        "stale: app/domains/user/handlers/create_user.py",
    ]
    (project / "app/_generated/registry.py").write_text("# edited\n")
    assert "stale: app/_generated/registry.py" in cli(project, "gen", "--check").out


def test_diff_and_dry_run_write_nothing(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    edit(project / "khorsyio.yaml", "timeout: 5", "timeout: 9")
    before = snapshot(project)
    r = cli(project, "gen", "--diff")
    assert r.code == 0
    assert "-    timeout = 5.0\n+    timeout = 9.0" in r.out
    assert "+++ b/app/domains/user/handlers/create_user.py" in r.out
    r = cli(project, "gen", "--dry-run")
    assert "write app/domains/user/handlers/create_user.py" in r.out
    assert snapshot(project) == before


def test_unparsable_handler_is_left_untouched(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    path = project / "app/domains/user/handlers/create_user.py"
    broken = path.read_text().replace("raise NotImplementedError(", "return (((")
    path.write_text(broken)
    edit(project / "khorsyio.yaml", "timeout: 5", "timeout: 9")
    r = cli(project, "gen")
    assert r.code == 1
    assert "app/domains/user/handlers/create_user.py:" in r.err
    assert "does not parse" in r.err
    assert "left untouched" in r.err
    assert "Traceback" not in r.err
    assert path.read_text() == broken
    # the rest of the project follows the spec; --check still fails on the broken module
    r = cli(project, "gen", "--check")
    assert r.code == 1
    assert "stale:" not in r.out
    assert "does not parse" in r.err
    path.write_text(broken.replace("return (((", "raise NotImplementedError("))
    assert cli(project, "gen").code == 0
    assert "timeout = 9.0" in path.read_text()


def test_interrupted_write_leaves_no_half_file(  # type: ignore[no-untyped-def]
    project: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli(project, "gen").code == 0
    edit(project / "khorsyio.yaml", "timeout: 5", "timeout: 9")
    path = project / "app/domains/user/handlers/create_user.py"
    before = path.read_text()

    def boom(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(KeyboardInterrupt):
        gen_module.apply(gen_module.generate(project))
    monkeypatch.undo()
    assert path.read_text() == before
    leftovers = list(project.rglob("*.tmp"))
    assert leftovers == []
    assert cli(project, "gen").code == 0
    assert "timeout = 9.0" in path.read_text()


def test_agents_md_block_is_managed(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (project / "AGENTS.md").write_text("# Our agents\n\nKeep this text.\n")
    assert cli(project, "gen").code == 0
    text = (project / "AGENTS.md").read_text()
    assert text.startswith("# Our agents\n\nKeep this text.\n")
    assert "<!-- khorsyio:begin" in text
    assert "<!-- khorsyio:end -->" in text
    assert "`CreateUser` (user.create → user.created)" in text
    assert "khorsyio task CreateUser" in text
    assert "python -m pytest tests/user/test_create_user.py" in text
    (project / "AGENTS.md").write_text(text + "\nAfter the block.\n")
    path = project / "app/domains/user/handlers/create_user.py"
    edit(
        path,
        """raise NotImplementedError(
            "CreateUser.process is not implemented yet: run `khorsyio task CreateUser`"
        )""",
        "return UserOut(id=1, name=data.name)",
    )
    assert cli(project, "gen").code == 0
    text = (project / "AGENTS.md").read_text()
    assert "`CreateUser`" not in text
    assert "`SendWelcome`" in text
    assert text.endswith("\nAfter the block.\n")
    assert text.count("<!-- khorsyio:begin") == 1


def test_agents_md_created_when_missing(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    assert (project / "AGENTS.md").read_text().startswith("# AGENTS.md")


def test_removed_handler_is_reported_and_pruned_only_when_unedited(  # type: ignore[no-untyped-def]
    project: Path, cli
) -> None:
    assert cli(project, "gen").code == 0
    spec = project / "khorsyio.yaml"
    text = spec.read_text()
    start = text.index("      SendWelcome:")
    end = text.index("    routes:")
    spec.write_text(text[:start] + text[end:])
    edit(spec, "deps: [db, mailer]", "deps: [db]")
    r = cli(project, "gen")
    assert r.code == 0
    assert "handler SendWelcome (id send-welcome) is no longer in khorsyio.yaml" in r.out
    assert (project / "app/domains/user/handlers/send_welcome.py").exists()
    assert "no longer in khorsyio.yaml" in cli(project, "gen").out  # still reported
    # an edited module survives --prune; the unedited test goes
    edit(project / "app/domains/user/handlers/send_welcome.py", "Answer", "Answers")
    r = cli(project, "gen", "--prune")
    assert r.code == 0
    assert "pruned tests/user/test_send_welcome.py" in r.out
    assert not (project / "tests/user/test_send_welcome.py").exists()
    assert (project / "app/domains/user/handlers/send_welcome.py").exists()
    edit(project / "app/domains/user/handlers/send_welcome.py", "Answers", "Answer")
    r = cli(project, "gen", "--prune")
    assert "pruned app/domains/user/handlers/send_welcome.py" in r.out
    assert not (project / "app/domains/user/handlers/send_welcome.py").exists()
    assert cli(project, "gen").out.startswith("nothing to do: ")


def test_removed_domain_drops_its_generated_modules(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    edit(project / "khorsyio.yaml", "  user:\n", "  account:\n")
    r = cli(project, "gen")
    assert r.code == 0
    assert not (project / "app/_generated/domains/user.py").exists()
    assert (project / "app/_generated/domains/account.py").exists()
    assert (project / "app/domains/account/handlers/create_user.py").exists()
    assert not (project / "app/domains/user/handlers/create_user.py").exists()


def test_spec_errors_stop_gen_without_writing(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    edit(project / "khorsyio.yaml", "input: UserIn", "input: Nope")
    r = cli(project, "gen")
    assert r.code == 1
    assert "unknown contract 'Nope'" in r.err
    assert not (project / "app/_generated").exists()


def test_written_files_keep_their_mode_and_new_ones_follow_the_umask(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    import os
    import stat

    spec = project / "khorsyio.yaml"
    spec.chmod(0o644)
    old = os.umask(0o022)
    try:
        assert cli(project, "gen").code == 0
        assert (
            cli(
                project,
                "gen",
                "handler",
                "Zed",
                "--domain",
                "user",
                "--on",
                "user.created",
                "--input",
                "UserOut",
            ).code
            == 0
        )
    finally:
        os.umask(old)
    for rel in ("khorsyio.yaml", "app/domains/user/handlers/zed.py", "app/_generated/registry.py"):
        assert stat.S_IMODE((project / rel).stat().st_mode) == 0o644, rel
