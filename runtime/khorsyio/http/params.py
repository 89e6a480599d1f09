"""Building a request Struct from path, query and body.

A typed GET/DELETE route builds its ``body`` contract from the path and query parameters
(:func:`params_decoder`); a POST/PUT/PATCH route whose path parameters are fields of its
contract builds it from the JSON body with those fields filled from the path
(:func:`path_body_decoder`): ``POST /orders/{order_id}/cancel`` with ``body=OrderRef``
takes ``order_id`` from the path, and the body may then be empty.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin

import msgspec

from khorsyio.http.errors import RequestValidationError, validation_error
from khorsyio.http.paths import INT64_MAX, INT64_MIN
from khorsyio.logtext import clip

if TYPE_CHECKING:
    from khorsyio.http.request import Request

__all__ = ["params_decoder", "path_body_decoder", "path_fields"]

_SEQ = (list, tuple, set, frozenset)
_JSON_KINDS = {list: "array", str: "str", int: "int", float: "float", bool: "bool"}
_JSON_KINDS[type(None)] = "null"


def _is_sequence(tp: Any) -> bool:
    origin = get_origin(tp)
    if origin is typing.Annotated:
        return _is_sequence(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return any(_is_sequence(a) for a in get_args(tp) if a is not type(None))
    return tp in _SEQ or origin in _SEQ


def _int64(value: Any, where: str) -> None:
    """422 for an integer (or one in a list) outside the signed 64-bit range."""
    items = value if isinstance(value, _SEQ) else (value,)
    for i, v in enumerate(items):
        if type(v) is int and not INT64_MIN <= v <= INT64_MAX:
            at = f"{where}[{i}]" if items is value else where
            bound = f">= {INT64_MIN}" if v < 0 else f"<= {INT64_MAX}"
            raise RequestValidationError(
                f"Expected `int` {bound} (a signed 64-bit integer) - at `{at}`", field=at
            )


def path_fields(tp: type[msgspec.Struct], names: Iterable[str]) -> dict[str, Any]:
    """The fields of ``tp`` (JSON name -> type) that the path parameters ``names`` fill."""
    wanted = set(names)
    return {f.encode_name: f.type for f in msgspec.structs.fields(tp) if f.encode_name in wanted}


def _path_value(name: str, value: Any, tp: Any) -> Any:
    """A path parameter converted to its field's type; 422 naming the parameter if not.

    The router's converter ran first (``{id:int}`` gave an ``int``); a field that wants
    text gets the segment as text (``{id:int}`` into a ``str`` field).
    """
    try:
        converted = msgspec.convert(value, tp, strict=False)
    except msgspec.ValidationError as e:
        if not isinstance(value, str):
            try:
                return msgspec.convert(str(value), tp, strict=False)
            except msgspec.ValidationError:
                pass
        err = validation_error(e)  # at `$`, or `$[0]` inside a list
        field = f"$.{name}{(err.field or '$')[1:]}"
        why = err.message.rsplit(" - at `", 1)[0]
        raise RequestValidationError(
            f"the path parameter '{name}' ({clip(repr(value), 100)}) is not valid: {why} "
            f"- at `{field}`",
            field=field,
        ) from None
    _int64(converted, f"$.{name}")
    return converted


def params_decoder(tp: type[msgspec.Struct]) -> Callable[[Request], Any]:
    """A function building ``tp`` from a request's path and query parameters.

    Fields are looked up by their JSON name; a path parameter wins over a query key; a
    list field takes every value of a repeated key, any other field the first value.
    Strings are converted to the field types (``"5"`` -> ``5``); a mismatch gives 422, and
    so does a query key the Struct does not have when it is ``forbid_unknown_fields``, and
    an integer outside the signed 64-bit range (what a database column holds).
    """
    struct_fields = msgspec.structs.fields(tp)
    fields = [(f.encode_name, f.type, _is_sequence(f.type)) for f in struct_fields]
    attrs = [(f.name, f.encode_name) for f in struct_fields]
    # a Struct that forbids unknown fields refuses unknown query keys too (422)
    known = (
        {f.encode_name for f in struct_fields}
        if tp.__struct_config__.forbid_unknown_fields
        else None
    )

    def build(req: Request) -> Any:
        pp = req.path_params
        q = req.query
        if known is not None:
            unknown = sorted(k for k in q if k not in known)
            if unknown:
                raise validation_error(
                    msgspec.ValidationError(f"Object contains unknown field `{unknown[0]}`")
                )
        data: dict[str, Any] = {}
        for name, ftype, many in fields:
            if name in pp:
                data[name] = _path_value(name, pp[name], ftype)
            elif name in q:
                data[name] = q[name] if many else q[name][0]
        try:
            built = msgspec.convert(data, tp, strict=False)
        except msgspec.ValidationError as e:
            raise validation_error(e) from None
        for attr, name in attrs:
            _int64(getattr(built, attr), f"$.{name}")
        return built

    return build


def path_body_decoder(
    tp: type[msgspec.Struct], names: Iterable[str]
) -> Callable[[Request], Awaitable[Any]] | None:
    """An async function building ``tp`` from the JSON body and the path parameters.

    ``None`` when no path parameter is a field of ``tp`` (the body is then decoded
    straight into ``tp``). Otherwise the body is a JSON object (or empty: ``{}``), the path
    fills its fields of the same name (the path wins over the body) and the whole is
    validated as ``tp``, with the errors of a JSON body: 400 for malformed JSON, 422 naming
    the field, or the path parameter, that does not fit.
    """
    fields = path_fields(tp, names)
    if not fields:
        return None

    async def build(req: Request) -> Any:
        raw = await req.body()
        data = await req.json() if raw.strip() else {}
        if not isinstance(data, dict):
            kind = _JSON_KINDS.get(type(data), type(data).__name__)
            raise validation_error(msgspec.ValidationError(f"Expected `object`, got `{kind}`"))
        pp = req.path_params
        for name, ftype in fields.items():
            data[name] = _path_value(name, pp[name], ftype)
        try:
            return msgspec.convert(data, tp)
        except msgspec.ValidationError as e:
            raise validation_error(e) from None

    return build
