"""CORS: which browser origins may call the API, answered by the HTTP layer itself."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from khorsyio.errors import ConfigError
from khorsyio.http.methods import METHODS

__all__ = ["CorsConfig"]

Header = tuple[bytes, bytes]

_VARY = (b"vary", b"Origin")


def _as_list(value: str | Iterable[str], what: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    out = [str(v).strip() for v in value]
    for v in out:
        if not v or "\r" in v or "\n" in v:
            raise ConfigError(f"CorsConfig: invalid {what} {v!r}")
    return out


class CorsConfig:
    """Cross-origin resource sharing for the whole app: ``App(cors=CorsConfig(...))``.

    - ``origins``: allowed origins (``"http://localhost:3000"``), or ``"*"`` for any;
    - ``methods``: methods a preflight may ask for (default: all);
    - ``headers``: request headers a preflight may ask for; ``"*"`` allows any requested;
    - ``credentials``: send ``Access-Control-Allow-Credentials: true`` (not with ``"*"``);
    - ``max_age``: seconds a browser may cache a preflight answer;
    - ``expose_headers``: response headers the browser lets scripts read.

    Preflight requests (``OPTIONS`` with ``Access-Control-Request-Method``) are answered
    ``204``; every response carries ``Vary: Origin``; a disallowed origin gets no CORS header.
    """

    def __init__(
        self,
        origins: str | Sequence[str] = "*",
        methods: Sequence[str] | None = None,
        headers: str | Sequence[str] = "*",
        credentials: bool = False,
        max_age: int = 600,
        expose_headers: Sequence[str] = (),
    ) -> None:
        self.origins = _as_list(origins, "origin")
        self.methods = [m.upper() for m in _as_list(methods or METHODS, "method")]
        self.headers = [h.lower() for h in _as_list(headers, "header")]
        self.credentials = bool(credentials)
        self.max_age = max_age
        self.expose_headers = _as_list(expose_headers, "exposed header")
        self.any_origin = "*" in self.origins
        self.any_header = "*" in self.headers
        self._origin_set = frozenset(self.origins)
        self._method_set = frozenset(self.methods)
        self._header_set = frozenset(self.headers)

    def validate(self) -> None:
        """Raise :class:`~khorsyio.errors.ConfigError` for a configuration that cannot work."""
        if self.any_origin and self.credentials:
            raise ConfigError(
                "CorsConfig: origins='*' cannot be combined with credentials=True (browsers "
                "refuse credentialed responses to any origin); list the allowed origins instead, "
                "e.g. CorsConfig(origins=['https://app.example.com'], credentials=True)"
            )
        if not isinstance(self.max_age, int) or isinstance(self.max_age, bool) or self.max_age < 0:
            raise ConfigError(
                f"CorsConfig: max_age must be a non-negative integer, got {self.max_age!r}"
            )
        bad = sorted(set(self.methods) - set(METHODS))
        if bad:
            raise ConfigError(f"CorsConfig: unknown method(s) {', '.join(bad)}")
        for o in self.origins:
            if o != "*" and "://" not in o:
                raise ConfigError(
                    f"CorsConfig: origin {o!r} must be a scheme and host such as "
                    "'https://app.example.com', or '*'"
                )
        self._precompute()

    def _precompute(self) -> None:
        self._methods_value = ", ".join(self.methods).encode()
        self._max_age_value = str(self.max_age).encode()
        self._expose = (
            [(b"access-control-expose-headers", ", ".join(self.expose_headers).encode())]
            if self.expose_headers
            else []
        )
        self._cred = [(b"access-control-allow-credentials", b"true")] if self.credentials else []

    def allows_origin(self, origin: str) -> bool:
        return self.any_origin or origin in self._origin_set

    def _allow_origin_value(self, origin: str) -> bytes:
        # With credentials the origin is echoed ("*" is refused by browsers then).
        if self.any_origin and not self.credentials:
            return b"*"
        return origin.encode("latin-1")

    def response_headers(self, origin: str | None) -> list[Header]:
        """Headers to add to an actual (non-preflight) response."""
        if not hasattr(self, "_methods_value"):
            self._precompute()
        if origin is None or not self.allows_origin(origin):
            return [_VARY]
        return [
            _VARY,
            (b"access-control-allow-origin", self._allow_origin_value(origin)),
            *self._cred,
            *self._expose,
        ]

    def preflight_headers(
        self, origin: str, method: str, request_headers: str | None
    ) -> list[Header] | None:
        """The headers of a ``204`` preflight answer, or ``None`` when it is refused."""
        if not hasattr(self, "_methods_value"):
            self._precompute()
        if not self.allows_origin(origin) or method.upper() not in self._method_set:
            return None
        asked = [h.strip().lower() for h in (request_headers or "").split(",") if h.strip()]
        if not self.any_header and any(h not in self._header_set for h in asked):
            return None
        allow_headers = ", ".join(asked) if self.any_header else ", ".join(self.headers)
        out = [
            _VARY,
            (b"access-control-allow-origin", self._allow_origin_value(origin)),
            (b"access-control-allow-methods", self._methods_value),
            (b"access-control-max-age", self._max_age_value),
            *self._cred,
        ]
        if allow_headers:
            out.append((b"access-control-allow-headers", allow_headers.encode("latin-1")))
        return out

    def __repr__(self) -> str:
        return (
            f"CorsConfig(origins={self.origins!r}, methods={self.methods!r}, "
            f"headers={self.headers!r}, credentials={self.credentials!r}, max_age={self.max_age!r})"
        )
