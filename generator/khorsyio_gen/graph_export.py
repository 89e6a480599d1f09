"""``khorsyio graph``: the event graph as Mermaid and as Graphviz DOT."""

from __future__ import annotations

import re

from khorsyio.graph import Node

from khorsyio_gen.contracts import Project
from khorsyio_gen.graph_model import spec_nodes

__all__ = ["to_dot", "to_mermaid"]


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
