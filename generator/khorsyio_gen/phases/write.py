"""Applying an :class:`Outcome`: atomic writes first, then the deletions."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from khorsyio_gen.phases.outcome import Outcome

__all__ = ["apply", "atomic_write"]


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        # mkstemp makes 0600 files: keep the file's mode, or give a new one the umask's
        os.chmod(tmp, stat.S_IMODE(path.stat().st_mode) if path.exists() else _new_file_mode())
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never half
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def apply(out: Outcome) -> list[str]:
    """Write what changed (atomically, file by file) and delete what went; the paths."""
    changed = out.changed()
    for rel in changed:  # writes first: a move never loses the file
        if rel in out.writes:
            atomic_write(out.root / rel, out.raw.get(rel, out.writes[rel]))
    for rel in changed:
        path = out.root / rel
        if rel not in out.writes and path.exists():
            path.unlink()
    return changed
