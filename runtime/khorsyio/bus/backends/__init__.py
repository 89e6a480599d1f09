"""Bus backends: the interface a transport implements (``base``) and the in-memory one.

docs/backends.md describes the seam; a distributed backend (Redis Streams) goes next to
``memory``.
"""

from khorsyio.bus.backends.base import Backend, Consumer, Leftovers
from khorsyio.bus.backends.memory import MemoryBackend

__all__ = ["Backend", "Consumer", "Leftovers", "MemoryBackend"]
