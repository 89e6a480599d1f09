"""Loading ``khorsyio.yaml`` into :class:`~khorsyio_gen.spec.Spec`, with errors naming file,
key path (and line) and what was expected."""

from __future__ import annotations

import math
import re
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import msgspec
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from khorsyio_gen.errors import SpecError
from khorsyio_gen.spec import Spec
from khorsyio_gen.spec_rules import first_problem
from khorsyio_gen.yaml_marks import syntax_error

__all__ = [
    "MAX_DEPTH",
    "MAX_VALUES",
    "SPEC_FILE",
    "SpecDoc",
    "key_parts",
    "line_of",
    "load_spec",
    "load_spec_text",
    "plain",
]

SPEC_FILE = "khorsyio.yaml"
MAX_VALUES = 100_000
"""The most values a spec may hold once its YAML aliases are expanded (an alias bomb has
billions): a real graph has a few thousand."""
MAX_DEPTH = 64
"""The deepest nesting a spec may have (a real one has about 8 levels)."""

_AT = re.compile(r"^(?P<msg>.*?)(?: - at `(?P<path>.*)`)?$", re.S)


def plain(node: Any) -> Any:
    """ruamel's round-trip containers turned into plain dicts and lists."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    for kind in (bool, int, float, str):  # ruamel's ScalarFloat, ScalarInt... (bool first)
        if isinstance(node, kind):
            return kind(node)
    return node


def _split_path(path: str) -> list[str | int | None]:
    """``$.domains[...].routes[0].path`` -> ``["domains", None, "routes", 0, "path"]``.

    ``None`` stands for a mapping key msgspec does not name (found by :func:`_locate`).
    """
    parts: list[str | int | None] = []
    for token in re.findall(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]", path.removeprefix("$")):
        name, index = token
        if index == "...":
            parts.append(None)
        else:
            parts.append(int(index) if index else name)
    return parts


def _strip(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in (Union, UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return _strip(args[0])
    return tp


def _fails(value: Any, tp: Any) -> bool:
    try:
        msgspec.convert(value, tp)
    except msgspec.ValidationError:
        return True
    return False


def _locate(doc: Any, parts: list[str | int | None], bad_key: bool) -> list[str | int]:
    """Name the mapping keys msgspec leaves out, by validating each candidate alone."""
    out: list[str | int] = []
    node, tp = doc, Spec
    for i, p in enumerate(parts + ([None] if bad_key else [])):
        tp = _strip(tp)
        last_is_key = bad_key and i == len(parts)
        if p is None and isinstance(node, dict) and get_origin(tp) is dict:
            ktp, vtp = get_args(tp)
            found = next(
                (k for k, v in node.items() if (_fails(k, ktp) if last_is_key else _fails(v, vtp))),
                None,
            )
            if found is None:
                break
            out.append(str(found))
            node, tp = node[found], vtp
        elif isinstance(p, int) and isinstance(node, list) and p < len(node):
            out.append(p)
            node, tp = node[p], (get_args(tp) or (Any,))[0]
        elif isinstance(p, str) and isinstance(node, dict):
            out.append(p)
            hints = get_type_hints(tp, include_extras=True) if isinstance(tp, type) else {}
            node, tp = node.get(p), hints.get(p, Any)
        else:
            break
    return out


def _value_at(doc: Any, parts: list[str | int]) -> Any:
    node = doc
    for p in parts:
        try:
            node = node[p]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _dotted(parts: list[str | int]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


class SpecDoc:
    """The spec's text; its round-trip tree (with line numbers) is parsed on first use only,
    since the fast safe loader keeps no positions."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._tree: Any = None

    @property
    def tree(self) -> Any:
        if self._tree is None:
            try:
                self._tree = YAML(typ="rt").load(self.text)
            except YAMLError:
                self._tree = {}
        return self._tree


def line_of(doc: Any, parts: list[str | int]) -> int | None:
    """1-based line of the key at ``parts`` (or of the deepest existing parent)."""
    if isinstance(doc, SpecDoc):
        doc = doc.tree
    node, line = doc, None
    for p in parts:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(p, int) and isinstance(node, list):
                if lc is not None:
                    line = lc.item(p)[0] + 1
                node = node[p]
            elif isinstance(node, dict):
                if p not in node:  # a key YAML read as another type: `True:`, `1:`, `~:`
                    p = next((k for k in node if str(k) == str(p)), p)
                    if p not in node:
                        break
                if lc is not None:
                    line = lc.key(p)[0] + 1
                node = node[p]
            else:
                break
        except (KeyError, IndexError, TypeError):
            break
    return line


_PATTERN_HELP = {
    r"^[A-Za-z_][A-Za-z0-9_]*$": "a Python identifier",
    r"^[a-z_][a-z0-9_]*$": "a lower-case Python identifier",
    r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$": (
        "a dotted lower-case event name such as 'user.created'"
    ),
    r"^[A-Z][A-Za-z0-9]*$": "a CamelCase class name such as 'CreateUser'",
    r"^/[A-Za-z0-9_\-.~/{}:]*$": (
        "a URL path starting with '/', such as '/users/{id}' or '/loans/{id:int}'"
    ),
    r"^[A-Za-z_][A-Za-z0-9_.\-]*$": "an error code such as 'not_found'",
    r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)?$": "an id of letters, digits, '-', '_' and '.'",
}


def _expectation(msg: str) -> str:
    for pattern, help_text in _PATTERN_HELP.items():
        msg = msg.replace(f"`str` matching regex {pattern!r}", help_text)
    msg = re.sub(r"`str` matching regex '\^\[A-Za-z_\].*:.*'", "'package.module:Name'", msg)
    msg = msg.replace("Object contains unknown field", "unknown key")
    msg = msg.replace("Object missing required field", "missing required key")
    return msg[0].lower() + msg[1:] if msg else msg


def load_spec_text(text: str, file: str = SPEC_FILE) -> tuple[Spec, SpecDoc]:
    """Parse ``text``; return the spec and its source (for line numbers)."""
    yaml = YAML(typ="safe")
    try:
        doc = yaml.load(text)
    except MarkedYAMLError as e:
        raise syntax_error(e, text, file) from None
    except YAMLError as e:
        raise SpecError(file, "", f"YAML error: {e}") from None
    except RecursionError:
        raise SpecError(file, "", f"the YAML is nested more than {MAX_DEPTH} levels deep") from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise SpecError(file, "", "expected a mapping at the top level", 1)
    _refuse_alias_bombs(doc, text, file)
    try:
        spec = msgspec.convert(plain(doc), Spec)
    except msgspec.ValidationError as e:
        m = _AT.match(str(e))
        msg, path = (m.group("msg"), m.group("path") or "$") if m else (str(e), "$")
        bad_key = path.startswith("key` in `")
        parts = _locate(doc, _split_path(path.split("`")[-1] if bad_key else path), bad_key)
        if bad_key and parts:
            msg = f"invalid name {parts[-1]!r}: {msg}"
        value = _value_at(doc, parts)
        if isinstance(value, float) and not math.isfinite(value):
            msg = f"{value} is not a finite number: {_expectation(msg)}"
        line = line_of(SpecDoc(text), parts)
        raise SpecError(file, _dotted(parts) or "(top level)", _expectation(msg), line) from None
    source = SpecDoc(text)
    found = first_problem(spec)
    if found is not None:
        key, msg = found
        raise SpecError(file, key, msg, line_of(source, key_parts(key)))
    return spec, source


_ALIAS = re.compile(r"(?:^|[\s\[{,:-])\*[^\s,\[\]{}]+", re.M)


def _refuse_alias_bombs(doc: Any, text: str, file: str) -> None:
    """Count the values ``doc`` holds once aliases are expanded, without expanding them.

    Each distinct node is visited once (its expanded size is remembered), so the count
    costs the size of the text, whatever the size it stands for; a node that contains
    itself (``a: &a [*a]``) is refused too.
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, bool, int]] = [(doc, False, 0)]
    while stack:
        node, done, depth = stack.pop()
        if not isinstance(node, dict | list):
            continue
        children = [*node.keys(), *node.values()] if isinstance(node, dict) else node
        nid = id(node)
        if done:
            on_path.discard(nid)
            sizes[nid] = 1 + sum(sizes.get(id(c), 1) for c in children)
            if sizes[nid] > MAX_VALUES:
                m = _ALIAS.search(text)
                line = text.count("\n", 0, m.start()) + 1 if m else None
                raise SpecError(
                    file,
                    "",
                    f"YAML aliases expand to more than {MAX_VALUES} values (an alias bomb?): "
                    "write the values out instead of nesting aliases",
                    line,
                )
            continue
        if nid in sizes:
            continue
        if nid in on_path:
            raise SpecError(file, "", "a YAML alias refers to a value that contains it")
        if depth > MAX_DEPTH:
            raise SpecError(file, "", f"the YAML is nested more than {MAX_DEPTH} levels deep")
        on_path.add(nid)
        stack.append((node, True, depth))
        stack.extend((c, False, depth + 1) for c in children if isinstance(c, dict | list))


def load_spec(root: Path) -> tuple[Spec, SpecDoc]:
    path = root / SPEC_FILE
    if not path.is_file():
        raise SpecError(str(path), "", "not found: run khorsyio in a project with a khorsyio.yaml")
    return load_spec_text(path.read_text(encoding="utf-8"), str(path.relative_to(root)))


def key_parts(key: str) -> list[str | int]:
    """``domains.user.routes[0]`` -> ``["domains", "user", "routes", 0]``."""
    parts: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", key):
        parts.append(int(index) if index else name)
    return parts
