"""A hypothesis state machine over the in-memory bus: publish, fail, retry, stop, restart.

The promise checked: every event the bus accepted (``publish`` returned) ends exactly once,
either handled (``process`` returned) or kept as a dead letter: never both, never twice,
never lost, whatever the order of failures, retries, drains, hard stops and restarts.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from khorsyio import Bus, BusClosedError, Context, DeadLetter, Handler, RetryPolicy

from .contracts import Num

EXAMPLES = int(os.environ.get("KHORSYIO_PROPERTY_EXAMPLES", "60"))
ATTEMPTS = 3


class Plan:
    """What each event does: how many calls fail first, and whether a call takes a while."""

    def __init__(self) -> None:
        self.failures: dict[int, int] = {}
        self.slow: set[int] = set()
        self.calls: Counter[int] = Counter()
        self.handled: Counter[int] = Counter()


class Worker(Handler[Num, Num]):
    subscribes_to = "job"
    publishes = "job.done"
    retry = RetryPolicy(attempts=ATTEMPTS, backoff=0.0)

    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    async def process(self, data: Num, ctx: Context) -> Num:
        n = data.n
        self.plan.calls[n] += 1
        if n in self.plan.slow:
            await asyncio.sleep(0.005)
        if self.plan.calls[n] <= self.plan.failures[n]:
            raise ConnectionError(f"call {self.plan.calls[n]} of event {n} failed")
        self.plan.handled[n] += 1
        return data


class BusLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.plan = Plan()
        self.bus = Bus()
        self.bus.register(Worker(self.plan))
        self.accepted: list[int] = []
        self.cut: set[int] = set()
        self.running = False
        self.start()

    def _run(self, coro: object) -> object:
        return self.loop.run_until_complete(coro)  # type: ignore[arg-type]

    def _dead(self) -> Counter[int]:
        letters: list[DeadLetter] = self._run(self.bus.dead_letters.list())  # type: ignore[assignment]
        return Counter(letter.envelope.payload.n for letter in letters)

    @precondition(lambda self: not self.running)
    @rule()
    def start(self) -> None:
        self._run(self.bus.start())
        self.running = True

    @rule(failures=st.integers(0, 4), slow=st.booleans(), many=st.integers(1, 5))
    def publish(self, failures: int, slow: bool, many: int) -> None:
        for _ in range(many):
            n = len(self.plan.failures)
            self.plan.failures[n] = failures
            if slow:
                self.plan.slow.add(n)
            try:
                self._run(self.bus.publish("job", Num(n)))
            except BusClosedError:
                assert not self.running
            else:
                assert self.running, "a stopped bus accepted an event"
                self.accepted.append(n)

    @precondition(lambda self: self.running)
    @rule(seconds=st.sampled_from([0.0, 0.001, 0.01]))
    def let_it_run(self, seconds: float) -> None:
        self._run(asyncio.sleep(seconds))

    @precondition(lambda self: self.running)
    @rule(drain=st.sampled_from([0.0, 0.002, 5.0]))
    def stop(self, drain: float) -> None:
        if drain < 5.0:  # what has not ended yet may be cut short (moved to the dead letters)
            ended = self.plan.handled + self._dead()
            self.cut.update(n for n in self.accepted if not ended[n])
        self._run(self.bus.stop(drain_timeout=drain))
        self.running = False
        self.every_accepted_event_ended_exactly_once()

    @precondition(lambda self: self.running)
    @rule()
    def settle(self) -> None:
        assert self._run(self.bus.wait_idle(10.0)) is True
        self.every_accepted_event_ended_exactly_once()

    def every_accepted_event_ended_exactly_once(self) -> None:
        dead = self._dead()
        for n in self.accepted:
            ended = self.plan.handled[n] + dead[n]
            assert ended == 1, (
                f"event {n} (fails {self.plan.failures[n]}x): handled {self.plan.handled[n]}, "
                f"dead-lettered {dead[n]}"
            )
            if dead[n]:  # it failed every attempt, or a hard stop cut it short
                assert self.plan.failures[n] >= ATTEMPTS or n in self.cut, f"event {n} lost"
            else:  # handled: it cannot have failed more often than the policy retries
                assert self.plan.failures[n] < ATTEMPTS

    @invariant()
    def nothing_ends_twice(self) -> None:
        dead = self._dead()
        for n in self.accepted:
            assert self.plan.handled[n] + dead[n] <= 1, f"event {n} ended twice"
        assert set(dead) <= set(self.accepted), "a dead letter for an event never accepted"

    def teardown(self) -> None:
        if self.running:
            self._run(self.bus.stop(drain_timeout=5.0))
        self.every_accepted_event_ended_exactly_once()
        self.loop.close()


BusLifecycle.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
class TestBusLifecycle(BusLifecycle.TestCase):  # type: ignore[name-defined,misc]
    pass
