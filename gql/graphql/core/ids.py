"""Global ids (docs/rules.md section 17): Strawberry's relay GlobalID, base64 of "TypeName:key", decoded here once.

Every `ID` argument and input field goes through `local` (or `locals_of`) with the type it names, and the domain gets
the key inside. The one rule: a global id of that type gives its key; a plain number (deprecated, for one release)
is taken as that type's key; anything else (a global id of another type, a malformed one) gives `NOT_AN_ID`, which
the domain finds nowhere, so it is answered exactly as an unknown id is: a `NOT_FOUND` userError on the input's
field from a mutation, `null` from a query. SCIM ids (gql/http/scim) never come here.
"""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry import relay

NOT_AN_ID = "-"  # parse_id (models/core/inputs.py) refuses it: NOT_FOUND, as for an unknown id

DEPRECATED_NUMBER = "A global id; a plain number is still accepted for one release (deprecated)."


def decode(raw: str) -> relay.GlobalID | None:
    """The type and key of a global id; None when it is not one."""
    try:
        decoded = relay.GlobalID.from_id(raw)
    except (relay.GlobalIDValueError, ValueError, TypeError):
        return None
    return decoded if decoded.type_name and decoded.node_id else None


def local(raw: str | None, type_name: str) -> str:
    """The key inside `raw`, a global id of `type_name` or (deprecated) a plain number; `NOT_AN_ID` otherwise."""
    if raw is None:
        return NOT_AN_ID
    if raw.isascii() and raw.isdigit():
        return raw
    decoded = decode(raw)
    if decoded is None or decoded.type_name != type_name:
        return NOT_AN_ID
    return decoded.node_id


def optional(raw: str | None, type_name: str) -> str | None:
    """`local` for an optional input: None stays None."""
    return None if raw is None else local(raw, type_name)


def locals_of(raws: Iterable[str], type_name: str) -> list[str]:
    """`local` of each id of a list input, in order."""
    return [local(raw, type_name) for raw in raws]


def gid(type_name: str, key: object) -> strawberry.ID:
    """The global id of the object of `type_name` with this key (an id field that is not the object's own)."""
    return strawberry.ID(str(relay.GlobalID(type_name=type_name, node_id=str(key))))
