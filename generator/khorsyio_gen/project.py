"""``khorsyio new`` and ``khorsyio update``: the project template, through copier.

The template (``copier.yml`` + ``template/``) ships inside the khorsyio-gen wheel, so
``khorsyio new`` needs no checkout of the repository. ``khorsyio update`` runs
``copier update`` and fails, listing the files, when anything conflicts: the template
excludes generator- and user-owned paths from updates (see copier.yml), so a conflict can
only be in scaffold files (pyproject.toml, Makefile, README.md...).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from khorsyio_gen.errors import GenError
from khorsyio_gen.wheelhouse import (
    DISTRIBUTIONS,
    WHEELHOUSE,
    Origin,
    origin,
    write_wheelhouse,
)

__all__ = ["commit_new_project", "conflicts", "new_project", "template_source", "update_project"]

_HERE = Path(__file__).resolve().parent
_OURS = re.compile(r"^<{7}( |$)", re.MULTILINE)
_THEIRS = re.compile(r"^>{7}( |$)", re.MULTILINE)
_SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache"}


def template_source() -> Path:
    """Where the template is: inside the installed package, else in a source checkout."""
    for candidate in (_HERE / "project_template", _HERE.parent.parent):
        if (candidate / "copier.yml").is_file() and (candidate / "template").is_dir():
            return candidate
    raise GenError("the project template is missing from this installation of khorsyio-gen")


def new_project(
    dest: Path,
    *,
    data: Mapping[str, Any] | None = None,
    defaults: bool = False,
    src: str | None = None,
    vcs_ref: str | None = None,
) -> None:
    """Render the template into ``dest`` (copier asks what ``data`` does not answer)."""
    import copier

    if dest.exists() and any(dest.iterdir()):
        raise GenError(f"{dest} exists and is not empty")
    origins = [origin(name) for name in DISTRIBUTIONS]
    answers = {**_install_answers(origins), **(data or {})}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # copier's DirtyLocalWarning for a source checkout
        try:
            copier.run_copy(
                src or str(template_source()),
                dest,
                data=answers,
                defaults=defaults,
                vcs_ref=vcs_ref,
                unsafe=False,
                quiet=True,
            )
        except ValueError as e:  # a validator refused an answer
            raise GenError(str(e)) from None
    write_wheelhouse(dest, origins)


def _install_answers(origins: list[Origin]) -> dict[str, Any]:
    """The hidden answers saying which khorsyio the project installs, and from where."""
    return {
        "khorsyio_version": _made_with(origins),
        "wheelhouse": any(o.kind != "index" for o in origins),
    }


def _made_with(origins: list[Origin]) -> str:
    versions = {o.version for o in origins}
    if len(versions) != 1:
        found = ", ".join(f"{o.name} {o.version}" for o in origins)
        raise GenError(
            f"khorsyio and khorsyio-gen must be the same version to make a project ({found})"
        )
    return versions.pop()


def commit_new_project(dest: Path) -> bool:
    """``git init`` and a first commit (``khorsyio update`` needs a committed project).

    Returns False, changing nothing, when git is not installed or ``dest`` is already inside a
    git work tree (the person's own repository: they commit it themselves).
    """
    git = shutil.which("git")
    if git is None:
        return False
    inside = subprocess.run(
        [git, "rev-parse", "--is-inside-work-tree"], cwd=dest, capture_output=True, check=False
    )
    if inside.returncode == 0:
        return False
    ident: list[str] = []
    for key, fallback in (("user.name", "khorsyio"), ("user.email", "khorsyio@localhost")):
        known = subprocess.run([git, "config", key], cwd=dest, capture_output=True, check=False)
        if not known.stdout.strip():
            ident += ["-c", f"{key}={fallback}"]
    for cmd in (
        ["init", "-q"],
        ["add", "-A"],
        ["commit", "-q", "-m", "New project from the khorsyio template"],
    ):
        done = subprocess.run(
            [git, *ident, *cmd], cwd=dest, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise GenError(f"git {' '.join(cmd)} failed in {dest}: {done.stderr.strip()}")
    return True


def update_project(
    root: Path,
    *,
    defaults: bool = True,
    vcs_ref: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> list[Path]:
    """``copier update`` of the project at ``root``; return the files left in conflict."""
    import copier

    if not (root / ".copier-answers.yml").is_file():
        raise GenError(f"{root} was not made from the khorsyio template (no .copier-answers.yml)")
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=False
    )
    if dirty.returncode != 0:
        raise GenError(f"{root} is not a git repository: commit the project before updating")
    if dirty.stdout.strip():
        raise GenError("the project has uncommitted changes: commit them before updating")
    origins = [origin(name) for name in DISTRIBUTIONS]
    try:
        copier.run_update(
            root,
            data={**_install_answers(origins), **(data or {})},
            defaults=defaults,
            vcs_ref=vcs_ref,
            overwrite=True,
            skip_answered=True,
            conflict="inline",
            unsafe=False,
            quiet=True,
        )
    except Exception as e:  # copier's own errors (no git template, unknown ref...)
        raise GenError(f"copier update failed: {e}") from None
    # the project now pins this khorsyio: its wheels replace the old ones
    if any(o.kind != "index" for o in origins):
        for old in (root / WHEELHOUSE).glob("khorsyio*.whl"):
            old.unlink()
    write_wheelhouse(root, origins)
    return conflicts(root)


def conflicts(root: Path) -> list[Path]:
    """Files under ``root`` holding conflict markers, and ``*.rej`` files."""
    found: list[Path] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or _SKIP_DIRS.intersection(path.relative_to(root).parts):
            continue
        if path.suffix == ".rej":
            found.append(path)
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if _OURS.search(text) and _THEIRS.search(text):
            found.append(path)
    return found
