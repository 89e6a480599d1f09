"""The JSON Schema of khorsyio.yaml, generated from :class:`khorsyio_gen.spec.Spec`.

``python -m khorsyio_gen.schema`` rewrites ``khorsyio.schema.json`` next to this file; editors
use it through ``# yaml-language-server: $schema=...``.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import msgspec

from khorsyio_gen.spec import Spec

__all__ = ["SCHEMA_FILE", "render_schema", "spec_schema"]

SCHEMA_FILE = Path(__file__).with_name("khorsyio.schema.json")


def _clean(node: Any) -> Any:
    """Descriptions dedented the same way whatever msgspec version made them (0.23 dedents
    docstrings, 0.22 did not)."""
    if isinstance(node, dict):
        return {
            k: inspect.cleandoc(v) if k == "description" and isinstance(v, str) else _clean(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_clean(v) for v in node]
    return node


def spec_schema() -> dict[str, Any]:
    schema: dict[str, Any] = _clean(msgspec.json.schema(Spec))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "khorsyio.yaml"
    schema["description"] = "The event graph of a khorsyio project."
    return schema


def render_schema() -> str:
    return json.dumps(spec_schema(), indent=2, sort_keys=True) + "\n"
