"""Test of ClassifyUser (user.created -> user.vip | user.regular)."""

from __future__ import annotations

import pytest
from khorsyio import App, Context, Envelope

from app._generated import handlers, samples
from app._generated.services import build_services


@pytest.mark.parametrize(("vip", "event"), [(True, "user.vip"), (False, "user.regular")])
async def test_classify_user_routes_by_vip(app: App, vip: bool, event: str) -> None:
    handler = handlers.classify_user(app, build_services())
    user = samples.classify_user_input(vip=vip)
    result = await handler.process(user, Context(trace_id="t1"))
    assert isinstance(result, Envelope)
    assert result.event_type == event
    assert result.payload == user
    assert result.trace_id == "t1"
