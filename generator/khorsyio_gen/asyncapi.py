"""``khorsyio graph --format asyncapi``: an AsyncAPI 3.0 document of the event graph.

One channel per event (address = the event name), its message the event's contract; one
``receive`` operation per handler (the event it answers) and one ``send`` operation per
published event. Events websocket clients may publish are also channels of the ``websocket``
server. Contract schemas come from msgspec's JSON Schema support.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import msgspec

from khorsyio_gen.contracts import Project
from khorsyio_gen.examples import resolve_examples
from khorsyio_gen.plan import Plan, build_plan

__all__ = ["project_info", "to_asyncapi"]

_REF = "#/components/schemas/{name}"


def _cid(event: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", event)


def project_info(root: Path) -> tuple[str, str]:
    """The project's name and version, from ``[project]`` in its pyproject.toml (else the
    directory's name and 0.1.0): the title of its AsyncAPI document."""
    name, version = root.resolve().name, "0.1.0"
    try:
        meta = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return name, version
    project = meta.get("project")
    if isinstance(project, dict):
        if isinstance(project.get("name"), str) and project["name"].strip():
            name = project["name"].strip()
        if isinstance(project.get("version"), str) and project["version"].strip():
            version = project["version"].strip()
    return name, version


def _examples(
    project: Project, plan: Plan, channels: dict[str, Any], messages: dict[str, Any]
) -> None:
    """The handlers' examples (khorsyio.yaml), as examples of their input and output
    messages."""
    for h in plan.handlers:
        for ex in resolve_examples(project, h.name, h.spec):
            pairs = [(h.spec.on, ex.input, "input")]
            if ex.output is not None and (ex.event or h.spec.emits):
                pairs.append((ex.event or h.spec.emits or "", ex.output, "output"))
            for ev, payload, what in pairs:
                msg = messages[next(iter(channels[_cid(ev)]["messages"]))]
                if "$ref" not in msg["payload"]:
                    continue
                msg.setdefault("examples", []).append(
                    {
                        "name": f"{h.name}: {ex.name} ({what})",
                        "summary": ex.description or f"example {ex.name!r} of {h.name}",
                        "payload": payload,
                    }
                )


def to_asyncapi(
    project: Project, *, title: str | None = None, version: str | None = None
) -> dict[str, Any]:
    """The document; ``title`` and ``version`` default to :func:`project_info`'s."""
    if title is None or version is None:
        name, number = project_info(project.root)
        title, version = title or name, version or number
    plan = build_plan(project)
    spec = project.spec
    event_type: dict[str, type[msgspec.Struct]] = {}
    for h in plan.handlers:
        event_type.setdefault(h.spec.on, h.input.cls)
        if h.output is not None and h.spec.emits:
            event_type.setdefault(h.spec.emits, h.output.cls)
        for ev, routed in h.routed:  # also_emits with contracts
            if routed is not None:
                event_type.setdefault(ev, routed.cls)
    for r in plan.routes:
        if r.body is not None:
            event_type.setdefault(r.spec.event, r.body.cls)
        if r.response is not None:
            event_type.setdefault(r.spec.reply, r.response.cls)
    for s in spec.schedules:
        event_type.setdefault(s.event, project.contracts[s.contract].cls)
    events = set(event_type)
    for h in plan.handlers:
        events.update(h.emits)
    events.update(spec.websocket.allow, spec.external, spec.terminal)
    types = sorted(set(event_type.values()), key=lambda t: t.__name__)
    _, schemas = msgspec.json.schema_components(types, ref_template=_REF)
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for ev in sorted(events):
        tp = event_type.get(ev)
        msg_name = tp.__name__ if tp is not None else "Envelope"
        if msg_name not in messages:
            payload: dict[str, Any] = (
                {"$ref": _REF.format(name=msg_name)} if tp is not None else {"type": "object"}
            )
            messages[msg_name] = {
                "name": msg_name,
                "contentType": "application/json",
                "payload": payload,
            }
        channel: dict[str, Any] = {
            "address": ev,
            "messages": {msg_name: {"$ref": f"#/components/messages/{msg_name}"}},
        }
        if ev in spec.websocket.allow:
            channel["servers"] = [{"$ref": "#/servers/websocket"}]
            channel["description"] = "Websocket clients may publish this event."
        channels[_cid(ev)] = channel
    _examples(project, plan, channels, messages)
    operations: dict[str, Any] = {}

    def op(name: str, action: str, ev: str, summary: str) -> None:
        cid = _cid(ev)
        msg = next(iter(channels[cid]["messages"]))
        operations[name] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{cid}"},
            "summary": summary,
            "messages": [{"$ref": f"#/channels/{cid}/messages/{msg}"}],
        }

    for h in plan.handlers:
        op(f"{h.name}_receive", "receive", h.spec.on, f"{h.name} answers {h.spec.on}")
        for ev in h.emits:
            op(f"{h.name}_send_{_cid(ev)}", "send", ev, f"{h.name} publishes {ev}")
    for r in plan.routes:
        label = f"{r.spec.method} {r.spec.path}"
        op(
            f"route_{_cid(r.spec.method + r.spec.path)}",
            "send",
            r.spec.event,
            f"{label} publishes {r.spec.event}",
        )
    for ev in sorted(spec.websocket.allow):
        op(f"websocket_{_cid(ev)}", "send", ev, f"websocket clients publish {ev}")
    return {
        "asyncapi": "3.0.0",
        "info": {"title": title, "version": version},
        "servers": {
            "websocket": {
                "host": "localhost:8000",
                "protocol": "ws",
                "pathname": "/socket.io/",
                "description": "The app's socket.io transport.",
            }
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }
