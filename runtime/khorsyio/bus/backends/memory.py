"""The in-memory backend: envelopes handed to the subscriptions of this one process.

Delivery logs an envelope, answers a waiting request, and hands the envelope to its
subscribers (a copy each for fan-out). Dead letters go to the bus's
:class:`~khorsyio.bus.dead_letters.DeadLetterStore` (in memory unless the app gives a
database store); schedules fire in this process.
"""

from __future__ import annotations

import asyncio
import logging

from khorsyio.bus.backends.base import Backend, Consumer, Leftovers
from khorsyio.bus.dead_letters import DeadLetterStore, MemoryDeadLetters
from khorsyio.bus.envelopes import isolated_copy
from khorsyio.bus.replies import Replies
from khorsyio.bus.scheduler import Schedule
from khorsyio.errors import BusClosedError, UnknownNameError
from khorsyio.events import Envelope, Error
from khorsyio.settings import BusSettings

__all__ = ["MemoryBackend"]

log = logging.getLogger("khorsyio.bus")


class MemoryBackend(Backend):
    """Delivery of envelopes to the subscriptions of one process."""

    def __init__(self, settings: BusSettings) -> None:
        super().__init__(settings)
        self._log = self.event_log.record
        self._dead_letters: DeadLetterStore = MemoryDeadLetters(
            settings.dead_letter_size, self._redeliver
        )
        self._unsaved: list[tuple[str, Envelope, Error, int]] = []
        """Letters of events cut short at shutdown, stored by :meth:`close`."""
        self._subs: dict[str, list[Consumer]] = {}
        self._by_name: dict[str, Consumer] = {}
        self._replies = Replies()

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        # a store that cannot work stops the start here (or names the one to use instead)
        self.dead_letters = await self._dead_letters.open()
        self._loop = asyncio.get_running_loop()

    async def close(self, drained: bool) -> Leftovers:
        left = Leftovers()
        for sub in self._by_name.values():
            sub.wake_all()
        if not drained:
            for sub in self._by_name.values():
                for env in sub.take_backlog():
                    self.in_flight.finish()
                    left.not_started += 1
                    self.abandon(sub.name, env, "not started before shutdown")
            tasks = self.cancel_tasks()
            left.cancelled_in_flight = len(tasks)
            await asyncio.gather(*tasks, return_exceptions=True)
        left.pending_requests = self._replies.fail_all("shutdown", "the bus is shutting down")
        unsaved, self._unsaved = self._unsaved, []
        for handler, env, error, attempts in unsaved:
            await self.dead_letter(handler, env, error, attempts)
        self._loop = None
        return left

    # -- delivery -------------------------------------------------------------------------

    def subscribe(self, consumer: Consumer) -> None:
        self._by_name[consumer.name] = consumer
        self._subs.setdefault(consumer.subscribes_to, []).append(consumer)

    def deliver_nowait(self, env: Envelope) -> bool:
        self._log(env)
        if env.ctx.correlation_id:
            self._replies.offer(env)
        subs = self._subs.get(env.event_type)
        if not subs:
            return True
        if len(subs) == 1:
            return subs[0].try_offer(env)
        return False  # fan-out: each subscriber gets its own copy, in deliver_waiting

    async def deliver_waiting(self, env: Envelope) -> None:
        subs = self._subs[env.event_type]
        if len(subs) == 1:
            await subs[0].offer(env)
            return
        # copy before the first delivery runs (eagerly) and mutates the original
        copies = [env] + [isolated_copy(env) for _ in range(len(subs) - 1)]
        for sub, e in zip(subs, copies, strict=True):
            if not sub.try_offer(e):
                await sub.offer(e)

    # -- dead letters ---------------------------------------------------------------------

    @property
    def dead_letters(self) -> DeadLetterStore:
        return self._dead_letters

    @dead_letters.setter
    def dead_letters(self, store: DeadLetterStore) -> None:
        store.bind(self._redeliver)
        self._dead_letters = store

    async def dead_letter(self, handler: str, env: Envelope, error: Error, attempts: int) -> None:
        self.metrics.stats_for(handler).dead_lettered += 1
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

    def abandon(self, handler: str, env: Envelope, why: str) -> None:
        self.unfinished += 1
        self.metrics.stats_for(handler).dead_lettered += 1
        err = Error(code="shutdown", message=why, source=handler, trace_id=env.trace_id)
        store = self._dead_letters
        if isinstance(store, MemoryDeadLetters):
            store.add_now(handler, env, err, 0)  # at once: no await in a cancelled task
        else:
            self._unsaved.append((handler, env, err, 0))  # stored before close() returns

    async def _redeliver(self, handler: str, env: Envelope) -> None:
        sub = self._by_name.get(handler)
        if sub is None:
            raise UnknownNameError(f"no handler named {handler!r} is registered")
        if not self.state.accepting:
            raise BusClosedError("cannot replay a dead letter: the bus is not running")
        await sub.offer(env)

    # -- request/reply and schedules ------------------------------------------------------

    def open_reply(self, response_type: str) -> tuple[str, asyncio.Future[Envelope]]:
        return self._replies.open(self.loop(), response_type)

    def close_reply(self, cid: str) -> None:
        self._replies.close(cid)

    async def claim(self, schedule: Schedule) -> bool:
        return True  # one process: every tick is its own
