"""Per-client flood control: messages in flight, a token bucket, a strike count."""

from __future__ import annotations

import time

from khorsyio.settings import WsSettings

__all__ = ["ClientState"]


class ClientState:
    """What the transport keeps about one connected client.

    ``admit()`` says whether a new message may be published now: at most ``max_in_flight``
    messages of this client are being published at once (a publish waits while a handler's
    backlog is full), and with ``rate_limit`` > 0 a token bucket of ``rate_burst`` tokens
    refilled at ``rate_limit`` per second. ``strikes`` counts refusals since the last
    admitted message, so a client that keeps flooding can be dropped.
    """

    __slots__ = ("_last", "_tokens", "in_flight", "settings", "strikes", "user_id")

    def __init__(self, settings: WsSettings, user_id: str | None = None) -> None:
        self.settings = settings
        self.user_id = user_id
        self.in_flight = 0
        self.strikes = 0
        self._tokens = float(settings.rate_burst)
        self._last = time.monotonic()

    def admit(self) -> str | None:
        """``None`` when the message is admitted (then call :meth:`done`), else why not."""
        s = self.settings
        if self.in_flight >= s.max_in_flight:
            self.strikes += 1
            return f"too many messages in flight (at most {s.max_in_flight} per client)"
        if s.rate_limit > 0:
            now = time.monotonic()
            self._tokens = min(
                float(s.rate_burst), self._tokens + (now - self._last) * s.rate_limit
            )
            self._last = now
            if self._tokens < 1.0:
                self.strikes += 1
                return f"rate limit exceeded ({s.rate_limit:g} messages/s, burst {s.rate_burst})"
            self._tokens -= 1.0
        self.in_flight += 1
        self.strikes = 0
        return None

    def done(self) -> None:
        self.in_flight -= 1
