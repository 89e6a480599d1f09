from __future__ import annotations

from khorsyio import Context, Envelope, Handler

from app.contracts.users import User


class ClassifyUser(Handler[User, None]):
    """Answer ``user.created``.

    Route a new user to user.vip or user.regular (conditional routing).

    Input ``User`` (app.contracts.users):
        id: int
        name: str
        email: str
        vip: bool = False
    Output: nothing (return None).
    Conditional routing: return ctx.forward(event, payload) to publish one of user.vip,
        user.regular.
    Dependencies: none.
    Comes from:
        CreateUser (users) publishes user.created
    Goes to:
        user.vip → GreetVip (users)
        user.regular → nobody in this app (declared terminal)
    Test: python -m pytest tests/users/test_classify_user.py
    Task card: khorsyio task ClassifyUser
    """

    # wiring: owned by khorsyio gen (regenerated from the spec); edit the spec, not these lines
    subscribes_to = "user.created"
    also_publishes = {"user.vip": User, "user.regular": User}

    async def process(self, data: User, ctx: Context) -> Envelope | None:
        return ctx.forward("user.vip" if data.vip else "user.regular", data)
