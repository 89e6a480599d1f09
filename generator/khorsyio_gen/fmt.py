"""Formatting generated text with ruff (isort fixes, then ``ruff format``), in one batch."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from khorsyio_gen.errors import GenError

__all__ = ["RUFF_CONFIG", "format_if_clean", "format_texts", "ruff_bin"]

RUFF_CONFIG = Path(__file__).with_name("ruff.toml")


def ruff_bin() -> str:
    from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

    return str(find_ruff_bin())


def _run(args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):
        raise GenError(f"ruff failed ({' '.join(args[1:3])}): {proc.stderr.strip()}")


def format_texts(texts: dict[str, str]) -> dict[str, str]:
    """Each Python text sorted (ruff's isort) and formatted; keys are relative paths."""
    if not texts:
        return {}
    ruff = ruff_bin()
    with tempfile.TemporaryDirectory(prefix="khorsyio-fmt-") as tmp:
        root = Path(tmp)
        for i, text in enumerate(texts.values()):  # flat: directories cost more than files
            (root / f"f{i}.py").write_text(text, encoding="utf-8")
        common = ["--config", str(RUFF_CONFIG), "--no-cache", "--quiet"]
        _run([ruff, "check", *common, "--select", "I", "--fix-only", "--exit-zero", tmp])
        _run([ruff, "format", *common, tmp])
        return {
            name: (root / f"f{i}.py").read_text(encoding="utf-8") for i, name in enumerate(texts)
        }


def format_if_clean(pairs: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """For each ``(before, after)`` of a person's file: ``after`` formatted when ``before``
    was ruff-clean (ruff leaves clean code unchanged), else ``after`` as it is, so that gen
    formats nothing of the person's that was not clean; keys are relative paths."""
    changed = {rel: pair for rel, pair in pairs.items() if pair[0] != pair[1]}
    texts = {f"o/{rel}": before for rel, (before, _) in changed.items()}
    texts.update({f"m/{rel}": after for rel, (_, after) in changed.items()})
    done = format_texts(texts)
    return {
        rel: done[f"m/{rel}"] if rel in changed and done[f"o/{rel}"] == before else after
        for rel, (before, after) in pairs.items()
    }
