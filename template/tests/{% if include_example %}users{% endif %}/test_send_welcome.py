"""Test of SendWelcome (user.created)."""

from __future__ import annotations

from khorsyio import App, Context

from app._generated import handlers, samples
from app._generated.services import build_services


async def test_send_welcome_mails_the_new_user(app: App) -> None:
    services = build_services()
    handler = handlers.send_welcome(app, services)
    user = samples.send_welcome_input(name="Ada", email="a@x.io")
    await handler.process(user, Context())  # returns None: publishes nothing
    assert services.mailer.outbox == [("a@x.io", "Welcome, Ada!")]
