"""One line, not a traceback, for a settings or wiring mistake that stops a program.

``python -m app`` with a bad ``SERVER_PORT`` prints ``SettingsError: SERVER_PORT: expected
...``: :func:`install_excepthook` (run when :mod:`khorsyio.settings` is imported) wraps
``sys.excepthook`` so that an uncaught :class:`SettingsError`, :class:`ConfigError` or
:class:`WiringError` prints its one-line message, and every other exception goes to the
previous hook. ``KHORSYIO_TRACEBACK=1`` shows the full traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any

from khorsyio.errors import ConfigError, SettingsError, WiringError

__all__ = ["install_excepthook"]

_ONE_LINE = (SettingsError, ConfigError, WiringError)
_OFF = frozenset({"", "0", "false", "no", "off"})
ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], Any]


class _OneLineHook:
    """``sys.excepthook``: one line for the errors of :data:`_ONE_LINE`, else ``previous``."""

    def __init__(self, previous: ExceptHook) -> None:
        self.previous = previous

    def __call__(
        self, tp: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        full = os.environ.get("KHORSYIO_TRACEBACK", "").strip().lower() not in _OFF
        if isinstance(value, _ONE_LINE) and not full:
            sys.stderr.write(f"{tp.__name__}: {value}\n")
            sys.stderr.flush()
            return
        self.previous(tp, value, tb)


def install_excepthook() -> None:
    """Make an uncaught settings, config or wiring error print one line (idempotent)."""
    if not isinstance(sys.excepthook, _OneLineHook):
        sys.excepthook = _OneLineHook(sys.excepthook)
