"""The event bus: registration, the lifecycle and the publishing API over a backend."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping
from typing import Any

import msgspec

from khorsyio.bus.backends.base import Backend, ErrorCallback
from khorsyio.bus.backends.memory import MemoryBackend
from khorsyio.bus.dead_letters import DeadLetterStore
from khorsyio.bus.eager import run_with_timeout
from khorsyio.bus.envelopes import check_struct, make_envelope
from khorsyio.bus.event_log import EventLog
from khorsyio.bus.metrics import Metrics
from khorsyio.bus.scheduler import Schedule
from khorsyio.bus.state import BusState
from khorsyio.bus.subscription import Subscription
from khorsyio.bus.worker_pool import WorkerPool, unportable
from khorsyio.durations import seconds
from khorsyio.errors import (
    BusClosedError,
    RegistrationError,
)
from khorsyio.events import Envelope, new_envelope
from khorsyio.graph import Node, check_graph
from khorsyio.handler import Handler, routed_contracts, validate_handler_class
from khorsyio.settings import BusSettings

__all__ = ["Bus", "DrainReport"]

log = logging.getLogger("khorsyio.bus")


class DrainReport(msgspec.Struct, kw_only=True):
    """What ``Bus.stop`` could not finish within the drain timeout."""

    drained: bool
    cancelled_in_flight: int = 0
    not_started: int = 0
    pending_requests: int = 0


class Bus:
    """Typed handlers connected by events; publish, request/reply, schedules.

    ``Bus()`` takes its defaults from :class:`~khorsyio.settings.BusSettings`; an App builds
    its bus from the app's settings. Envelopes travel through a
    :class:`~khorsyio.bus.backends.base.Backend` (in memory: :mod:`khorsyio.bus.backends.memory`).
    """

    def __init__(
        self,
        handler_timeout: float | None = None,
        *,
        settings: BusSettings | None = None,
    ) -> None:
        settings = settings or BusSettings()
        if handler_timeout is not None:
            settings = msgspec.structs.replace(settings, handler_timeout=handler_timeout)
        self.settings = settings
        backend: Backend = MemoryBackend(settings)
        self._backend = backend  # typed as the interface: the bus uses nothing else of it
        self._current = backend.current
        self._deliver_nowait = backend.deliver_nowait
        self._deliver_waiting = backend.deliver_waiting
        self._by_name: dict[str, Subscription] = {}
        self._by_event: dict[str, list[Subscription]] = {}
        self._registered: set[int] = set()
        self._schedules: list[Schedule] = []

    # -- what the backend keeps -----------------------------------------------------------

    @property
    def state(self) -> BusState:
        """The lifecycle state: ``NEW``, ``RUNNING``, ``DRAINING``, ``CLOSING``, ``STOPPED``."""
        return self._backend.state

    @property
    def metrics(self) -> Metrics:
        return self._backend.metrics

    @property
    def event_log(self) -> EventLog:
        return self._backend.event_log

    @property
    def dead_letters(self) -> DeadLetterStore:
        """Where failed events are kept (in memory unless the app gives a database store)."""
        return self._backend.dead_letters

    @dead_letters.setter
    def dead_letters(self, store: DeadLetterStore) -> None:
        self._backend.dead_letters = store

    @property
    def in_flight(self) -> int:
        """Events accepted and not yet finished (queued or being processed)."""
        return self._backend.in_flight.count

    @property
    def unfinished(self) -> int:
        """Events cut short by a shutdown (cancelled, or never started), over the bus's life."""
        return self._backend.unfinished

    async def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no event is queued or being processed (chains included).

        Returns False if that did not happen within ``timeout`` seconds. Tests use it to
        wait for the effects of a ``publish``.
        """
        return await self._backend.in_flight.wait_idle(self._backend.loop(), timeout)

    # -- registration ---------------------------------------------------------------------

    def register(
        self,
        handler: Handler[Any, Any],
        *,
        subscribes_to: str | None = None,
        publishes: str | None = None,
        also_publishes: Mapping[str, type[msgspec.Struct] | None] | tuple[str, ...] | None = None,
        init: Mapping[str, Any] | None = None,
    ) -> None:
        """Subscribe a handler *instance*; the keyword arguments override its own wiring.

        ``also_publishes``: the routed events (a tuple of names, or names to contracts).
        ``init``: for an ``execution_mode = "process"`` handler, the constructor arguments
        each worker rebuilds it with (``App.register`` passes the injected ones); they must
        pickle.
        """
        cls = type(handler)
        if isinstance(handler, type):
            raise RegistrationError(
                f"bus.register() takes a handler instance, got the class {handler.__qualname__}; "
                "use app.register(cls) to have its dependencies injected"
            )
        validate_handler_class(cls)
        if cls.execution_mode == "process":
            problems = unportable(cls, init or {})
            if problems:
                raise RegistrationError("; ".join(problems))
        elif init:
            raise RegistrationError(
                f"{cls.__qualname__}: init= is for execution_mode='process' handlers only"
            )
        if id(handler) in self._registered:
            raise RegistrationError(f"{cls.__qualname__} instance is already registered")
        if cls.__name__ in self._by_name and type(self._by_name[cls.__name__].handler) is cls:
            raise RegistrationError(f"handler {cls.__qualname__} is already registered")
        sub_to = subscribes_to if subscribes_to is not None else cls.subscribes_to
        pub = publishes if publishes is not None else cls.publishes
        s = self.settings
        backend = self._backend
        sub = Subscription(
            backend,
            handler,
            subscribes_to=sub_to,
            publishes=pub,
            timeout=cls.timeout or s.handler_timeout,
            concurrency=cls.concurrency or s.concurrency,
            queue_size=cls.queue_size or s.queue_size,
            routed=(
                routed_contracts(cls)
                if also_publishes is None
                else dict(also_publishes)
                if isinstance(also_publishes, Mapping)
                else dict.fromkeys(also_publishes)
            ),
        )
        if sub.name in self._by_name:
            raise RegistrationError(
                f"two handler classes are named {sub.name!r} ({cls.__module__} and "
                f"{type(self._by_name[sub.name].handler).__module__}); handler names must be unique"
            )
        self._registered.add(id(handler))
        self._by_name[sub.name] = sub
        self._by_event.setdefault(sub_to, []).append(sub)
        backend.subscribe(sub)
        if sub.in_process:
            if backend.pool is None:
                backend.pool = WorkerPool(s.process_workers)
                if backend.started:
                    backend.pool.start()
            backend.pool.add(cls, init)
        log.debug("registered %s on '%s' -> '%s'", sub.name, sub_to, pub)

    @property
    def subscriptions(self) -> list[Subscription]:
        return list(self._by_name.values())

    def subscribers(self, event_type: str) -> list[Subscription]:
        return list(self._by_event.get(event_type, ()))

    def schedule(
        self, event_type: str, data: msgspec.Struct, interval: float, source: str = "scheduler"
    ) -> Schedule:
        """Publish a copy of ``data`` as ``event_type`` every ``interval`` seconds."""
        check_struct("schedule", event_type, data)
        sched = Schedule(event_type, data, interval, source)
        self._schedules.append(sched)
        if self.state.accepting:
            sched.start(functools.partial(self._fire, sched))
        return sched

    @property
    def schedules(self) -> list[Schedule]:
        return list(self._schedules)

    def on_error(self, callback: ErrorCallback) -> None:
        """Call ``callback(error_envelope)`` (sync or async) for every handler failure."""
        self._backend.error_callbacks.append(callback)

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        backend = self._backend
        if backend.state is BusState.RUNNING:
            return
        await backend.start()
        if backend.pool is not None:
            backend.pool.start()
        backend.state = BusState.RUNNING
        for sched in self._schedules:
            sched.start(functools.partial(self._fire, sched))

    async def stop(self, drain_timeout: float | None = None) -> DrainReport:
        """Stop taking new work, drain, then cancel what is left (counted and logged).

        Queued and in-flight events get ``drain_timeout`` seconds (default BUS_DRAIN_TIMEOUT)
        to finish, including the events they publish. Then in-flight handlers are cancelled
        and waiting events are moved to the dead letters; pending ``request`` calls get an
        error envelope with code ``"shutdown"``; scheduled tasks are cancelled first.
        """
        backend = self._backend
        if not backend.started:
            return DrainReport(drained=True)
        timeout = (
            self.settings.drain_timeout
            if drain_timeout is None
            else seconds(drain_timeout, "drain_timeout", zero=True)
        )
        backend.state = BusState.DRAINING
        for sched in self._schedules:
            await sched.stop()
        drained = await self.wait_idle(timeout)
        backend.state = BusState.CLOSING
        left = await backend.close(drained)
        report = DrainReport(
            drained=drained,
            cancelled_in_flight=left.cancelled_in_flight,
            not_started=left.not_started,
            pending_requests=left.pending_requests,
        )
        if not drained:
            log.warning(
                "bus stopped before draining in %.1fs: %d in-flight handler call(s) cancelled, "
                "%d queued event(s) not started (all moved to dead letters), "
                "%d request(s) answered 'shutdown'",
                timeout,
                report.cancelled_in_flight,
                report.not_started,
                report.pending_requests,
            )
        if backend.pool is not None:
            await asyncio.get_running_loop().run_in_executor(None, backend.pool.stop)
        backend.state = BusState.STOPPED
        return report

    # -- publishing -----------------------------------------------------------------------

    async def publish(
        self,
        event: str | Envelope,
        data: msgspec.Struct | None = None,
        *,
        source: str = "",
        trace_id: str | None = None,
        user_id: str = "",
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Publish ``data`` as ``event``, or publish an :class:`Envelope` as it is.

        Inside a handler, a publish without ``trace_id`` continues the handler's trace.
        Waits only when a subscriber's backlog is full (backpressure).
        """
        parent = self._current.get()
        if parent is None and not self._backend.state.accepting:
            raise BusClosedError(
                f"bus.publish({event!r}): the bus is not running "
                + (
                    "(shutting down)"
                    if self.state.stopping
                    else "(call app.startup()/bus.start() first)"
                )
            )
        if parent is None and trace_id is None and type(event) is str and event:
            if not isinstance(data, msgspec.Struct):
                check_struct("publish", event, data)
            env = new_envelope(event, data, source, None, user_id, extra)  # the common case
        else:
            env = make_envelope(
                "publish", event, data, source, trace_id, user_id, extra, self._current.get()
            )
        if not self._deliver_nowait(env):
            await self._deliver_waiting(env)

    async def request(
        self,
        event: str,
        data: msgspec.Struct,
        response_type: str | None = None,
        *,
        source: str = "",
        timeout: float | None = None,
        trace_id: str | None = None,
        user_id: str = "",
        extra: dict[str, Any] | None = None,
    ) -> Envelope:
        """Publish and wait for ``response_type`` (default ``<event>.response``) in this chain.

        Returns the response envelope; on failure an error envelope (``is_error``): code
        ``"timeout"`` when nothing answered in ``timeout`` seconds (default
        BUS_HANDLER_TIMEOUT), the failing handler's error as soon as any handler on the chain
        fails, ``"no_handler"`` when nothing subscribes to ``event``, ``"shutdown"`` when the
        bus stops first.
        """
        limit = self.settings.handler_timeout if timeout is None else seconds(timeout, "timeout")
        env = make_envelope(
            "request", event, data, source, trace_id, user_id, extra, self._current.get()
        )
        wait_for = response_type or f"{event}.response"
        if not self.state.accepting:
            return Envelope.error_from(env, "the bus is not running", code="shutdown", source="bus")
        if event not in self._by_event:
            return Envelope.error_from(
                env, f"no handler subscribes to '{event}'", code="no_handler", source="bus"
            )
        backend = self._backend
        cid, fut = backend.open_reply(wait_for)
        env.ctx.correlation_id = cid
        try:
            return await run_with_timeout(self._emit_and_wait(env, fut), limit)
        except TimeoutError:
            return Envelope.error_from(
                env,
                f"no '{wait_for}' within {limit}s",
                code="timeout",
                source="bus.request",
            )
        finally:
            backend.close_reply(cid)

    async def _emit_and_wait(self, env: Envelope, fut: asyncio.Future[Envelope]) -> Envelope:
        await self._backend.deliver(env)
        return await fut

    async def _fire(self, sched: Schedule, event: str, data: Any, source: str) -> None:
        """A schedule's tick: published here if the backend gives this process the tick."""
        if await self._backend.claim(sched):
            await self.publish(event, data, source=source)

    # -- graph ----------------------------------------------------------------------------

    def graph_nodes(self) -> list[Node]:
        """The bus's part of the event graph: handlers and schedules."""
        return [s.graph_node() for s in self._by_name.values()] + [
            s.graph_node() for s in self._schedules
        ]

    def validate_graph(self) -> list[str]:
        """Wiring problems of the handlers and schedules alone, as messages."""
        return [p.message for p in check_graph(self.graph_nodes())]
