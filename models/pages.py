"""Cursor pagination over a query: opaque offset cursors, `first` 1..100, a total from COUNT."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

T = TypeVar("T")
M = TypeVar("M", bound=Model)
MAX_PAGE = 100


class BadUserInput(Exception):
    """An invalid `first` or cursor: a top-level BAD_USER_INPUT error, not a userError."""


@dataclass
class Page(Generic[T]):
    items: list[T]
    offset: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total

    @property
    def has_previous(self) -> bool:
        return self.offset > 0

    def cursor(self, index: int) -> str:
        return encode_cursor(self.offset + index)


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    """The offset after `cursor` (0 for none); BadUserInput for anything we did not issue."""
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise BadUserInput("Invalid cursor: use a cursor from a previous page.") from None
    prefix, _, number = text.partition(":")
    if prefix != "o" or not (number.isascii() and number.isdigit()) or len(number) > 18:
        raise BadUserInput("Invalid cursor: use a cursor from a previous page.")
    return int(number) + 1


def check_first(first: int | None) -> int:
    if first is None or not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"`first` must be between 1 and {MAX_PAGE}.")
    return first


async def paginate(query: QuerySet[M], first: int | None, after: str | None) -> Page[M]:
    """One page of an ordered query plus its total: two queries whatever the size."""
    limit = check_first(first)
    offset = decode_cursor(after)
    total = await query.count()
    items = await query.offset(offset).limit(limit) if offset < total else []
    return Page(items=list(items), offset=offset, total=total)
