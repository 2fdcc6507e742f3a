"""Keyset pagination: a page of an ordered query starts after the sort key of the last row seen.

A cursor is opaque to clients. Inside it is the URL-safe base64 (no padding) of the JSON array
`[version, order, key values...]`: the cursor format's version (1), the ordering it belongs to (e.g.
"email,id") and the sort key of its row (e.g. `["a@x.test", 42]`). A page after a cursor is
`WHERE key > cursor's key ORDER BY key LIMIT first + 1`: an index range scan that costs the same on page
1,000 as on page 1 (no OFFSET). The extra row says whether there is a next page. The total is a COUNT,
run only when asked for (`await page.total()`), since it is the one cost that grows with the rows.

Backward paging (`last`, `before`) reads the same index the other way: `WHERE key < cursor's key ORDER BY key
DESC LIMIT last + 1` (the keyset reversed), and the rows are returned in the list's order. A cursor carries the
list's ordering, whichever way it was read, so that an `endCursor` of a backward page pages forward and back.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from tortoise import fields as orm_fields
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

T = TypeVar("T")
M = TypeVar("M", bound=Model)
MAX_PAGE = 100
CURSOR_VERSION = 1
# A cursor longer than this was not issued by us: the longest key is a display name (256 characters, up to 4 bytes
# each in UTF-8) and an id, about 1,450 characters once in base64.
MAX_CURSOR = 2048
_INVALID = "Invalid cursor: use a cursor from a previous page."


class BadUserInput(Exception):
    """An invalid `first`, `last` or cursor: a top-level BAD_USER_INPUT error, not a userError."""


@dataclass
class Page(Generic[T]):
    """One page: its items, the sort key of each (for their cursors), and whether pages follow or precede it.

    Per the Relay cursor spec: paging forward, `has_next` says whether rows follow and `has_previous` is true when
    the page was asked for after a cursor (the cursor's row came before it); paging backward, `has_previous` says
    whether rows precede and `has_next` is true when the page was asked for before a cursor."""

    items: list[T]
    keys: list[tuple[Any, ...]]
    order: str
    has_next: bool
    has_previous: bool
    counter: Callable[[], Awaitable[int]] = field(repr=False)
    _total: int | None = field(default=None, repr=False)

    async def total(self) -> int:
        """The number of rows over all pages: a COUNT on first use, none when nobody asks."""
        if self._total is None:
            self._total = await self.counter()
        return self._total

    def cursor(self, index: int) -> str:
        return encode_cursor(self.order, self.keys[index])


@dataclass(frozen=True)
class Keyset:
    """An ordering as `order_by` takes it ("email", "-at"...), all ascending or all descending, ending in a
    unique field (the id, or a unique email), so that every row has one place."""

    fields: tuple[str, ...]

    def __post_init__(self) -> None:
        if len({f.startswith("-") for f in self.fields}) != 1:
            raise ValueError("A keyset is all ascending or all descending.")

    @property
    def names(self) -> list[str]:
        return [f.lstrip("-") for f in self.fields]

    @property
    def descending(self) -> bool:
        return self.fields[0].startswith("-")

    @property
    def tag(self) -> str:
        return ",".join(self.fields)

    def reversed(self) -> Keyset:
        """The same ordering read the other way (a backward page's scan)."""
        return Keyset(tuple(name if self.descending else f"-{name}" for name in self.names))

    def key(self, row: Any) -> tuple[Any, ...]:
        return tuple(getattr(row, name) for name in self.names)

    def after(self, values: Sequence[Any], prefix: str = "") -> Q:
        """Rows strictly after `values` in this order: (a > x) OR (a = x AND b > y) ..., with a >= x in front so
        that the database starts its index scan at x."""
        beyond, reach = ("lt", "lte") if self.descending else ("gt", "gte")
        names = [prefix + name for name in self.names]
        branches = []
        for i, name in enumerate(names):
            equal = {names[j]: values[j] for j in range(i)}
            branches.append(Q(**equal, **{f"{name}__{beyond}": values[i]}))
        return Q(**{f"{names[0]}__{reach}": values[0]}) & Q(*branches, join_type="OR")


def encode_cursor(order: str, key: Sequence[Any]) -> str:
    values = [v.isoformat() if isinstance(v, datetime) else v for v in key]
    text = json.dumps([CURSOR_VERSION, order, *values], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _value(raw: Any, column: orm_fields.Field) -> Any:
    """A key value of a cursor as the column's type; BadUserInput for anything else."""
    if isinstance(column, orm_fields.DatetimeField):
        if not isinstance(raw, str) or len(raw) > 40:
            raise BadUserInput(_INVALID)
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise BadUserInput(_INVALID) from None
        if moment.tzinfo is None:
            raise BadUserInput(_INVALID)
        return moment
    if isinstance(column, orm_fields.IntField | orm_fields.BigIntField):
        if type(raw) is not int or not -(2**63) <= raw < 2**63:
            raise BadUserInput(_INVALID)
        return raw
    if not isinstance(raw, str) or "\x00" in raw or len(raw) > (getattr(column, "max_length", None) or MAX_CURSOR):
        raise BadUserInput(_INVALID)
    try:
        raw.encode()
    except UnicodeError:  # a lone surrogate
        raise BadUserInput(_INVALID) from None
    return raw


def decode_cursor(cursor: str | None, keyset: Keyset, model: type[Model]) -> tuple[Any, ...] | None:
    """The sort key after which the page starts (None for no cursor); BadUserInput for anything we did not
    issue for this ordering."""
    if cursor is None:
        return None
    if not cursor.isascii() or len(cursor) > MAX_CURSOR:
        raise BadUserInput(_INVALID)
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        parts = json.loads(text)
    except (binascii.Error, UnicodeError, ValueError):
        raise BadUserInput(_INVALID) from None
    if (
        not isinstance(parts, list)
        or len(parts) != 2 + len(keyset.fields)
        or parts[0] != CURSOR_VERSION
        or type(parts[0]) is not int
        or parts[1] != keyset.tag
    ):
        raise BadUserInput(_INVALID)
    columns = model._meta.fields_map
    return tuple(_value(raw, columns[name]) for raw, name in zip(parts[2:], keyset.names, strict=True))


def check_first(first: int | None) -> int:
    if first is None or not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"`first` must be between 1 and {MAX_PAGE}.")
    return first


@dataclass(frozen=True)
class Window:
    """Which rows of an ordered list a page asks for: the first `size` after `cursor`, or (`backward`) the last
    `size` before it."""

    size: int
    cursor: str | None
    backward: bool = False


def window(first: int | None, after: str | None, last: int | None = None, before: str | None = None) -> Window:
    """The page asked for by Relay's four arguments; BadUserInput when forward and backward arguments are mixed
    (first with last, after with before, first with before, last with after) or a size is out of 1..100."""
    if last is None and before is None:
        return Window(check_first(first), after)
    if first is not None or after is not None:
        raise BadUserInput("Page forward with `first` and `after`, or backward with `last` and `before`, not both.")
    if last is None or not 1 <= last <= MAX_PAGE:
        raise BadUserInput(f"`last` must be between 1 and {MAX_PAGE}.")
    return Window(last, before, backward=True)


def page_of(
    rows: list[Any], asked: Window, order: Keyset, counter: Callable[[], Awaitable[int]], *, cursor_given: bool
) -> Page[Any]:
    """The page of `rows` read for `asked` (size + 1 rows in the scan's order), in the list's order."""
    more = len(rows) > asked.size
    items = rows[: asked.size]
    if asked.backward:
        items.reverse()
    return Page(
        items=items,
        keys=[order.key(row) for row in items],
        order=order.tag,
        has_next=cursor_given if asked.backward else more,
        has_previous=more if asked.backward else cursor_given,
        counter=counter,
    )


async def paginate(
    query: QuerySet[M],
    first: int | None,
    after: str | None,
    order: Keyset,
    *,
    last: int | None = None,
    before: str | None = None,
) -> Page[M]:
    """One page of `query` in `order`: the first `first` rows after the cursor `after`, or the last `last` rows
    before the cursor `before`. One query (size + 1 rows, from the index position of the cursor, read backward for
    a backward page); the total is counted only when asked for."""
    asked = window(first, after, last, before)
    start = decode_cursor(asked.cursor, order, query.model)
    scan = order.reversed() if asked.backward else order
    page = query if start is None else query.filter(scan.after(start))
    rows = list(await page.order_by(*scan.fields).limit(asked.size + 1))
    return page_of(rows, asked, order, query.count, cursor_given=start is not None)
