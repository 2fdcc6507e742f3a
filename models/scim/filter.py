"""SCIM filters (RFC 7644 section 3.4.2.2) as SQL: the expression is parsed by scim2-models' grammar and each node
becomes a Tortoise `Q` on indexed columns, so a list never reads more rows than it returns.

Attribute names are case-insensitive; an attribute Seatwise does not keep, an operator that makes no sense for it
(`gt` on a boolean), or a value of the wrong type is `invalidFilter`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scim2_models.exceptions import SCIMException
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ScimFilter,
    ValuePath,
)
from tortoise.expressions import Q, Subquery

from seatwise.models.core.inputs import parse_id
from seatwise.models.core.tables import GroupMember
from seatwise.models.scim.errors import invalid_filter
from seatwise.models.scim.schema import GROUP_SCHEMA, USER_SCHEMA

MAX_FILTER_LENGTH = 4096
MAX_VALUE_LENGTH = 256  # the longest text any filtered column holds

_SUFFIX = {
    CompareOperator.co: "contains",
    CompareOperator.sw: "startswith",
    CompareOperator.ew: "endswith",
    CompareOperator.gt: "gt",
    CompareOperator.ge: "gte",
    CompareOperator.lt: "lt",
    CompareOperator.le: "lte",
}
_ORDERING = {CompareOperator.gt, CompareOperator.ge, CompareOperator.lt, CompareOperator.le}

Builder = Callable[[CompareOperator | None, Any], Q]  # op None: `pr`


def q(lookup: str, value: Any) -> Q:
    """Q(<lookup>=value) for a lookup built at run time."""
    kwargs: dict[str, Any] = {lookup: value}
    return Q(**kwargs)


ALL = Q(id__isnull=False)  # every row (an attribute every resource has is present)
NONE = Q(id__isnull=True)  # no row (a malformed id)


@dataclass(frozen=True)
class Text:
    """A text column. `folded`: the column holds lower-cased text (compare with the lower-cased value, on its
    index); otherwise `case_exact` says whether comparisons respect case. `fallback` (userName): rows whose column
    is null are compared on this other (folded) column instead."""

    column: str
    folded: bool = False
    case_exact: bool = False
    fallback: str | None = None
    always_present: bool = False

    def __call__(self, op: CompareOperator | None, value: Any) -> Q:
        if op is None:
            if self.always_present:
                return ALL
            return q(f"{self.column}__isnull", False) & ~q(self.column, "")
        if value is None:  # `eq null`: not present; `ne null`: present
            if op not in (CompareOperator.eq, CompareOperator.ne):
                raise invalid_filter("null compares with eq or ne.")
            present = self(None, None)
            if op is CompareOperator.ne:
                return present
            return NONE if self.always_present else q(f"{self.column}__isnull", True) | q(self.column, "")
        if not isinstance(value, str):
            raise invalid_filter(f"{self.column} compares with a string.")
        if len(value) > MAX_VALUE_LENGTH:
            raise invalid_filter(f"A filter value has at most {MAX_VALUE_LENGTH} characters.")
        if op is CompareOperator.ne:  # a missing value is not equal to anything
            miss = ~self._match(CompareOperator.eq, value)
            return miss if self.always_present else miss | q(f"{self.column}__isnull", True)
        return self._match(op, value)

    def _on(self, column: str, op: CompareOperator, value: str, folded: bool) -> Q:
        if folded:
            value = value.lower()
            lookup = "" if op is CompareOperator.eq else f"__{_SUFFIX[op]}"
        elif self.case_exact or op in _ORDERING:
            lookup = "" if op is CompareOperator.eq else f"__{_SUFFIX[op]}"
        else:
            lookup = "__iexact" if op is CompareOperator.eq else f"__i{_SUFFIX[op]}"
        return q(f"{column}{lookup}", value)

    def _match(self, op: CompareOperator, value: str) -> Q:
        match = self._on(self.column, op, value, self.folded)
        if self.fallback:  # both sides decided (never NULL), so that a negation keeps the rows on the fallback
            match = (q(f"{self.column}__isnull", False) & match) | (
                q(f"{self.column}__isnull", True) & self._on(self.fallback, op, value, True)
            )
        return match


def _boolean(op: CompareOperator | None, value: Any) -> bool:
    if op not in (CompareOperator.eq, CompareOperator.ne):
        raise invalid_filter("A boolean compares with eq or ne.")
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        value = value.strip().lower() == "true"
    if not isinstance(value, bool):
        raise invalid_filter("A boolean compares with true or false.")
    return value if op is CompareOperator.eq else not value


def active(op: CompareOperator | None, value: Any) -> Q:
    if op is None:
        return ALL
    return Q(deleted_at__isnull=_boolean(op, value))


def identifier(op: CompareOperator | None, value: Any) -> Q:
    if op is None:
        return ALL
    if op not in (CompareOperator.eq, CompareOperator.ne) or not isinstance(value, str):
        raise invalid_filter("id compares with eq or ne and a string.")
    pk = parse_id(value)
    match = Q(id=pk) if pk is not None else NONE  # a malformed id matches nothing
    return match if op is CompareOperator.eq else ~match


@dataclass(frozen=True)
class Moment:
    column: str
    fallback: str | None = None

    def __call__(self, op: CompareOperator | None, value: Any) -> Q:
        if op is None:
            return ALL
        if op in (CompareOperator.co, CompareOperator.sw, CompareOperator.ew) or not isinstance(value, str):
            raise invalid_filter("A dateTime compares with eq, ne, gt, ge, lt or le and an ISO 8601 string.")
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise invalid_filter("A dateTime names its time zone (e.g. Z).")
            moment = moment.astimezone(UTC)  # 9999-12-31T23:59:59-23:59 is past the last moment there is
        except (ValueError, OverflowError):
            raise invalid_filter("This is not an ISO 8601 dateTime within the years 1 to 9999.") from None
        lookup = "" if op in (CompareOperator.eq, CompareOperator.ne) else f"__{_SUFFIX[op]}"
        match = q(f"{self.column}{lookup}", moment)
        if self.fallback:
            match = match | (q(f"{self.column}__isnull", True) & q(f"{self.fallback}{lookup}", moment))
        return ~match if op is CompareOperator.ne else match


def members(op: CompareOperator | None, value: Any) -> Q:
    if op is None:
        return Q(id__in=Subquery(GroupMember.all().values("group_id")))
    if op not in (CompareOperator.eq, CompareOperator.ne) or not isinstance(value, str):
        raise invalid_filter("members.value compares with eq or ne and a user id.")
    pk = parse_id(value)
    match = Q(id__in=Subquery(GroupMember.filter(user_id=pk).values("group_id"))) if pk is not None else NONE
    return match if op is CompareOperator.eq else ~match


USER_FIELDS: dict[str, Builder] = {
    "id": identifier,
    "username": Text("user_name_key", folded=True, fallback="email", always_present=True),
    "externalid": Text("external_id", case_exact=True),
    "displayname": Text("display_name", always_present=True),
    "active": active,
    "emails": Text("email", folded=True, always_present=True),
    "emails.value": Text("email", folded=True, always_present=True),
    "name.givenname": Text("given_name"),
    "name.familyname": Text("family_name"),
    "name.formatted": Text("formatted_name"),
    "meta.created": Moment("created_at"),
    "meta.lastmodified": Moment("last_modified", fallback="created_at"),
}

GROUP_FIELDS: dict[str, Builder] = {
    "id": identifier,
    "displayname": Text("name_key", folded=True, always_present=True),
    "externalid": Text("external_id", case_exact=True),
    "members": members,
    "members.value": members,
    "meta.created": Moment("created_at"),
    "meta.lastmodified": Moment("last_modified", fallback="created_at"),
}


def parse(text: str) -> FilterNode:
    """The syntax tree of a filter; invalidFilter when it does not parse."""
    if len(text) > MAX_FILTER_LENGTH:
        raise invalid_filter(f"A filter has at most {MAX_FILTER_LENGTH} characters.")
    try:
        return ScimFilter(text).ast
    except (SCIMException, ValueError, TypeError, RecursionError):
        raise invalid_filter("The filter does not parse.") from None


def _name(path: AttrPath, schema: str, namespace: str | None = None) -> str:
    if path.uri is not None and path.uri.lower() != schema.lower():
        raise invalid_filter("Seatwise keeps no attribute of this schema.")
    parts = [namespace] if namespace else []
    parts += [path.attr, *([path.sub_attr] if path.sub_attr else [])]
    return ".".join(parts).lower()


def to_q(node: FilterNode, fields: dict[str, Builder], schema: str, namespace: str | None = None) -> Q:
    if isinstance(node, LogicalExpr):
        terms = [to_q(term, fields, schema, namespace) for term in node.terms]
        combined = terms[0]
        for term in terms[1:]:
            combined = combined & term if node.op is LogicalOperator.and_ else combined | term
        return combined
    if isinstance(node, Not):
        return ~to_q(node.expr, fields, schema, namespace)
    if isinstance(node, ValuePath):
        if namespace is not None:
            raise invalid_filter("Value filters do not nest.")
        return to_q(node.val_filter, fields, schema, _name(node.attr_path, schema))
    if isinstance(node, Comparison | Present):
        name = _name(node.attr_path, schema, namespace)
        builder = fields.get(name)
        if builder is None:
            raise invalid_filter("The filter names an attribute Seatwise does not filter on.")
        if isinstance(node, Present):
            return builder(None, None)
        return builder(node.op, node.value)
    raise invalid_filter("Unsupported filter expression.")


def user_filter(text: str) -> Q:
    return to_q(parse(text), USER_FIELDS, USER_SCHEMA)


def group_filter(text: str) -> Q:
    return to_q(parse(text), GROUP_FIELDS, GROUP_SCHEMA)
