"""Member-level regeneration: after each graph change of the issue, everything a person
wrote stays byte-identical while the wiring follows the graph."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from khorsyio_gen.testsync import STALE_TEST

from .conftest import edit, snapshot
from .regen_helpers import ABSENT, CHANGES, EXPECT, apply_change, module_path, personalize
from .test_gen import ruff_clean

HANDLER = "app/domains/user/handlers/create_user.py"


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_change_keeps_every_user_line(project: Path, cli, change: str) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    keep = personalize(project / HANDLER)
    ruff_clean(project)  # the person's edits are ruff-clean, so gen may format
    apply_change(project / "khorsyio.yaml", change)
    r = cli(project, "gen")
    assert r.code == 0, r.err
    path = project / module_path(change)
    text = path.read_text()
    ast.parse(text)
    for snippet in keep:
        assert snippet in text, f"{change}: lost {snippet!r}\n{text}"
    for snippet in EXPECT[change]:
        assert snippet in text, f"{change}: wiring {snippet!r} missing\n{text}"
    for snippet in ABSENT.get(change, []):
        assert snippet not in text.split("class ")[0] + text.split('"""')[-1], (change, snippet)
    if module_path(change) != HANDLER:
        assert not (project / HANDLER).exists()
    ruff_clean(project)
    assert cli(project, "check").code == 0
    again = snapshot(project)
    *notes, last = cli(project, "gen").out.splitlines()
    assert last.startswith("nothing to do: ")
    assert all(STALE_TEST in n for n in notes), notes  # a changed contract: the test is stale
    assert snapshot(project) == again


def test_rename_moves_the_test_and_follows_the_name(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    test = project / "tests/user/test_create_user.py"
    edit(test, "    assert isinstance", "    # my assertion follows\n    assert isinstance")
    apply_change(project / "khorsyio.yaml", "rename_handler")
    r = cli(project, "gen")
    assert "moved tests/user/test_create_user.py -> tests/user/test_register_user.py" in r.out
    assert not test.exists()
    moved = (project / "tests/user/test_register_user.py").read_text()
    assert "from app.domains.user.handlers.register_user import RegisterUser" in moved
    assert "run_handler(app, RegisterUser, samples.register_user_input())" in moved
    assert "samples.register_user_input()" in moved
    assert "# my assertion follows" in moved


def test_renamed_parameters_are_kept(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    path = project / HANDLER
    edit(
        path,
        "process(self, data: UserIn, ctx: Context)",
        "process(self, payload: UserIn, context: Context)",
    )
    edit(
        project / "khorsyio.yaml",
        "input: UserIn\n        output",
        "input: UserCreated\n        output",
    )
    edit(project / "khorsyio.yaml", "body: UserIn", "body: UserCreated")
    assert cli(project, "gen").code == 0
    assert "process(self, payload: UserCreated, context: Context) -> UserOut:" in path.read_text()


def test_edited_docstring_is_kept_unedited_one_follows(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    edit(project / "khorsyio.yaml", "deps: [db, mailer]", "deps: [db]")
    assert cli(project, "gen").code == 0
    text = (project / HANDLER).read_text()
    assert "self._mailer: Mailer" not in text  # the generator's docstring follows the graph
    edit(project / HANDLER, "Answer ``user.create``", "Answers ``user.create``")
    edit(project / "khorsyio.yaml", "deps: [db]", "deps: [db, mailer]")
    assert cli(project, "gen").code == 0
    text = (project / HANDLER).read_text()
    assert "Answers ``user.create``" in text
    assert "self._mailer: Mailer" not in text  # a person's docstring is theirs
    assert "def __init__(self, db: Database, mailer: Mailer) -> None:" in text


def test_user_import_of_a_generator_name_is_never_removed(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    path = project / HANDLER
    edit(
        path,
        "from app.services.mailer import Mailer\n",
        "from app.services.mailer import Mailer\nfrom app.contracts.users import UserCreated\n",
    )
    edit(
        path,
        "        raise NotImplementedError(",
        "        _ = UserCreated\n        raise NotImplementedError(",
    )
    edit(project / "khorsyio.yaml", "deps: [db, mailer]", "deps: [db]")
    edit(project / "khorsyio.yaml", "deps: [mailer]", "deps: []")
    assert cli(project, "gen").code == 0
    text = path.read_text()
    assert "UserCreated" in text.split("class")[0]
    assert "Mailer" not in text.split("class")[0]


def test_stub_body_follows_a_rename(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    apply_change(project / "khorsyio.yaml", "rename_handler")
    assert cli(project, "gen").code == 0
    text = (project / "app/domains/user/handlers/register_user.py").read_text()
    assert "RegisterUser.process is not implemented yet" in text


def test_unformatted_user_code_is_never_reformatted(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    path = project / HANDLER
    edit(
        path,
        "        raise NotImplementedError(",
        "        x=[1,2 ,3]  # mine\n        raise NotImplementedError(",
    )
    edit(project / "khorsyio.yaml", "timeout: 5", "timeout: 6")
    edit(project / "khorsyio.yaml", "deps: [db, mailer]", "deps: [db, mailer, client]")
    assert cli(project, "gen").code == 0
    text = path.read_text()
    assert "        x=[1,2 ,3]  # mine\n" in text
    assert "    timeout = 6.0\n" in text
    assert "from khorsyio import Context, Database, Handler, HttpClient, RetryPolicy\n" in text


def test_renaming_onto_a_removed_handlers_file_is_refused(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    welcome = project / "app/domains/user/handlers/send_welcome.py"
    before = welcome.read_text()
    spec = project / "khorsyio.yaml"
    text = spec.read_text()
    start = text.index("      SendWelcome:")
    end = text.index("    routes:")
    text = text[:start] + text[end:]  # SendWelcome leaves the spec
    text = text.replace("      CreateUser:", "      SendWelcome:")  # CreateUser takes its name
    spec.write_text(text + "terminal: [user.created]\n")
    r = cli(project, "gen")
    assert r.code == 1
    assert "holds handler SendWelcome (id send-welcome) (removed from the spec)" in r.err
    assert welcome.read_text() == before  # nothing was wired to the wrong body


def test_swapping_two_handler_names_keeps_each_body_with_its_id(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    create = project / "app/domains/user/handlers/create_user.py"
    welcome = project / "app/domains/user/handlers/send_welcome.py"
    create.write_text(
        create.read_text().replace(
            "raise NotImplementedError(", "x = 'create body'\n        raise NotImplementedError(", 1
        )
    )
    welcome.write_text(
        welcome.read_text().replace(
            "raise NotImplementedError(",
            "x = 'welcome body'\n        raise NotImplementedError(",
            1,
        )
    )
    spec = project / "khorsyio.yaml"
    text = (
        spec.read_text()
        .replace("      CreateUser:", "      TMP:")
        .replace("      SendWelcome:", "      CreateUser:")
        .replace("      TMP:", "      SendWelcome:")
    )
    spec.write_text(text)
    assert cli(project, "gen").code == 0
    # id create-user is now called SendWelcome and lives in send_welcome.py, with its body
    assert "x = 'create body'" in welcome.read_text()
    assert 'subscribes_to = "user.create"' in welcome.read_text()
    assert "x = 'welcome body'" in create.read_text()
    assert 'subscribes_to = "user.created"' in create.read_text()
