"""``khorsyio gen handler``: add a handler to khorsyio.yaml with a round-trip edit that keeps
comments, key order and formatting (ruamel.yaml)."""

from __future__ import annotations

import io
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from khorsyio_gen.errors import GenError
from khorsyio_gen.load import SPEC_FILE, load_spec_text
from khorsyio_gen.names import default_id

__all__ = ["add_handler"]


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096
    return y


def add_handler(
    root: Path,
    name: str,
    *,
    domain: str,
    on: str,
    input: str,
    emits: str | None = None,
    output: str | None = None,
    deps: list[str] | None = None,
    id: str | None = None,
) -> str:
    """The new text of khorsyio.yaml with handler ``name`` added under ``domain``.

    The caller validates the result (:func:`khorsyio_gen.gen.validate_spec_text`) before
    writing it, so a bad name or an unknown contract leaves the file as it was.
    """
    path = root / SPEC_FILE
    text = path.read_text(encoding="utf-8") if path.is_file() else "version: 1\n"
    load_spec_text(text)  # a broken spec is reported as it is, before any edit
    y = _yaml()
    doc = y.load(text) or CommentedMap()
    entry = CommentedMap()
    entry["id"] = id or default_id(name)
    entry["on"] = on
    if emits:
        entry["emits"] = emits
    entry["input"] = input
    if output:
        entry["output"] = output
    if deps:
        seq = CommentedSeq(deps)
        seq.fa.set_flow_style()
        entry["deps"] = seq
    domains = doc.setdefault("domains", CommentedMap())
    for dname, dom in domains.items():
        if isinstance(dom, dict) and name in (dom.get("handlers") or {}):
            raise GenError(
                f"{SPEC_FILE}: domains.{dname}.handlers.{name}: a handler named {name} exists"
            )
    if not isinstance(domains, dict):
        raise GenError(f"{SPEC_FILE}: domains: expected a mapping")
    dom = domains.get(domain)
    if dom is None:
        dom = domains[domain] = CommentedMap()
    handlers = dom.get("handlers")
    if handlers is None:
        handlers = dom["handlers"] = CommentedMap()
    handlers[name] = entry
    buf = io.StringIO()
    y.dump(doc, buf)
    return buf.getvalue()
