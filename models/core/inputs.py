"""Checked input: text that may reach a query or a write, and ids, parsed once and the same way everywhere.

Text from a client is refused, without quoting it, when it is longer than the column it is compared with
or stored in (Tortoise refuses it then, as an unexpected error). Mutations get INVALID_INPUT userErrors
(`checked_text`); queries a top-level BAD_USER_INPUT (`query_text`). A NUL character or a lone surrogate
(PostgreSQL and the drivers refuse those; SQLite would store them) is refused where text enters, once for every
field (`has_forbidden_text`: the GraphQL, SCIM and command-line boundaries, docs/rules.md section 19).
"""

from __future__ import annotations

import re

from tortoise.models import Model

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.pages import BadUserInput

_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
MAX_ID_DIGITS = 18  # every id fits a signed 64-bit BIGINT


def column_length(model: type[Model], field: str) -> int:
    """The max_length of a CharField of models/core/tables/: the limit of text compared with it."""
    return model._meta.fields_map[field].max_length  # type: ignore[attr-defined]


def has_forbidden_text(raw: str) -> bool:
    """Whether text holds a character no database stores: NUL or a lone surrogate (the boundaries refuse it)."""
    return _FORBIDDEN.search(raw) is not None


def text_problem(raw: str, max_length: int) -> str | None:
    """What is wrong with this text (None when nothing): it never repeats the text."""
    if len(raw) > max_length:
        return f"is longer than {max_length} characters"
    return None


def checked_text(raw: str, max_length: int, what: str, subject: str | None) -> str:
    """`raw` unchanged, or INVALID_INPUT naming `what` (e.g. "The product SKU")."""
    problem = text_problem(raw, max_length)
    if problem is not None:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{what} {problem}.", subject)
    return raw


def query_text(raw: str | None, max_length: int, what: str) -> str | None:
    """The same check for a query's argument or filter: a top-level BAD_USER_INPUT."""
    if raw is None:
        return None
    problem = text_problem(raw, max_length)
    if problem is not None:
        raise BadUserInput(f"{what} {problem}.")
    return raw


def parse_id(raw: str | int | None) -> int | None:
    """A database id from an API id (ASCII decimal digits, at most 18); None when malformed.
    Ids are compared after this parse: "060577" and "60577" are the same id."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 <= raw < 10**MAX_ID_DIGITS else None
    if raw is None or not (raw.isascii() and raw.isdigit()):
        return None
    digits = raw.lstrip("0") or "0"
    if len(digits) > MAX_ID_DIGITS:
        return None
    return int(digits)
