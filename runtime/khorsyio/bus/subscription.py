"""One handler's place on the bus: bounded concurrency, a bounded backlog, the workers.

Dispatch creates no task per event where it can avoid one:

- while a worker of the handler is running (or about to run), a new event joins the
  backlog, which that worker drains in the same task: a flood of events costs one task
  per batch, as an ``asyncio.Queue`` hand-off would;
- a worker that finds its handler suspended (real I/O) hands the backlog to one more worker,
  up to the handler's ``concurrency``: parallelism grows exactly when handlers wait;
- an event of a request/reply chain starts its worker as an *eager* task (Python 3.12+),
  which runs synchronously until it first suspends, so a chain of handlers that never wait
  answers inside the requester's call;
- a handler's timeout timer is armed only when its ``process`` actually suspends.

A full backlog makes the publisher wait (backpressure); nothing is dropped. A subscription
knows its :class:`~khorsyio.bus.backends.base.Backend` only through that interface.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import deque
from typing import Any

import msgspec

from khorsyio.bus.backends.base import Backend
from khorsyio.bus.eager import Resume, start_eager
from khorsyio.bus.failure_log import log_failure, log_retry
from khorsyio.bus.metrics import HandlerStats
from khorsyio.errors import BusClosedError, ClientError, HandlerError
from khorsyio.events import Envelope
from khorsyio.graph import Node
from khorsyio.handler import Handler
from khorsyio.retry import RetryPolicy

__all__ = ["Subscription"]

log = logging.getLogger("khorsyio.bus")


def _failure(code: str, message: str, details: dict[str, Any] | None = None) -> HandlerError:
    """An internal failure (validation, timeout, crash): kept as a dead letter."""
    return HandlerError(code, message, details=details, dead_letter=True)


class Subscription:
    """A registered handler instance with its effective wiring and its dispatch state."""

    def __init__(
        self,
        backend: Backend,
        handler: Handler[Any, Any],
        *,
        subscribes_to: str,
        publishes: str,
        timeout: float,
        concurrency: int,
        queue_size: int,
        routed: dict[str, type[msgspec.Struct] | None] | None = None,
    ) -> None:
        cls = type(handler)
        self.backend = backend
        self.handler = handler
        self.name = cls.__name__
        self.subscribes_to = subscribes_to
        self.publishes = publishes
        self.routed: dict[str, type[msgspec.Struct] | None] = routed or {}
        """Events ``process`` may forward to (conditional routing), with their contracts."""
        self.also_publishes = tuple(self.routed)
        self.input_type = cls.input_type
        self.output_type = cls.output_type
        self.timeout = timeout
        self.concurrency = concurrency
        self.queue_size = queue_size
        self.retry: RetryPolicy | None = cls.retry
        self.in_process = cls.execution_mode == "process"
        self.stats: HandlerStats = backend.metrics.stats_for(self.name)
        self.inflight = 0
        """Workers alive (running, scheduled to run, or waiting on the handler)."""
        self.waiting = 0
        """Workers whose handler is suspended; ``inflight - waiting`` will take backlog."""
        self.backlog: deque[Envelope] = deque()
        self._space_waiters: deque[asyncio.Future[None]] = deque()
        self._process = handler.process  # bound once
        self._in_flight = backend.in_flight
        self._ack = backend.ack if backend.needs_ack else None

    def graph_node(self) -> Node:
        """This handler in the event graph."""
        return Node(
            kind="handler",
            name=self.name,
            consumes=self.subscribes_to,
            produces=((self.publishes,) if self.publishes else ()) + self.also_publishes,
            input_type=self.input_type,
            output_type=self.output_type,
            routed=tuple(self.routed.items()),
        )

    # -- accepting work -------------------------------------------------------------------

    def try_offer(self, env: Envelope) -> bool:
        """Take ``env`` without waiting if there is room; False when the backlog is full."""
        if not self.backend.state.delivering:
            raise BusClosedError(f"the bus has stopped: '{env.event_type}' was not delivered")
        backlog = self.backlog
        if self.inflight > self.waiting and len(backlog) < self.queue_size:
            backlog.append(env)  # a worker is running or about to: it takes this one too
            self._in_flight.count += 1
            return True
        if self.inflight < self.concurrency:
            self._in_flight.count += 1  # before the start: an eager worker may finish right away
            self._start_worker(env, eager=bool(env.ctx.correlation_id))
            return True
        if len(backlog) < self.queue_size:
            backlog.append(env)
            self._in_flight.count += 1
            return True
        return False

    def _start_worker(self, env: Envelope, *, eager: bool) -> None:
        self.inflight += 1
        backend = self.backend
        loop = backend.loop()
        # a fresh context: a worker must not inherit its publisher's context variables (an
        # open db.transaction(), a request's state); the event's own context is env.ctx
        if eager:
            task = start_eager(loop, self._run(env))
        else:
            task = loop.create_task(self._run(env), context=contextvars.Context())
        if task is not None:
            backend.track(task)

    def _handle_suspended(self) -> None:
        """The calling worker's handler suspends: let another worker take the backlog."""
        self.waiting += 1
        if self.backlog and self.inflight == self.waiting and self.inflight < self.concurrency:
            env = self.backlog.popleft()
            self._wake_one()
            self._start_worker(env, eager=False)

    async def offer(self, env: Envelope) -> None:
        """Take ``env``, waiting while the backlog is full (backpressure)."""
        while not self.try_offer(env):
            fut: asyncio.Future[None] = self.backend.loop().create_future()
            self._space_waiters.append(fut)
            try:
                await fut
            except asyncio.CancelledError:
                if fut in self._space_waiters:
                    self._space_waiters.remove(fut)
                raise

    def wake_all(self) -> None:
        """Wake every publisher waiting for room (they then find the bus closed)."""
        while self._space_waiters:
            fut = self._space_waiters.popleft()
            if not fut.done():
                fut.set_result(None)

    def take_backlog(self) -> list[Envelope]:
        """Remove and return the events taken but not started (the bus is closing)."""
        taken = list(self.backlog)
        self.backlog.clear()
        return taken

    def _wake_one(self) -> None:
        while self._space_waiters:
            fut = self._space_waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return

    # -- the worker -----------------------------------------------------------------------

    async def _run(self, env: Envelope) -> None:
        """The worker: process ``env``, then whatever waits in the backlog, then exit.

        The accounting lives here, around each event, so that a cancellation at any await
        (the handler, a retry's backoff, publishing the result) still counts the event as
        finished and, at shutdown, keeps it as a dead letter.
        """
        backend = self.backend
        in_flight = self._in_flight
        ack = self._ack
        try:
            while True:
                try:
                    await self._event(env)
                    if ack is not None:
                        ack(self.name, env)
                except asyncio.CancelledError:
                    if backend.state.stopping:
                        backend.abandon(self.name, env, "cancelled at shutdown")
                    raise
                finally:
                    in_flight.count -= 1  # InFlight.finish(), inlined: once per event
                    if not in_flight.count and in_flight.waiters:
                        in_flight.wake()
                if not self.backlog:
                    return
                env = self.backlog.popleft()
                if self._space_waiters:
                    self._wake_one()
        finally:
            self.inflight -= 1
            if self._space_waiters:  # a freed slot is room too: else waiters can hang
                self._wake_one()

    async def _event(self, env: Envelope) -> None:
        """Every attempt at one event: the call, its result published, or its failure."""
        backend = self.backend
        stats = self.stats
        current = backend.current
        clock = time.perf_counter
        input_type = self.input_type
        output_type = self.output_type
        attempt = 1
        out: Envelope | None
        while True:  # attempts of one event
            exc: Exception | None = None
            ctx = env.ctx
            t0 = clock()
            token = current.set(ctx)
            try:
                payload = env.payload
                data = payload if type(payload) is input_type else self._input(env)
                if self.in_process:
                    self._handle_suspended()
                    try:
                        async with asyncio.timeout(self.timeout):
                            result = await backend.process_pool().run(type(self.handler), data, ctx)
                    finally:
                        self.waiting -= 1
                else:
                    coro = self._process(data, ctx)
                    try:
                        first = coro.send(None)
                    except StopIteration as stop:
                        result = stop.value
                    else:  # it suspended: now it needs its timeout
                        self._handle_suspended()
                        try:
                            async with asyncio.timeout(self.timeout):
                                result = await Resume(coro, first)
                        finally:
                            self.waiting -= 1
                if result is None:
                    out = None
                elif type(result) is output_type and self.publishes:
                    out = Envelope(
                        event_type=self.publishes, payload=result, ctx=ctx.child(self.name)
                    )
                else:
                    out = self._result_envelope(result, env)
            except HandlerError as f:
                failure = f
            except ClientError as e:  # e.g. a QueryError: the caller's mistake, not ours
                info: dict[str, Any] = {"status": e.status}
                if e.field is not None:
                    info["field"] = e.field
                failure = HandlerError(e.code, str(e), details=info)
            except TimeoutError:
                failure = _failure("timeout", f"{self.name} timed out after {self.timeout}s")
            except Exception as e:
                exc = e  # logged below: a line per retry, the traceback once, at the end
                failure = _failure(
                    "handler_error",
                    str(e) or type(e).__name__,
                    {"exception": type(e).__name__},
                )
                failure.__cause__ = e  # a test re-raising it shows the line that failed
            else:
                stats.processed += 1
                stats.total_ms += (clock() - t0) * 1000.0
                if out is not None:
                    await self._publish_result(out, env, attempt)
                return
            finally:
                current.reset(token)
            ms = (clock() - t0) * 1000.0
            stats.record(ms, failure.message)
            policy = self.retry
            if policy and failure.code in policy.retry_on and attempt < policy.attempts:
                stats.retries += 1
                log_retry(self.name, env, failure, attempt, ms, policy)
                self._handle_suspended()
                try:
                    await backend.retry(self.name, env, attempt, policy.delay(attempt))
                finally:
                    self.waiting -= 1
                attempt += 1
                continue
            if exc is not None or attempt > 1:
                log_failure(self.name, env, failure, attempt, ms, exc)
            await self._fail(env, failure, attempt)
            return

    async def _fail(self, env: Envelope, failure: HandlerError, attempts: int) -> None:
        """The event failed for good: dead letter, error callbacks, error envelope."""
        await self.backend.fail(self.name, env, failure, attempts)

    async def _publish_result(self, out: Envelope, env: Envelope, attempts: int) -> None:
        try:
            await self.backend.deliver(out)
        except BusClosedError:
            raise
        except Exception as e:  # e.g. a fan-out copy of a payload that cannot be copied
            log.exception("%s: publishing '%s' failed", self.name, out.event_type)
            failure = _failure("publish_error", f"publishing '{out.event_type}' failed: {e}")
            await self._fail(env, failure, attempts)

    def _input(self, env: Envelope) -> Any:
        tp = self.input_type
        if tp is None:
            return env
        try:
            return env.decode(tp)
        except (msgspec.ValidationError, msgspec.DecodeError) as e:
            raise _failure(
                "invalid_input",
                f"{self.name}: payload of '{env.event_type}' is not a valid {tp.__name__}: {e}",
                {"type": tp.__name__},
            ) from None

    def _result_envelope(self, result: Any, env: Envelope) -> Envelope | None:
        if result is None:
            return None
        if isinstance(result, Envelope):
            contract = self.routed.get(result.event_type)
            if contract is not None and not isinstance(result.payload, contract):
                raise _failure(
                    "contract",
                    f"{self.name} forwarded '{result.event_type}' with a "
                    f"{type(result.payload).__name__}, but its contract is {contract.__name__}",
                )
            rctx = result.ctx
            if not rctx.correlation_id and rctx.trace_id == env.ctx.trace_id:
                rctx.correlation_id = env.ctx.correlation_id
            if not rctx.source:
                rctx.source = self.name
            return result
        if isinstance(result, msgspec.Struct):
            out = self.output_type
            if out is not None and not isinstance(result, out):
                raise _failure(
                    "contract",
                    f"{self.name} returned {type(result).__name__}, but its output_type is "
                    f"{out.__name__}",
                )
            if not self.publishes:
                raise _failure(
                    "contract",
                    f"{self.name} returned a {type(result).__name__} but publishes no event",
                )
            return Envelope(event_type=self.publishes, payload=result, ctx=env.ctx.child(self.name))
        raise _failure(
            "contract",
            f"{self.name}.process returned {type(result).__name__}; expected a msgspec.Struct, "
            "an Envelope or None",
        )
