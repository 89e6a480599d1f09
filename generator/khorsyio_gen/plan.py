"""The generation plan: the spec resolved against the project's contracts and providers."""

from __future__ import annotations

from dataclasses import dataclass, field

from khorsyio_gen.contracts import Contract, Project, Provider
from khorsyio_gen.names import default_id, handler_module, handler_path, test_path
from khorsyio_gen.spec import HandlerSpec, RouteSpec

__all__ = ["HandlerPlan", "Plan", "RoutePlan", "build_plan"]


@dataclass(frozen=True)
class HandlerPlan:
    id: str
    name: str
    domain: str
    spec: HandlerSpec
    key: str
    """Key path in khorsyio.yaml (``domains.user.handlers.CreateUser``)."""
    input: Contract
    output: Contract | None
    deps: tuple[Provider, ...]
    routed: tuple[tuple[str, Contract | None], ...] = ()
    """Events ``process`` forwards to (``also_emits``), with their contract when declared."""

    @property
    def path(self) -> str:
        return handler_path(self.domain, self.name)

    @property
    def module(self) -> str:
        return handler_module(self.domain, self.name)

    @property
    def test(self) -> str:
        return test_path(self.domain, self.name)

    @property
    def routes(self) -> bool:
        """Whether ``process`` routes: returns ``ctx.forward(event, data)``."""
        return bool(self.routed)

    @property
    def emits(self) -> tuple[str, ...]:
        first = (self.spec.emits,) if self.spec.emits else ()
        return first + tuple(e for e in self.spec.also_emits if e not in first)


@dataclass(frozen=True)
class RoutePlan:
    domain: str
    spec: RouteSpec
    key: str
    body: Contract | None
    response: Contract | None

    @property
    def label(self) -> str:
        return f"{self.spec.method} {self.spec.path}"


class _Index:
    """Handlers by the event they answer and by the events they publish."""

    def __init__(self, handlers: list[HandlerPlan]) -> None:
        self.consumers: dict[str, list[HandlerPlan]] = {}
        self.producers: dict[str, list[HandlerPlan]] = {}
        for h in handlers:
            self.consumers.setdefault(h.spec.on, []).append(h)
            for ev in h.emits:
                self.producers.setdefault(ev, []).append(h)


@dataclass
class Plan:
    project: Project
    handlers: list[HandlerPlan] = field(default_factory=list)
    routes: list[RoutePlan] = field(default_factory=list)
    _index: _Index | None = None

    @property
    def domains(self) -> list[str]:
        return list(self.project.spec.domains)

    def index(self) -> _Index:
        if self._index is None:
            self._index = _Index(self.handlers)
        return self._index

    def by_name(self, name: str) -> HandlerPlan | None:
        for h in self.handlers:
            if h.name == name or h.id == name:
                return h
        return None

    def used_contracts(self) -> list[Contract]:
        seen: dict[str, Contract] = {}
        for h in self.handlers:
            for c in (h.input, h.output, *(rc for _, rc in h.routed)):
                if c is not None:
                    seen.setdefault(c.name, c)
        for r in self.routes:
            for c in (r.body, r.response):
                if c is not None:
                    seen.setdefault(c.name, c)
        for s in self.project.spec.schedules:
            c = self.project.contracts.get(s.contract)
            if c is not None:
                seen.setdefault(c.name, c)
        return [seen[k] for k in sorted(seen)]


def build_plan(project: Project) -> Plan:
    """The plan of a spec that passed the structural checks (see :mod:`khorsyio_gen.check`)."""
    plan = Plan(project)
    contracts, providers = project.contracts, project.providers
    for dname, domain in project.spec.domains.items():
        for hname, h in domain.handlers.items():
            plan.handlers.append(
                HandlerPlan(
                    id=h.id or default_id(hname),
                    name=hname,
                    domain=dname,
                    spec=h,
                    key=f"domains.{dname}.handlers.{hname}",
                    input=contracts[h.input],
                    output=contracts[h.output] if h.output else None,
                    deps=tuple(providers[d] for d in h.deps),
                    routed=tuple(
                        (e, contracts[c] if c else None)
                        for e, c in h.routed().items()
                        if e != h.emits
                    ),
                )
            )
        for i, r in enumerate(domain.routes):
            plan.routes.append(
                RoutePlan(
                    domain=dname,
                    spec=r,
                    key=f"domains.{dname}.routes[{i}]",
                    body=contracts[r.body] if r.body else None,
                    response=contracts[r.response] if r.response else None,
                )
            )
    return plan


def neighbours(plan: Plan, h: HandlerPlan) -> tuple[list[str], list[str]]:
    """Who produces the event ``h`` answers, and who consumes what it publishes."""
    spec = plan.project.spec
    index = plan.index()
    before: list[str] = []
    for other in index.producers.get(h.spec.on, ()):
        before.append(f"{other.name} ({other.domain}) publishes {h.spec.on}")
    for r in plan.routes:
        if r.spec.event == h.spec.on:
            before.append(f"route {r.label} publishes {h.spec.on}")
    for s in spec.schedules:
        if s.event == h.spec.on:
            before.append(f"a schedule publishes {h.spec.on} every {s.interval:g} s")
    if h.spec.on in spec.websocket.allow:
        before.append(f"websocket clients publish {h.spec.on}")
    if h.spec.on in spec.external:
        before.append(f"{h.spec.on} comes from outside (declared external)")
    after: list[str] = []
    for ev in h.emits:
        for other in index.consumers.get(ev, ()):
            after.append(f"{ev} → {other.name} ({other.domain})")
        for r in plan.routes:
            if r.spec.reply == ev:
                after.append(f"{ev} → answers route {r.label}")
        if ev in spec.terminal:
            after.append(f"{ev} → nobody in this app (declared terminal)")
    return before, after
