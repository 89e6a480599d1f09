"""Test of AnswerChat (chat.msg, a websocket reply)."""

from __future__ import annotations

from typing import Any

import pytest
from khorsyio import App, Context

from app._generated import handlers, samples
from app._generated.services import build_services
from app.contracts.chat import ChatReply


async def test_answer_chat_replies_to_the_sender(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[str, Any, str | None]] = []

    async def emit(event: str, data: Any, sid: str | None = None, **kw: Any) -> None:
        sent.append((event, data, sid))

    monkeypatch.setattr(app.transport, "emit", emit)
    handler = handlers.answer_chat(app, build_services())
    ctx = Context(extra={"_ws_sid": "sid-1"})
    await handler.process(samples.answer_chat_input(text="hi"), ctx)
    assert sent == [("chat.reply", ChatReply(text="echo: hi"), "sid-1")]
