"""Test of AnswerChat (chat.msg, a websocket reply)."""

from __future__ import annotations

import pytest
from khorsyio import App, Context, Envelope

from app._generated import handlers, samples
from app._generated.services import build_services
from app.contracts.chat import ChatReply


async def test_answer_chat_replies_to_the_sender(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[Envelope] = []

    async def reply_to_sender(envelope: Envelope) -> bool:
        sent.append(envelope)
        return True

    monkeypatch.setattr(app.transport, "reply_to_sender", reply_to_sender)
    handler = handlers.answer_chat(app, build_services())
    await handler.process(samples.answer_chat_input(text="hi"), Context(extra={"_ws_sid": "s1"}))
    [reply] = sent
    assert reply.event_type == "chat.reply"
    assert reply.payload == ChatReply(text="echo: hi")
    assert reply.ctx.extra["_ws_sid"] == "s1"
