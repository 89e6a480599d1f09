"""Serving an app: :meth:`App.run <khorsyio.App.run>` picks granian or uvicorn and starts it.

Kept out of ``app.py`` (the composition root and ASGI dispatch): nothing here runs unless
``app.run()`` is called, and nothing here is needed to serve the app under another server.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import math
import os
import sys
from typing import TYPE_CHECKING, Any

from khorsyio.errors import ConfigError, SettingsError

if TYPE_CHECKING:
    from khorsyio.settings import Settings
    from khorsyio.types import ASGIApp

__all__ = ["main_target", "serve"]

log = logging.getLogger("khorsyio.serve")

_BACKSTOP = 1  # seconds uvicorn waits past the drain timeout of an app that drains itself
_STARTUP_FAILURE = 3  # uvicorn's exit code when the app did not start (uvicorn.main)


def serve(app: ASGIApp, settings: Settings, target: str | None = None) -> None:
    """Serve ``app`` as ``settings`` say: granian when installed (and SERVER_SERVER allows),
    else uvicorn.

    ``target`` is an import string such as ``"app.main:app"``; by default it is derived
    from the script being run (:func:`main_target`), which multi-worker serving needs.
    """
    s = settings.server
    target = target or main_target()
    use = s.server
    if use == "auto":
        try:
            import granian  # noqa: F401

            use = "granian"
        except ImportError:
            use = "uvicorn"
    if use == "granian":
        try:
            from granian import Granian  # type: ignore[attr-defined,unused-ignore]
            from granian.constants import Interfaces
        except ImportError as e:
            raise SettingsError(
                f"SERVER_SERVER=granian but granian cannot be imported ({e}): "
                'pip install "khorsyio[granian]", or set SERVER_SERVER=uvicorn'
            ) from None
        if target is None:
            raise ConfigError(
                "granian needs an import target: app.run('app.main:app') "
                "(or run a script that defines `app`)"
            )
        options: dict[str, Any] = {}
        if "workers_kill_timeout" in inspect.signature(Granian).parameters:
            # granian waits for the requests in flight with no bound of its own, and runs
            # the app's shutdown only after them: a worker still busy past the drain timeout
            # (plus the backstop) is killed, its bus undrained
            options["workers_kill_timeout"] = math.ceil(settings.bus.drain_timeout) + _BACKSTOP
        else:  # pragma: no cover - granian before workers_kill_timeout
            log.warning("this granian cannot bound its shutdown: upgrade it")
        Granian(
            target,
            address=s.host,
            port=s.port,
            interface=Interfaces.ASGI,
            workers=s.workers,
            **options,
        ).serve()
        return
    import uvicorn

    options = _uvicorn_options(settings)
    if s.workers > 1 and target is not None:
        uvicorn.run(target, workers=s.workers, **options)
    else:  # the app cancels its requests at the drain timeout: uvicorn's is a backstop
        options["timeout_graceful_shutdown"] += _BACKSTOP
        _run_uvicorn(app, options)


def _run_uvicorn(app: ASGIApp, options: dict[str, Any]) -> None:
    """``uvicorn.run(app, **options)``, with the app's shutdown started when uvicorn's
    starts (SIGTERM), not after uvicorn has waited for the requests in flight: open
    long-polls are answered at once, and requests and bus drain in one window."""
    import uvicorn

    stop = getattr(app, "shutdown", None)

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: Any = None) -> None:
            early = asyncio.ensure_future(stop()) if callable(stop) else None
            try:
                await super().shutdown(sockets)
            finally:
                if early is not None:
                    await asyncio.wait([early])
                    if not early.cancelled() and early.exception() is not None:
                        # the lifespan's shutdown awaited the same task and logged it
                        log.debug("app shutdown failed", exc_info=early.exception())

    server = Server(uvicorn.Config(app, **options))
    with contextlib.suppress(KeyboardInterrupt):  # as uvicorn.run
        server.run()
    if not server.started:
        sys.exit(_STARTUP_FAILURE)


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    """What :func:`serve` gives uvicorn, whatever the number of workers.

    ``ws_max_size``: oversize websocket frames are refused in the server, before they are
    buffered. ``timeout_graceful_shutdown``: on SIGTERM the requests in flight get
    BUS_DRAIN_TIMEOUT seconds (rounded up to whole seconds, as uvicorn takes them), then
    uvicorn cancels them (each is answered 503 ``shutdown`` if it has not started its
    response) and runs the app's shutdown; without it uvicorn waits for them forever. With
    one worker the app's own shutdown starts at SIGTERM and cancels them at BUS_DRAIN_TIMEOUT
    itself (uvicorn's timeout is then one second longer, a backstop); with several, each
    worker's app drains its bus after uvicorn's wait.
    """
    s = settings.server
    return {
        "host": s.host,
        "port": s.port,
        "ws_max_size": settings.ws.max_message_size,
        "timeout_graceful_shutdown": math.ceil(settings.bus.drain_timeout),
    }


def main_target() -> str | None:
    """``"<script>:app"`` for the script being run (``python main.py``), else ``None``.

    Worker processes import the app by that name, so the script's folder must be
    importable: when it is not on ``sys.path`` it is put first there, and added to
    ``PYTHONPATH`` (inherited by the workers). Both changes are logged (``khorsyio.serve``,
    at info level). Nothing changes when the folder is already on both; to name the module
    yourself (and change neither), pass it: ``app.run("app.main:app")``.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path:
        return None
    script_dir = os.path.dirname(os.path.abspath(path))
    module = os.path.splitext(os.path.basename(path))[0]
    pythonpath = os.environ.get("PYTHONPATH", "")
    if script_dir not in pythonpath.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (script_dir, pythonpath) if p)
        log.info("serving %s:app: %s added to PYTHONPATH for the workers", module, script_dir)
    if script_dir not in sys.path:
        sys.path.insert(0, script_dir)
        log.info("serving %s:app: %s put first on sys.path", module, script_dir)
    return f"{module}:app"
