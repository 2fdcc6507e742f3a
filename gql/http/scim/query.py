"""What a SCIM read asks for: a list's filter and page (RFC 7644 section 3.4.2), from the query string (GET) or a
SearchRequest body (POST .search, section 3.4.3), and the attributes an answer shows (section 3.4.2.5)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from starlette.requests import Request

from seatwise.gql.http.scim.endpoint import read_json
from seatwise.models.scim.errors import invalid_syntax, invalid_value
from seatwise.models.scim.schema import DEFAULT_COUNT, MAX_RESULTS, project

_INTEGER = re.compile(r"[+-]?[0-9]+")
MAX_START_INDEX = 2**31  # past every row; keeps OFFSET within what both databases take


def _number(raw: Any, name: str, default: int) -> int:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and _INTEGER.fullmatch(raw.strip()):
        return int(raw.strip())  # ASCII digits only: int() also reads "١٢" (Arabic-Indic digits) as 12
    raise invalid_value(f"{name} is an integer.")


def _names(raw: Any, name: str) -> str | None:
    """attributes / excludedAttributes: comma-separated in a query, a list of paths in a SearchRequest."""
    if raw is None or isinstance(raw, str):
        return raw
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return ",".join(raw)
    raise invalid_value(f"{name} is a list of attribute paths.")


@dataclasses.dataclass(frozen=True)
class Query:
    """What a list asks for, from the query string (GET) or a SearchRequest body (POST .search)."""

    filter: str | None
    start: int
    count: int
    attributes: str | None
    excluded: str | None

    @classmethod
    def of(cls, values: Any) -> Query:
        """startIndex (1-based; below 1 reads as 1) and count (0 to 200, default 100; below 0 reads as 0)."""
        if not isinstance(values, dict) and not hasattr(values, "get"):
            raise invalid_syntax("A SearchRequest is a JSON object.")
        text = values.get("filter")
        if text is not None and not isinstance(text, str):
            raise invalid_value("filter is a string.")
        return cls(
            filter=text,
            start=min(max(_number(values.get("startIndex"), "startIndex", 1), 1), MAX_START_INDEX),
            count=min(max(_number(values.get("count"), "count", DEFAULT_COUNT), 0), MAX_RESULTS),
            attributes=_names(values.get("attributes"), "attributes"),
            excluded=_names(values.get("excludedAttributes"), "excludedAttributes"),
        )


async def list_query(request: Request) -> Query:
    if request.method == "POST":  # POST {resource}/.search (RFC 7644 section 3.4.3)
        return Query.of(await read_json(request))
    return Query.of(request.query_params)


def shaped(request: Request, body: dict[str, Any], schema: str) -> dict[str, Any]:
    """One resource with the `attributes` / `excludedAttributes` of the request's query string."""
    return project(body, request.query_params.get("attributes"), request.query_params.get("excludedAttributes"), schema)
