"""Refresh the generator-owned files of the project template from `khorsyio gen`.

The template ships a project that is ready straight after `copier copy`, so it carries what
`khorsyio gen` would write: `app/_generated/**`, the package `__init__` files it creates and
the managed block of AGENTS.md. This script renders the template for each value of
`include_example`, runs `khorsyio gen` on each render, and writes those files back into
`template/` (one plain file when both renders agree, a `.jinja` file choosing by
`include_example` when they differ, a conditional file name when only one render has it).

Handler modules whose wiring or docstring `khorsyio gen` updates are written back too, and
so are the stubs (module and test) it creates for a handler new to the example graph: the
script lists them; fill the new ones in the template.

usage: python scripts/sync_template.py [--check]   (--check: exit 1 if the template is stale)
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import copier

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "template"
BEGIN = "<!-- khorsyio:begin"
END = "<!-- khorsyio:end -->"
YES, NO = "{% if include_example %}", "{% if not include_example %}"


def render(dst: Path, include_example: bool) -> dict[str, str]:
    """Render the template into ``dst``, run gen; return the files gen owns or wrote."""
    copier.run_copy(
        str(REPO), dst, data={"include_example": include_example}, defaults=True, quiet=True
    )
    before = snapshot(dst)
    subprocess.run(
        [sys.executable, "-m", "khorsyio_gen", "--root", str(dst), "gen"],
        check=True,
        capture_output=True,
        text=True,
    )
    after = snapshot(dst)
    manifest = json.loads(after["app/_generated/manifest.json"])
    owned = {*manifest["files"], "AGENTS.md"}
    return {p: text for p, text in after.items() if p in owned or before.get(p) != text}


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def managed_block(text: str) -> str:
    start = text.index(BEGIN)
    end = text.index(END) + len(END)
    return text[start:end]


def choose(a: str, b: str) -> str:
    """Jinja text that renders ``a`` with the example and ``b`` without it."""
    return f"{YES}{{% raw %}}{a}{{% endraw %}}{{% else %}}{{% raw %}}{b}{{% endraw %}}{{% endif %}}"


def template_path(rel: str, other: set[str], cond: str) -> str:
    """``rel`` with its first component missing from the other render made conditional."""
    parts = rel.split("/")
    for i in range(len(parts)):
        prefix = "/".join(parts[: i + 1])
        if not any(o == prefix or o.startswith(prefix + "/") for o in other):
            parts[i] = f"{cond}{parts[i]}{{% endif %}}"
            break
    return "/".join(parts)


def sync(check: bool) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        renders: dict[bool, dict[str, str]] = {}
        trees: dict[bool, set[str]] = {}
        for flag in (True, False):
            dst = Path(tmp) / f"example-{flag}"
            renders[flag] = render(dst, flag)
            trees[flag] = set(snapshot(dst))
    wanted: dict[str, str] = {}
    agents = {flag: managed_block(r.pop("AGENTS.md")) for flag, r in renders.items()}
    for rel in sorted(set(renders[True]) | set(renders[False])):
        a, b = renders[True].get(rel), renders[False].get(rel)
        if a is not None and b is not None:
            wanted[rel if a == b else rel + ".jinja"] = a if a == b else choose(a, b)
        elif a is not None:
            wanted[template_path(rel, trees[False], YES)] = a
        elif b is not None:
            wanted[template_path(rel, trees[True], NO)] = b
    agents_text = (TEMPLATE / "AGENTS.md.jinja").read_text(encoding="utf-8")
    head = min(
        i
        for i in (agents_text.find(p + BEGIN) for p in (YES + "{% raw %}", "{% raw %}", ""))
        if i >= 0
    )
    block = (
        choose(agents[True], agents[False])
        if agents[True] != agents[False]
        else "{% raw %}" + agents[True] + "{% endraw %}"
    )
    wanted["AGENTS.md.jinja"] = agents_text[:head] + block + "\n"
    stale = [
        rel
        for rel, text in wanted.items()
        if not (TEMPLATE / rel).is_file() or (TEMPLATE / rel).read_text(encoding="utf-8") != text
    ]
    generated = TEMPLATE / "app" / "_generated"
    extra = (
        [
            str(p.relative_to(TEMPLATE))
            for p in generated.rglob("*")
            if p.is_file() and str(p.relative_to(TEMPLATE)) not in wanted
        ]
        if generated.exists()
        else []
    )
    if check:
        for rel in stale + extra:
            print(f"stale: template/{rel}")
        return 1 if stale or extra else 0
    shutil.rmtree(generated, ignore_errors=True)
    for rel, text in wanted.items():
        path = TEMPLATE / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for rel in stale:
        if "_generated" not in rel and rel != "AGENTS.md.jinja":
            print(f"changed by gen (check it; fill it if it is a new stub): template/{rel}")
    print(f"synced {len(wanted)} file(s), {len(stale)} changed")
    return 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true")
    sys.exit(sync(ap.parse_args().check))
