from __future__ import annotations

from typing import Any

import pytest

from khorsyio import Bus, Context, Envelope, Handler, HandlerDefinitionError, RetryPolicy

from .contracts import UserIn, UserOut


def test_generic_form_sets_the_contracts() -> None:
    class CreateUser(Handler[UserIn, UserOut]):
        subscribes_to = "user.create"
        publishes = "user.created"

        async def process(self, data: UserIn, ctx: Context) -> UserOut:
            return UserOut(name=data.name)

    assert CreateUser.input_type is UserIn
    assert CreateUser.output_type is UserOut


def test_explicit_attributes_win_over_type_arguments() -> None:
    class H(Handler[UserIn, UserOut]):
        subscribes_to = "a"
        input_type = UserOut

        async def process(self, data: Any, ctx: Context) -> None:
            return None

    assert H.input_type is UserOut
    assert H.output_type is UserOut


def _register(cls: type[Any]) -> None:
    Bus().register(cls())


def test_a_handler_without_process_is_refused() -> None:
    class NoProcess(Handler):
        subscribes_to = "a"

    with pytest.raises(
        HandlerDefinitionError, match=r"NoProcess does not define 'async def process"
    ):
        _register(NoProcess)


def test_a_sync_process_is_refused() -> None:
    class SyncProcess(Handler):
        subscribes_to = "a"

        def process(self, data: Any, ctx: Context) -> None:  # type: ignore[override]
            return None

    with pytest.raises(HandlerDefinitionError, match="must be 'async def process"):
        _register(SyncProcess)


def test_a_non_struct_input_type_is_refused() -> None:
    class BadInput(Handler):
        subscribes_to = "a"
        input_type = dict  # type: ignore[assignment]

        async def process(self, data: Any, ctx: Context) -> None:
            return None

    with pytest.raises(
        HandlerDefinitionError, match=r"BadInput.input_type must be a msgspec.Struct"
    ):
        _register(BadInput)


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"subscribes_to": ""}, "subscribes_to must be a non-empty event name"),
        ({"execution_mode": "thread"}, "execution_mode must be 'main' or 'process'"),
        ({"timeout": 0}, "timeout must be a positive, finite number"),
        ({"timeout": float("inf")}, "timeout must be a positive, finite number"),
        ({"timeout": float("nan")}, "timeout must be a positive, finite number"),
        ({"timeout": "5"}, "timeout must be a positive, finite number"),
        ({"concurrency": 0}, "concurrency must be a positive integer"),
        ({"retry": 3}, "retry must be a khorsyio.RetryPolicy"),
    ],
)
def test_bad_wiring_attributes_are_refused(attrs: dict[str, Any], message: str) -> None:
    async def process(self: Any, data: Any, ctx: Context) -> None:
        return None

    cls = type("Bad", (Handler,), {"subscribes_to": "a", "process": process, **attrs})
    with pytest.raises(HandlerDefinitionError, match=message):
        _register(cls)


def test_retry_policy_validates_and_computes_backoff() -> None:
    p = RetryPolicy(attempts=4, backoff=0.1, multiplier=2.0, max_backoff=0.3)
    assert [p.delay(i) for i in (1, 2, 3)] == [0.1, 0.2, 0.3]
    with pytest.raises(ValueError, match="attempts must be an integer from 1 to"):
        RetryPolicy(attempts=0)


async def test_a_handler_without_input_type_receives_the_envelope(bus: Bus) -> None:
    seen: list[Any] = []

    class Raw(Handler):
        subscribes_to = "raw"

        async def process(self, data: Any, ctx: Context) -> None:
            seen.append(data)

    bus.register(Raw())
    await bus.start()
    await bus.publish("raw", UserIn(name="x"))
    await bus.wait_idle(5)
    assert len(seen) == 1
    assert isinstance(seen[0], Envelope)
    assert seen[0].payload == UserIn(name="x")
