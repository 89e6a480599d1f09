"""Who a socket.io connection is: the app's auth hook, run once at connect.

The identity the hook returns is the only identity a connection ever has: every message it
sends is published with that ``ctx.user_id``, whatever ``user_id`` the client writes in it.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

import socketio

__all__ = ["AuthHook", "authenticate"]

log = logging.getLogger("khorsyio.ws")

AuthHook = Callable[[str, dict[str, Any], Any], Any]
"""``fn(sid, environ, auth)``, sync or async: ``False`` or an exception refuses the
connection; a string accepts it and binds that user id to the client's messages; ``True``
or ``None`` accepts it with no user id. Any other value (an integer id...) refuses it, with
an error logged: the connection's identity is what the hook returns, or nothing."""


async def authenticate(hook: AuthHook, sid: str, environ: dict[str, Any], auth: Any) -> str:
    """Run ``hook``; the user id it binds ("" for none), or ``ConnectionRefusedError``.

    ``PermissionError("reason")`` and ``ConnectionRefusedError("reason")`` refuse with that
    reason; any other exception refuses with "unauthorized" and is logged with its traceback.
    """
    try:
        result = hook(sid, environ, auth)
        if inspect.isawaitable(result):
            result = await result
    except socketio.exceptions.ConnectionRefusedError:
        raise
    except PermissionError as e:
        raise socketio.exceptions.ConnectionRefusedError(str(e) or "unauthorized") from None
    except Exception:
        log.exception("ws auth hook failed for %s", sid)
        raise socketio.exceptions.ConnectionRefusedError("unauthorized") from None
    return _identity(sid, result)


def _identity(sid: str, result: Any) -> str:
    """The user id an auth hook's ``result`` binds the connection to ("" for none).

    Refuses the connection for ``False`` and for anything that is not a string, ``True`` or
    ``None``: a client must never speak for a user the hook did not name.
    """
    if isinstance(result, str):
        return result
    if result is True or result is None:
        return ""
    if result is not False:
        log.error(
            "ws auth hook returned %r (%s) for %s: return the user id as a str (str(user.id)), "
            "True or None to accept with no user, False to refuse; connection refused",
            result,
            type(result).__name__,
            sid,
        )
    raise socketio.exceptions.ConnectionRefusedError("unauthorized")
