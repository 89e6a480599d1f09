"""Every ```python, ```yaml and ```json block of docs/*.md (and of the seed README) runs or is
checked.

Conventions (``<!-- doctest: ... -->`` before a block) are described in README.md.
"""

from __future__ import annotations

import ast
import io
import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from .external import EXTERNAL, Override
from .runner import Chain
from .snippets import Block, blocks

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
SEED = REPO.parent / "shared" / "seed" / "khorsyio-0.2.0-PKG-INFO.md"


def _display(path: Path) -> str:
    return str(path.relative_to(REPO.parent if path == SEED else REPO))


def _collect() -> tuple[list[Block], dict[tuple[Path, int], Chain]]:
    files = sorted(DOCS.glob("*.md")) + ([SEED] if SEED.is_file() else [])
    every: list[Block] = []
    chains: dict[tuple[Path, int], Chain] = {}
    for path in files:
        last: Chain | None = None
        named: dict[str, Chain] = {}
        for block in blocks(path):
            override: Override | None = EXTERNAL.get((path.name, block.first_line))
            if override is not None:
                block.directives.update(override.directives)
            every.append(block)
            if block.lang != "python" or {"skip", "file"} & block.directives.keys():
                continue
            if "continue" in block.directives:
                target = (
                    named.get(block.directives["continue"])
                    if block.directives["continue"]
                    else last
                )
                if target is None:
                    raise AssertionError(f"{_display(path)}:{block.line}: nothing to continue")
                target.blocks.append(block)
                last = target
            else:
                last = Chain([block])
                if block.directives.get("name"):
                    named[block.directives["name"]] = last
            if override is not None and override.prelude:
                last.preludes[block.line] = override.prelude
            chains[(path, block.line)] = last
    return every, chains


BLOCKS, CHAINS = _collect()


@pytest.fixture(scope="module", autouse=True)
def _stop_chains():  # type: ignore[no-untyped-def]
    yield
    for chain in {id(c): c for c in CHAINS.values()}.values():
        chain.stop()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("block", BLOCKS, ids=[f"{_display(b.path)}:{b.line}" for b in BLOCKS])
def test_snippet(block: Block, tmp_path: Path) -> None:
    ident = f"{_display(block.path)}:{block.line}"
    if block.lang == "yaml":
        _check_yaml(block, tmp_path)
        return
    if block.lang == "json":
        json.loads(block.source)  # a message or answer as the page shows it: valid JSON
        return
    if "skip" in block.directives:
        pytest.skip(block.directives["skip"])
    ast.parse(block.source, filename=ident)  # a project file: at least valid Python
    if "file" in block.directives:
        return
    CHAINS[(block.path, block.line)].run_through(block, ident)


def _check_yaml(block: Block, tmp_path: Path) -> None:
    data = YAML(typ="safe", pure=True).load(io.StringIO(block.source))
    if "skip" in block.directives:
        pytest.skip(block.directives["skip"])
    if isinstance(data, dict) and "domains" in data:
        _check_spec(block, tmp_path)


def _check_spec(block: Block, root: Path) -> None:
    """A whole khorsyio.yaml: ``khorsyio check`` passes on it, with the ``file:`` blocks of the
    same page (its contracts, services) as the project around it."""
    from khorsyio_gen.check import errors
    from khorsyio_gen.gen import load

    for other in blocks(block.path):
        target = other.directives.get("file")
        if target:
            dest = root / target
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(other.source, encoding="utf-8")
    for pkg in {p.parent for p in root.rglob("*.py")}:
        while pkg != root and not (pkg / "__init__.py").exists():
            (pkg / "__init__.py").write_text("", encoding="utf-8")
            pkg = pkg.parent
    (root / "khorsyio.yaml").write_text(block.source, encoding="utf-8")
    _, problems = load(root)
    assert not errors(problems), "\n".join(str(p) for p in problems)


def test_the_seed_readme_is_collected() -> None:
    if not SEED.is_file():
        pytest.skip(f"{SEED} is absent: its snippets are not run")
    assert sum(b.path == SEED and b.lang == "python" for b in BLOCKS) >= 16


def test_every_override_finds_its_block() -> None:
    """external.py names blocks by their first line: a page edit must not orphan one."""
    present = {b.path.name for b in BLOCKS}
    seen = {(b.path.name, b.first_line) for b in BLOCKS}
    orphans = [key for key in EXTERNAL if key[0] in present and key not in seen]
    assert not orphans, f"no block starts with these lines any more: {orphans}"
