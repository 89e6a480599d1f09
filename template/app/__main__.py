"""`python -m app`: serve the app (SERVER_HOST, SERVER_PORT, SERVER_SERVER from .env).

`python -m app --reload` (`make dev`) serves with uvicorn and restarts on a change under app/.
"""

import sys

from khorsyio import configure_logging

from app.main import app

# Log records of khorsyio and of the app's own `logging.getLogger(__name__)` reach stderr,
# as LOG_FORMAT (json lines, kv lines) and LOG_LEVEL in .env say.
# (This runs in uvicorn's reload worker too, which imports this module as __mp_main__.)
configure_logging(app.settings)

if __name__ == "__main__":
    if "--reload" in sys.argv[1:]:
        import uvicorn

        s = app.settings.server
        uvicorn.run(
            "app.main:app",
            host=s.host,
            port=s.port,
            reload=True,
            reload_dirs=["app"],
            # a stalled request must not hold a restart or Ctrl-C past the drain window
            timeout_graceful_shutdown=int(app.settings.bus.drain_timeout) + 1,
        )
    else:
        app.run("app.main:app")
