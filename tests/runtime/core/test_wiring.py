"""khorsyio.wiring states the facts the generator shares with the runtime: they must be the
runtime's own (the Handler's class attributes, the App's built-in providers)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import msgspec
import pytest

from khorsyio import App, Context, Handler, Settings
from khorsyio.wiring import (
    BUILTIN_PROVIDERS,
    HANDLER_WIRING,
    SET_BY_TYPE_ARGUMENTS,
    provider_type,
    provider_value,
)


class In(msgspec.Struct):
    n: int


class Out(msgspec.Struct):
    n: int


def test_handler_wiring_is_every_class_attribute_handler_declares() -> None:
    assert HANDLER_WIRING == (
        "subscribes_to",
        "publishes",
        "also_publishes",
        "input_type",
        "output_type",
        "timeout",
        "execution_mode",
        "concurrency",
        "queue_size",
        "retry",
    )
    for name in HANDLER_WIRING:
        assert name in vars(Handler), name  # each has its default on the base


def test_the_type_arguments_set_exactly_those_attributes() -> None:
    class Typed(Handler[In, Out]):
        subscribes_to = "x"

        async def process(self, data: In, ctx: Context) -> Out:
            return Out(n=data.n)

    set_by_base = tuple(n for n in HANDLER_WIRING if n in vars(Typed) and n != "subscribes_to")
    assert set_by_base == SET_BY_TYPE_ARGUMENTS
    assert (Typed.input_type, Typed.output_type) == (In, Out)


def test_the_app_provides_exactly_the_builtin_providers_by_name_and_type() -> None:
    app = App(settings=Settings())
    by_name: dict[str, Any] = app.container._by_name  # no public listing (yet)
    by_type: dict[type[Any], Any] = app.container._by_type
    assert set(by_name) == set(BUILTIN_PROVIDERS)
    assert set(by_type) == {provider_type(n) for n in BUILTIN_PROVIDERS}
    for name in BUILTIN_PROVIDERS:
        value = provider_value(app, name)
        assert by_name[name] is value, name
        assert type(value) is provider_type(name), name
        assert by_type[provider_type(name)] is value, name
    assert provider_value(app, "app") is app


def test_an_unknown_provider_name_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="'mailer' is not a built-in provider"):
        provider_value(App(settings=Settings()), "mailer")


def test_importing_the_module_loads_neither_sqlalchemy_nor_socketio() -> None:
    code = (
        "import sys, khorsyio.wiring\n"
        "print(sorted(set(sys.modules) & {'sqlalchemy', 'socketio', 'khorsyio.app'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
