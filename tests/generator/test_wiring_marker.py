"""The marker above a handler's wiring attributes: gen writes it once (into new modules and
into old ones without it), never twice, and an edited or deleted marker stays the person's."""

from __future__ import annotations

import json
from pathlib import Path

from khorsyio_gen.manifest import MANIFEST
from khorsyio_gen.render.handler import WIRING_MARKER

from .conftest import edit, snapshot

CREATE = "app/domains/user/handlers/create_user.py"
WELCOME = "app/domains/user/handlers/send_welcome.py"
MARKED = f"\n    {WIRING_MARKER}\n    subscribes_to = "


def _count(root: Path, rel: str = CREATE) -> int:
    return (root / rel).read_text().count(WIRING_MARKER)


def _as_an_older_gen_left_it(root: Path) -> None:
    """Every handler module without the marker, and a manifest that does not record it."""
    for rel in (CREATE, WELCOME):
        edit(root / rel, f"    {WIRING_MARKER}\n", "")
    manifest = json.loads((root / MANIFEST).read_text())
    for entry in manifest["handlers"].values():
        del entry["wiring_marker"]
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def test_a_new_module_has_the_marker_right_above_its_wiring(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    for rel in (CREATE, WELCOME):
        text = (project / rel).read_text()
        assert text.count(WIRING_MARKER) == 1
        assert f'    """\n{MARKED}' in text  # after the docstring and a blank line
    manifest = json.loads((project / MANIFEST).read_text())
    assert all(e["wiring_marker"] for e in manifest["handlers"].values())


def test_an_old_module_gets_the_marker_once(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    fresh = snapshot(project)
    _as_an_older_gen_left_it(project)
    edit(
        project / CREATE,
        '    subscribes_to = "user.create"\n',
        '    # mine\n    subscribes_to = "user.create"\n',
    )
    assert cli(project, "gen", "--check").code == 1
    assert cli(project, "gen").code == 0
    text = (project / CREATE).read_text()
    assert f"    # mine{MARKED}" in text  # below the person's comment, above the wiring
    assert _count(project) == _count(project, WELCOME) == 1
    assert (project / WELCOME).read_text() == fresh[WELCOME]
    assert cli(project, "gen", "--check").code == 0
    again = snapshot(project)
    assert cli(project, "gen").code == 0
    assert snapshot(project) == again


def test_a_module_gen_adopts_keeps_its_marker_or_gets_one(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    edit(project / WELCOME, f"    {WIRING_MARKER}\n", "")
    (project / MANIFEST).unlink()  # modules gen did not write (a template's)
    assert cli(project, "gen").code == 0
    assert _count(project) == _count(project, WELCOME) == 1
    assert MARKED in (project / WELCOME).read_text()


def test_a_deleted_marker_stays_deleted(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    edit(project / CREATE, f"    {WIRING_MARKER}\n", "")
    edit(project / "khorsyio.yaml", "timeout: 5", "timeout: 7")
    assert cli(project, "gen").code == 0
    text = (project / CREATE).read_text()
    assert "timeout = 7.0" in text
    assert WIRING_MARKER not in text
    assert cli(project, "gen", "--check").code == 0


def test_an_edited_marker_is_the_persons_and_gets_no_twin(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    mine = "    # wiring: gen's, from khorsyio.yaml (timeout agreed with ops)\n"
    edit(project / CREATE, f"    {WIRING_MARKER}\n", mine)
    edit(project / "khorsyio.yaml", "timeout: 5", "timeout: 7")
    assert cli(project, "gen").code == 0
    text = (project / CREATE).read_text()
    assert f'{mine}    subscribes_to = "user.create"\n' in text
    assert WIRING_MARKER not in text
    assert "timeout = 7.0" in text


def test_a_reinserted_attribute_does_not_bring_a_second_marker(project: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(project, "gen").code == 0
    edit(project / CREATE, '    subscribes_to = "user.create"\n', "")
    assert cli(project, "gen").code == 0
    text = (project / CREATE).read_text()
    assert _count(project) == 1
    assert 'subscribes_to = "user.create"' in text
