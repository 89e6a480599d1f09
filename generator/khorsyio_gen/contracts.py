"""Importing a project's contracts and provider types (never its handler modules).

A broken ``process`` body must not stop generation, so only the modules named by the spec's
``contracts`` (packages are walked) and the modules of custom providers are imported, with the
project root first on ``sys.path``. Earlier imports of the same packages are dropped first, so
several projects can be loaded in one process (tests, benchmarks).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
from khorsyio.wiring import BUILTIN_PROVIDERS

from khorsyio_gen.errors import SpecError
from khorsyio_gen.spec import Spec

__all__ = ["Contract", "Project", "Provider", "load_project"]


@dataclass(frozen=True)
class Contract:
    name: str
    module: str
    cls: type[msgspec.Struct]


@dataclass(frozen=True)
class Provider:
    """A dependency handlers may ask for: its type, and how the registry gets the value.

    A built-in provider's class is imported only when something needs it (a docstring, a
    task card): ``khorsyio check`` then never loads SQLAlchemy or socket.io.
    """

    name: str
    type_module: str
    type_name: str
    type_or_none: Any
    expr: str
    """Python expression of the value in the registry (``app.db``, ``services.mailer``)."""
    factory_module: str = ""
    factory_name: str = ""
    builtin: bool = False
    factory: Any = None

    @property
    def cls(self) -> Any:
        if self.type_or_none is not None:
            return self.type_or_none
        return getattr(importlib.import_module(self.type_module), self.type_name)


@dataclass
class Project:
    root: Path
    spec: Spec
    spec_doc: Any
    contracts: dict[str, Contract] = field(default_factory=dict)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    providers: dict[str, Provider] = field(default_factory=dict)


def _purge(top: str) -> None:
    for name in [m for m in sys.modules if m == top or m.startswith(top + ".")]:
        del sys.modules[name]


def _import(root: Path, module: str, key: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and (module == e.name or module.startswith(e.name + ".")):
            raise SpecError(
                "khorsyio.yaml", key, f"module {module!r} not found under {root}"
            ) from None
        raise SpecError(
            _where(root, e), key, f"importing {module} failed: {type(e).__name__}: {e}"
        ) from None
    except Exception as e:
        raise SpecError(
            _where(root, e), key, f"importing {module} failed: {type(e).__name__}: {e}"
        ) from None


def _where(root: Path, exc: BaseException) -> str:
    """``file:line`` of the innermost frame inside the project (for import errors)."""
    where = "khorsyio.yaml"
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{_rel(root, exc.filename)}:{exc.lineno}"
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve().is_relative_to(root.resolve()):
            where = f"{_rel(root, frame.filename)}:{frame.lineno}"
    return where


def _rel(root: Path, filename: str) -> str:
    try:
        return str(Path(filename).resolve().relative_to(root.resolve()))
    except ValueError:
        return filename


def _modules(root: Path, name: str, key: str) -> list[ModuleType]:
    mod = _import(root, name, key)
    mods = [mod]
    path = getattr(mod, "__path__", None)
    if path is not None:
        for info in sorted(pkgutil.walk_packages(path, name + "."), key=lambda i: i.name):
            mods.append(_import(root, info.name, key))
    return mods


def _split(path: str) -> tuple[str, str]:
    module, _, attr = path.partition(":")
    return module, attr


def load_project(root: Path, spec: Spec, spec_doc: Any = None) -> Project:
    """Import the contracts and provider types of the project at ``root``."""
    root = root.resolve()
    project = Project(root=root, spec=spec, spec_doc=spec_doc)
    tops = {m.split(".")[0] for m in spec.contracts}
    tops |= {p.type.split(".")[0] for p in spec.providers.values()}
    tops |= {p.factory.split(".")[0] for p in spec.providers.values() if p.factory}
    for top in tops - {"khorsyio", "msgspec"}:
        _purge(top)
    importlib.invalidate_caches()
    sys.path.insert(0, str(root))
    try:
        for i, name in enumerate(spec.contracts):
            for mod in _modules(root, name, f"contracts[{i}]"):
                for attr, value in sorted(vars(mod).items()):
                    if (
                        isinstance(value, type)
                        and issubclass(value, msgspec.Struct)
                        and value.__module__ == mod.__name__
                        and not attr.startswith("_")
                    ):
                        c = Contract(attr, mod.__name__, value)
                        other = project.contracts.get(attr)
                        if other is not None and other.module != c.module:
                            project.ambiguous.setdefault(attr, [other.module]).append(c.module)
                        project.contracts.setdefault(attr, c)
        _load_providers(root, spec, project)
    finally:
        if sys.path and sys.path[0] == str(root):
            del sys.path[0]
    return project


def _load_providers(root: Path, spec: Spec, project: Project) -> None:
    for name in sorted(BUILTIN_PROVIDERS):  # the app's own (khorsyio.wiring)
        type_module, type_name = _split(BUILTIN_PROVIDERS[name])
        expr = "app" if name == "app" else f"app.{name}"  # see khorsyio.wiring.provider_value
        project.providers[name] = Provider(name, type_module, type_name, None, expr, builtin=True)
    for name, p in spec.providers.items():
        key = f"providers.{name}"
        if name in BUILTIN_PROVIDERS:
            raise SpecError(
                "khorsyio.yaml", key, f"'{name}' is a built-in provider; choose another name"
            )
        tmod, tname = _split(p.type)
        cls = getattr(_import(root, tmod, key + ".type"), tname, None)
        if cls is None:
            raise SpecError("khorsyio.yaml", key + ".type", f"{tmod} has no attribute {tname!r}")
        fmod, fname = _split(p.factory) if p.factory else (tmod, tname)
        factory = getattr(_import(root, fmod, key + ".factory"), fname, None)
        if not callable(factory):
            raise SpecError(
                "khorsyio.yaml", key + ".factory", f"{fmod}:{fname} is not a callable factory"
            )
        project.providers[name] = Provider(
            name,
            tmod,
            tname,
            cls,
            f"services.{name}",
            factory_module=fmod,
            factory_name=fname,
            factory=factory,
        )
