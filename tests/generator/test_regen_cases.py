"""Golden before/after cases of issue 11: a person's line survives each graph change, or gen
refuses, names the file and line, and writes nothing.

``golden/regen/<case>.before`` is the handler module as the person left it, ``.after`` what
gen makes of it (set KHORSYIO_UPDATE_GOLDEN=1 to rewrite them after an intended change).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from khorsyio_gen.render.handler import WIRING_MARKER

from .conftest import edit, snapshot

GOLDEN = Path(__file__).with_name("golden") / "regen"
CREATE = "app/domains/user/handlers/create_user.py"
WELCOME = "app/domains/user/handlers/send_welcome.py"

# case -> (module, edits of the module, edits of khorsyio.yaml)
CASES: dict[str, tuple[str, list[tuple[str, str]], list[tuple[str, str]]]] = {
    "noop_keeps_comments_on_init_lines": (
        CREATE,
        [
            (
                "        self._db = db\n",
                "        # the database, injected\n        self._db = db  # kept\n",
            )
        ],
        [],
    ),
    "removed_timeout_keeps_the_comment_above": (
        CREATE,
        [("    timeout = 5.0\n", "    # five seconds: the SLA\n    timeout = 5.0  # measured\n")],
        [("        timeout: 5\n", "")],
    ),
    "removed_retry_keeps_the_comment_above": (
        CREATE,
        [("    retry = RetryPolicy", "    # the mailer flakes\n    retry = RetryPolicy")],
        [("        retry: {attempts: 3, backoff: 0.1}\n", "")],
    ),
    "extra_init_parameter_with_default_stays": (
        WELCOME,
        [
            (
                "def __init__(self, mailer: Mailer) -> None:\n        self._mailer = mailer\n",
                'def __init__(self, mailer: Mailer, prefix: str = "Dear") -> None:\n'
                "        self._mailer = mailer\n        self._prefix = prefix\n",
            ),
            (
                "raise NotImplementedError(",
                "print(self._prefix)\n        raise NotImplementedError(",
            ),
        ],
        [("        deps: [mailer]\n", "        deps: [mailer, client]\n")],
    ),
    "deleted_wiring_marker_stays_deleted": (  # like an edited docstring: the person's call
        CREATE,
        [(f"    {WIRING_MARKER}\n", "")],
        [("timeout: 5", "timeout: 7")],
    ),
    "explicit_input_type_stays": (
        CREATE,
        [
            (
                '    publishes = "user.created"\n',
                '    publishes = "user.created"\n    input_type = UserIn\n',
            )
        ],
        [("timeout: 5", "timeout: 7")],
    ),
}


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("KHORSYIO_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_case(project: Path, cli, case: str) -> None:  # type: ignore[no-untyped-def]
    rel, edits, spec_edits = CASES[case]
    assert cli(project, "gen").code == 0
    for old, new in edits:
        edit(project / rel, old, new)
    before = (project / rel).read_text()
    _golden(f"{case}.before", before)
    for old, new in spec_edits:
        edit(project / "khorsyio.yaml", old, new)
    r = cli(project, "gen")
    assert r.code == 0, r.err
    after = (project / rel).read_text()
    _golden(f"{case}.after", after)
    kept = [line.strip() for line in after.splitlines()]
    for old, new in edits:  # every line the person wrote is still there (comments included)
        for line in set(new.splitlines()) - set(old.splitlines()):
            if line.strip().startswith("def "):  # gen's signature, holding a person's part
                continue
            if "#" in line:
                assert line[line.index("#") :] in after, line
            else:
                assert line.strip() in kept, line
    if case == "extra_init_parameter_with_default_stays":
        assert 'client: HttpClient, prefix: str = "Dear") -> None:' in after
    assert cli(project, "gen", "--check").code == 0


def test_rename_onto_a_persons_module_is_refused(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    mine = project / "app/domains/user/handlers/register_user.py"
    mine.write_text("def mine() -> int:\n    return 1\n")
    edit(project / "khorsyio.yaml", "      CreateUser:", "      RegisterUser:")
    before = snapshot(project)
    r = cli(project, "gen")
    assert r.code == 1
    assert "register_user.py already exists and is not a handler module gen wrote" in r.err
    assert snapshot(project) == before


def test_a_persons_wiring_attribute_the_spec_now_sets_is_refused(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    edit(
        project / WELCOME,
        '    subscribes_to = "user.created"\n',
        '    subscribes_to = "user.created"\n    timeout = 1.0  # mine\n',
    )
    edit(
        project / "khorsyio.yaml",
        "        deps: [mailer]\n",
        "        deps: [mailer]\n        timeout: 3\n",
    )
    before = snapshot(project)
    r = cli(project, "gen")
    assert r.code == 1
    assert f"{WELCOME}:" in r.err
    assert "is yours (gen did not write it)" in r.err
    assert snapshot(project) == before


def test_latin1_module_with_a_coding_line_stays_latin1(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    path = project / WELCOME
    text = "# -*- coding: latin-1 -*-\n" + path.read_text().replace(
        "raise NotImplementedError(", 'print("déjà")\n        raise NotImplementedError('
    )
    path.write_bytes(text.encode("latin-1"))
    edit(
        project / "khorsyio.yaml",
        "        deps: [mailer]\n",
        "        deps: [mailer]\n        timeout: 3\n",
    )
    diff = cli(project, "gen", "--diff")  # every command reads it in its own encoding
    assert diff.code == 0, diff.err
    assert "+    timeout = 3.0" in diff.out
    assert "-# -*- coding" not in diff.out
    r = cli(project, "gen")
    assert r.code == 0, r.err
    assert "déjà" in cli(project, "task", "SendWelcome").out
    assert "does not parse" not in cli(project, "status").out
    data = path.read_bytes()
    assert 'print("déjà")'.encode("latin-1") in data
    assert b"    timeout = 3.0\n" in data
    assert data.startswith(b"# -*- coding: latin-1 -*-\n")


def test_crlf_module_stays_crlf(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    path = project / CREATE
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    edit_bytes = path.read_bytes()
    edit(project / "khorsyio.yaml", "timeout: 5", "timeout: 6")
    assert cli(project, "gen").code == 0
    data = path.read_bytes()
    assert b"    timeout = 6.0\r\n" in data
    assert data.count(b"\n") == data.count(b"\r\n") == edit_bytes.count(b"\r\n")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'x = "\xe9"\n', "is not valid utf-8"),
        (b"x = 1\r\n", "mixed line endings"),
    ],
)
def test_unreadable_module_is_refused_by_name(
    project: Path, cli, data: bytes, message: str
) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    path = project / CREATE
    path.write_bytes(path.read_bytes() + data)
    before = path.read_bytes()
    r = cli(project, "gen")
    assert r.code == 1
    assert f"{CREATE}" in r.err
    assert message in r.err
    assert "Traceback" not in r.err
    assert path.read_bytes() == before
