"""The seam between the bus and its transport: what a backend must provide.

:class:`~khorsyio.bus.Bus` owns registration, the lifecycle and the publishing API; a
:class:`Backend` moves envelopes. A :class:`~khorsyio.bus.subscription.Subscription`
(one handler's queue, concurrency, retries) talks to its backend through this interface
only. The in-memory backend (:mod:`khorsyio.bus.backends.memory`) is the one there is; a backend
across processes (Redis Streams: a stream per event type, a consumer group per handler)
implements the same methods. See docs/backends.md.

What every backend shares lives here as plain attributes (the lifecycle state, the
in-flight counter, the handler context variable, the loop and its tasks, the process pool
of ``execution_mode = "process"`` handlers): the bus and the subscriptions read them
without reaching into each other.
"""

from __future__ import annotations

import abc
import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from typing import ClassVar, Protocol

from khorsyio.bus.callbacks import call_each
from khorsyio.bus.dead_letters import DeadLetterStore
from khorsyio.bus.event_log import EventLog
from khorsyio.bus.in_flight import InFlight
from khorsyio.bus.metrics import Metrics
from khorsyio.bus.scheduler import Schedule
from khorsyio.bus.state import BusState
from khorsyio.bus.worker_pool import WorkerPool
from khorsyio.errors import BusClosedError, HandlerError, StateError
from khorsyio.events import Context, Envelope, Error
from khorsyio.settings import BusSettings

__all__ = ["Backend", "Consumer", "ErrorCallback", "Leftovers"]

log = logging.getLogger("khorsyio.bus")

ErrorCallback = Callable[[Envelope], Awaitable[None] | None]


def _callback_failed(cb: object) -> None:
    log.exception("error callback %r failed", cb)


class Consumer(Protocol):
    """What a backend delivers to: one handler's subscription (a consumer group, in Redis)."""

    name: str
    subscribes_to: str

    def try_offer(self, env: Envelope) -> bool:
        """Take ``env`` now if there is room (counted in flight); False when full."""
        ...

    async def offer(self, env: Envelope) -> None:
        """Take ``env``, waiting for room (backpressure)."""
        ...

    def wake_all(self) -> None:
        """Wake the publishers waiting for room (the bus is closing)."""
        ...

    def take_backlog(self) -> list[Envelope]:
        """Remove and return what was taken but not started (still counted in flight)."""
        ...


class Leftovers:
    """What :meth:`Backend.close` cut short: the figures of a ``DrainReport``."""

    __slots__ = ("cancelled_in_flight", "not_started", "pending_requests")

    def __init__(self) -> None:
        self.cancelled_in_flight = 0
        self.not_started = 0
        self.pending_requests = 0


class Backend(abc.ABC):
    """Delivery of envelopes to consumers: the interface, and the bookkeeping all share.

    A backend provides: delivery (:meth:`deliver_nowait`, :meth:`deliver_waiting`), the
    acknowledgement of a finished delivery (:meth:`ack`), the wait before a retry
    (:meth:`retry`), dead letters (:meth:`dead_letter`, :meth:`abandon`,
    :attr:`dead_letters`), request/reply correlation (:meth:`open_reply`,
    :meth:`close_reply`; :meth:`close` answers what is left), who fires a schedule's tick
    (:meth:`claim`), and its own :meth:`start` and :meth:`close`.
    """

    needs_ack: ClassVar[bool] = False
    """True when :meth:`ack` does something; False lets subscriptions skip the call."""

    def __init__(self, settings: BusSettings) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.event_log = EventLog(settings.event_log_size)
        self.state = BusState.NEW
        self.in_flight = InFlight()
        self.current: contextvars.ContextVar[Context | None] = contextvars.ContextVar(
            "khorsyio_current_context", default=None
        )
        """The context of the event the running handler processes (None outside one)."""
        self.error_callbacks: list[ErrorCallback] = []
        self.pool: WorkerPool | None = None
        self.unfinished = 0
        """Events cut short by a shutdown (cancelled, or never started), over the bus's life."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- shared bookkeeping ---------------------------------------------------------------

    @property
    def started(self) -> bool:
        """Between :meth:`start` and the end of :meth:`close`."""
        return self._loop is not None

    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise BusClosedError("the bus is not running (call app.startup()/bus.start() first)")
        return self._loop

    def track(self, task: asyncio.Task[None]) -> None:
        """Keep ``task`` (a worker) until it ends; :meth:`close` cancels what is left."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def process_pool(self) -> WorkerPool:
        if self.pool is None:
            raise StateError("no process pool: no process-mode handler is registered")
        return self.pool

    def cancel_tasks(self) -> list[asyncio.Task[None]]:
        """Cancel the workers still running; the cancelled tasks, to be awaited."""
        tasks = [t for t in self._tasks if not t.done()]
        for t in tasks:
            t.cancel()
        return tasks

    async def fail(self, handler: str, env: Envelope, failure: HandlerError, attempts: int) -> None:
        """``env`` failed for good in ``handler``: dead letter, error callbacks, error envelope."""
        err_env = Envelope.error_from(
            env, failure.message, code=failure.code, source=handler, details=failure.details
        )
        assert err_env.error is not None
        if failure.dead_letter:
            await self.dead_letter(handler, env, err_env.error, attempts)
        if self.error_callbacks:
            await call_each(self.error_callbacks, err_env, _callback_failed)
        await self.deliver(err_env)

    async def retry(self, handler: str, env: Envelope, attempt: int, delay: float) -> None:
        """Wait before ``handler`` tries ``env`` again (attempt ``attempt + 1``).

        Retries run in the subscription, in every backend; a backend that redelivers
        instead (a claim after an idle time) overrides this.
        """
        await asyncio.sleep(delay)

    # -- what each backend provides -------------------------------------------------------

    @abc.abstractmethod
    async def start(self) -> None:
        """Open what delivery needs (connections, the dead-letter store); bind the loop."""

    @abc.abstractmethod
    async def close(self, drained: bool) -> Leftovers:
        """After the drain (``drained``: it emptied the bus): cut short what is left (dead
        letters), answer the pending requests ``"shutdown"``, unbind the loop."""

    @abc.abstractmethod
    def subscribe(self, consumer: Consumer) -> None:
        """Deliver ``consumer.subscribes_to`` events to ``consumer`` from now on."""

    @abc.abstractmethod
    def deliver_nowait(self, env: Envelope) -> bool:
        """Deliver ``env`` if no consumer must wait for room, and say so.

        False: the delivery has begun (``env`` is logged, a waiting request answered) but no
        consumer has it yet; :meth:`deliver_waiting` finishes it. The publish fast path: it
        must not create a task nor await.
        """

    @abc.abstractmethod
    async def deliver_waiting(self, env: Envelope) -> None:
        """Finish a delivery :meth:`deliver_nowait` refused, waiting for room."""

    async def deliver(self, env: Envelope) -> None:
        """Deliver ``env`` to every consumer of its type, waiting for room."""
        if not self.deliver_nowait(env):
            await self.deliver_waiting(env)

    def ack(self, handler: str, env: Envelope) -> None:  # noqa: B027 (a no-op by default)
        """``handler`` is done with ``env`` (handled, or failed for good): forget it.

        Called only when :attr:`needs_ack`; in memory there is nothing to forget.
        """

    @property
    @abc.abstractmethod
    def dead_letters(self) -> DeadLetterStore:
        """Where failed events are kept (the app may set a database store before start)."""

    @dead_letters.setter
    @abc.abstractmethod
    def dead_letters(self, store: DeadLetterStore) -> None: ...

    @abc.abstractmethod
    async def dead_letter(self, handler: str, env: Envelope, error: Error, attempts: int) -> None:
        """Keep ``env`` as a dead letter of ``handler``; a failing store only logs."""

    @abc.abstractmethod
    def abandon(self, handler: str, env: Envelope, why: str) -> None:
        """``env`` was cut short by the shutdown: keep it (without awaiting: the caller may
        be a cancelled task); stored for good before :meth:`close` returns."""

    @abc.abstractmethod
    def open_reply(self, response_type: str) -> tuple[str, asyncio.Future[Envelope]]:
        """A new correlation id, unique on the transport, and the future its reply resolves."""

    @abc.abstractmethod
    def close_reply(self, cid: str) -> None:
        """The request ``cid`` is over (answered, timed out or cancelled)."""

    @abc.abstractmethod
    async def claim(self, schedule: Schedule) -> bool:
        """Whether this process fires ``schedule``'s current tick (once per cluster)."""
