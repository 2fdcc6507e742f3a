"""Per-request context: the viewer, DataLoaders and per-request caches."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from strawberry.dataloader import DataLoader

from seatwise.models.billing.charges import default_card
from seatwise.models.catalog.products import catalog
from seatwise.models.core.clock import utcnow
from seatwise.models.core.errors import Unauthenticated
from seatwise.models.core.lookups import subscriptions_by_ids
from seatwise.models.core.settings import settings
from seatwise.models.core.tables import Group, LicenseAssignment, LicenseWait, PaymentCard, Product, Subscription, User
from seatwise.models.groups import lifecycle as groups
from seatwise.models.people.auth import Viewer
from seatwise.models.seats import licenses as seats


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
        self.waits: DataLoader[int, list[LicenseWait]] = DataLoader(self._load_waits)
        self.users: DataLoader[int, User] = DataLoader(self._load_users)

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
        """This server's address as the client sees it, without a trailing slash: SEATWISE_PUBLIC_URL if set,
        else scheme and Host of the request (behind a proxy, uvicorn's proxy headers give the scheme:
        FORWARDED_ALLOW_IPS must name the proxy); "" when the request named no host."""
        configured = (settings().public_url or "").strip()
        if configured:
            return configured.rstrip("/")
        request = self.get("request")
        if request is None or not request.headers.get("host"):
            return ""
        return str(request.base_url).rstrip("/")

    async def _load_licenses(self, user_ids: list[int]) -> list[list[LicenseAssignment]]:
        found = await seats.assignments_of(list(user_ids))
        return [found[uid] for uid in user_ids]

    async def _load_user_groups(self, user_ids: list[int]) -> list[list[Group]]:
        found = await groups.groups_of_users(list(user_ids))
        return [found[uid] for uid in user_ids]

    async def _load_license_groups(self, keys: list[tuple[int, str]]) -> list[list[Group]]:
        found = await groups.granting_groups_of(list(keys))
        return [found[key] for key in keys]

    async def _load_waits(self, user_ids: list[int]) -> list[list[LicenseWait]]:
        found = await groups.waits_of(list(user_ids))
        return [found[uid] for uid in user_ids]

    async def _load_users(self, ids: list[int]) -> list[User]:
        found = {u.id: u for u in await User.filter(organization_id=self.viewer.org.id, id__in=list(ids))}
        return [found[i] for i in ids]

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
        self.users.clear_all()
        self._default_card = None
