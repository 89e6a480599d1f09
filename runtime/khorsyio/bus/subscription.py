"""One handler's place on the bus: bounded concurrency, a bounded backlog, the run loop.

Dispatch creates no task per event where it can avoid one: a free slot starts a worker
task (an *eager* task on Python 3.12+, which runs synchronously until it first suspends,
so a chain of handlers that never wait completes inside the publisher's call); a busy
handler queues the event in its backlog, which the running workers drain without new
tasks. A full backlog makes the publisher wait (backpressure); nothing is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections import deque
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import msgspec

from khorsyio.bus.metrics import HandlerStats
from khorsyio.events import Context, Envelope
from khorsyio.handler import Handler
from khorsyio.retry import RetryPolicy

if TYPE_CHECKING:
    from khorsyio.bus.bus import Bus

__all__ = ["Subscription"]

log = logging.getLogger("khorsyio.bus")

_EAGER = sys.version_info >= (3, 12)


def start_task(
    loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, None]
) -> asyncio.Task[None]:
    if _EAGER:
        return asyncio.Task(coro, loop=loop, eager_start=True)  # type: ignore[call-arg,unused-ignore]
    return loop.create_task(coro)


class _Failure(Exception):
    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


class Subscription:
    """A registered handler instance with its effective wiring and its dispatch state."""

    def __init__(
        self,
        bus: Bus,
        handler: Handler[Any, Any],
        *,
        subscribes_to: str,
        publishes: str,
        timeout: float,
        concurrency: int,
        queue_size: int,
    ) -> None:
        cls = type(handler)
        self.bus = bus
        self.handler = handler
        self.name = cls.__name__
        self.subscribes_to = subscribes_to
        self.publishes = publishes
        self.input_type = cls.input_type
        self.output_type = cls.output_type
        self.timeout = timeout
        self.concurrency = concurrency
        self.queue_size = queue_size
        self.retry: RetryPolicy | None = cls.retry
        self.in_process = cls.execution_mode == "process"
        self.stats: HandlerStats = bus.metrics.stats_for(self.name)
        self.inflight = 0
        self.backlog: deque[Envelope] = deque()
        self._space_waiters: deque[asyncio.Future[None]] = deque()
        self._process = handler.process  # bound once

    # -- accepting work -------------------------------------------------------------------

    def try_offer(self, env: Envelope) -> bool:
        """Take ``env`` without waiting if there is room; False when the backlog is full."""
        if self.inflight < self.concurrency:
            self.inflight += 1
            self.bus._work_started()
            task = start_task(self.bus._loop_or_raise(), self._run(env))
            if not task.done():
                self.bus._track(task)
            return True
        if len(self.backlog) < self.queue_size:
            self.backlog.append(env)
            self.bus._work_started()
            return True
        return False

    async def offer(self, env: Envelope) -> None:
        """Take ``env``, waiting while the backlog is full (backpressure)."""
        while not self.try_offer(env):
            fut: asyncio.Future[None] = self.bus._loop_or_raise().create_future()
            self._space_waiters.append(fut)
            try:
                await fut
            except asyncio.CancelledError:
                if fut in self._space_waiters:
                    self._space_waiters.remove(fut)
                raise

    def _wake_one(self) -> None:
        while self._space_waiters:
            fut = self._space_waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return

    # -- the worker -----------------------------------------------------------------------

    async def _run(self, env: Envelope) -> None:
        bus = self.bus
        try:
            while True:
                try:
                    await self._handle(env)
                finally:
                    bus._work_finished()
                if not self.backlog:
                    return
                env = self.backlog.popleft()
                self._wake_one()
        finally:
            self.inflight -= 1

    def _input(self, env: Envelope) -> Any:
        tp = self.input_type
        if tp is None:
            return env
        payload = env.payload
        if type(payload) is tp:
            return payload
        try:
            return env.decode(tp)
        except (msgspec.ValidationError, msgspec.DecodeError) as e:
            raise _Failure(
                "validation",
                f"{self.name}: payload of '{env.event_type}' is not a valid {tp.__name__}: {e}",
                {"type": tp.__name__},
            ) from None

    async def _call(self, data: Any, ctx: Context) -> Any:
        if self.in_process:
            async with asyncio.timeout(self.timeout):
                return await self.bus._process_pool().run(type(self.handler), data, ctx)
        async with asyncio.timeout(self.timeout):
            return await self._process(data, ctx)

    async def _handle(self, env: Envelope) -> None:
        bus = self.bus
        ctx = env.ctx
        attempt = 0
        while True:
            attempt += 1
            t0 = time.perf_counter()
            token = bus._current.set(ctx)
            try:
                result = await self._call(self._input(env), ctx)
                out = self._result_envelope(result, env)
            except _Failure as f:
                failure = f
            except TimeoutError:
                failure = _Failure("timeout", f"{self.name} timed out after {self.timeout}s")
            except asyncio.CancelledError:
                if bus.stopping:
                    bus._unfinished(self, env, "cancelled at shutdown")
                raise
            except Exception as e:
                log.exception("%s failed on %s trace=%s", self.name, env.event_type, ctx.trace_id)
                failure = _Failure(
                    "handler_error", str(e) or type(e).__name__, {"exception": type(e).__name__}
                )
            else:
                self.stats.record((time.perf_counter() - t0) * 1000.0)
                if out is not None:
                    await bus._emit(out)
                return
            finally:
                bus._current.reset(token)
            self.stats.record((time.perf_counter() - t0) * 1000.0, failure.message)
            policy = self.retry
            if policy and failure.code in policy.retry_on and attempt < policy.attempts:
                self.stats.retries += 1
                await asyncio.sleep(policy.delay(attempt))
                continue
            await bus._fail(self, env, failure.code, failure.message, failure.details, attempt)
            return

    def _result_envelope(self, result: Any, env: Envelope) -> Envelope | None:
        if result is None:
            return None
        if isinstance(result, Envelope):
            rctx = result.ctx
            if not rctx.correlation_id and rctx.trace_id == env.ctx.trace_id:
                rctx.correlation_id = env.ctx.correlation_id
            if not rctx.source:
                rctx.source = self.name
            return result
        if isinstance(result, msgspec.Struct):
            out = self.output_type
            if out is not None and not isinstance(result, out):
                raise _Failure(
                    "contract",
                    f"{self.name} returned {type(result).__name__}, but its output_type is "
                    f"{out.__name__}",
                )
            if not self.publishes:
                raise _Failure(
                    "contract",
                    f"{self.name} returned a {type(result).__name__} but publishes no event",
                )
            return Envelope(event_type=self.publishes, payload=result, ctx=env.ctx.child(self.name))
        raise _Failure(
            "contract",
            f"{self.name}.process returned {type(result).__name__}; expected a msgspec.Struct, "
            "an Envelope or None",
        )
