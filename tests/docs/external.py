"""Directives and preludes for pages whose blocks this suite may not annotate in place.

The seed README (../shared/seed/khorsyio-0.2.0-PKG-INFO.md) is the 0.2.0 package's README:
its snippets are public API that must work *as written*, but many are fragments that assume
an app, a handler's ``self`` or a ``send`` around them. A prelude builds exactly that context
(nothing the snippet itself shows), then the snippet runs unchanged.

Keys are (file name, first non-blank line of the block).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Override:
    directives: dict[str, str] = field(default_factory=dict)
    prelude: str = ""


SEED = "khorsyio-0.2.0-PKG-INFO.md"

EXTERNAL: dict[tuple[str, str], Override] = {}
