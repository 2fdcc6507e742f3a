"""Licenses given and taken back by a seat change (a part of `ledger.SeatChange`): the direct source of one user's
license or many users' at once, and every license of a user being deleted. Group sources and the queue are in
models/seats/group_sources.py."""

from __future__ import annotations

from typing import Any, cast

from tortoise.exceptions import IntegrityError

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.locks import hold_returning
from seatwise.models.core.tables import LicenseAssignment, LicenseWait, User
from seatwise.models.events import audit
from seatwise.models.events.audit import AuditAction, AuditTarget
from seatwise.models.events.live import LicenseEventKind
from seatwise.models.seats.counters import PoolCounters
from seatwise.models.seats.group_sources import granting_groups


class Grants(PoolCounters):
    """A seat change's direct licenses, and the licenses freed by a deletion."""

    async def grant(
        self,
        user: User,
        sku: str,
        *,
        event: LicenseEventKind | None = LicenseEventKind.ASSIGNED,
        action: AuditAction | None = AuditAction.LICENSE_ASSIGNED,
        details: dict[str, Any] | None = None,
        subject: str = "product_sku",
    ) -> LicenseAssignment:
        """Give `user` a license of `sku`: NO_LICENSES_AVAILABLE when none is free, ALREADY_ASSIGNED when held."""
        await self.lock(sku)
        if not await self._take(sku, 1):
            raise DomainError(ErrorCode.NO_LICENSES_AVAILABLE, f"All {sku} licenses are in use.", subject)
        try:
            row = await LicenseAssignment.create(
                organization_id=self.org.id, user_id=user.id, product_id=sku, assigned_at=self.now
            )
        except IntegrityError:
            raise DomainError(ErrorCode.ALREADY_ASSIGNED, f"This user already holds a {sku} license.", subject) from None
        self._moved(sku, assigned=1)
        await self._end_waits(sku, [user.id])
        if action is not None:
            await self.audit(action, AuditTarget.USER, user.id, {"product": sku, **(details or {})})
        self._announce(event, sku, user.id)
        return row

    async def try_grant(self, user: User, sku: str, *, event: LicenseEventKind | None, action: AuditAction | None = None) -> bool:
        """Grant when a license is free; False (nothing changed) otherwise."""
        try:
            await self.grant(user, sku, event=event, action=action)
        except DomainError as error:
            if error.code is ErrorCode.NO_LICENSES_AVAILABLE:
                return False
            raise
        return True

    async def grant_many(
        self, users: list[User], sku: str, *, details: dict[str, Any] | None = None, subject: str = "user_ids"
    ) -> list[LicenseAssignment]:
        """Give each user (in order) a license of `sku`, all or none: one guarded UPDATE for all of them."""
        await self.lock(sku)
        if not await self._take(sku, len(users)):
            pool = self._pools[sku]
            raise DomainError(
                ErrorCode.NO_LICENSES_AVAILABLE, f"{len(users)} {sku} licenses asked, {pool.available} available.", subject
            )
        try:
            await LicenseAssignment.bulk_create(
                [
                    LicenseAssignment(organization_id=self.org.id, user_id=u.id, product_id=sku, assigned_at=self.now)
                    for u in users
                ]
            )
        except IntegrityError:
            raise DomainError(ErrorCode.ALREADY_ASSIGNED, "A user was given this license meanwhile.", subject) from None
        await self._end_waits(sku, [u.id for u in users])
        for user in users:
            self._moved(sku, assigned=1)
            self._announce(LicenseEventKind.ASSIGNED, sku, user.id)
        await audit.record_many(
            self.org,
            self.actor,
            AuditAction.LICENSE_ASSIGNED,
            AuditTarget.USER,
            [u.id for u in users],
            at=self.now,
            details={"product": sku, **(details or {})},
        )
        return await LicenseAssignment.filter(product_id=sku, user_id__in=[u.id for u in users]).order_by("id")

    async def add_direct(self, assignment: LicenseAssignment) -> None:
        """`assignLicense` on a license held only through groups: the direct source, no license taken."""
        await LicenseAssignment.filter(id=assignment.id).update(direct=True)
        assignment.direct = True
        await self.audit(
            AuditAction.LICENSE_ASSIGNED,
            AuditTarget.USER,
            assignment.user_id,
            {"product": assignment.product_id, "source": "direct"},
        )

    async def release(
        self,
        user: User,
        sku: str,
        *,
        event: LicenseEventKind | None = LicenseEventKind.REVOKED,
        action: AuditAction | None = AuditAction.LICENSE_REVOKED,
    ) -> bool:
        """Remove the direct source of `user`'s license of `sku`; False (nothing changed) when the user holds none.

        The license is revoked when no group of the user grants the product; otherwise it stays (`direct`
        becomes false). LICENSE_INHERITED on a license held only through groups."""
        await self.lock(sku)
        held = await LicenseAssignment.get_or_none(user_id=user.id, product_id=sku)
        if held is None:
            return False
        if await granting_groups(user.id, sku):
            if not held.direct:
                raise DomainError(
                    ErrorCode.LICENSE_INHERITED,
                    f"This user holds {sku} through groups only: remove them from the group.",
                    "product_sku",
                )
            await LicenseAssignment.filter(id=held.id).update(direct=False)
            if action is not None:
                await self.audit(action, AuditTarget.USER, user.id, {"product": sku, "source": "direct", "licenseKept": True})
            return True
        if not await LicenseAssignment.filter(id=held.id).delete():
            return False
        await self._give_back(sku, 1)
        self._moved(sku, assigned=-1)
        if action is not None:
            await self.audit(action, AuditTarget.USER, user.id, {"product": sku})
        self._announce(event, sku, user.id)
        return True

    async def release_all(self, user: User, *, event: LicenseEventKind = LicenseEventKind.USER_DELETED) -> list[str]:
        """Free every license of `user` (a deletion); returns the SKUs, sorted. The caller audits the deletion."""
        await self.lock(*cast(list[str], await LicenseAssignment.filter(user_id=user.id).values_list("product_id", flat=True)))
        # Held (core.locks): a concurrent revoke commits first, and its license is not given back twice.
        held = await hold_returning(LicenseAssignment, {"user_id": user.id}, "product_id", ("product_id",))
        skus = sorted(row["product_id"] for row in held)
        await self.lock(*skus)  # a license assigned between the first read and the lock
        await LicenseAssignment.filter(user_id=user.id).delete()
        for sku in skus:
            await self._give_back(sku, 1)
            self._moved(sku, assigned=-1)
            self._announce(event, sku, user.id)
        waits = sorted(cast(list[str], await LicenseWait.filter(user_id=user.id).values_list("product_id", flat=True)))
        await self.lock(*waits)
        for sku in waits:
            await self._end_waits(sku, [user.id])
        return skus
