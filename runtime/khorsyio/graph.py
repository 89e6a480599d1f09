"""Wiring checks over an event graph.

The graph is a set of :class:`Node` s: handlers, routes, schedules, websocket entry points,
external producers and consumers. The same checks run at app startup (over the live
handlers) and in ``khorsyio check`` (over the spec), so the node model holds plain data:
contracts are compared by identity and named by ``__name__`` (or their string form).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from typing import Any, Literal

import msgspec

__all__ = ["GraphProblem", "Node", "check_graph", "entry_path"]

NodeKind = Literal["handler", "route", "schedule", "websocket", "external", "terminal"]


class Node(msgspec.Struct, frozen=True, kw_only=True):
    """One producer and/or consumer of events.

    ``consumes``: the event it subscribes to. ``produces``: events it may publish.
    ``awaits``: for a route doing request/reply, the response event it waits for.
    ``routed``: events it forwards to (conditional routing) with their contract (``None``:
    unchecked); the other produced events carry ``output_type``.
    """

    kind: NodeKind
    name: str
    consumes: str = ""
    produces: tuple[str, ...] = ()
    input_type: Any = None
    output_type: Any = None
    awaits: str = ""
    routed: tuple[tuple[str, Any], ...] = ()

    def contract_of(self, event: str) -> Any:
        """The contract this node publishes ``event`` with (``None``: not known)."""
        for routed_event, contract in self.routed:
            if routed_event == event:
                return contract
        return self.output_type


class GraphProblem(msgspec.Struct, frozen=True, kw_only=True):
    """One finding. ``code`` is stable (for tools); ``message`` names the whole path."""

    code: str
    message: str
    severity: Literal["error", "warning"] = "error"
    node: str = ""
    """Name of the node the problem is about (for tools that map it back to a spec key)."""


def _label(tp: Any) -> str:
    if tp is None:
        return "Envelope"
    return str(getattr(tp, "__name__", tp))


_ENTRY_KINDS = ("route", "schedule", "websocket", "external")


class _Graph:
    def __init__(self, nodes: Iterable[Node]) -> None:
        self.nodes = list(nodes)
        self.consumers: dict[str, list[Node]] = defaultdict(list)
        self.producers: dict[str, list[Node]] = defaultdict(list)
        for n in self.nodes:
            if n.consumes:
                self.consumers[n.consumes].append(n)
            for ev in n.produces:
                self.producers[ev].append(n)

    def path_to(self, node: Node) -> list[str]:
        """Labels of a shortest chain from an entry point to ``node`` (inclusive)."""
        start = node
        prev: dict[int, tuple[Node, str] | None] = {id(start): None}
        queue: deque[Node] = deque([start])
        found: Node | None = None
        while queue:
            cur = queue.popleft()
            if cur.kind in _ENTRY_KINDS or not cur.consumes:
                found = cur
                break
            for p in self.producers.get(cur.consumes, ()):
                if id(p) not in prev:
                    prev[id(p)] = (cur, cur.consumes)
                    queue.append(p)
        if found is None:
            return [node.name] if not node.consumes else [node.consumes, node.name]
        chain: list[str] = [found.name]
        cur2: Node = found
        while True:
            step = prev[id(cur2)]
            if step is None:
                break
            nxt, event = step
            chain += [event, nxt.name]
            cur2 = nxt
        if found.kind not in _ENTRY_KINDS and found.consumes:
            chain = [found.consumes, *chain]
        return chain

    def reaches(self, start_event: str, goal_event: str) -> bool:
        seen = {start_event}
        queue: deque[str] = deque([start_event])
        while queue:
            ev = queue.popleft()
            if ev == goal_event:
                return True
            for n in self.consumers.get(ev, ()):
                for out in n.produces:
                    if out not in seen:
                        seen.add(out)
                        queue.append(out)
        return False

    def cycles(self) -> list[list[str]]:
        """Event cycles (each reported once, as the list of events along it)."""
        found: list[list[str]] = []
        seen_keys: set[frozenset[str]] = set()
        color: dict[str, int] = {}
        stack: list[str] = []

        def visit(ev: str) -> None:
            color[ev] = 1
            stack.append(ev)
            for n in self.consumers.get(ev, ()):
                for out in n.produces:
                    if color.get(out) == 1:
                        cyc = [*stack[stack.index(out) :], out]
                        key = frozenset(cyc)
                        if key not in seen_keys:
                            seen_keys.add(key)
                            found.append(cyc)
                    elif out not in color:
                        visit(out)
            stack.pop()
            color[ev] = 2

        for ev in sorted(self.consumers):
            if ev not in color:
                visit(ev)
        return found


def entry_path(nodes: Iterable[Node], name: str) -> list[str]:
    """Labels of a shortest chain from an entry point to the node called ``name``.

    ``["POST /users", "user.create", "CreateUser"]``; just ``[name]`` when unknown.
    """
    g = _Graph(nodes)
    for n in g.nodes:
        if n.name == name:
            return g.path_to(n)
    return [name]


def check_graph(
    nodes: Iterable[Node],
    *,
    allow_cycles: Iterable[str] = (),
    compatible: Iterable[tuple[Any, Any]] = (),
) -> list[GraphProblem]:
    """All wiring problems of a graph, in a stable order.

    - ``no_producer``: a subscribed event nothing publishes;
    - ``no_consumer``: a published event nothing consumes (terminal events excepted);
    - ``contract_mismatch``: along an edge, the producer's output type is not the
      consumer's input type (unless the pair is declared ``compatible``);
    - ``no_path``: a route waits for a response event its request event cannot reach;
    - ``cycle``: an event cycle not listed in ``allow_cycles`` (a warning).
    """
    g = _Graph(nodes)
    ok_pairs = set(compatible)
    problems: list[GraphProblem] = []

    def arrow(parts: list[str]) -> str:
        return " → ".join(parts)

    for event in sorted(g.consumers):
        if event not in g.producers:
            for consumer in g.consumers[event]:
                problems.append(
                    GraphProblem(
                        code="no_producer",
                        node=consumer.name,
                        message=f"{arrow([event, consumer.name])}: event '{event}' has no "
                        "producer (no handler, route, schedule, websocket entry or external "
                        "declares it)",
                    )
                )
    awaited = {n.awaits for n in g.nodes if n.awaits}
    for event in sorted(g.producers):
        if event in g.consumers or event in awaited:
            continue
        for producer in g.producers[event]:
            if producer.kind == "terminal":
                continue
            path = g.path_to(producer)
            problems.append(
                GraphProblem(
                    code="no_consumer",
                    node=producer.name,
                    message=f"{arrow([*path, event])}: event '{event}' published by "
                    f"{producer.name} has no consumer (declare it terminal if intended)",
                )
            )
    for event in sorted(g.consumers):
        for producer in g.producers.get(event, ()):
            for consumer in g.consumers[event]:
                out, inp = producer.contract_of(event), consumer.input_type
                if out is None or inp is None or out is inp or (out, inp) in ok_pairs:
                    continue
                path = g.path_to(producer)
                problems.append(
                    GraphProblem(
                        code="contract_mismatch",
                        node=consumer.name,
                        message=f"{arrow([*path, event, consumer.name])}: {producer.name} "
                        f"publishes '{event}' as {_label(out)} but {consumer.name} expects "
                        f"{_label(inp)}",
                    )
                )
    for n in g.nodes:
        if n.awaits and n.produces and not any(g.reaches(ev, n.awaits) for ev in n.produces):
            problems.append(
                GraphProblem(
                    code="no_path",
                    node=n.name,
                    message=f"{arrow([n.name, *n.produces])}: {n.name} waits for "
                    f"'{n.awaits}' but no chain from {', '.join(n.produces)} reaches it",
                )
            )
    allowed = set(allow_cycles)
    for cyc in g.cycles():
        if not allowed.intersection(cyc):
            problems.append(
                GraphProblem(
                    code="cycle",
                    message=f"{arrow(cyc)}: event cycle (declare it to allow it)",
                    severity="warning",
                )
            )
    return problems
