"""The managed block of AGENTS.md: the handlers still to fill and the commands to run."""

from __future__ import annotations

from khorsyio_gen.plan import HandlerPlan

__all__ = ["BEGIN", "END", "render_block", "splice_block"]

BEGIN = "<!-- khorsyio:begin (managed by `khorsyio gen`: do not edit inside) -->"
END = "<!-- khorsyio:end -->"
_BEGIN_PREFIX = "<!-- khorsyio:begin"

_INTRO = """# AGENTS.md

Instructions for coding agents working on this project.
"""


def render_block(todo: list[HandlerPlan]) -> str:
    lines = [BEGIN, "## Handlers to fill", ""]
    if todo:
        lines.append("These handlers' `process` still raises NotImplementedError:")
        lines.append("")
        for h in todo:
            arrow = f"{h.spec.on} → {h.spec.emits}" if h.spec.emits else h.spec.on
            lines.append(
                f"- `{h.name}` ({arrow}) in `{h.path}`: read `khorsyio task {h.name}`, "
                f"then make `python -m pytest {h.test}` pass."
            )
    else:
        lines.append("Every handler in khorsyio.yaml has a `process` body.")
    lines += [
        "",
        "Edit only `process` bodies, helpers, contracts, services and tests; the wiring comes",
        "from khorsyio.yaml. After every change run, in order:",
        "",
        "1. `khorsyio check` (the graph and the contracts agree)",
        "2. `khorsyio gen` (wiring follows khorsyio.yaml; process bodies are never touched)",
        "3. `python -m pytest` (every test passes)",
        "4. `ruff check . && ruff format --check .`",
        "5. `khorsyio status` (no stub, no handler without a test, no drift)",
        END,
    ]
    return "\n".join(lines) + "\n"


def splice_block(current: str | None, block: str) -> str:
    """``current`` AGENTS.md with its managed block replaced (or appended)."""
    if current is None:
        return _INTRO + "\n" + block
    start = current.find(_BEGIN_PREFIX)
    end = current.find(END, start if start >= 0 else 0)
    if start < 0 or end < 0:
        sep = (
            ""
            if current.endswith("\n\n") or not current
            else ("\n" if current.endswith("\n") else "\n\n")
        )
        return current + sep + block
    tail = current[end + len(END) :]
    if tail.startswith("\n"):
        tail = tail[1:]
    return current[:start] + block + tail
