from __future__ import annotations

from khorsyio import Context, Handler, SocketTransport

from app.contracts.chat import ChatMessage, ChatReply


class AnswerChat(Handler[ChatMessage, None]):
    """Answer ``chat.msg``.

    Input ``ChatMessage`` (app.contracts.chat):
        text: str
    Output: nothing (return None).
    Dependencies:
        self._transport: SocketTransport (from khorsyio; signatures in the task card): allow,
            asgi, disconnect, emit, emit_envelope, graph_nodes, join, leave, on_connect,
            reply_to_sender, rooms, start, stop
    Comes from:
        websocket clients publish chat.msg
    Goes to:
        nothing
    Test: python -m pytest tests/chat/test_answer_chat.py
    Task card: khorsyio task AnswerChat
    """

    subscribes_to = "chat.msg"

    def __init__(self, transport: SocketTransport) -> None:
        self._transport = transport

    async def process(self, data: ChatMessage, ctx: Context) -> None:
        # ctx.extra["_ws_sid"] names the client that sent chat.msg: the reply goes to it only
        await self._transport.reply_to_sender(
            ctx.forward("chat.reply", ChatReply(text=f"echo: {data.text}"))
        )
