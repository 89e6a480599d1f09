"""Property: random edits inside ``process`` bodies and helpers, then random graph changes,
then regeneration: no user line is lost, and the result parses, checks and formats."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from khorsyio_gen.cli import main

from .conftest import edit, snapshot, write_project
from .regen_helpers import STUB, apply_change, module_path
from .test_gen import ruff_clean

GROUPS = [
    ["rename_event"],
    ["change_input"],
    ["change_output"],
    ["add_dep", "remove_dep"],
    ["change_timeout"],
    ["change_retry", "remove_retry"],
    ["move_domain", "rename_handler"],
]
MODULES = ["json", "math", "textwrap"]
USE = {
    "json": "json.dumps(v)",
    "math": "str(math.floor(v))",
    "textwrap": "textwrap.shorten(str(v), 10)",
}

statements = st.lists(
    st.one_of(
        st.builds(
            lambda i, n: f'ctx.extra["value_{i}"] = {n} + {i}',
            st.integers(0, 99),
            st.integers(0, 9),
        ),
        st.builds(lambda w: f"# a person's note: {w}", st.sampled_from(["why", "todo", "ok"])),
        st.builds(lambda i: f'ctx.extra["items"] = [x * 2 for x in range({i})]', st.integers(0, 9)),
    ),
    min_size=1,
    max_size=6,
)
helpers = st.lists(st.sampled_from(MODULES), max_size=3, unique=True)
changes = st.tuples(*[st.sampled_from([None, *g]) for g in GROUPS]).map(
    lambda picks: [p for p in picks if p is not None]
)


def _personalize(path: Path, body: list[str], mods: list[str]) -> list[str]:
    block = "".join(f"        {s}\n" for s in body) + "        return UserOut(id=1, name=data.name)"
    edit(path, STUB, block.removeprefix("        "))
    imports = "".join(f"import {m}\n" for m in sorted(mods))
    if imports:
        edit(
            path,
            "from __future__ import annotations\n",
            f"from __future__ import annotations\n\n{imports}",
        )
    funcs = "".join(
        f'\n\ndef helper_{m}(v: int) -> str:\n    """Uses {m}."""\n    return {USE[m]}\n'
        for m in sorted(mods)
    )
    path.write_text(path.read_text() + funcs)
    return [block, *(f"import {m}\n" for m in mods), funcs]


@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking takes minutes here
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=statements,
    mods=helpers,
    picked=changes,
    split=st.integers(0, len(GROUPS)),
    later=st.lists(st.sampled_from(["# later note", 'ctx.extra["later"] = True']), max_size=2),
)
def test_no_user_line_is_lost(
    tmp_path_factory: pytest.TempPathFactory,
    body: list[str],
    mods: list[str],
    picked: list[str],
    split: int,
    later: list[str],
) -> None:
    root = write_project(tmp_path_factory.mktemp("prop") / "proj")
    assert main(["--root", str(root), "gen"]) == 0
    keep = _personalize(root / "app/domains/user/handlers/create_user.py", body, mods)
    ruff_clean(root)
    target = module_path("rename_event")
    for round_ in (picked[:split], picked[split:]):  # two rounds of graph changes
        for change in round_:
            apply_change(root / "khorsyio.yaml", change)
            if change in ("move_domain", "rename_handler"):
                target = module_path(change)
        assert main(["--root", str(root), "gen"]) == 0
        if later and round_ is not picked[split:]:  # a person edits again between rounds
            path = root / target
            lines = path.read_text().splitlines(keepends=True)
            at = next(i for i, line in enumerate(lines) if "async def process" in line)
            added = "".join(f"        {x}\n" for x in later)
            path.write_text("".join(lines[: at + 1]) + added + "".join(lines[at + 1 :]))
            keep.append(added)
    text = (root / target).read_text()
    ast.parse(text)
    for snippet in keep:
        assert snippet in text, f"lost {snippet!r} after {picked}:\n{text}"
    user_lines = [line for s in keep for line in s.splitlines() if line.strip()]
    for line, count in ((k, len(list(g))) for k, g in itertools.groupby(sorted(user_lines))):
        assert text.splitlines().count(line) >= count, line
    assert main(["--root", str(root), "check"]) == 0
    ruff_clean(root)
    before = snapshot(root)
    assert main(["--root", str(root), "gen"]) == 0
    assert snapshot(root) == before
