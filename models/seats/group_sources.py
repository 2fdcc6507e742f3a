"""Licenses through groups, and the queue of users waiting for one (a part of `ledger.SeatChange`).

A license's sources are direct (`direct` on the assignment) and the user's groups that grant the product
(group_member x group_product). A grant from a group on a held license adds nothing but the source; when no license
is free it becomes a wait (`license_wait`, counted in `seat_pool.waiting`). When the change ends (before commit)
every touched product with licenses free and users waiting serves its queue in (since, id) order, in bulk: a
constant number of statements however many are served. A product in conflict has none free (`purchased > assigned`
is false), so conflicts are settled first.
"""

from __future__ import annotations

from typing import cast

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import GroupMember, LicenseAssignment, LicenseDormancy, LicenseWait, User
from seatwise.models.events import audit
from seatwise.models.events.audit import AuditAction, AuditTarget
from seatwise.models.events.live import LicenseEventKind
from seatwise.models.seats.counters import PoolCounters


async def granting_groups(user_id: int, sku: str) -> list[int]:
    """The ids of the user's groups that grant `sku` (the group sources of its license or wait)."""
    return cast(
        list[int],
        list(
            await GroupMember.filter(user_id=user_id, group__grants__product_id=sku)
            .order_by("group_id")
            .values_list("group_id", flat=True)
        ),
    )


class GroupSources(PoolCounters):
    """A seat change's licenses and waits through groups, and its serving of the queue."""

    async def grant_from_group(
        self, users: list[User], sku: str, group_id: int | None, details: dict[str, str] | None = None
    ) -> tuple[list[int], list[int]]:
        """Give each live user (in order) a reason to hold `sku`: a held license only gains the source, a free
        license is taken, and when none is free the user waits. Returns (user ids licensed, user ids now waiting).

        A constant number of statements for any number of users. The caller has locked the users (live)."""
        await self.lock(sku)
        ids = [u.id for u in users if u.deleted_at is None]
        if ids:  # dormant users (a reclaimed inherited license) get nothing from groups until they sign in again
            dormant = set(await LicenseDormancy.filter(product_id=sku, user_id__in=ids).values_list("user_id", flat=True))
            ids = [uid for uid in ids if uid not in dormant]
        if not ids:
            return [], []
        holders = set(await LicenseAssignment.filter(product_id=sku, user_id__in=ids).values_list("user_id", flat=True))
        waiting = set()
        if self._pools[sku].waiting:
            waiting = set(await LicenseWait.filter(product_id=sku, user_id__in=ids).values_list("user_id", flat=True))
        rest = [uid for uid in dict.fromkeys(ids) if uid not in holders and uid not in waiting]
        count = min(self._pools[sku].available, len(rest))
        lucky, queued = rest[:count], rest[count:]
        await self._assign_bulk(sku, lucky, {uid: group_id for uid in lucky}, details)
        if queued:
            await LicenseWait.bulk_create(
                [LicenseWait(organization_id=self.org.id, user_id=uid, product_id=sku, since=self.now) for uid in queued]
            )
            await self._count_waits(sku, len(queued))
            for uid in queued:
                self._announce(LicenseEventKind.WAITING, sku, uid)
        return lucky, queued

    async def _assign_bulk(
        self, sku: str, user_ids: list[int], groups: dict[int, int | None], details: dict[str, str] | None = None
    ) -> None:
        """Licenses for users known to hold none, through groups (`direct` false): under this change's lock."""
        if not user_ids:
            return
        if not await self._take(sku, len(user_ids)):  # cannot happen under the lock; never oversell anyway
            raise DomainError(ErrorCode.NO_LICENSES_AVAILABLE, f"All {sku} licenses are in use.", "product_sku")
        await LicenseAssignment.bulk_create(
            [
                LicenseAssignment(organization_id=self.org.id, user_id=uid, product_id=sku, assigned_at=self.now, direct=False)
                for uid in user_ids
            ]
        )
        await audit.record_each(
            self.org,
            self.actor,
            AuditAction.LICENSE_ASSIGNED,
            AuditTarget.USER,
            [
                (uid, {"product": sku, **({"group": str(groups[uid])} if groups.get(uid) else {}), **(details or {})})
                for uid in user_ids
            ],
            at=self.now,
        )
        for uid in user_ids:
            self._moved(sku, assigned=1)
            self._announce(LicenseEventKind.ASSIGNED, sku, uid)

    async def release_from_group(self, user_ids: list[int], sku: str, group_id: int) -> list[int]:
        """These users lost `group_id` as a reason to hold `sku` (memberships or grants already removed): a license
        with no source left is revoked, a wait with no group left ends. Returns the user ids revoked. Bulk."""
        await self.lock(sku)
        if not user_ids:
            return []
        still = set(
            await GroupMember.filter(user_id__in=user_ids, group__grants__product_id=sku).values_list("user_id", flat=True)
        )
        lost = [uid for uid in dict.fromkeys(user_ids) if uid not in still]
        if not lost:
            return []
        rows = await LicenseAssignment.filter(product_id=sku, user_id__in=lost, direct=False).values_list(
            "id", "user_id", "assigned_at"
        )
        revoked = [uid for _, uid, _ in rows]
        if rows:
            self._lost.extend((uid, sku, (at, rid)) for rid, uid, at in rows)
            await LicenseAssignment.filter(id__in=[rid for rid, _, _ in rows]).delete()
            await self._give_back(sku, len(rows))
            await audit.record_many(
                self.org,
                self.actor,
                AuditAction.LICENSE_REVOKED,
                AuditTarget.USER,
                revoked,
                at=self.now,
                details={"product": sku, "group": str(group_id)},
            )
            for uid in revoked:
                self._moved(sku, assigned=-1)
                self._announce(LicenseEventKind.REVOKED, sku, uid)
        await self._end_waits(sku, lost)
        await LicenseDormancy.filter(product_id=sku, user_id__in=lost).delete()  # no group grants it: dormancy ends
        return revoked

    async def serve(self) -> None:
        """Give free licenses of every touched product to its waiting users in (since, id) order, in bulk."""
        for sku in sorted(self._pools):
            pool = self._pools[sku]
            count = min(pool.available, pool.waiting)
            if count <= 0:
                continue
            rows = await (
                LicenseWait.filter(organization_id=self.org.id, product_id=sku)
                .order_by("since", "id")
                .limit(count)
                .values_list("id", "user_id")
            )
            user_ids = [uid for _, uid in rows]
            groups = dict(
                await GroupMember.filter(user_id__in=user_ids, group__grants__product_id=sku)
                .order_by("group_id")
                .values_list("user_id", "group_id")
            )
            await LicenseWait.filter(id__in=[wid for wid, _ in rows]).delete()
            await self._count_waits(sku, -len(rows))
            await self._assign_bulk(sku, user_ids, groups)
