"""HttpClient: a shared ``httpx.AsyncClient``, started and closed with the app."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from khorsyio.errors import StateError

__all__ = ["HttpClient"]


class HttpClient:
    """Outgoing HTTP with one connection pool. Injected into handlers as ``client``.

    ``get`` and ``post`` return ``{"status": int, "headers": dict, "body": str}`` as in
    khorsyio 0.2; ``request`` returns the ``httpx.Response`` itself.
    """

    def __init__(self, *, timeout: float = 10.0, **httpx_options: Any) -> None:
        self.timeout = timeout
        self._options = httpx_options
        self._session: httpx.AsyncClient | None = None

    async def start(self) -> None:
        if self._session is None:
            self._session = httpx.AsyncClient(timeout=self.timeout, **self._options)

    async def stop(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.aclose()

    @property
    def session(self) -> httpx.AsyncClient:
        if self._session is None:
            raise StateError("HttpClient is not started (the app starts it at startup)")
        return self._session

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return await self.session.request(method, url, **kwargs)

    async def get(
        self, url: str, headers: dict[str, str] | None = None, timeout: float | None = None
    ) -> dict[str, Any]:
        resp = await self.session.get(url, headers=headers, timeout=timeout or self.timeout)
        return _as_dict(resp)

    async def post(
        self,
        url: str,
        data: bytes | str | None = None,
        json_data: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        h = dict(headers or {})
        content: bytes | str | None = data
        if json_data is not None:
            content = msgspec.json.encode(json_data)
            h.setdefault("content-type", "application/json")
        resp = await self.session.post(
            url, content=content, headers=h, timeout=timeout or self.timeout
        )
        return _as_dict(resp)


def _as_dict(resp: httpx.Response) -> dict[str, Any]:
    return {"status": resp.status_code, "headers": dict(resp.headers), "body": resp.text}
