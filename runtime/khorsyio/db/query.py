"""Query helpers for ``select()`` statements: filters, ordering, page and cursor pagination.

Field names and values may come straight from a query string, so every name is checked
against the model's mapped column attributes (and an optional allow-list), names starting
with ``_`` are refused, and values are converted to the column's Python type and always
sent as bound parameters. Every refusal is a :class:`~khorsyio.db.errors.QueryError`
(HTTP 400, ``bad_query``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeVar

import msgspec
from sqlalchemy import Boolean, ColumnElement, Select, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapper
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.visitors import InternalTraversal

from khorsyio.db.errors import QueryError
from khorsyio.db.page import Page
from khorsyio.errors import ConfigError, UsageTypeError

__all__ = ["OPS", "apply_cursor", "apply_filters", "apply_order", "paginate"]

S = TypeVar("S", bound=Select[Any])

OPS = (
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "isnull",
    "between",
)
"""The filter operators, written ``field__op`` (``field`` alone means ``eq``)."""

_TEXT_OPS = {"contains", "icontains", "startswith", "istartswith", "endswith", "iendswith"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _columns(model: Any) -> dict[str, Any]:
    mapper = inspect(model, raiseerr=False)
    if not isinstance(mapper, Mapper):
        raise UsageTypeError(f"expected a mapped ORM class, got {model!r}")
    return {prop.key: getattr(mapper.class_, prop.key) for prop in mapper.column_attrs}


class _Fields:
    """The fields of ``model`` that requests may name."""

    def __init__(self, model: Any, allowed: Iterable[str] | None) -> None:
        self.model = model
        self.columns = _columns(model)
        self.allowed: frozenset[str] | None = None
        if allowed is not None:
            self.allowed = frozenset([allowed] if isinstance(allowed, str) else allowed)
            bad = sorted(a for a in self.allowed if a not in self.columns or a.startswith("_"))
            if bad:
                raise ConfigError(
                    f"allowed names {', '.join(bad)}, which are not public mapped columns of "
                    f"{getattr(model, '__name__', model)}"
                )

    def get(self, name: Any, where: str) -> Any:
        if not isinstance(name, str) or not name:
            raise QueryError(f"{where}: expected a field name, got {_show(name)}")
        if name.startswith("_"):
            raise QueryError(f"{where}: field {_show(name)} is not accepted")
        if self.allowed is not None and name not in self.allowed:
            accepted = ", ".join(sorted(self.allowed)) or "none"
            raise QueryError(f"{where}: unknown field {_show(name)}; accepted: {accepted}")
        column = self.columns.get(name)
        if column is None:
            raise QueryError(f"{where}: unknown field {_show(name)}")
        return column


def _python_type(column: Any) -> type[Any] | None:
    try:
        tp = column.type.python_type
    except (NotImplementedError, AttributeError):
        return None
    return tp if isinstance(tp, type) else None


def _value(column: Any, value: Any, key: str) -> Any:
    """``value`` converted to the column's Python type (``"18"`` -> ``18`` for an integer)."""
    if isinstance(value, ClauseElement) or hasattr(value, "__clause_element__"):
        raise QueryError(f"{key}: expected a plain value, got an SQL expression")
    if value is None:
        return None
    tp = _python_type(column)
    if tp is None or (type(value) is tp):
        return _in_range(value, key)
    try:
        return _in_range(msgspec.convert(value, tp, strict=False), key)
    except msgspec.ValidationError:
        raise QueryError(f"{key}: expected {_type_label(tp)}, got {_show(value)}") from None
    except TypeError:  # a type msgspec does not know: let the driver judge
        return value


_INT64 = range(-(2**63), 2**63)


def _in_range(value: Any, key: str) -> Any:
    """Integers a database column can hold (64-bit): a larger one is the client's mistake."""
    if type(value) is int and value not in _INT64:
        raise QueryError(f"{key}: {value} is out of range for a database integer")
    return value


def _type_label(tp: type[Any]) -> str:
    return {
        int: "an integer",
        float: "a number",
        str: "a string",
        bool: "a boolean",
    }.get(tp, f"a value of type {tp.__name__}")


def _bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise QueryError(f"{key}: expected true or false, got {_show(value)}")


def _sequence(value: Any, key: str) -> list[Any]:
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    raise QueryError(f"{key}: expected a list of values, got {_show(value)}")


def _condition(column: Any, op: str, value: Any, key: str) -> ColumnElement[bool]:
    if op == "isnull":
        return column.is_(None) if _bool(value, key) else column.is_not(None)  # type: ignore[no-any-return]
    if op == "in":
        return column.in_([_value(column, v, key) for v in _sequence(value, key)])  # type: ignore[no-any-return]
    if op == "between":
        pair = _sequence(value, key)
        if len(pair) != 2 or pair[0] is None or pair[1] is None:
            raise QueryError(f"{key}: expected two values [low, high], got {_show(value)}")
        return column.between(_value(column, pair[0], key), _value(column, pair[1], key))  # type: ignore[no-any-return]
    if op in _TEXT_OPS:
        if _python_type(column) is not str:
            raise QueryError(f"{key}: {op} applies to text fields only")
        if not isinstance(value, str):
            raise QueryError(f"{key}: expected a string, got {_show(value)}")
        if op.startswith("i"):
            # autoescape: % and _ typed by the client match themselves, not any text
            return getattr(column, op)(value, autoescape=True)  # type: ignore[no-any-return]
        return _CaseSensitiveMatch(column, op, value)
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        raise QueryError(f"{key}: expected a single value, got {_show(value)}")
    v = _value(column, value, key)
    if op == "eq":
        return column == v  # type: ignore[no-any-return]
    if op == "ne":
        return column != v  # type: ignore[no-any-return]
    if v is None:
        raise QueryError(f"{key}: {op} needs a value, got null")
    if op == "lt":
        return column < v  # type: ignore[no-any-return]
    if op == "lte":
        return column <= v  # type: ignore[no-any-return]
    if op == "gt":
        return column > v  # type: ignore[no-any-return]
    return column >= v  # type: ignore[no-any-return]  # gte


class _CaseSensitiveMatch(ColumnElement[bool]):
    """contains/startswith/endswith, case-sensitive on every backend.

    PostgreSQL's LIKE is case-sensitive; SQLite's ignores ASCII case, so on SQLite the
    match compiles to ``instr``/``substr`` comparisons instead.
    """

    __visit_name__ = "khorsyio_case_sensitive_match"
    type = Boolean()
    inherit_cache = False
    _traverse_internals = [
        ("portable", InternalTraversal.dp_clauseelement),
        ("on_sqlite", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, op: str, value: str) -> None:
        self.portable: ColumnElement[bool] = getattr(column, op)(value, autoescape=True)
        if value == "":
            self.on_sqlite: ColumnElement[bool] = column.is_not(None)
        elif op == "contains":
            self.on_sqlite = func.instr(column, value) > 0
        elif op == "startswith":
            self.on_sqlite = func.substr(column, 1, len(value)) == value
        else:
            self.on_sqlite = func.substr(column, -len(value)) == value


@compiles(_CaseSensitiveMatch)
def _compile_match(element: _CaseSensitiveMatch, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.portable, **kw)


@compiles(_CaseSensitiveMatch, "sqlite")
def _compile_match_sqlite(element: _CaseSensitiveMatch, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.on_sqlite, **kw)


def apply_filters(
    stmt: S,
    model: Any,
    filters: Mapping[str, Any] | None,
    allowed: Iterable[str] | None = None,
) -> S:
    """``stmt`` with a WHERE condition per ``field__op: value`` item of ``filters``.

    ``{"age__gte": 18, "name__icontains": "alex", "deleted_at__isnull": True}``. Operators:
    see :data:`OPS`; without ``__op`` the operator is ``eq``. ``in`` takes a list,
    ``between`` a ``[low, high]`` pair, ``isnull`` a boolean; text operators escape ``%``
    and ``_``. ``allowed`` limits the fields a request may name.
    """
    if not filters:
        return stmt
    fields = _Fields(model, allowed)
    conditions: list[ColumnElement[bool]] = []
    for key, value in filters.items():
        if not isinstance(key, str):
            raise QueryError(f"filter: expected a field name, got {_show(key)}")
        name, sep, op = key.partition("__")
        if not sep:
            op = "eq"
        if name == "" or key.startswith("_"):
            raise QueryError(f"filter {_show(key)}: field {_show(key)} is not accepted")
        if op not in OPS:
            raise QueryError(
                f"filter {_show(key)}: unknown operator {_show(op)}; accepted: {', '.join(OPS)}"
            )
        column = fields.get(name, f"filter {_show(key)}")
        conditions.append(_condition(column, op, value, key))
    return stmt.where(*conditions)


def apply_order(
    stmt: S,
    model: Any,
    fields: Iterable[str] | str | None,
    allowed: Iterable[str] | None = None,
) -> S:
    """``stmt`` ordered by ``fields``: ``"-created_at"`` descending, ``"+id"``/``"id"`` ascending.

    ``fields`` may be a list or a comma-separated string (``"-created_at,id"``).
    """
    if fields is None:
        return stmt
    items = fields.split(",") if isinstance(fields, str) else list(fields)
    known = _Fields(model, allowed)
    clauses: list[Any] = []
    for item in items:
        if not isinstance(item, str):
            raise QueryError(f"order: expected a field name, got {_show(item)}")
        spec = item.strip()
        if not spec:
            continue
        descending = spec.startswith("-")
        name = spec[1:] if spec[0] in "+-" else spec
        column = known.get(name, f"order {_show(spec)}")
        clauses.append(column.desc() if descending else column.asc())
    return stmt.order_by(*clauses) if clauses else stmt


def apply_cursor(
    stmt: S,
    model: Any,
    cursor_value: Any,
    cursor_field: str = "id",
    order: Literal["asc", "desc"] | str = "asc",
    allowed: Iterable[str] | None = None,
) -> S:
    """Keyset pagination: rows after ``cursor_value`` in ``cursor_field`` order.

    ``order="asc"`` keeps rows with ``cursor_field > cursor_value``, ``"desc"`` those
    below it; ``cursor_value=None`` starts at the beginning. The statement is ordered by
    ``cursor_field`` alone (any earlier ordering is replaced), so the field should be
    unique, such as the primary key. Add ``.limit(n)`` for the page size.
    """
    direction = order.lower() if isinstance(order, str) else order
    if direction not in ("asc", "desc"):
        raise QueryError(f"cursor: order must be 'asc' or 'desc', got {_show(order)}")
    column = _Fields(model, allowed).get(cursor_field, "cursor")
    if cursor_value is not None:
        if isinstance(cursor_value, (list, tuple, set, frozenset, dict)):
            raise QueryError(f"cursor: expected a single value, got {_show(cursor_value)}")
        v = _value(column, cursor_value, "cursor")
        stmt = stmt.where(column > v if direction == "asc" else column < v)
    return stmt.order_by(None).order_by(column.asc() if direction == "asc" else column.desc())


def _page_number(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise QueryError(f"{name}: expected a positive integer, got {_show(value)}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise QueryError(f"{name}: expected a positive integer, got {_show(value)}") from None
    if number < 1 or (isinstance(value, float) and value != number):
        raise QueryError(f"{name}: expected a positive integer, got {_show(value)}")
    if number > 2**31:
        raise QueryError(f"{name}: {number} is too large")
    return number


def _single_entity(stmt: Select[Any]) -> bool:
    descriptions = stmt.column_descriptions
    if len(descriptions) != 1:
        return False
    insp = inspect(descriptions[0].get("expr"), raiseerr=False)
    return bool(getattr(insp, "is_mapper", False) or getattr(insp, "is_aliased_class", False))


async def paginate(
    session: AsyncSession | AsyncConnection,
    stmt: Select[Any],
    page: int | str = 1,
    per_page: int | str = 20,
    max_per_page: int = 100,
) -> Page[Any]:
    """One page of ``stmt``: a :class:`Page` (``items``, ``total``, ``page``, ``per_page``,
    ``pages``), readable as ``page.items`` or, as in khorsyio 0.2, ``page["items"]``.

    ``items`` are ORM objects when ``stmt`` selects one entity (``select(User)``), dicts
    otherwise. ``per_page`` is capped at ``max_per_page``; a page past the end is empty.
    """
    number = _page_number(page, "page")
    size = min(_page_number(per_page, "per_page"), max(1, max_per_page))
    counted = select(func.count()).select_from(stmt.order_by(None).subquery())
    total = int(await session.scalar(counted) or 0)
    result = await session.execute(stmt.limit(size).offset((number - 1) * size))
    items: list[Any]
    if _single_entity(stmt):
        items = list(result.unique().scalars().all())
    else:
        items = [dict(row) for row in result.mappings().all()]
    return Page(
        items=items, total=total, page=number, per_page=size, pages=(total + size - 1) // size
    )
