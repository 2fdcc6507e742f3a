"""Per-request context: the viewer, DataLoaders and per-request caches."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime
from functools import partial
from typing import Any

from strawberry.dataloader import DataLoader

from seatwise.gql.graphql.core.urls import public_base_url
from seatwise.models.billing.charges import default_card
from seatwise.models.catalog.products import catalog
from seatwise.models.core.clock import utcnow
from seatwise.models.core.errors import Unauthenticated
from seatwise.models.core.lookups import subscriptions_by_ids
from seatwise.models.core.pages import BadUserInput, Page
from seatwise.models.core.tables import Group, LicenseAssignment, LicenseWait, PaymentCard, Product, Subscription, User
from seatwise.models.groups import reads as group_reads
from seatwise.models.groups import waitlist
from seatwise.models.people.auth import Viewer
from seatwise.models.roles import catalog as role_catalog
from seatwise.models.roles import effective as role_reads
from seatwise.models.roles import group_roles
from seatwise.models.seats import licenses as seats
from seatwise.models.usage.access import dormant_products


async def _catalog_by_sku() -> dict[str, Product]:
    return {p.sku: p for p in await catalog()}


class Context(dict):
    """A dict (Strawberry's WebSocket code expects one) with typed helpers."""

    def __init__(self, viewer: Viewer | None, *, wall: datetime | None = None, **extra: Any) -> None:
        super().__init__(extra)
        self._viewer = viewer
        # The request's one wall-clock time, fixed when it starts (the viewer's `now` derives from it).
        self.wall = wall or (viewer.wall if viewer else utcnow())
        self.licenses: DataLoader[int, list[LicenseAssignment]] = DataLoader(self._load_licenses)
        # Per-request caches hold tasks, so that concurrent resolvers share one query.
        self._conflict_lines: dict[str, asyncio.Task[seats.ConflictLine | None]] = {}
        self._products: asyncio.Task[dict[str, Product]] | None = None
        self.subscriptions: DataLoader[int, Subscription | None] = DataLoader(self._load_subscriptions)
        self._default_card: asyncio.Task[PaymentCard | None] | None = None
        # Groups and waits: one query per batch whatever the page size.
        self.user_groups: DataLoader[int, list[Group]] = DataLoader(self._load_user_groups)
        self.license_groups: DataLoader[tuple[int, str], list[Group]] = DataLoader(self._load_license_groups)
        self.waits: DataLoader[int, list[tuple[LicenseWait, int]]] = DataLoader(self._load_waits)
        self.member_counts: DataLoader[int, int] = DataLoader(self._load_member_counts)
        self.group_licenses: DataLoader[int, list[group_reads.GroupLicense]] = DataLoader(self._load_group_licenses)
        # Keyed by (group id, first, after): a page of each group's members, one query per (first, after).
        self.group_members: DataLoader[tuple[int, int | None, str | None], Page[User]] = DataLoader(
            self._load_group_members, max_batch_size=group_reads.MAX_GROUPS_PER_STATEMENT
        )
        self.users: DataLoader[int, User] = DataLoader(self._load_users)
        # Product security roles: a page of users' effective roles (keyed by user and product, None for all), a page
        # of groups' roles, every product's roles: a constant number of queries whatever the page size.
        self.user_roles: DataLoader[tuple[User, str | None], list[role_reads.EffectiveRole]] = DataLoader(
            self._load_user_roles, cache_key_fn=lambda key: (key[0].id, key[1])
        )
        self.group_roles: DataLoader[int, list[group_roles.ProductRoles]] = DataLoader(self._load_group_roles)
        self._product_roles: asyncio.Task[dict[str, list[role_catalog.RoleView]]] | None = None
        self.dormant: DataLoader[int, list[str]] = DataLoader(self._load_dormant)

    @property
    def viewer(self) -> Viewer:
        if self._viewer is None:
            raise Unauthenticated("A valid bearer token is required.")
        return self._viewer

    @property
    def has_viewer(self) -> bool:
        return self._viewer is not None

    def set_viewer(self, viewer: Viewer | None) -> None:
        self._viewer = viewer

    @property
    def is_websocket(self) -> bool:
        return "connection_params" in self

    def authorization(self) -> str | None:
        """The credential of this request: the `Authorization` value of a WebSocket's connection_init
        payload (if it is a string), or the `Authorization` header of an HTTP request."""
        if self.is_websocket:
            params = self.get("connection_params")
            header = (params.get("Authorization") or params.get("authorization")) if isinstance(params, dict) else None
            return header if isinstance(header, str) else None
        request = self.get("request")
        headers = getattr(request, "headers", None)
        return (
            headers.get("authorization")
            if request is not None and headers is not None and request.scope["type"] == "http"
            else None
        )

    def public_base_url(self) -> str:
        """This server's address as the client sees it, without a trailing slash ("" when the request named no
        host): `urls.public_base_url` of this request."""
        return public_base_url(self.get("request"))

    async def _load_licenses(self, user_ids: list[int]) -> list[list[LicenseAssignment]]:
        found = await seats.assignments_of(list(user_ids))
        return [found[uid] for uid in user_ids]

    async def _load_user_groups(self, user_ids: list[int]) -> list[list[Group]]:
        found = await group_reads.groups_of_users(list(user_ids))
        return [found[uid] for uid in user_ids]

    async def _load_license_groups(self, keys: list[tuple[int, str]]) -> list[list[Group]]:
        found = await group_reads.granting_groups_of(list(keys))
        return [found[key] for key in keys]

    async def _load_waits(self, user_ids: list[int]) -> list[list[tuple[LicenseWait, int]]]:
        found = await waitlist.waits_of(list(user_ids))
        return [found[uid] for uid in user_ids]

    async def _load_member_counts(self, group_ids: list[int]) -> list[int]:
        found = await group_reads.member_counts(list(group_ids))
        return [found[gid] for gid in group_ids]

    async def _load_group_licenses(self, group_ids: list[int]) -> list[list[group_reads.GroupLicense]]:
        found = await group_reads.licenses_of_groups(list(group_ids))
        return [found[gid] for gid in group_ids]

    async def _load_group_members(self, keys: list[tuple[int, int | None, str | None]]) -> list[Page[User] | BadUserInput]:
        """One query per (first, after) asked for (an invalid one fails only its own keys); each page's totalCount
        comes from `member_counts`."""
        found: dict[tuple[int, int | None, str | None], Page[User] | BadUserInput] = {}
        for first, after in dict.fromkeys((first, after) for _, first, after in keys):
            ids = [gid for gid, f, a in keys if (f, a) == (first, after)]
            try:
                pages = await group_reads.members_pages(ids, first, after)
            except BadUserInput as error:  # the DataLoader raises it from each of these keys' load()
                found.update({(gid, first, after): error for gid in ids})
                continue
            for gid, page in pages.items():
                found[(gid, first, after)] = dataclasses.replace(page, counter=partial(self.member_counts.load, gid))
        return [found[key] for key in keys]

    async def _load_users(self, ids: list[int]) -> list[User]:
        found = {u.id: u for u in await User.filter(organization_id=self.viewer.org.id, id__in=list(ids))}
        return [found[i] for i in ids]

    async def _load_user_roles(self, keys: list[tuple[User, str | None]]) -> list[list[role_reads.EffectiveRole]]:
        found: dict[tuple[int, str | None], list[role_reads.EffectiveRole]] = {}
        for sku in dict.fromkeys(sku for _, sku in keys):
            users = {u.id: u for u, s in keys if s == sku}
            for uid, roles in (await role_reads.effective_roles(self.viewer.org, users.values(), sku)).items():
                found[(uid, sku)] = roles
        return [found[(u.id, sku)] for u, sku in keys]

    async def _load_group_roles(self, group_ids: list[int]) -> list[list[group_roles.ProductRoles]]:
        found = await group_roles.roles_of_groups(self.viewer.org, list(group_ids))
        return [found[gid] for gid in group_ids]

    async def product_roles(self) -> dict[str, list[role_catalog.RoleView]]:
        """Every product's roles in the viewer's organization: one query per request."""
        if self._product_roles is None:
            self._product_roles = asyncio.ensure_future(role_catalog.roles_of_products(self.viewer.org))
        return await self._product_roles

    async def _load_dormant(self, user_ids: list[int]) -> list[list[str]]:
        found = await dormant_products(list(user_ids))
        return [found[uid] for uid in user_ids]

    async def _load_subscriptions(self, ids: list[int]) -> list[Subscription | None]:
        found = await subscriptions_by_ids(self.viewer.org, list(ids))
        return [found.get(i) for i in ids]

    async def default_card(self) -> PaymentCard | None:
        if self._default_card is None:
            self._default_card = asyncio.ensure_future(default_card(self.viewer.org))
        return await self._default_card

    async def conflict_line(self, pool: seats.PoolView) -> seats.ConflictLine | None:
        """Where a product's conflict starts (the license state of its assignments): None when it is not in
        conflict, else one query, once per product and request."""
        if not pool.in_conflict:
            return None
        sku = pool.product.sku
        if sku not in self._conflict_lines:
            self._conflict_lines[sku] = asyncio.ensure_future(seats.conflict_line(self.viewer.org, pool))
        return await self._conflict_lines[sku]

    async def page_licenses(self, user_ids: list[int]) -> dict[int, list[tuple[LicenseAssignment, Product, bool]]]:
        """A page's licenses with their products and whether each is in CONFLICT: one query for the assignments,
        the catalog and one conflict line per product in conflict (cached), whatever the page size."""
        found = await seats.assignments_of(user_ids)
        self.licenses.prime_many(found)
        products = await self.products() if any(found.values()) else {}
        lines: dict[str, seats.ConflictLine | None] = {}
        for row in (row for rows in found.values() for row in rows):
            if row.product_id not in lines:
                lines[row.product_id] = await self.conflict_line(seats.pool_of(row, products[row.product_id]))
        return {
            uid: [
                (row, products[row.product_id], (line := lines[row.product_id]) is not None and line.holds(row)) for row in rows
            ]
            for uid, rows in found.items()
        }

    async def products(self) -> dict[str, Product]:
        if self._products is None:
            self._products = asyncio.ensure_future(_catalog_by_sku())
        return await self._products

    def forget(self) -> None:
        """After a mutation: drop caches so the payload shows the state after the change."""
        self.licenses.clear_all()
        self.subscriptions.clear_all()
        self._conflict_lines = {}
        self.user_groups.clear_all()
        self.license_groups.clear_all()
        self.waits.clear_all()
        self.member_counts.clear_all()
        self.group_licenses.clear_all()
        self.group_members.clear_all()
        self.users.clear_all()
        self.user_roles.clear_all()
        self.group_roles.clear_all()
        self._product_roles = None
        self._default_card = None
