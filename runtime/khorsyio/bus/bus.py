"""The in-process event bus."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec

from khorsyio.bus.callbacks import call_each
from khorsyio.bus.dead_letters import DeadLetterStore
from khorsyio.bus.eager import run_with_timeout
from khorsyio.bus.envelopes import check_struct, isolated_copy, make_envelope
from khorsyio.bus.event_log import EventLog
from khorsyio.bus.metrics import Metrics
from khorsyio.bus.process_pool import ProcessPool
from khorsyio.bus.replies import Replies
from khorsyio.bus.scheduler import Schedule
from khorsyio.bus.subscription import Subscription
from khorsyio.errors import (
    BusClosedError,
    HandlerError,
    RegistrationError,
    StateError,
    UnknownNameError,
)
from khorsyio.events import Context, Envelope, Error, new_envelope
from khorsyio.graph import Node, check_graph
from khorsyio.handler import Handler, routed_contracts, validate_handler_class
from khorsyio.settings import BusSettings

__all__ = ["Bus", "DrainReport"]

log = logging.getLogger("khorsyio.bus")

ErrorCallback = Callable[[Envelope], Awaitable[None] | None]


def _callback_failed(cb: object) -> None:
    log.exception("error callback %r failed", cb)


class DrainReport(msgspec.Struct, kw_only=True):
    """What ``Bus.stop`` could not finish within the drain timeout."""

    drained: bool
    cancelled_in_flight: int = 0
    not_started: int = 0
    pending_requests: int = 0


class Bus:
    """Typed handlers connected by events; publish, request/reply, schedules.

    ``Bus()`` takes its defaults from :class:`~khorsyio.settings.BusSettings`; an App builds
    its bus from the app's settings.
    """

    def __init__(
        self,
        handler_timeout: float | None = None,
        *,
        settings: BusSettings | None = None,
    ) -> None:
        self.settings = settings or BusSettings()
        if handler_timeout is not None:
            self.settings = msgspec.structs.replace(self.settings, handler_timeout=handler_timeout)
        self.metrics = Metrics()
        self.event_log = EventLog(self.settings.event_log_size)
        self._log = self.event_log.record
        self.dead_letters = DeadLetterStore(self.settings.dead_letter_size, self._redeliver)
        self._subs: dict[str, list[Subscription]] = {}
        self._by_name: dict[str, Subscription] = {}
        self._registered: set[int] = set()
        self._schedules: list[Schedule] = []
        self._replies = Replies()
        self._error_callbacks: list[ErrorCallback] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pool: ProcessPool | None = None
        self._busy = 0
        self._idle_waiters: list[asyncio.Future[None]] = []
        self._current: contextvars.ContextVar[Context | None] = contextvars.ContextVar(
            "khorsyio_current_context", default=None
        )
        self.accepting = False
        self.stopping = False
        self.closed = False
        """Past the drain: nothing more is delivered, not even from inside handlers."""
        self.unfinished = 0

    # -- registration ---------------------------------------------------------------------

    def register(
        self,
        handler: Handler[Any, Any],
        *,
        subscribes_to: str | None = None,
        publishes: str | None = None,
        also_publishes: Mapping[str, type[msgspec.Struct] | None] | tuple[str, ...] | None = None,
    ) -> None:
        """Subscribe a handler *instance*; the keyword arguments override its own wiring.

        ``also_publishes``: the routed events (a tuple of names, or names to contracts).
        """
        cls = type(handler)
        if isinstance(handler, type):
            raise RegistrationError(
                f"bus.register() takes a handler instance, got the class {handler.__qualname__}; "
                "use app.register(cls) to have its dependencies injected"
            )
        validate_handler_class(cls)
        if id(handler) in self._registered:
            raise RegistrationError(f"{cls.__qualname__} instance is already registered")
        if cls.__name__ in self._by_name and type(self._by_name[cls.__name__].handler) is cls:
            raise RegistrationError(f"handler {cls.__qualname__} is already registered")
        sub_to = subscribes_to if subscribes_to is not None else cls.subscribes_to
        pub = publishes if publishes is not None else cls.publishes
        s = self.settings
        sub = Subscription(
            self,
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
        self._subs.setdefault(sub_to, []).append(sub)
        if sub.in_process and self._pool is None:
            self._pool = ProcessPool(s.process_workers)
            if self._loop is not None:
                self._pool.start()
        log.debug("registered %s on '%s' -> '%s'", sub.name, sub_to, pub)

    @property
    def subscriptions(self) -> list[Subscription]:
        return list(self._by_name.values())

    def subscribers(self, event_type: str) -> list[Subscription]:
        return list(self._subs.get(event_type, ()))

    def schedule(
        self, event_type: str, data: msgspec.Struct, interval: float, source: str = "scheduler"
    ) -> Schedule:
        """Publish a copy of ``data`` as ``event_type`` every ``interval`` seconds."""
        check_struct("schedule", event_type, data)
        sched = Schedule(event_type, data, interval, source)
        self._schedules.append(sched)
        if self.accepting:
            sched.start(self._publish_scheduled)
        return sched

    @property
    def schedules(self) -> list[Schedule]:
        return list(self._schedules)

    def on_error(self, callback: ErrorCallback) -> None:
        """Call ``callback(error_envelope)`` (sync or async) for every handler failure."""
        self._error_callbacks.append(callback)

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        if self.accepting:
            return
        self._loop = asyncio.get_running_loop()
        if self._pool is not None:
            self._pool.start()
        self.accepting = True
        self.stopping = False
        self.closed = False
        for sched in self._schedules:
            sched.start(self._publish_scheduled)

    async def stop(self, drain_timeout: float | None = None) -> DrainReport:
        """Stop taking new work, drain, then cancel what is left (counted and logged).

        Queued and in-flight events get ``drain_timeout`` seconds (default BUS_DRAIN_TIMEOUT)
        to finish, including the events they publish. Then in-flight handlers are cancelled
        and waiting events are moved to the dead letters; pending ``request`` calls get an
        error envelope with code ``"shutdown"``; scheduled tasks are cancelled first.
        """
        if self._loop is None:
            return DrainReport(drained=True)
        timeout = self.settings.drain_timeout if drain_timeout is None else drain_timeout
        self.accepting = False
        self.stopping = True
        for sched in self._schedules:
            await sched.stop()
        drained = await self.wait_idle(timeout)
        report = DrainReport(drained=drained)
        self.closed = True
        for sub in self._by_name.values():
            sub.wake_all()
        if not drained:
            for sub in self._by_name.values():
                while sub.backlog:
                    env = sub.backlog.popleft()
                    self._work_finished()
                    report.not_started += 1
                    self._unfinished(sub, env, "not started before shutdown")
            tasks = [t for t in self._tasks if not t.done()]
            report.cancelled_in_flight = len(tasks)
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        report.pending_requests = self._replies.fail_all("shutdown", "the bus is shutting down")
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
        if self._pool is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._pool.stop)
        self._loop = None
        self.stopping = False
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
        if not self.accepting and parent is None:
            raise BusClosedError(
                f"bus.publish({event!r}): the bus is not running "
                + ("(shutting down)" if self.stopping else "(call app.startup()/bus.start() first)")
            )
        if parent is None and trace_id is None and type(event) is str and event:
            if not isinstance(data, msgspec.Struct):
                check_struct("publish", event, data)
            env = new_envelope(event, data, source, None, user_id, extra)  # the common case
        else:
            env = make_envelope(
                "publish", event, data, source, trace_id, user_id, extra, self._current.get()
            )
        if not self._dispatch(env):
            await self._dispatch_waiting(env)

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
        env = make_envelope(
            "request", event, data, source, trace_id, user_id, extra, self._current.get()
        )
        wait_for = response_type or f"{event}.response"
        if not self.accepting:
            return Envelope.error_from(env, "the bus is not running", code="shutdown", source="bus")
        if event not in self._subs:
            return Envelope.error_from(
                env, f"no handler subscribes to '{event}'", code="no_handler", source="bus"
            )
        cid, fut = self._replies.open(self._loop_or_raise(), wait_for)
        env.ctx.correlation_id = cid
        limit = self.settings.handler_timeout if timeout is None else timeout
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
            self._replies.close(cid)

    async def _emit_and_wait(self, env: Envelope, fut: asyncio.Future[Envelope]) -> Envelope:
        await self._emit(env)
        return await fut

    async def _publish_scheduled(self, event: str, data: Any, source: str) -> None:
        await self.publish(event, data, source=source)

    # -- dispatch -------------------------------------------------------------------------

    async def _emit(self, env: Envelope) -> None:
        if not self._dispatch(env):
            await self._dispatch_waiting(env)

    def _dispatch(self, env: Envelope) -> bool:
        """Log ``env``, answer a waiting request, hand it to its subscribers.

        Returns False, having delivered nothing, when a subscriber's backlog is full: then
        :meth:`_dispatch_waiting` delivers it, waiting for room.
        """
        self._log(env)
        if env.ctx.correlation_id:
            self._replies.offer(env)
        subs = self._subs.get(env.event_type)
        if not subs:
            return True
        if len(subs) == 1:
            return subs[0].try_offer(env)
        return False  # fan-out: each subscriber gets its own copy, in _dispatch_waiting

    async def _dispatch_waiting(self, env: Envelope) -> None:
        subs = self._subs[env.event_type]
        if len(subs) == 1:
            await subs[0].offer(env)
            return
        # copy before the first delivery runs (eagerly) and mutates the original
        copies = [env] + [isolated_copy(env) for _ in range(len(subs) - 1)]
        for sub, e in zip(subs, copies, strict=True):
            if not sub.try_offer(e):
                await sub.offer(e)

    async def _fail(
        self, sub: Subscription, env: Envelope, failure: HandlerError, attempts: int
    ) -> None:
        err_env = Envelope.error_from(
            env, failure.message, code=failure.code, source=sub.name, details=failure.details
        )
        assert err_env.error is not None
        if failure.dead_letter:
            self.dead_letters.add(sub.name, env, err_env.error, attempts)
        if self._error_callbacks:
            await call_each(self._error_callbacks, err_env, _callback_failed)
        await self._emit(err_env)

    def _unfinished(self, sub: Subscription, env: Envelope, why: str) -> None:
        self.unfinished += 1
        self.dead_letters.add(
            sub.name,
            env,
            Error(code="shutdown", message=why, source=sub.name, trace_id=env.trace_id),
            0,
        )

    async def _redeliver(self, handler: str, env: Envelope) -> None:
        sub = self._by_name.get(handler)
        if sub is None:
            raise UnknownNameError(f"no handler named {handler!r} is registered")
        if not self.accepting:
            raise BusClosedError("cannot replay a dead letter: the bus is not running")
        await sub.offer(env)

    # -- bookkeeping used by subscriptions ------------------------------------------------

    def _loop_or_raise(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise BusClosedError("the bus is not running (call app.startup()/bus.start() first)")
        return self._loop

    def _work_finished(self) -> None:
        self._busy -= 1
        if self._busy == 0 and self._idle_waiters:
            self._wake_idle()

    def _wake_idle(self) -> None:
        waiters, self._idle_waiters = self._idle_waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no event is queued or being processed (chains included).

        Returns False if that did not happen within ``timeout`` seconds. Tests use it to
        wait for the effects of a ``publish``.
        """
        if self._busy == 0:
            return True
        fut: asyncio.Future[None] = self._loop_or_raise().create_future()
        self._idle_waiters.append(fut)
        try:
            async with asyncio.timeout(timeout):
                await fut
        except TimeoutError:
            return False
        return True

    def _track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _process_pool(self) -> ProcessPool:
        if self._pool is None:
            raise StateError("no process pool: no process-mode handler is registered")
        return self._pool

    @property
    def in_flight(self) -> int:
        """Events accepted and not yet finished (queued or being processed)."""
        return self._busy

    # -- graph ----------------------------------------------------------------------------

    def graph_nodes(self) -> list[Node]:
        """The bus's part of the event graph: handlers and schedules."""
        nodes = [
            Node(
                kind="handler",
                name=s.name,
                consumes=s.subscribes_to,
                produces=((s.publishes,) if s.publishes else ()) + s.also_publishes,
                input_type=s.input_type,
                output_type=s.output_type,
                routed=tuple(s.routed.items()),
            )
            for s in self._by_name.values()
        ]
        nodes += [
            Node(
                kind="schedule",
                name=f"schedule {s.event_type} every {s.interval:g}s",
                produces=(s.event_type,),
                output_type=type(s.data),
            )
            for s in self._schedules
        ]
        return nodes

    def validate_graph(self) -> list[str]:
        """Wiring problems of the handlers and schedules alone, as messages."""
        return [p.message for p in check_graph(self.graph_nodes())]
