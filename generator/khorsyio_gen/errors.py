"""Errors the ``khorsyio`` command reports as clear messages (never as tracebacks)."""

from __future__ import annotations

__all__ = ["DlqFailed", "DlqUsage", "GenError", "SpecError"]


class GenError(Exception):
    """A problem the user must fix; ``str(error)`` is the whole message."""


class SpecError(GenError):
    """A problem in ``khorsyio.yaml`` or a contract module, naming file, key and expectation."""

    def __init__(
        self, file: str, key: str, message: str, line: int | None = None, column: int | None = None
    ) -> None:
        self.file = file
        self.key = key
        self.line = line
        self.column = column
        self.detail = message
        where = file if line is None else f"{file}:{line}"
        where += "" if line is None or column is None else f":{column}"
        super().__init__(f"{where}: {key}: {message}" if key else f"{where}: {message}")


class DlqUsage(GenError):
    """``khorsyio dlq``: a usage mistake (exit 2)."""


class DlqFailed(GenError):
    """``khorsyio dlq``: the operation failed (exit 1)."""
