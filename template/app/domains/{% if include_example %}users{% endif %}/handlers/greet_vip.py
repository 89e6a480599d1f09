from __future__ import annotations

from khorsyio import Context, Handler

from app.contracts.users import User
from app.services.mailer import Mailer


class GreetVip(Handler[User, None]):
    """Answer ``user.vip``.

    A personal note to VIP users.

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
        ClassifyUser (users) publishes user.vip
    Goes to:
        nothing
    Test: python -m pytest tests/users/test_greet_vip.py
    Task card: khorsyio task GreetVip
    """

    # wiring: owned by khorsyio gen (regenerated from the spec); edit the spec, not these lines
    subscribes_to = "user.vip"

    def __init__(self, mailer: Mailer) -> None:
        self._mailer = mailer

    async def process(self, data: User, ctx: Context) -> None:
        await self._mailer.send(data.email, f"{data.name}, a person will call you today.")
