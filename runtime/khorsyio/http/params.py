"""Building a request Struct from path and query parameters (typed GET/DELETE routes)."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin

import msgspec

from khorsyio.http.errors import validation_error

if TYPE_CHECKING:
    from khorsyio.http.request import Request

__all__ = ["params_decoder"]

_SEQ = (list, tuple, set, frozenset)


def _is_sequence(tp: Any) -> bool:
    origin = get_origin(tp)
    if origin is typing.Annotated:
        return _is_sequence(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return any(_is_sequence(a) for a in get_args(tp) if a is not type(None))
    return tp in _SEQ or origin in _SEQ


def params_decoder(tp: type[msgspec.Struct]) -> Callable[[Request], Any]:
    """A function building ``tp`` from a request's path and query parameters.

    Fields are looked up by their JSON name; a path parameter wins over a query key; a
    list field takes every value of a repeated key, any other field the first value.
    Strings are converted to the field types (``"5"`` -> ``5``); a mismatch gives 422, and
    so does a query key the Struct does not have when it is ``forbid_unknown_fields``.
    """
    fields = [(f.encode_name, _is_sequence(f.type)) for f in msgspec.structs.fields(tp)]
    # a Struct that forbids unknown fields refuses unknown query keys too (422)
    known = {name for name, _ in fields} if tp.__struct_config__.forbid_unknown_fields else None

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
        for name, many in fields:
            if name in pp:
                data[name] = pp[name]
            elif name in q:
                data[name] = q[name] if many else q[name][0]
        try:
            return msgspec.convert(data, tp, strict=False)
        except msgspec.ValidationError as e:
            raise validation_error(e) from None

    return build
