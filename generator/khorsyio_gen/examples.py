"""The ``examples:`` of a handler: resolved against its contracts, checked, and identified.

An example is an input and the output (or error) it must give. ``gen`` writes each one into
the handler's test as its own function (added when new, never rewritten), its docstring, its
task card and the AsyncAPI document.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import msgspec

from khorsyio_gen.contracts import Contract, Project
from khorsyio_gen.names import snake
from khorsyio_gen.spec import ExampleErrorSpec, ExampleSpec, HandlerSpec

__all__ = [
    "Example",
    "contracts_of",
    "describe",
    "example_fn",
    "example_problems",
    "resolve_examples",
]


@dataclass(frozen=True)
class Example:
    name: str
    fn: str
    """The test function's name."""
    input: Any
    """JSON value of the input."""
    output: Any
    output_contract: Contract | None
    event: str | None
    error_code: str | None
    error_message: str | None
    description: str
    digest: str
    """Hash of what the example says (input, output, event, error)."""


def example_fn(handler: str, name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return f"test_{snake(handler)}_example_{slug}"


def _json(value: Any) -> Any:
    return msgspec.to_builtins(value)


def _output_contract(
    project: Project, spec: HandlerSpec, event: str | None
) -> tuple[Contract | None, str]:
    """The contract of an example's output, or why there is none."""
    target = event or spec.emits
    if spec.output and (target is None or target == spec.emits):
        return project.contracts.get(spec.output), ""
    declared = spec.routed().get(target or "")
    if declared:  # also_emits gives the routed event its contract
        return project.contracts.get(declared), ""
    for domain in project.spec.domains.values():
        for other in domain.handlers.values():
            if other.on == target and other.input in project.contracts:
                return project.contracts[other.input], ""
    if spec.output:
        return project.contracts.get(spec.output), ""
    return None, f"nothing tells the contract of '{target}' (no output, no consumer)"


def resolve_examples(project: Project, name: str, spec: HandlerSpec) -> list[Example]:
    """The examples of handler ``name`` (assumed checked: see :func:`example_problems`)."""
    out = []
    for ex_name, ex in spec.examples.items():
        contract, _ = _output_contract(project, spec, ex.event) if ex.output else (None, "")
        err = ex.error
        code = err.code if isinstance(err, ExampleErrorSpec) else err
        message = err.message if isinstance(err, ExampleErrorSpec) else None
        said = _json([ex.input, ex.output, ex.event, code, message])
        digest = hashlib.sha256(msgspec.json.encode(said, order="sorted")).hexdigest()[:16]
        out.append(
            Example(
                name=ex_name,
                fn=example_fn(name, ex_name),
                input=_json(ex.input),
                output=_json(ex.output) if ex.output is not None else None,
                output_contract=contract,
                event=ex.event,
                error_code=code,
                error_message=message,
                description=ex.description,
                digest=digest,
            )
        )
    return out


def _converts(value: Any, contract: Contract) -> str:
    try:
        msgspec.convert(_json(value), contract.cls)
    except (msgspec.ValidationError, TypeError) as e:
        return f"not a valid {contract.name}: {e}"
    except Exception as e:  # whatever a __post_init__ raised
        return f"not a valid {contract.name}: {e}"
    return ""


def _one(project: Project, hname: str, spec: HandlerSpec, ex: ExampleSpec) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    inp = project.contracts.get(spec.input)
    if inp is not None:
        why = _converts(ex.input, inp)
        if why:
            problems.append(("input", why))
    if ex.output is not None and ex.error is not None:
        problems.append(("error", "an example gives an output or an error, not both"))
    emits = ([spec.emits] if spec.emits else []) + list(spec.also_emits)
    if ex.event is not None and ex.event not in emits:
        problems.append(
            (
                "event",
                f"{hname} does not publish '{ex.event}' (it publishes: "
                f"{', '.join(emits) or 'nothing'})",
            )
        )
    if ex.event is not None and ex.output is None:
        problems.append(("event", "an example with an event needs the output it publishes"))
    if spec.also_emits and ex.output is not None and ex.event is None:
        problems.append(("event", f"{hname} routes: say which event the output goes to"))
    if ex.output is not None:
        if not emits:
            problems.append(("output", f"{hname} publishes nothing: omit the output"))
        else:
            contract, why = _output_contract(project, spec, ex.event)
            if contract is None:
                problems.append(("output", why))
            else:
                why = _converts(ex.output, contract)
                if why:
                    problems.append(("output", why))
    return problems


def example_problems(project: Project) -> list[tuple[str, str]]:
    """(key, message) for every example that cannot become a test."""
    found: list[tuple[str, str]] = []
    for dname, domain in project.spec.domains.items():
        for hname, h in domain.handlers.items():
            fns: dict[str, str] = {}
            for ex_name, ex in h.examples.items():
                key = f"domains.{dname}.handlers.{hname}.examples.{ex_name}"
                fn = example_fn(hname, ex_name)
                if fn in fns:
                    found.append((key, f"example '{ex_name}' has the test name of '{fns[fn]}'"))
                fns.setdefault(fn, ex_name)
                for sub, message in _one(project, hname, h, ex):
                    found.append((f"{key}.{sub}", f"example '{ex_name}' of {hname}: {message}"))
    return found


def contracts_of(project: Project, spec: HandlerSpec) -> str:
    """What a handler's test depends on, as one line: its input and output contracts, and the
    events it routes to with their contracts (event names alone do not change what a test
    asserts, but a routed event's contract does)."""
    c = project.contracts

    def q(name: str | None) -> str:
        return f"{c[name].module}:{name}" if name and name in c else (name or "None")

    routes = ", ".join(f"{e} {q(t)}" if t else e for e, t in spec.routed().items())
    return f"({q(spec.input)}) -> {q(spec.output)}" + (f", routing to {routes}" if routes else "")


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def describe(ex: Example) -> str:
    """One line: ``'a new user': {"name": "ada"} -> {"id": 1, "name": "ada"}``."""
    if ex.error_code is not None:
        said = f"error {ex.error_code}" + (f" ({ex.error_message})" if ex.error_message else "")
    elif ex.output is not None:
        said = _compact(ex.output) + (f" as {ex.event}" if ex.event else "")
    else:
        said = "None"
    return f"{ex.name!r}: {_compact(ex.input)} -> {said}"
