from __future__ import annotations

from khorsyio import Context, Handler, RetryPolicy

from app.contracts.users import User
from app.services.mailer import Mailer


class SendWelcome(Handler[User, None]):
    """Answer ``user.created``.

    Mail a welcome to every new user (fan-out, with ClassifyUser).

    Input ``User`` (app.contracts.users):
        id: int
        name: str
        email: str
        vip: bool = False
    Output: nothing (return None).
    Dependencies:
        self._mailer: Mailer (from app.services.mailer)
            async send(to: str, body: str) -> None
    Comes from:
        CreateUser (users) publishes user.created
    Goes to:
        nothing
    Test: python -m pytest tests/users/test_send_welcome.py
    Task card: khorsyio task SendWelcome
    """

    # wiring: owned by khorsyio gen (regenerated from the spec); edit the spec, not these lines
    subscribes_to = "user.created"
    retry = RetryPolicy(attempts=3, backoff=0.2)

    def __init__(self, mailer: Mailer) -> None:
        self._mailer = mailer

    async def process(self, data: User, ctx: Context) -> None:
        await self._mailer.send(data.email, f"Welcome, {data.name}!")
