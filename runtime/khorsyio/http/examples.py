"""Named examples of a bus route, for its OpenAPI operation.

``BusRoute(..., examples=[RouteExample(...)])`` documents what a request looks like and what
it gets back. The values are checked against the route's contracts when the route is built,
so a document never shows an example the route would refuse.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any

import msgspec

from khorsyio.errors import RegistrationError

__all__ = ["ResolvedExample", "RouteExample", "resolve_route_examples", "split_request"]

SAFE_MESSAGES: Mapping[int, str] = {
    504: "the request timed out",
    503: "the service is shutting down",
}
"""What a bus route answers for a 5xx instead of the handler's message (without debug)."""


@dataclass(frozen=True, slots=True)
class RouteExample:
    """A named example of a route: a request and the answer it gets.

    - ``request``: the route's ``body`` contract, as a Struct or its JSON (a dict), path
      parameters included: the document shows the fields the path fills as examples of the
      path parameters, the others as the request body (or the query parameters of a GET).
    - ``response``: the reply (a Struct or its JSON), shown as the success response
      encoded as the route's ``response`` type, i.e. exactly what a client receives.
    - ``error``: instead of ``response``, an error code the route maps (its ``errors`` or
      the defaults, e.g. ``not_found``): shown as that status's error body
      ``{"error": message, "code": error}``. ``message`` is the handler's message (the code
      when not given); a 5xx shows the text the runtime sends instead.
    - ``summary``, ``description``: the texts of the OpenAPI Example Object.

    ::

        RouteExample("a new user", request={"name": "ada"}, response={"id": 1, "name": "ada"})
        RouteExample("a taken name", request={"name": "ada"}, error="exists")
    """

    name: str
    _: KW_ONLY
    request: Any = None
    response: Any = None
    error: str | None = None
    message: str | None = None
    summary: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class ResolvedExample:
    """A checked example, as the OpenAPI document shows it (JSON values)."""

    name: str
    meta: dict[str, str]
    """``summary`` / ``description`` of the Example Object (when given)."""
    request: dict[str, Any] | None
    """The body contract as JSON (every field given, path parameters included)."""
    status: int | None
    """The status of the answer shown (``None``: no answer shown)."""
    answer: Any
    """The success body or the error body at ``status``."""
    is_error: bool = False

    def example(self, value: Any) -> dict[str, Any]:
        """An OpenAPI Example Object of ``value``."""
        return {**self.meta, "value": value}


def _json_of(value: Any, where: str, what: str) -> Any:
    try:
        return msgspec.to_builtins(value)
    except TypeError as e:
        raise RegistrationError(f"{where}: {what} is not JSON: {e}") from None


def _fits(value: Any, tp: type[msgspec.Struct], where: str, what: str) -> msgspec.Struct:
    try:
        return msgspec.convert(value, tp)
    except (msgspec.ValidationError, TypeError) as e:
        raise RegistrationError(f"{where}: {what} is not a valid {tp.__name__}: {e}") from None


def resolve_route_examples(
    examples: Iterable[RouteExample],
    *,
    label: str,
    body: type[msgspec.Struct] | None,
    response: type[msgspec.Struct] | None,
    status: int,
    error_statuses: Mapping[str, int],
) -> tuple[ResolvedExample, ...]:
    """``examples`` checked against a route's contracts and statuses.

    Raises :class:`RegistrationError` for a value that is not an example, a repeated name,
    a request or a response the contracts refuse, a response on a 204 route, an error code
    the route does not map, or both a response and an error.
    """
    if isinstance(examples, RouteExample | str | bytes | Mapping) or not isinstance(
        examples, Iterable
    ):
        raise RegistrationError(
            f"bus route {label}: examples must be a list of RouteExample, got {examples!r}"
        )
    out: list[ResolvedExample] = []
    seen: set[str] = set()
    for ex in examples:
        if not isinstance(ex, RouteExample):
            raise RegistrationError(
                f"bus route {label}: examples must be RouteExample objects, got {ex!r}"
            )
        where = f"bus route {label}: example {ex.name!r}"
        if not isinstance(ex.name, str) or not ex.name:
            raise RegistrationError(f"bus route {label}: an example needs a non-empty name")
        if ex.name in seen:
            raise RegistrationError(f"{where}: two examples have this name")
        seen.add(ex.name)
        for key in ("summary", "description"):
            if not isinstance(getattr(ex, key), str):
                raise RegistrationError(f"{where}: {key} must be a string")
        meta = {k: getattr(ex, k) for k in ("summary", "description") if getattr(ex, k)}
        request = None
        if ex.request is not None:
            if body is None:
                raise RegistrationError(f"{where}: a request needs the route's body contract")
            request = _json_of(ex.request, where, "the request")
            _fits(request, body, where, "the request")
            if not isinstance(request, dict):  # a Struct with array_like=True
                raise RegistrationError(f"{where}: the request must be a JSON object")
        answer: Any = None
        answer_status: int | None = None
        is_error = ex.error is not None
        if ex.response is not None and ex.error is not None:
            raise RegistrationError(f"{where}: give a response or an error, not both")
        if ex.response is not None:
            if status == 204:
                raise RegistrationError(f"{where}: a 204 route answers no body")
            answer = _json_of(ex.response, where, "the response")
            if response is not None:
                answer = msgspec.to_builtins(_fits(answer, response, where, "the response"))
            answer_status = status
        elif ex.error is not None:
            code = ex.error
            if not isinstance(code, str) or code not in error_statuses:
                known = ", ".join(sorted(error_statuses))
                raise RegistrationError(
                    f"{where}: the route maps no status for error code {code!r} (it maps: {known})"
                )
            if ex.message is not None and not isinstance(ex.message, str):
                raise RegistrationError(f"{where}: message must be a string")
            answer_status = error_statuses[code]
            if answer_status >= 500:
                text = SAFE_MESSAGES.get(answer_status, "internal error")
            else:
                text = ex.message if ex.message is not None else code
            answer = {"error": text, "code": code}
        out.append(ResolvedExample(ex.name, meta, request, answer_status, answer, is_error))
    return tuple(out)


def split_request(
    request: Mapping[str, Any], path_fields: Sequence[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the fields the path fills, the others) of a request example."""
    bound = set(path_fields)
    return (
        {k: v for k, v in request.items() if k in bound},
        {k: v for k, v in request.items() if k not in bound},
    )
