"""The event bus: dispatch, request/reply, schedules, metrics, event log, dead letters."""

from khorsyio.bus.bus import Bus, DrainReport
from khorsyio.bus.dead_letters import DeadLetter, DeadLetterStore, MemoryDeadLetters
from khorsyio.bus.event_log import EventLog
from khorsyio.bus.metrics import Metrics
from khorsyio.bus.scheduler import Schedule
from khorsyio.bus.state import BusState

__all__ = [
    "Bus",
    "BusState",
    "DeadLetter",
    "DeadLetterStore",
    "DrainReport",
    "EventLog",
    "MemoryDeadLetters",
    "Metrics",
    "Schedule",
]
