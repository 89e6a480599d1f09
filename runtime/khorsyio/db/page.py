"""Page: one page of a query's results, as :func:`khorsyio.db.paginate` returns it."""

from __future__ import annotations

from collections.abc import ItemsView, Iterable
from typing import Any, Generic, TypeVar

__all__ = ["Page", "PageItems"]

T = TypeVar("T")


class PageItems(list[T]):
    """The items of a :class:`Page`: a plain list, that is also ``page.items()`` when called.

    khorsyio 0.2 returned a dict, and code iterates ``page.items()`` for its key/value pairs;
    the typed attribute ``page.items`` is this list, so calling it keeps that code working.
    """

    __slots__ = ("_page",)

    def __init__(self, items: Iterable[T], page: Page[T]) -> None:
        super().__init__(items)
        self._page = page

    def __call__(self) -> ItemsView[str, Any]:
        return dict.items(self._page)


class Page(dict[str, Any], Generic[T]):
    """One page of results: ``items`` and where they sit in the whole result.

    Typed attributes ``page.items`` (a list), ``page.total``, ``page.page``,
    ``page.per_page``, ``page.pages`` and, as in khorsyio 0.2, a dict with those keys:
    ``page["items"]``, ``page["total"]``..., assignable (``page["items"] = [...]`` to reshape
    the items before answering), encoded as that JSON object by ``Response.json(send, page)``
    and equal to the plain dict.
    """

    def __init__(
        self, *, items: Iterable[T], total: int, page: int, per_page: int, pages: int
    ) -> None:
        super().__init__()
        self["items"] = items  # the keys in 0.2's order
        self.update(total=total, page=page, per_page=per_page, pages=pages)

    def __setitem__(self, key: str, value: Any) -> None:
        if key == "items" and not isinstance(value, PageItems):
            value = PageItems(value, self)
        super().__setitem__(key, value)

    @property  # the list, and callable as dict.items() (see PageItems)
    def items(self) -> PageItems[T]:  # type: ignore[override]
        value = self.get("items")
        if not isinstance(value, PageItems):
            self["items"] = [] if value is None else value
            value = dict.__getitem__(self, "items")
        return value

    @property
    def total(self) -> int:
        """Rows in the whole result."""
        return int(self["total"])

    @property
    def page(self) -> int:
        """This page's number, from 1."""
        return int(self["page"])

    @property
    def per_page(self) -> int:
        """The page size used (``per_page`` capped at ``max_per_page``)."""
        return int(self["per_page"])

    @property
    def pages(self) -> int:
        """How many pages the whole result has (0 when it is empty)."""
        return int(self["pages"])
