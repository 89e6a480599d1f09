"""Test of GreetVip (user.vip)."""

from __future__ import annotations

from khorsyio import App, Context

from app._generated import handlers, samples
from app._generated.services import build_services


async def test_greet_vip_sends_a_personal_note(app: App) -> None:
    services = build_services()
    handler = handlers.greet_vip(app, services)
    await handler.process(samples.greet_vip_input(name="Ada", email="a@x.io", vip=True), Context())
    assert services.mailer.outbox == [("a@x.io", "Ada, a person will call you today.")]
