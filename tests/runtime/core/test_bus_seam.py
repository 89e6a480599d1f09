"""The seam of the bus: one lifecycle state, one in-flight counter, a backend interface.

A backend across processes plugs in behind :class:`khorsyio.bus.backends.base.Backend`; these
tests hold the in-memory side to that shape (docs/backends.md).
"""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import pytest

import khorsyio.bus
from khorsyio import Bus, BusClosedError, BusState, Context, Handler
from khorsyio.bus.in_flight import InFlight

from .contracts import Num

BUS_PACKAGE = Path(khorsyio.bus.__file__).parent


class Watcher(Handler[Num, None]):
    """Records the bus's state while it runs; ``n == 1`` blocks until cancelled."""

    subscribes_to = "watch"

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.seen: list[BusState] = []
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def process(self, data: Num, ctx: Context) -> None:
        self.started.set()
        try:
            await self.release.wait()
            self.seen.append(self.bus.state)
            if data.n == 1:
                await asyncio.sleep(60)
        except asyncio.CancelledError:
            self.seen.append(self.bus.state)
            raise


async def test_the_bus_goes_through_one_state_at_a_time_and_restarts() -> None:
    bus = Bus()
    h = Watcher(bus)
    bus.register(h)
    assert bus.state is BusState.NEW
    await bus.start()
    assert bus.state is BusState.RUNNING
    await bus.publish("watch", Num(1))
    await h.started.wait()
    stop = asyncio.ensure_future(bus.stop(drain_timeout=0.05))
    await asyncio.sleep(0)
    assert bus.state is BusState.DRAINING
    with pytest.raises(BusClosedError, match="shutting down"):
        await bus.publish("watch", Num(2))
    h.release.set()  # the handler sees the drain, then is cancelled past it
    report = await asyncio.wait_for(stop, 10)
    assert h.seen == [BusState.DRAINING, BusState.CLOSING]
    assert report.cancelled_in_flight == 1
    assert bus.state is BusState.STOPPED
    with pytest.raises(BusClosedError, match=r"call app\.startup"):
        await bus.publish("watch", Num(3))
    await bus.start()
    assert bus.state is BusState.RUNNING
    assert bus.in_flight == 0
    await bus.stop()


def test_each_state_says_what_it_allows() -> None:
    allowed = {s: (s.accepting, s.delivering, s.stopping) for s in BusState}
    assert allowed == {
        BusState.NEW: (False, False, False),
        BusState.RUNNING: (True, True, False),
        BusState.DRAINING: (False, True, True),
        BusState.CLOSING: (False, False, True),
        BusState.STOPPED: (False, False, False),
    }


async def test_the_in_flight_counter_wakes_its_waiters_at_zero() -> None:
    loop = asyncio.get_running_loop()
    counter = InFlight()
    assert await counter.wait_idle(loop, 0)
    counter.add()
    counter.add()
    assert not await counter.wait_idle(loop, 0.01)  # a timeout, and its waiter is gone
    waiting = asyncio.ensure_future(counter.wait_idle(loop, 10))
    await asyncio.sleep(0)
    counter.finish()
    await asyncio.sleep(0)
    assert not waiting.done()
    counter.finish()
    assert await waiting
    assert counter.count == 0


def _private_reaches(path: Path) -> list[str]:
    """``obj._name`` where ``obj`` is not ``self``/``cls``: one class in another's privates."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
        ):
            out.append(f"{path.relative_to(BUS_PACKAGE)}:{node.lineno}: {ast.unparse(node)}")
    return out


def test_no_part_of_the_bus_reaches_into_anothers_private_attributes() -> None:
    reaches = [r for p in sorted(BUS_PACKAGE.rglob("*.py")) for r in _private_reaches(p)]
    assert reaches == []


def test_a_subscription_knows_the_backend_interface_not_an_implementation() -> None:
    tree = ast.parse((BUS_PACKAGE / "subscription.py").read_text(encoding="utf-8"))
    imported = {
        n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module is not None
    }
    bus_modules = {m for m in imported if m.startswith("khorsyio.bus.")}
    assert "khorsyio.bus.backends.base" in bus_modules
    assert not bus_modules & {"khorsyio.bus.bus", "khorsyio.bus.backends.memory"}
