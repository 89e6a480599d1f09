"""run_handler(): one handler of a started app, on one input, through its subscription."""

from __future__ import annotations

import asyncio
import contextvars
import copy
from collections import deque
from typing import TYPE_CHECKING, Any, TypeVar, overload

from khorsyio.bus.bus import Bus
from khorsyio.bus.subscription import Subscription
from khorsyio.errors import BusClosedError, HandlerError, UnknownNameError
from khorsyio.events import Context, Envelope
from khorsyio.handler import Handler

if TYPE_CHECKING:
    from khorsyio.app import App

__all__ = ["run_handler"]

InT = TypeVar("InT")
OutT = TypeVar("OutT")


class _Probe(Subscription):
    """A copy of a live subscription (same handler instance, same effective wiring and
    policies) with its own dispatch state, that keeps the handler's result instead of
    publishing it."""

    returned: tuple[Any] | None
    published: Envelope | None
    failure: HandlerError | None

    @classmethod
    def of(cls, live: Subscription) -> _Probe:
        probe = copy.copy(live)
        probe.__class__ = cls
        assert isinstance(probe, _Probe)
        probe.inflight = probe.waiting = 0
        probe.backlog = deque()
        probe._space_waiters = deque()
        probe.returned = probe.published = probe.failure = None
        return probe

    def _result_envelope(self, result: Any, env: Envelope) -> Envelope | None:
        out = super()._result_envelope(result, env)
        self.returned = (result,)
        return out

    async def _publish_result(self, out: Envelope, env: Envelope, attempts: int) -> None:
        self.published = out

    async def _fail(self, env: Envelope, failure: HandlerError, attempts: int) -> None:
        self.failure = failure
        await super()._fail(env, failure, attempts)

    def output(self) -> Any:
        if self.returned is not None:
            return self.returned[0]
        return None if self.published is None else self.published.payload


@overload
async def run_handler(
    app: App | Bus,
    handler: type[Handler[InT, OutT]],
    data: InT,
    *,
    ctx: Context | None = None,
) -> OutT | Envelope | None: ...


@overload
async def run_handler(
    app: App | Bus, handler: str, data: Any, *, ctx: Context | None = None
) -> Any: ...


async def run_handler(
    app: App | Bus,
    handler: type[Handler[Any, Any]] | str,
    data: Any,
    *,
    ctx: Context | None = None,
) -> Any:
    """Run the live instance of ``handler`` in the started ``app`` on ``data``.

    The handler is the one the app built at startup, with its real dependencies (DI), and
    ``data`` goes through its subscription as an event would: the input is validated (a dict
    is converted to the input contract), the timeout and the retry policy apply, and a
    failure is handled as on the bus (dead letter, ``on_error`` callbacks, error envelope).

    Returns what ``process`` returned: its output Struct, the :class:`Envelope` it chose
    (conditional routing) or None. The output is not published: the next handlers of the
    chain do not run. A failure raises the :class:`HandlerError` the event failed with
    (``code`` ``"timeout"``, ``"invalid_input"``, ``"handler_error"`` for an unexpected
    exception, which is its ``__cause__``, or the code the handler raised)::

        async def test_create_user(app: App) -> None:
            user = await run_handler(app, CreateUser, NewUser(name="Ada", email="a@x.io"))
            assert user == User(id=1, name="Ada", email="a@x.io")
    """
    bus = app if isinstance(app, Bus) else app.bus
    if not bus.state.accepting:
        raise BusClosedError(
            "run_handler: the app is not started (use a started app, such as the project's "
            "`app` fixture, or await app.startup() first)"
        )
    name = handler if isinstance(handler, str) else handler.__name__
    live = next((s for s in bus.subscriptions if s.name == name), None)
    if live is None or (not isinstance(handler, str) and not isinstance(live.handler, handler)):
        known = ", ".join(sorted(s.name for s in bus.subscriptions)) or "none"
        raise UnknownNameError(
            f"run_handler: no handler {name!r} is registered (registered: {known})"
        )
    probe = _Probe.of(live)
    env = Envelope(
        event_type=live.subscribes_to, payload=data, ctx=ctx or Context(source="run_handler")
    )
    # a fresh context, as a bus worker has: the test's context variables do not leak in
    task = asyncio.get_running_loop().create_task(probe._event(env), context=contextvars.Context())
    await task
    if probe.failure is not None:
        raise probe.failure
    return probe.output()
