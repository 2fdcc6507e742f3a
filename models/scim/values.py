"""The values of a SCIM request body as Seatwise reads them: attribute names matched ignoring case (RFC 7643
section 2.1), kept strings (at most 256 characters, no control character) and booleans as directories write them."""

from __future__ import annotations

import re
from typing import Any

from seatwise.models.scim.errors import invalid_value

MAX_TEXT = 256
_BAD_TEXT = re.compile("[\x01-\x1f]")  # NUL and lone surrogates: the request boundary (gql/http/scim/endpoint.py)


def attribute(body: dict[str, Any], name: str) -> Any:
    """The value of an attribute of a request body, its name matched ignoring case (RFC 7643 2.1); None when absent."""
    for key, value in body.items():
        if key.lower() == name.lower():
            return value
    return None


def has_attribute(body: dict[str, Any], name: str) -> bool:
    return any(key.lower() == name.lower() for key in body)


def text(value: Any, what: str, *, required: bool = False) -> str | None:
    """A kept string: at most 256 characters, no control character (U+0001 to U+001F; NUL and lone surrogates never
    get this far: docs/rules.md section 19)."""
    if value is None:
        if required:
            raise invalid_value(f"{what} is required.")
        return None
    if not isinstance(value, str):
        raise invalid_value(f"{what} is a string.")
    if _BAD_TEXT.search(value):
        raise invalid_value(f"{what} contains a control character.")
    if len(value) > MAX_TEXT or len(value.lower()) > MAX_TEXT:  # "İ".lower() is two characters: keys are lower-cased
        raise invalid_value(f"{what} has at most {MAX_TEXT} characters.")
    if required and not value.strip():
        raise invalid_value(f"{what} is required.")
    return value


def boolean(value: Any, what: str) -> bool:
    """A JSON boolean, or the strings "True" / "False" in any case (Entra)."""
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, bool):
        return value
    raise invalid_value(f"{what} is a boolean.")
