"""Exceptions raised by khorsyio for programming and configuration mistakes.

Every exception a user can trigger by misuse derives from :class:`KhorsyioError`, so an
application can catch them in one place; each message names the thing that is wrong and
what was expected.
"""

from __future__ import annotations

from typing import Any


class KhorsyioError(Exception):
    """Base class of all khorsyio errors."""


class SettingsError(KhorsyioError, ValueError):
    """A setting from the environment or ``.env`` has a malformed value."""


class HandlerDefinitionError(KhorsyioError, TypeError):
    """A handler class is malformed (no ``process``, a non-Struct contract, ...)."""


class RegistrationError(KhorsyioError):
    """A handler or route was registered twice, or in a state that does not allow it."""


class WiringError(KhorsyioError):
    """The application's wiring is wrong: an unresolved dependency, or a graph error in strict mode.

    ``problems`` holds one message per problem found; the exception text lists them all.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} wiring problem(s):\n{lines}")


class BusClosedError(KhorsyioError, RuntimeError):
    """The bus is not running (not started yet, or shutting down) and takes no new work."""


class ConfigError(KhorsyioError, ValueError):
    """Options that cannot work together (e.g. CORS ``origins="*"`` with credentials)."""


class ClientError(KhorsyioError):
    """A mistake of the caller, not of the server: HTTP answers it as ``status``.

    The HTTP layer turns it into ``{"error": message, "code": code}`` with ``status``;
    anything may raise it (a handler, a middleware, a query helper)::

        raise ClientError("user 7 not found", status=404, code="not_found")

    Subclasses may set ``status`` and ``code`` as class attributes.
    """

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        code: str | None = None,
        field: str | None = None,
    ) -> None:
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.message = message or self.code.replace("_", " ")
        self.field = field
        """Where the problem is, as a JSON path such as ``$.items[0].name`` (validation)."""
        super().__init__(self.message)


class HandlerError(KhorsyioError):
    """Raise it in ``process`` to fail an event with a code of your choosing.

    ``raise HandlerError("conflict", "email already registered")`` answers a waiting
    request with an error envelope whose ``error.code`` is ``"conflict"`` (a bus route maps
    it to its status, e.g. 409) and calls the ``on_error`` callbacks. Unlike an unexpected
    exception it is not logged with a traceback, and it is not kept as a dead letter unless
    ``dead_letter=True``: a deliberate rejection is an answer, not lost work. It is retried
    only when the handler's ``RetryPolicy.retry_on`` lists its code.
    """

    def __init__(
        self,
        code: str,
        message: str = "",
        *,
        details: dict[str, Any] | None = None,
        dead_letter: bool = False,
    ) -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message or code
        self.details = dict(details or {})
        self.dead_letter = dead_letter
