"""Where a new project installs khorsyio and khorsyio-gen from.

A project must install the versions it was made with. When both came from a package index
they are published there, and the project's ``pyproject.toml`` needs nothing more. When
either came from somewhere else (a source checkout, editable or not, or a wheel file),
``khorsyio new`` writes a *wheelhouse*: the wheels of those exact versions in the project's
``wheels/`` folder, which ``make setup`` (and the generated CI workflow) hand to pip with
``--find-links``. The folder is committed with the project, so a clone installs on any
machine that reaches the index for the other dependencies.

Where a distribution came from is read from its ``direct_url.json`` (PEP 610): absent for an
index install, a ``file:`` URL for a local directory or wheel.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from khorsyio_gen.errors import GenError

__all__ = ["DISTRIBUTIONS", "WHEELHOUSE", "Origin", "origin", "write_wheelhouse"]

DISTRIBUTIONS = ("khorsyio", "khorsyio-gen")
WHEELHOUSE = "wheels"


@dataclass(frozen=True)
class Origin:
    """Where an installed distribution came from."""

    name: str
    version: str
    kind: str  # "index", "wheel" (a local .whl file) or "dir" (a local source tree)
    path: Path | None = None


def origin(name: str) -> Origin:
    """The origin of the installed distribution ``name``."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        raise GenError(f"{name} is not installed: pip install {name}") from None
    version = dist.version
    raw = dist.read_text("direct_url.json")
    if not raw:
        return Origin(name, version, "index")
    url = urlparse(str(json.loads(raw).get("url", "")))
    if url.scheme != "file":  # a VCS or an http(s) archive URL: pip can fetch it again
        return Origin(name, version, "index")
    path = Path(unquote(url.path))
    return Origin(name, version, "wheel" if path.suffix == ".whl" else "dir", path)


def write_wheelhouse(dest: Path, origins: list[Origin]) -> list[Path]:
    """Put a wheel of each local origin in ``dest/wheels``; return the wheels written."""
    local = [o for o in origins if o.kind != "index"]
    if not local:
        return []
    house = dest / WHEELHOUSE
    house.mkdir(parents=True, exist_ok=True)
    return [_wheel(o, house) for o in local]


def _wheel(o: Origin, house: Path) -> Path:
    assert o.path is not None
    if not o.path.exists():
        raise GenError(
            f"{o.name} {o.version} was installed from {o.path}, which is gone: reinstall it "
            f"(pip install {o.name}) so that the new project can install it too"
        )
    if o.kind == "wheel":
        return Path(shutil.copy2(o.path, house / o.path.name))
    with tempfile.TemporaryDirectory() as tmp:
        # PEP 517 through `build`, in this environment: no download, no isolated env.
        result = subprocess.run(
            [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", tmp],
            cwd=o.path,
            capture_output=True,
            text=True,
            check=False,
        )
        built = sorted(Path(tmp).glob("*.whl"))
        if result.returncode != 0 or len(built) != 1:
            tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
            raise GenError(
                f"could not build a wheel of {o.name} from {o.path}:\n  " + "\n  ".join(tail)
            )
        return Path(shutil.move(built[0], house / built[0].name))
