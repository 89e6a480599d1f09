"""Every exception khorsyio raises, in one tree.

Everything the runtime raises derives from :class:`KhorsyioError`, so an application can
catch khorsyio's errors in one place. Where a user would catch a standard exception
(``ValueError`` for a bad value, ``TypeError`` for a wrong type, ``ConnectionError`` for an
unreachable peer) the class derives from that too. Each message names the thing that is
wrong and what was expected.

The tree::

    KhorsyioError
    ├── UsageError (ValueError)           a call whose argument cannot work
    │   └── UsageTypeError (TypeError)    ... because it has the wrong type
    ├── ConfigError (ValueError)          options that cannot work together
    │   ├── SettingsError                 a malformed setting in the environment or .env
    │   └── DatabaseConfigError           an unsupported DSN, bad pool sizes, no driver
    ├── HandlerDefinitionError (TypeError)  a malformed handler class
    ├── RegistrationError                 registered twice, or at the wrong time
    ├── WiringError                       unresolved dependencies, graph errors (strict)
    │   └── Unresolved                    a dependency ``Container.build`` cannot provide
    ├── StateError (RuntimeError)         a call its object is not in a state to serve
    ├── UnknownNameError (KeyError)       no handler / dead letter under that name or id
    ├── BusClosedError (RuntimeError)     the bus takes no new work
    ├── HandlerError                      a handler fails an event with a code of its own
    ├── WorkerCrashed (RuntimeError)      a process-mode worker died mid-job (replaced)
    ├── ClientError                       the caller's mistake: answered with its status
    │   ├── BadRequest                    400 bad_request: malformed input
    │   ├── QueryError (ValueError)       400 bad_query: a filter/order/page refused
    │   ├── PayloadTooLarge               413 payload_too_large
    │   ├── UnsupportedMediaType          415 unsupported_media_type: a body that is not JSON
    │   ├── RequestValidationError        422 validation: input that breaks the contract
    │   └── InvalidValue (ValueError)     422 invalid_value: a value the database refused
    ├── ResponseContractError (TypeError) a handler's result does not fit its route (500)
    ├── ClientDisconnect (ConnectionError)  the client left while its body was read
    ├── DatabaseUnavailable (ConnectionError)  a configured database cannot be reached
    ├── DatabaseUsageError (RuntimeError) a database call that cannot work where it is made
    ├── PlaceholderError (ValueError)     ``$1..$n`` placeholders that do not match the args
    ├── SocketConnectionError (ConnectionError)  a socket.io server refused or is unreachable
    ├── SocketRequestError                a socket.io request answered with an error event
    └── LifespanError (RuntimeError)      an app's lifespan startup or shutdown failed

Which status and code HTTP answers an exception with is declared, not guessed: a
:class:`ClientError` carries its own ``status`` and ``code`` (subclass it, or pass them);
a foreign exception type is declared once with :func:`khorsyio.http.errors.map_exception`
(``msgspec.ValidationError`` is declared there as 422 ``validation``);
:func:`khorsyio.http.errors.client_error_of` reads both. Anything else is a server error:
500 ``internal``, logged with its traceback and trace id. In a handler behind a bus route,
a :class:`HandlerError`'s ``code`` maps through the route's ``errors`` table and a
:class:`ClientError` keeps its own status.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BadRequest",
    "BusClosedError",
    "ClientDisconnect",
    "ClientError",
    "ConfigError",
    "DatabaseConfigError",
    "DatabaseUnavailable",
    "DatabaseUsageError",
    "HandlerDefinitionError",
    "HandlerError",
    "InvalidValue",
    "KhorsyioError",
    "LifespanError",
    "PayloadTooLarge",
    "PlaceholderError",
    "QueryError",
    "RegistrationError",
    "RequestValidationError",
    "ResponseContractError",
    "SettingsError",
    "SocketConnectionError",
    "SocketRequestError",
    "StateError",
    "UnknownNameError",
    "Unresolved",
    "UnsupportedMediaType",
    "UsageError",
    "UsageTypeError",
    "WiringError",
    "WorkerCrashed",
]


class KhorsyioError(Exception):
    """Base class of all khorsyio errors.

    Every one pickles with its attributes whatever its ``__init__`` takes (the default
    pickling calls ``__init__`` again with the message alone): a :class:`HandlerError`
    raised in a process-mode worker reaches the bus with its ``code`` and ``details``.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuilt, (type(self), self.args, self.__dict__))


def _rebuilt(cls: type[KhorsyioError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    """The unpickled error: made without calling ``__init__``, its attributes restored."""
    exc = cls.__new__(cls, *args)
    exc.__dict__.update(state)
    return exc


# -- mistakes in a call or in configuration --------------------------------------------


class UsageError(KhorsyioError, ValueError):
    """A call with an argument that cannot work (a non-finite timeout, a bad header name)."""


class UsageTypeError(UsageError, TypeError):
    """A call with an argument of the wrong type (a payload that is not a msgspec.Struct)."""


class ConfigError(KhorsyioError, ValueError):
    """Options that cannot work together (e.g. CORS ``origins="*"`` with credentials)."""


class SettingsError(ConfigError):
    """A setting from the environment or ``.env`` has a malformed value."""


class DatabaseConfigError(ConfigError):
    """Database settings that cannot work: unsupported DSN scheme, bad pool sizes, no driver."""


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


class Unresolved(WiringError):
    """Parameters the DI container could not resolve, one message a line.

    Raised by :meth:`khorsyio.di.Container.build` (and ``resolve_kwargs``) when called
    directly; at startup the app collects them into one :class:`WiringError`.
    """

    def __init__(self, message: str) -> None:
        self.problems = message.splitlines()
        KhorsyioError.__init__(self, message)


class StateError(KhorsyioError, RuntimeError):
    """A call its object is not in a state to serve (not started yet, already answered)."""


class UnknownNameError(KhorsyioError, KeyError):
    """No handler (or dead letter) is known under the name (or id) given."""


# -- the bus ---------------------------------------------------------------------------


class BusClosedError(KhorsyioError, RuntimeError):
    """The bus is not running (not started yet, or shutting down) and takes no new work."""


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


class WorkerCrashed(KhorsyioError, RuntimeError):
    """The worker process running an ``execution_mode = "process"`` job died before answering.

    The pool has replaced it; the bus fails the event as it fails any handler exception
    (code ``"handler_error"``), so the handler's retry policy retries it.
    """


# -- HTTP ------------------------------------------------------------------------------


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


class BadRequest(ClientError):
    """Malformed input: not JSON, a bad Content-Length, ... (400)."""

    status = 400
    code = "bad_request"


class QueryError(ClientError, ValueError):
    """A filter, order or page request that the query helpers refuse (HTTP 400, ``bad_query``).

    Field names and values in these requests may come from clients, so the message names
    the offending field or value and what is accepted.
    """

    status = 400
    code = "bad_query"


class PayloadTooLarge(ClientError):
    """The request body is over HTTP_MAX_BODY_SIZE (413)."""

    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(ClientError):
    """A body read as JSON whose Content-Type is not JSON, or missing (415).

    JSON bodies need ``application/json`` (or ``application/*+json``): the types a web page
    may send cross-site without a CORS preflight (``text/plain``, forms) are refused.
    """

    status = 415
    code = "unsupported_media_type"


class RequestValidationError(ClientError):
    """Well-formed input that breaks the contract; ``field`` is the JSON path (422)."""

    status = 422
    code = "validation"


class InvalidValue(ClientError, ValueError):
    """A value the database driver refused: an integer out of range, a too long text, a
    search pattern too complex (HTTP 422, ``invalid_value``).

    The database facade raises it in place of the driver's error (``OverflowError``,
    SQLAlchemy's ``DataError``), which stays its ``__cause__``; the message names the
    problem without repeating the value.
    """

    status = 422
    code = "invalid_value"


class ResponseContractError(KhorsyioError, TypeError):
    """A handler's result does not fit the route's declared response type (a server bug)."""


class ClientDisconnect(KhorsyioError, ConnectionError):
    """The client went away while its body was being read."""


# -- the database ----------------------------------------------------------------------


class DatabaseUnavailable(KhorsyioError, ConnectionError):
    """A configured database could not be reached (raised by ``Database.connect()`` at startup)."""


class DatabaseUsageError(KhorsyioError, RuntimeError):
    """A call that cannot work where it is made (it would wait forever for a connection)."""


class PlaceholderError(KhorsyioError, ValueError):
    """The ``$1..$n`` placeholders of a query do not match the arguments given."""


# -- socket.io client and test harness -------------------------------------------------


class SocketConnectionError(KhorsyioError, ConnectionError):
    """The server refused the connection (``connect_error``) or could not be reached.

    ``data`` holds what the server sent with the refusal (``{"message": ...}``), if any.
    """

    def __init__(self, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.data = data


class SocketRequestError(KhorsyioError):
    """The server answered a :meth:`SocketClient.request` with an ``"error"`` event."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.code: str = str(data.get("code", "error"))
        self.message: str = str(data.get("message", ""))
        self.path: str | None = data.get("path")
        self.trace_id: str | None = data.get("trace_id")
        where = f" at {self.path}" if self.path else ""
        super().__init__(f"{self.code}: {self.message}{where}")


class LifespanError(KhorsyioError, RuntimeError):
    """The app's lifespan startup or shutdown failed."""
