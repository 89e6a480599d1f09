"""Formatting generated text with ruff (isort fixes, then ``ruff format``), in one batch."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from khorsyio_gen.errors import GenError

__all__ = ["RUFF_CONFIG", "format_batch", "format_if_clean", "format_texts", "ruff_bin"]

K = TypeVar("K", bound=Hashable)

RUFF_CONFIG = Path(__file__).with_name("ruff.toml")


def ruff_bin() -> str:
    from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

    return str(find_ruff_bin())


def _run(args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):
        raise GenError(f"ruff failed ({' '.join(args[1:3])}): {proc.stderr.strip()}")


def format_batch(texts: Sequence[str]) -> list[str]:
    """Each Python text sorted (ruff's isort) and formatted, in one ruff run, in order."""
    if not texts:
        return []
    ruff = ruff_bin()
    with tempfile.TemporaryDirectory(prefix="khorsyio-fmt-") as tmp:
        root = Path(tmp)
        for i, text in enumerate(texts):  # flat: directories cost more than files
            (root / f"f{i}.py").write_text(text, encoding="utf-8")
        common = ["--config", str(RUFF_CONFIG), "--no-cache", "--quiet"]
        _run([ruff, "check", *common, "--select", "I", "--fix-only", "--exit-zero", tmp])
        _run([ruff, "format", *common, tmp])
        return [(root / f"f{i}.py").read_text(encoding="utf-8") for i in range(len(texts))]


def format_texts(texts: Mapping[K, str]) -> dict[K, str]:
    """:func:`format_batch` of a mapping: each text formatted, under its own key."""
    return dict(zip(texts, format_batch(list(texts.values())), strict=True))


def format_if_clean(pairs: Mapping[K, tuple[str, str]]) -> dict[K, str]:
    """For each ``(before, after)`` of a person's file: ``after`` formatted when ``before``
    was ruff-clean (ruff leaves clean code unchanged), else ``after`` as it is, so that gen
    formats nothing of the person's that was not clean."""
    changed = [key for key, (before, after) in pairs.items() if before != after]
    done = format_batch([pairs[k][0] for k in changed] + [pairs[k][1] for k in changed])
    clean = {
        key: formatted_after
        for key, formatted_before, formatted_after in zip(
            changed, done[: len(changed)], done[len(changed) :], strict=True
        )
        if formatted_before == pairs[key][0]
    }
    return {key: clean.get(key, after) for key, (_, after) in pairs.items()}
