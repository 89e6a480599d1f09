"""The spec as a :mod:`khorsyio.graph` node set (the same checks as at app startup)."""

from __future__ import annotations

from khorsyio.graph import Node

from khorsyio_gen.contracts import Project

__all__ = ["spec_nodes"]


def spec_nodes(project: Project) -> tuple[list[Node], dict[str, str]]:
    """The graph nodes of the spec, and the spec key of each node (by node name)."""
    spec, contracts = project.spec, project.contracts
    nodes: list[Node] = []
    keys: dict[str, str] = {}

    def cls(name: str | None) -> object:
        c = contracts.get(name) if name else None
        return c.cls if c is not None else None

    for dname, domain in spec.domains.items():
        for hname, h in domain.handlers.items():
            routed = {e: c for e, c in h.routed().items() if e != h.emits}
            nodes.append(
                Node(
                    kind="handler",
                    name=hname,
                    consumes=h.on,
                    produces=(*([h.emits] if h.emits else []), *routed),
                    input_type=cls(h.input),
                    output_type=cls(h.output),
                    routed=tuple((e, cls(c)) for e, c in routed.items()),
                )
            )
            keys[hname] = f"domains.{dname}.handlers.{hname}"
        for i, r in enumerate(domain.routes):
            label = f"{r.method} {r.path}"
            nodes.append(
                Node(
                    kind="route",
                    name=label,
                    produces=(r.event,),
                    awaits=r.reply,
                    output_type=cls(r.body),
                )
            )
            keys[label] = f"domains.{dname}.routes[{i}]"
    for i, s in enumerate(spec.schedules):
        name = f"schedule {s.event}"
        nodes.append(
            Node(kind="schedule", name=name, produces=(s.event,), output_type=cls(s.contract))
        )
        keys[name] = f"schedules[{i}]"
    for i, e in enumerate(spec.websocket.allow):
        name = f"ws event {e}"
        nodes.append(Node(kind="websocket", name=name, produces=(e,)))
        keys[name] = f"websocket.allow[{i}]"
    for i, e in enumerate(spec.external):
        name = f"external {e}"
        nodes.append(Node(kind="external", name=name, produces=(e,)))
        keys[name] = f"external[{i}]"
    for i, e in enumerate(spec.terminal):
        name = f"terminal {e}"
        nodes.append(Node(kind="terminal", name=name, consumes=e))
        keys[name] = f"terminal[{i}]"
    return nodes, keys
