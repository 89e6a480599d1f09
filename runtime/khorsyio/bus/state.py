"""The lifecycle of a bus, one state at a time, and what each state allows."""

from __future__ import annotations

import enum

__all__ = ["BusState"]


class BusState(enum.Enum):
    """Where a bus is in its life: ``NEW`` → ``RUNNING`` → ``DRAINING`` → ``CLOSING`` →
    ``STOPPED`` (and ``STOPPED`` → ``RUNNING`` again on a restart).

    - ``NEW``: registered, not started; nothing is delivered yet.
    - ``RUNNING``: publish, request and schedules work.
    - ``DRAINING``: ``stop()`` was called: nothing new from outside, but what is queued
      or in flight finishes, and handlers may still publish (their chains finish too).
    - ``CLOSING``: the drain is over: nothing more is delivered, not even from inside a
      handler; what is left is cancelled and kept as dead letters.
    - ``STOPPED``: ``stop()`` returned.

    Each state carries the two questions the hot path asks, as plain attributes:
    ``accepting`` (new work from outside) and ``delivering`` (envelopes still reach the
    handlers); ``stopping`` is true between ``stop()`` and its return.
    """

    NEW = ("new", False, False, False)
    RUNNING = ("running", True, True, False)
    DRAINING = ("draining", False, True, True)
    CLOSING = ("closing", False, False, True)
    STOPPED = ("stopped", False, False, False)

    accepting: bool
    delivering: bool
    stopping: bool

    def __init__(self, label: str, accepting: bool, delivering: bool, stopping: bool) -> None:
        self.label = label
        self.accepting = accepting
        self.delivering = delivering
        self.stopping = stopping

    def __repr__(self) -> str:
        return f"BusState.{self.name}"
