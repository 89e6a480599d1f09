from __future__ import annotations

from khorsyio import Context, Handler, SocketTransport

from app.contracts.chat import ChatMessage, ChatReply


class AnswerChat(Handler[ChatMessage, None]):
    """Answer ``chat.msg``.

    Input ``ChatMessage`` (app.contracts.chat):
        text: str
    Output: nothing (return None).
    Dependencies:
        self._transport: SocketTransport (from khorsyio; signatures in the task card)
            call: emit(), emit_envelope(), reply_to_sender(), join(), leave(), rooms(),
                disconnect()
            how: ctx.extra['_ws_sid'] names the websocket client that sent the event
            never call (the app's lifecycle and set-up): start(), stop(), asgi(), allow(),
                on_connect(), graph_nodes()
    Comes from:
        websocket clients publish chat.msg
    Goes to:
        nothing
    Test: python -m pytest tests/chat/test_answer_chat.py
    Task card: khorsyio task AnswerChat
    """

    # wiring: owned by khorsyio gen (regenerated from the spec); edit the spec, not these lines
    subscribes_to = "chat.msg"

    def __init__(self, transport: SocketTransport) -> None:
        self._transport = transport

    async def process(self, data: ChatMessage, ctx: Context) -> None:
        # ctx.extra["_ws_sid"] names the client that sent chat.msg: the reply goes to it only
        await self._transport.reply_to_sender(
            ctx.forward("chat.reply", ChatReply(text=f"echo: {data.text}"))
        )
