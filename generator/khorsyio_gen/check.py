"""``khorsyio check``: every wiring check on the spec and the contracts, without booting.

Structural checks (unknown contracts, missing providers, duplicates, names) run here (a
name Python refuses, such as a keyword, is refused when the spec loads); the
event-graph checks are :func:`khorsyio.graph.check_graph`, the very checks the app runs at
startup, over the nodes of the spec. Each problem names the spec file, the key and the
whole path through the graph.
"""

from __future__ import annotations

import typing
import uuid
from collections.abc import Mapping
from typing import Literal

import msgspec
from khorsyio.graph import Node, check_graph, entry_path
from khorsyio.http.router import parse_path
from khorsyio.wiring import BUILTIN_PROVIDERS, WORKER_PROVIDERS

from khorsyio_gen.contracts import Project
from khorsyio_gen.examples import example_problems
from khorsyio_gen.graph_model import spec_nodes
from khorsyio_gen.load import SPEC_FILE, key_parts, line_of
from khorsyio_gen.names import default_id, snake
from khorsyio_gen.typefmt import type_repr

__all__ = ["STRUCTURAL", "WARNINGS", "Problem", "check_project", "errors", "severity"]

Severity = Literal["error", "warning"]

RESERVED = frozenset(
    {"App", "BusRoute", "Context", "Domain", "Envelope", "Handler", "RetryPolicy", "Services"}
)

STRUCTURAL = frozenset(
    {
        "unknown_contract",
        "ambiguous_contract",
        "missing_provider",
        "duplicate_handler",
        "duplicate_dep",
        "duplicate_id",
        "duplicate_route",
        "invalid_name",
        "process_mode_deps",
        "bad_payload",
        "provider_type",
        "unbound_path_param",
        "bad_example",
    }
)
"""Problems that stop ``khorsyio gen`` (the others are graph findings it only reports)."""

WARNINGS = frozenset({"unused_provider", "cycle"})
"""The finding codes that are warnings; every other code is an error. The one place a
severity is decided: ``check``, ``gen`` (which reports graph findings without stopping) and
``--format json`` agree."""


def severity(code: str) -> Severity:
    return "warning" if code in WARNINGS else "error"


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    message: str
    severity: Severity = "error"
    file: str = SPEC_FILE
    key: str = ""
    line: int | None = None

    def text(self) -> str:
        """Where and what, without the severity."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}"

    def __str__(self) -> str:
        return f"{self.severity}: {self.text()}"


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


class _Path:
    """``POST /users → user.create → CreateUser``, computed only when a message needs it."""

    def __init__(self, nodes: list[Node], name: str) -> None:
        self.nodes, self.name = nodes, name

    def __str__(self) -> str:
        return " → ".join(entry_path(self.nodes, self.name))

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


class _Checker:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.problems: list[Problem] = []
        self.nodes, self.keys = spec_nodes(project)

    def add(self, code: str, key: str, message: str) -> None:
        """Record a problem; its severity is :func:`severity` of its code, always."""
        line = line_of(self.project.spec_doc, key_parts(key)) if self.project.spec_doc else None
        self.problems.append(
            Problem(code=code, message=message, severity=severity(code), key=key, line=line)
        )

    def path(self, name: str) -> _Path:
        return _Path(self.nodes, name)

    def contract(self, name: str | None, key: str, where: object) -> None:
        if not name:
            return
        contracts = self.project.contracts
        if name in self.project.ambiguous:
            mods = ", ".join(sorted(self.project.ambiguous[name]))
            self.add("ambiguous_contract", key, f"{where}: contract '{name}' is defined in {mods}")
        elif name not in contracts:
            known = ", ".join(sorted(contracts)) or "none"
            self.add(
                "unknown_contract",
                key,
                f"{where}: unknown contract '{name}' (contracts in "
                f"{', '.join(self.project.spec.contracts)}: {known})",
            )

    def run(self) -> list[Problem]:
        spec = self.project.spec
        names: dict[str, str] = {}
        ids: dict[str, str] = {}
        modules: dict[str, str] = {}
        used_providers: set[str] = set()
        seen_routes: dict[tuple[str, str], tuple[str, str]] = {}
        for dname, domain in spec.domains.items():
            for hname, h in domain.handlers.items():
                key = f"domains.{dname}.handlers.{hname}"
                where = self.path(hname)
                provider_types = {p.type_name for p in self.project.providers.values()}
                if hname in RESERVED or hname in self.project.contracts:
                    what = "a contract" if hname in self.project.contracts else "reserved"
                    self.add("invalid_name", key, f"handler name '{hname}' is {what}")
                elif hname in provider_types:
                    self.add(
                        "invalid_name",
                        key,
                        f"handler name '{hname}' is a provider's type (the module imports it)",
                    )
                if hname in names:
                    self.add(
                        "duplicate_handler",
                        key,
                        f"handler '{hname}' is also declared at {names[hname]}",
                    )
                names.setdefault(hname, key)
                hid = h.id or default_id(hname)
                if hid in ids and ids[hid] != key:
                    self.add("duplicate_id", key + ".id", f"id '{hid}' is also used by {ids[hid]}")
                ids.setdefault(hid, key)
                mod = snake(hname)
                if mod in modules and modules[mod] != hname:
                    self.add(
                        "duplicate_handler",
                        key,
                        f"'{hname}' and '{modules[mod]}' share the snake-case name {mod}",
                    )
                modules.setdefault(mod, hname)
                self.contract(h.input, key + ".input", where)
                self.contract(h.output, key + ".output", where)
                if isinstance(h.also_emits, dict):
                    for event, routed in h.also_emits.items():
                        self.contract(routed, f"{key}.also_emits.{event}", where)
                if h.output and not h.emits:
                    self.add(
                        "invalid_name",
                        key + ".emits",
                        f"{where}: an output contract needs an event to publish it ('emits')",
                    )
                for i, dep in enumerate(h.deps):
                    used_providers.add(dep)
                    dkey = f"{key}.deps[{i}]"
                    if dep in h.deps[:i]:
                        self.add("duplicate_dep", dkey, f"{where}: dep '{dep}' is listed twice")
                    elif dep not in self.project.providers:
                        custom = ", ".join(sorted(spec.providers)) or "none"
                        self.add(
                            "missing_provider",
                            dkey,
                            f"{where} → dep '{dep}': no provider named '{dep}' (built-in: "
                            f"{', '.join(sorted(BUILTIN_PROVIDERS))}; custom: {custom}); "
                            "declare it under 'providers'",
                        )
                if h.execution_mode == "process":
                    for i, dep in enumerate(h.deps):
                        if dep in BUILTIN_PROVIDERS and dep not in WORKER_PROVIDERS:
                            self.add(
                                "process_mode_deps",
                                f"{key}.deps[{i}]",
                                f"{where} → dep '{dep}': an execution_mode 'process' handler "
                                "is rebuilt in each worker process from pickled copies of its "
                                f"dependencies, and '{dep}' is the app's live object; it may "
                                f"take {', '.join(sorted(WORKER_PROVIDERS))} and custom "
                                "providers whose value pickles",
                            )
            for i, r in enumerate(domain.routes):
                key = f"domains.{dname}.routes[{i}]"
                label = f"{r.method} {r.path}"
                shape = (r.method, _shape(r.path))
                if shape in seen_routes:
                    other = seen_routes[shape]
                    self.add(
                        "duplicate_route",
                        key,
                        f"route '{label}' is declared twice"
                        if other[1] == label
                        else f"route '{label}' has the path shape of '{other[1]}' ({other[0]})",
                    )
                seen_routes.setdefault(shape, (key, label))
                self.contract(r.body, key + ".body", label)
                self.contract(r.response, key + ".response", label)
                self._route_reply(label, key, r.reply, r.response)
                self._path_params(label, key, r.path, r.body)
        for i, s in enumerate(spec.schedules):
            key = f"schedules[{i}]"
            self.contract(s.contract, key + ".contract", f"schedule {s.event}")
            c = self.project.contracts.get(s.contract)
            if c is not None:
                self._payload(key + ".payload", s.payload, c.name, c.cls)
        for i, pair in enumerate(spec.compatible):
            for name in pair:
                self.contract(name, f"compatible[{i}]", "compatible")
        for name in spec.providers:
            self._provider(name)
        for name in sorted(set(spec.providers) - used_providers):
            self.add("unused_provider", f"providers.{name}", f"provider '{name}' is unused")
        for key, message in example_problems(self.project):
            self.add("bad_example", key, message)
        self._graph()
        return self.problems

    def _provider(self, name: str) -> None:
        p = self.project.providers.get(name)
        if p is None:
            return
        key = f"providers.{name}"
        if not isinstance(p.cls, type):
            self.add("provider_type", key + ".type", f"{p.type_name} is not a class")
            return
        made = p.factory
        if not isinstance(made, type):
            try:
                made = typing.get_type_hints(p.factory).get("return")
            except Exception:
                made = None
        if isinstance(made, type) and not issubclass(made, p.cls):
            self.add(
                "provider_type",
                key + ".factory",
                f"dep '{name}': the factory {p.factory_name} makes a {made.__name__}, "
                f"not a {p.type_name}",
            )

    def _payload(self, key: str, payload: Mapping[str, object], name: str, cls: type) -> None:
        """The schedule's ``Contract(**payload)`` is built at import: it must succeed."""
        fields = msgspec.structs.fields(cls)
        names = [f.name for f in fields]
        why = ""
        unknown = [k for k in payload if k not in names]
        missing = [f.name for f in fields if f.required and f.name not in payload]
        if unknown:
            why = f"'{unknown[0]}' is not a field of {name} (fields: {', '.join(names) or 'none'})"
        elif missing:
            why = f"{name} needs the field '{missing[0]}'"
        else:
            try:
                msgspec.convert(msgspec.to_builtins(cls(**payload)), cls)
            except Exception as e:  # a ValidationError, or whatever __post_init__ raised
                why = f"not a valid {name}: {e}"
        if why:
            self.add("bad_payload", key, why)

    def _path_params(self, label: str, key: str, path: str, body: str | None) -> None:
        """Every path parameter fills a field of the body contract (else it is lost)."""
        c = self.project.contracts.get(body) if body else None
        if body and c is None:
            return  # reported as an unknown contract
        fields = {f.encode_name: f for f in msgspec.structs.fields(c.cls)} if c else {}
        for seg in parse_path(path):
            if not seg.is_param:
                continue
            f = fields.get(seg.name)
            if f is None:
                taker = (
                    f"the body {body} has no field '{seg.name}' (fields: "
                    f"{', '.join(fields) or 'none'})"
                    if c
                    else f"the route has no body: declare one with a field '{seg.name}'"
                )
                self.add(
                    "unbound_path_param",
                    key + ".path",
                    f"{label}: the path parameter '{seg.name}' fills no field: {taker}",
                )
            elif seg.conv in _SAMPLES and not _converts(_SAMPLES[seg.conv], f.type):
                self.add(
                    "unbound_path_param",
                    key + ".path",
                    f"{label}: the path parameter '{{{seg.name}:{seg.conv}}}' cannot fill "
                    f"{body}.{f.name} (of type {type_repr(f.type)})",
                )

    def _route_reply(self, label: str, key: str, reply: str, response: str | None) -> None:
        if not response:
            return
        for n in self.nodes:
            if n.kind == "handler" and reply in n.produces and n.output_type is not None:
                c = self.project.contracts.get(response)
                if c is not None and n.output_type is not c.cls:
                    out = getattr(n.output_type, "__name__", "?")
                    self.add(
                        "contract_mismatch",
                        key + ".response",
                        f"{self.path(n.name)} → {reply} → {label}: {n.name} answers '{reply}' "
                        f"as {out} but the route responds with {response}",
                    )

    def _graph(self) -> None:
        contracts = self.project.contracts
        pairs = [
            (contracts[a].cls, contracts[b].cls)
            for a, b in self.project.spec.compatible
            if a in contracts and b in contracts
        ]
        nodes: list[Node] = self.nodes
        for gp in check_graph(nodes, allow_cycles=self.project.spec.allow_cycles, compatible=pairs):
            self.add(gp.code, self.keys.get(gp.node, ""), gp.message)


_SAMPLES: dict[str, object] = {"int": 1, "uuid": uuid.UUID(int=1)}


def _converts(value: object, tp: object) -> bool:
    """Whether a path value converts to ``tp`` as the runtime does (as is, then as text)."""
    for v in (value, str(value)):
        try:
            msgspec.convert(v, tp, strict=False)
        except msgspec.ValidationError:
            continue
        return True
    return False


def _shape(path: str) -> str:
    """The router's key for a path: ``/u/{id}`` and ``/u/{name}`` are the same route."""
    return "/".join(f"{{:{s.conv}}}" if s.is_param else s.text for s in parse_path(path))


def check_project(project: Project) -> list[Problem]:
    """Every problem of the project's spec and contracts, structural checks first."""
    return _Checker(project).run()
