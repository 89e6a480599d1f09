"""What a handler does with each built-in dependency: the methods ``process`` may call, and
the ones that belong to the app (its lifecycle and set-up), which a handler must not call.

Every public method of each built-in type (:data:`khorsyio.wiring.BUILTIN_PROVIDERS`) is in
exactly one of the two lists (a test keeps them complete), so a method the runtime adds has
to be placed before gen describes it to a person or an LLM.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BUILTIN_USE", "Use"]


@dataclass(frozen=True)
class Use:
    calls: tuple[str, ...]
    """Methods a handler may call, in the order to read them."""
    app_only: tuple[str, ...]
    """Methods the app calls (start, stop, connect, set-up): never from a handler."""
    hint: str = ""
    """How to use it, in one sentence (without a final period)."""


BUILTIN_USE: dict[str, Use] = {
    "app": Use(
        calls=(),
        app_only=(
            "startup",
            "shutdown",
            "run",
            "register",
            "mount",
            "provide",
            "declare_external",
            "declare_terminal",
            "allow_cycle",
            "check",
            "graph_nodes",
            "openapi",
        ),
        hint="the app itself: ask for what you use instead (db, bus, client, transport...)",
    ),
    "bus": Use(
        calls=("publish", "request"),
        app_only=(
            "start",
            "stop",
            "wait_idle",
            "register",
            "schedule",
            "on_error",
            "subscribers",
            "validate_graph",
            "graph_nodes",
        ),
        hint="to publish the output, return it (or ctx.forward(event, data)) instead",
    ),
    "client": Use(
        calls=("get", "post", "request"),
        app_only=("start", "stop"),
        hint="await self._client.get(url) returns the decoded JSON body",
    ),
    "db": Use(
        calls=("session", "transaction", "fetch", "fetchrow", "fetchval", "execute", "executemany"),
        app_only=("connect", "close", "create_all", "drop_all", "from_settings"),
        hint=(
            "async with self._db.session() as session (the ORM) or self._db.transaction() as "
            "conn; the fetch*/execute* helpers run one SQL statement ($1, $2... parameters)"
        ),
    ),
    "router": Use(
        calls=(),
        app_only=(
            "add",
            "mount",
            "route",
            "get",
            "post",
            "put",
            "patch",
            "delete",
            "head",
            "options",
            "static_route",
            "use",
            "around",
            "after",
            "match",
            "allowed_methods",
            "graph_nodes",
        ),
        hint="routes are declared in khorsyio.yaml and mounted at startup",
    ),
    "settings": Use(
        calls=(),
        app_only=("load",),
        hint="read its fields (self._settings.db, self._settings.bus...); the app loaded it",
    ),
    "transport": Use(
        calls=("emit", "emit_envelope", "reply_to_sender", "join", "leave", "rooms", "disconnect"),
        app_only=("start", "stop", "asgi", "allow", "on_connect", "graph_nodes"),
        hint="ctx.extra['_ws_sid'] names the websocket client that sent the event",
    ),
}
"""By built-in provider name."""
