"""``khorsyio graph``: the event graph as Mermaid, Graphviz DOT, an AsyncAPI document, or an
image of the DOT graph (through Graphviz, when installed)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from khorsyio.graph import Node

from khorsyio_gen.contracts import Project
from khorsyio_gen.errors import GenError
from khorsyio_gen.graph_model import spec_nodes

__all__ = ["graph_text", "output_format", "to_dot", "to_mermaid", "write_graph"]


def _id(name: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _edges(nodes: list[Node]) -> list[tuple[Node, str, Node]]:
    edges: list[tuple[Node, str, Node]] = []
    for p in nodes:
        for ev in p.produces:
            for c in nodes:
                if c.consumes == ev or (c.kind == "route" and c.awaits == ev):
                    edges.append((p, ev, c))
    return edges


_SHAPES = {
    "handler": ("[", "]"),
    "route": ("([", "])"),
    "schedule": ("{{", "}}"),
    "websocket": ("[/", "/]"),
    "external": ("[(", ")]"),
    "terminal": ("((", "))"),
}


def to_mermaid(project: Project) -> str:
    nodes, _ = spec_nodes(project)
    lines = ["flowchart LR"]
    for n in nodes:
        left, right = _SHAPES[n.kind]
        label = n.name.replace('"', "'")
        lines.append(f'    {_id(n.name)}{left}"{label}"{right}')
    for p, ev, c in _edges(nodes):
        lines.append(f"    {_id(p.name)} -->|{ev}| {_id(c.name)}")
    return "\n".join(lines) + "\n"


_DOT_SHAPES = {
    "handler": "box",
    "route": "cds",
    "schedule": "hexagon",
    "websocket": "parallelogram",
    "external": "cylinder",
    "terminal": "doublecircle",
}


def to_dot(project: Project) -> str:
    nodes, _ = spec_nodes(project)
    lines = ["digraph khorsyio {", "    rankdir=LR;"]
    for n in nodes:
        label = n.name.replace('"', '\\"')
        lines.append(f'    {_id(n.name)} [label="{label}", shape={_DOT_SHAPES[n.kind]}];')
    for p, ev, c in _edges(nodes):
        lines.append(f'    {_id(p.name)} -> {_id(c.name)} [label="{ev}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


TEXT_FORMATS = {
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".dot": "dot",
    ".gv": "dot",
    ".json": "asyncapi",
}
TEXT_EXT = {"mermaid": ".mmd", "dot": ".dot", "asyncapi": ".json"}
IMAGE_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
"""Images are the DOT graph rendered by Graphviz's ``dot``, when it is installed."""


def graph_text(project: Project, fmt: str) -> str:
    """The graph as ``mermaid``, ``dot`` or ``asyncapi`` (JSON) text."""
    if fmt == "mermaid":
        return to_mermaid(project)
    if fmt == "dot":
        return to_dot(project)
    from khorsyio_gen.asyncapi import to_asyncapi

    return json.dumps(to_asyncapi(project), indent=2) + "\n"


def output_format(path: Path, fmt: str | None) -> str:
    """What ``khorsyio graph -o path`` writes: a text format, or an image format; refused
    with what would work when the extension and ``--format`` say nothing sensible."""
    ext = path.suffix.lower()
    known = ", ".join([*TEXT_FORMATS, *IMAGE_FORMATS])
    if ext in IMAGE_FORMATS:
        if fmt not in (None, "dot"):
            raise GenError(
                f"{path}: an image is rendered from the DOT graph, not from {fmt}: "
                f"drop --format, or write {path.with_suffix(TEXT_EXT[fmt]).name}"
            )
        return IMAGE_FORMATS[ext]
    if fmt is not None:
        return fmt
    if ext not in TEXT_FORMATS:
        raise GenError(
            f"{path}: unknown graph file type {ext or '(no extension)'!r}: use one of {known}, "
            "or choose with --format mermaid|dot|asyncapi"
        )
    return TEXT_FORMATS[ext]


def write_graph(project: Project, path: Path, fmt: str | None) -> str:
    """Write the graph to ``path``; the format written."""
    out = output_format(path, fmt)
    if out not in IMAGE_FORMATS.values():
        path.write_text(graph_text(project, out), encoding="utf-8")
        return out
    dot = shutil.which("dot")
    if dot is None:
        raise GenError(
            f"{path}: a {out.upper()} image needs Graphviz, and its `dot` command is not on "
            f"PATH: install Graphviz, or write the DOT text (khorsyio graph -o "
            f"{path.with_suffix('.dot').name}) and render it elsewhere"
        )
    proc = subprocess.run(
        [dot, f"-T{out}", "-o", str(path)],
        input=to_dot(project),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise GenError(f"{path}: Graphviz failed: {proc.stderr.strip() or proc.returncode}")
    return out
