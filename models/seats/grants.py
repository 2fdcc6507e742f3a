"""Licenses given and taken back by a seat change (a part of `ledger.SeatChange`): the direct source of one user's
license or many users' at once, and every license of a user being deleted. Group sources and the queue are in
models/seats/group_sources.py."""

from __future__ import annotations

from typing import Any, cast

from tortoise.exceptions import IntegrityError

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.locks import hold, hold_returning
from seatwise.models.core.tables import GroupMember, LicenseAssignment, LicenseDormancy, LicenseWait, User
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
        await LicenseDormancy.filter(user_id=user.id, product_id=sku).delete()  # a direct assignment ends dormancy
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
        await LicenseDormancy.filter(product_id=sku, user_id__in=[u.id for u in users]).delete()
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
        becomes false) and `kept[user.id, sku]` names those groups. LICENSE_INHERITED on a license held only through
        groups."""
        await self.lock(sku)
        held = await LicenseAssignment.get_or_none(user_id=user.id, product_id=sku)
        if held is None:
            return False
        if groups := await granting_groups(user.id, sku):
            if not held.direct:
                raise DomainError(
                    ErrorCode.LICENSE_INHERITED,
                    f"This user holds {sku} through groups only: remove them from the group.",
                    "product_sku",
                )
            await LicenseAssignment.filter(id=held.id).update(direct=False)
            self.kept[user.id, sku] = groups
            if action is not None:
                await self.audit(action, AuditTarget.USER, user.id, {"product": sku, "source": "direct", "licenseKept": True})
            return True
        if not await LicenseAssignment.filter(id=held.id).delete():
            return False
        self._lost.append((user.id, sku, (held.assigned_at, held.id)))
        await self._give_back(sku, 1)
        self._moved(sku, assigned=-1)
        if action is not None:
            await self.audit(action, AuditTarget.USER, user.id, {"product": sku})
        self._announce(event, sku, user.id)
        return True

    async def release_many(self, users: list[User], sku: str, *, subject: str = "user_ids") -> None:
        """`release` for many users at once, all or none (NOT_ASSIGNED, LICENSE_INHERITED naming `subject[index]`),
        in a constant number of statements. The caller has locked the users (live)."""
        await self.lock(sku)
        ids = [u.id for u in users]
        rows = await LicenseAssignment.filter(product_id=sku, user_id__in=ids).values_list(
            "id", "user_id", "direct", "assigned_at"
        )
        held = {uid: (pk, direct, at) for pk, uid, direct, at in rows}

        grouped = set(await GroupMember.filter(user_id__in=ids, group__grants__product_id=sku).values_list("user_id", flat=True))
        for index, user in enumerate(users):
            if user.id not in held:
                raise DomainError(ErrorCode.NOT_ASSIGNED, f"This user holds no {sku} license.", f"{subject}[{index}]")
            if user.id in grouped and not held[user.id][1]:
                raise DomainError(
                    ErrorCode.LICENSE_INHERITED, f"{user.email} holds {sku} through groups only.", f"{subject}[{index}]"
                )
        kept = [uid for uid in ids if uid in grouped]  # held directly and through groups: the license stays
        revoked = [uid for uid in ids if uid not in grouped]
        if kept:
            await LicenseAssignment.filter(product_id=sku, user_id__in=kept).update(direct=False)
        if revoked:
            gone = await LicenseAssignment.filter(id__in=[held[uid][0] for uid in revoked]).delete()
            if gone != len(revoked):  # cannot happen under the pool and user locks; never count twice anyway
                raise DomainError(ErrorCode.NOT_ASSIGNED, "A license was revoked meanwhile.", subject)
            await self._give_back(sku, len(revoked))
            self._lost.extend((uid, sku, (held[uid][2], held[uid][0])) for uid in revoked)
        items = [(uid, {"product": sku, "bulk": True}) for uid in revoked]
        items += [(uid, {"product": sku, "bulk": True, "source": "direct", "licenseKept": True}) for uid in kept]
        await audit.record_each(self.org, self.actor, AuditAction.LICENSE_REVOKED, AuditTarget.USER, items, at=self.now)
        for uid in revoked:
            self._moved(sku, assigned=-1)
            self._announce(LicenseEventKind.REVOKED, sku, uid)

    async def release_all_many(self, user_ids: list[int]) -> dict[int, list[str]]:
        """`release_all` for many users being deleted: every license freed and every wait ended, a constant
        number of statements (one per product touched). Returns each user's SKUs, sorted."""
        await self.lock(
            *cast(list[str], await LicenseAssignment.filter(user_id__in=user_ids).distinct().values_list("product_id", flat=True))
        )
        await hold(LicenseAssignment.filter(user_id__in=user_ids), "product_id")  # a concurrent revoke commits first
        found = await LicenseAssignment.filter(user_id__in=user_ids).values_list("user_id", "product_id", "assigned_at", "id")
        self._lost.extend((uid, sku, (at, pk)) for uid, sku, at, pk in found)
        rows = [(cast(int, uid), cast(str, sku)) for uid, sku, _, _ in found]
        await self.lock(*{sku for _, sku in rows})  # a license assigned between the first read and the hold
        held: dict[int, list[str]] = {uid: [] for uid in user_ids}
        for uid, sku in sorted(rows, key=lambda r: r[1]):
            held[uid].append(sku)
        if rows:
            await LicenseAssignment.filter(user_id__in=user_ids).delete()
        for sku in sorted({sku for _, sku in rows}):
            freed = [uid for uid, s in rows if s == sku]
            await self._give_back(sku, len(freed))
            for uid in freed:
                self._moved(sku, assigned=-1)
                self._announce(LicenseEventKind.USER_DELETED, sku, uid)
        waits = cast(list[tuple[int, str]], await LicenseWait.filter(user_id__in=user_ids).values_list("user_id", "product_id"))
        await self.lock(*{sku for _, sku in waits})
        for sku in sorted({sku for _, sku in waits}):
            await self._end_waits(sku, [uid for uid, s in waits if s == sku])
        return held

    async def release_all(self, user: User, *, event: LicenseEventKind = LicenseEventKind.USER_DELETED) -> list[str]:
        """Free every license of `user` (a deletion); returns the SKUs, sorted. The caller audits the deletion."""
        await self.lock(*cast(list[str], await LicenseAssignment.filter(user_id=user.id).values_list("product_id", flat=True)))
        # Held (core.locks): a concurrent revoke commits first, and its license is not given back twice.
        held = await hold_returning(LicenseAssignment, {"user_id": user.id}, "product_id", ("product_id", "assigned_at", "id"))
        skus = sorted(row["product_id"] for row in held)
        self._lost.extend((user.id, row["product_id"], (row["assigned_at"], row["id"])) for row in held)
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
