"""Finding things by id inside one organization: another organization's id is simply unknown."""

from __future__ import annotations

from typing import Any, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import parse_id
from seatwise.models.core.tables import Organization, Subscription, User

__all__ = ["get_subscription", "get_user", "in_org", "rows_by_keys", "subscriptions_by_ids"]

M = TypeVar("M", bound=Model)


async def in_org(query: QuerySet[M], raw_id: str | int, what: str, subject: str) -> M:
    """The row of `query` (already scoped to one organization) with this API id; NOT_FOUND otherwise,
    for a malformed id too."""
    pk = parse_id(raw_id)
    row = await query.get_or_none(id=pk) if pk is not None else None
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"No such {what}.", subject)
    return row


async def get_user(org: Organization, user_id: str | int, subject: str) -> User:
    return await in_org(User.filter(organization_id=org.id), user_id, "user", subject)


async def get_subscription(org: Organization, subscription_id: str | int, subject: str) -> Subscription:
    return await in_org(Subscription.filter(organization_id=org.id), subscription_id, "subscription", subject)


async def subscriptions_by_ids(org: Organization, ids: list[int]) -> dict[int, Subscription]:
    return {s.id: s for s in await Subscription.filter(id__in=list(ids), organization_id=org.id)}


async def rows_by_keys(
    model: type[M],
    org: Organization,
    keys: list[str],
    *,
    org_field: str = "organization_id",
    related: tuple[str, ...] = (),
    **where: Any,
) -> dict[str, M]:
    """The rows of `model` with these API ids inside the organization (`org_field` names its column), by the id as
    asked; malformed and unknown ids are simply absent. One query for the whole list (node/nodes, docs/rules.md 17)."""
    wanted = {key: pk for key in keys if (pk := parse_id(key)) is not None}
    if not wanted:
        return {}
    query = model.filter(id__in=sorted(set(wanted.values())), **{org_field: org.id}, **where)
    rows = {row.pk: row for row in await (query.select_related(*related) if related else query)}
    return {key: rows[pk] for key, pk in wanted.items() if pk in rows}
