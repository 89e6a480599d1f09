from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys

import khorsyio

# modules whose public names are used through the module itself (khorsyio.settings.BusSettings)
NAMESPACED = {"khorsyio.settings", "khorsyio.di"}


def test_all_is_sorted_unique_and_importable() -> None:
    names = [n for n in khorsyio.__all__ if n != "__version__"]
    assert names == sorted(names)
    assert len(set(khorsyio.__all__)) == len(khorsyio.__all__)
    for name in khorsyio.__all__:
        assert hasattr(khorsyio, name), name


def test_every_public_class_of_the_core_modules_is_exported() -> None:
    missing = []
    for info in pkgutil.iter_modules(khorsyio.__path__, "khorsyio."):
        if info.ispkg or info.name in NAMESPACED:
            continue
        mod = importlib.import_module(info.name)
        for name, obj in vars(mod).items():
            if (
                inspect.isclass(obj)
                and obj.__module__ == mod.__name__
                and not name.startswith("_")
                and name not in khorsyio.__all__
            ):
                missing.append(f"{mod.__name__}.{name}")
    assert missing == []


def test_the_runtime_does_not_import_development_tools() -> None:
    code = (
        "import importlib, pkgutil, sys, khorsyio\n"
        "for i in pkgutil.walk_packages(khorsyio.__path__, 'khorsyio.'):\n"
        "    importlib.import_module(i.name)\n"
        "print(sorted(set(sys.modules) & {'copier', 'jinja2', 'libcst', 'khorsyio_gen'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
