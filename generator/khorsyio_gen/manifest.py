"""``app/_generated/manifest.json``: what the generator wrote last, keyed by stable handler id.

It holds only what follows from the spec (hashes of fresh renderings, the imports it added),
never hashes of files a person edits, so editing a ``process`` body does not make it stale.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

__all__ = ["MANIFEST", "HandlerEntry", "Manifest", "dump_manifest", "read_manifest"]

MANIFEST = "app/_generated/manifest.json"


class HandlerEntry(msgspec.Struct, kw_only=True):
    name: str
    domain: str
    module: str
    test: str
    imports: list[tuple[str, str]] = []
    """The imports gen added (removed again when the graph no longer needs them)."""
    attrs: list[str] = []
    """The wiring attributes gen wrote (the others in the class are the person's)."""
    deps: list[str] | None = None
    """The ``__init__`` parameters gen wrote (None: written by a gen before 0.3, which did
    not record them)."""
    doc: str = ""
    """Hash of the class docstring generated last (replaced while unedited)."""
    stub: str = ""
    """Hash of the ``process`` stub body generated last."""
    wiring_marker: bool = False
    """Gen wrote the marker comment above the wiring attributes into the module (an older
    gen did not: the next merge adds it). Since then the marker is left as the person keeps
    it: an edited or deleted one is not written again."""
    fresh: str = ""
    """Hash of the module as a new file: a file still equal to it is unedited (--prune)."""
    test_fresh: str = ""
    test_for: str = ""
    """The contracts the test was written for (``khorsyio status`` reports a change)."""
    test_examples: dict[str, str] = {}
    """The examples written into the test: name -> hash of what the example said."""
    test_seen: str = ""
    """Hash of the test file when it stopped matching its handler (an edit clears it)."""
    orphan: bool = False


class Manifest(msgspec.Struct, kw_only=True):
    generator: str = "khorsyio-gen"
    version: int = 1
    files: list[str] = []
    handlers: dict[str, HandlerEntry] = {}
    created: dict[str, str] = {}
    """Files other than a handler's that gen created and the person owns since (path -> hash
    of what gen wrote): never rewritten, and not written again once deleted. Left out of the
    file while empty."""


def read_manifest(root: Path) -> Manifest:
    path = root / MANIFEST
    if not path.is_file():
        return Manifest()
    try:
        return msgspec.json.decode(path.read_bytes(), type=Manifest)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return Manifest()


def dump_manifest(m: Manifest) -> str:
    data = msgspec.to_builtins(m)
    data["handlers"] = dict(sorted(data["handlers"].items()))
    if data["created"]:
        data["created"] = dict(sorted(data["created"].items()))
    else:  # manifests of projects where gen created no such file stay as they were
        del data["created"]
    return msgspec.json.format(msgspec.json.encode(data), indent=2).decode() + "\n"
