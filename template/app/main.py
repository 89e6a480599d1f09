"""The composition root: the App, its generated wiring, and hand-written routes.

The handlers, routes, schedules and websocket events come from khorsyio.yaml through
``app/_generated`` (`make gen`). Add plain HTTP routes, middleware and providers here.
"""

from __future__ import annotations

from khorsyio import App, CorsConfig, Request, Response, Send, Settings

from app._generated.registry import wire


async def health(req: Request, send: Send) -> None:
    """Liveness: the process answers."""
    await Response.ok(send, status="ok")


def create_app(settings: Settings | None = None) -> App:
    """A new app; settings from the environment and .env unless given (tests give them)."""
    app = App(cors=CorsConfig(origins=["http://localhost:3000"]), settings=settings)
    wire(app)
    app.router.get("/health", health)
    return app


app = create_app()
