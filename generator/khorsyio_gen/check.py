"""``khorsyio check``: every wiring check on the spec and the contracts, without booting.

Structural checks (unknown contracts, missing providers, duplicates, names) run here; the
event-graph checks are :func:`khorsyio.graph.check_graph`, the very checks the app runs at
startup, over the nodes of the spec. Each problem names the spec file, the key and the
whole path through the graph.
"""

from __future__ import annotations

import typing
from typing import Literal

import msgspec
from khorsyio.graph import Node, check_graph, entry_path

from khorsyio_gen.contracts import BUILTIN_PROVIDERS, Project
from khorsyio_gen.examples import example_problems
from khorsyio_gen.graph_model import spec_nodes
from khorsyio_gen.load import SPEC_FILE, key_parts, line_of
from khorsyio_gen.names import default_id, is_valid_identifier, snake

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
        for dname, domain in spec.domains.items():
            if not is_valid_identifier(dname):
                self.add("invalid_name", f"domains.{dname}", f"'{dname}' is a Python keyword")
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
                elif not is_valid_identifier(hname) or not is_valid_identifier(snake(hname)):
                    self.add(
                        "invalid_name",
                        key,
                        f"'{hname}' (module {snake(hname)}) is a Python keyword",
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
                    elif not is_valid_identifier(dep):
                        self.add("invalid_name", dkey, f"'{dep}' is a Python keyword")
                    elif dep not in self.project.providers:
                        custom = ", ".join(sorted(spec.providers)) or "none"
                        self.add(
                            "missing_provider",
                            dkey,
                            f"{where} → dep '{dep}': no provider named '{dep}' (built-in: "
                            f"{', '.join(sorted(BUILTIN_PROVIDERS))}; custom: {custom}); "
                            "declare it under 'providers'",
                        )
                if h.execution_mode == "process" and h.deps:
                    self.add(
                        "process_mode_deps",
                        key + ".deps",
                        f"{where}: execution_mode 'process' handlers run in a worker process "
                        "and take no dependencies",
                    )
            seen_routes: set[str] = set()
            for i, r in enumerate(domain.routes):
                key = f"domains.{dname}.routes[{i}]"
                label = f"{r.method} {r.path}"
                if label in seen_routes:
                    self.add("duplicate_route", key, f"route '{label}' is declared twice")
                seen_routes.add(label)
                self.contract(r.body, key + ".body", label)
                self.contract(r.response, key + ".response", label)
                self._route_reply(label, key, r.reply, r.response)
        for i, s in enumerate(spec.schedules):
            key = f"schedules[{i}]"
            self.contract(s.contract, key + ".contract", f"schedule {s.event}")
            c = self.project.contracts.get(s.contract)
            if c is not None:
                try:
                    msgspec.convert(s.payload, c.cls)
                except msgspec.ValidationError as e:
                    self.add("bad_payload", key + ".payload", f"not a valid {c.name}: {e}")
        for i, pair in enumerate(spec.compatible):
            for name in pair:
                self.contract(name, f"compatible[{i}]", "compatible")
        for name in spec.providers:
            if not is_valid_identifier(name):
                self.add("invalid_name", f"providers.{name}", f"'{name}' is a Python keyword")
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


def check_project(project: Project) -> list[Problem]:
    """Every problem of the project's spec and contracts, structural checks first."""
    return _Checker(project).run()
