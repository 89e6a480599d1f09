"""The in-memory delivery of the bus: envelopes to subscriptions, and its bookkeeping.

:class:`Dispatch` holds what delivery needs (the subscriptions by event, the pending
replies, the in-flight count, the event loop) and does it: log an envelope, answer a waiting
request, hand the envelope to its subscribers (a copy each for fan-out), fail an event for
good. :class:`~khorsyio.bus.Bus` is built on it and adds registration, the lifecycle and the
publishing API; a :class:`~khorsyio.bus.subscription.Subscription` calls back into it
through the ``BusCore`` protocol it declares.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable

from khorsyio.bus.callbacks import call_each
from khorsyio.bus.dead_letters import DeadLetterStore, MemoryDeadLetters
from khorsyio.bus.envelopes import isolated_copy
from khorsyio.bus.event_log import EventLog
from khorsyio.bus.metrics import Metrics
from khorsyio.bus.replies import Replies
from khorsyio.bus.subscription import Subscription
from khorsyio.bus.worker_pool import WorkerPool
from khorsyio.errors import BusClosedError, HandlerError, StateError, UnknownNameError
from khorsyio.events import Context, Envelope, Error
from khorsyio.settings import BusSettings

__all__ = ["Dispatch", "ErrorCallback"]

log = logging.getLogger("khorsyio.bus")

ErrorCallback = Callable[[Envelope], Awaitable[None] | None]


def _callback_failed(cb: object) -> None:
    log.exception("error callback %r failed", cb)


class Dispatch:
    """Delivery of envelopes to the subscriptions of one process (the base of Bus)."""

    def __init__(self, settings: BusSettings) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.event_log = EventLog(self.settings.event_log_size)
        self._log = self.event_log.record
        self._dead_letters: DeadLetterStore = MemoryDeadLetters(
            self.settings.dead_letter_size, self._redeliver
        )
        self._unsaved: list[tuple[str, Envelope, Error, int]] = []
        """Letters of events cut short at shutdown, stored by :meth:`_save_unfinished`."""
        self._subs: dict[str, list[Subscription]] = {}
        self._by_name: dict[str, Subscription] = {}
        self._replies = Replies()
        self._error_callbacks: list[ErrorCallback] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pool: WorkerPool | None = None
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

    @property
    def dead_letters(self) -> DeadLetterStore:
        """Where failed events are kept (in memory unless the app gives a database store)."""
        return self._dead_letters

    @dead_letters.setter
    def dead_letters(self, store: DeadLetterStore) -> None:
        store.bind(self._redeliver)
        self._dead_letters = store

    async def _keep(self, handler: str, env: Envelope, error: Error, attempts: int) -> None:
        """Store a dead letter; a store that fails says so in the log, with the event."""
        try:
            await self._dead_letters.add(handler, env, error, attempts)
        except Exception:
            log.exception(
                "could not keep the dead letter of %s in %s trace=%s (%s: %s)",
                env.event_type,
                handler,
                env.trace_id,
                error.code,
                error.message,
            )

    async def _save_unfinished(self) -> None:
        unsaved, self._unsaved = self._unsaved, []
        for handler, env, error, attempts in unsaved:
            await self._keep(handler, env, error, attempts)

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
            await self._keep(sub.name, env, err_env.error, attempts)
        if self._error_callbacks:
            await call_each(self._error_callbacks, err_env, _callback_failed)
        await self._emit(err_env)

    def _unfinished(self, sub: Subscription, env: Envelope, why: str) -> None:
        self.unfinished += 1
        err = Error(code="shutdown", message=why, source=sub.name, trace_id=env.trace_id)
        store = self._dead_letters
        if isinstance(store, MemoryDeadLetters):
            store.add_now(sub.name, env, err, 0)  # at once: no await in a cancelled task
        else:
            self._unsaved.append((sub.name, env, err, 0))  # stored before bus.stop() returns

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

    def _process_pool(self) -> WorkerPool:
        if self._pool is None:
            raise StateError("no process pool: no process-mode handler is registered")
        return self._pool

    @property
    def in_flight(self) -> int:
        """Events accepted and not yet finished (queued or being processed)."""
        return self._busy
