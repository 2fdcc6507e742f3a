"""Uses of licenses: every allowed `accessCheck` and every reported use (`recordLicenseUses`) moves a license's
`last_used_at` (and `idle_since`), at most once an hour, and clears a scheduled reclaim. A write moves the user's
`latest_use` too (the key of the users page by LAST_USED_AT): one statement more, only when a license was written.

The write never makes a sign-in wait on a seat change: it is one short statement of its own (autocommit), sent
after the answer is decided, and on PostgreSQL it takes the row with SKIP LOCKED: a license that a seat change holds
at that moment (being revoked, reclaimed, or its holder deleted) is skipped, not waited for; the change decides its
fate; so is a user row it holds (that user's `latest_use` moves at the license's next write). On SQLite every
statement of a process is serialised anyway (one connection), so nothing changes there."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise import connections
from tortoise.expressions import Q, Subquery

from seatwise.models.catalog.products import MAX_SKU
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import column_length, query_text
from seatwise.models.core.tables import LicenseAssignment, Organization, User
from seatwise.models.core.tables.people import NEVER_USED

WRITE_EVERY = timedelta(hours=1)  # a use within an hour after the stored one writes nothing
FUTURE_SLACK = timedelta(minutes=5)  # a reported use may be this far ahead of the server's clock
MAX_USES = 1000


def _worth_writing(at: datetime) -> Q:
    """Licenses whose `last_used_at` a use at `at` moves: never used, or last used an hour or more before `at`, or
    scheduled for reclaim and last used before `at` (a use always keeps a license); given before `at`."""
    return (
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=at - WRITE_EVERY) | Q(reclaim_at__isnull=False, last_used_at__lt=at)
    ) & Q(assigned_at__lte=at)


_SKIP_LOCKED = """
UPDATE "license_assignment" SET "last_used_at" = $1, "idle_since" = $1, "reclaim_at" = NULL
WHERE "id" IN (
    SELECT "id" FROM "license_assignment"
    WHERE "id" = ANY($2::bigint[]) AND "assigned_at" <= $1
      AND ("last_used_at" IS NULL OR "last_used_at" <= $3 OR ("reclaim_at" IS NOT NULL AND "last_used_at" < $1))
    FOR UPDATE SKIP LOCKED
)"""


_USERS_SKIP_LOCKED = """
UPDATE "app_user" SET "latest_use" = $1
WHERE "id" IN (
    SELECT "u"."id" FROM "app_user" "u" JOIN "license_assignment" "la" ON "la"."user_id" = "u"."id"
    WHERE "la"."id" = ANY($2::bigint[]) AND "la"."last_used_at" >= $1 AND ("u"."latest_use" < $1 OR "u"."latest_use" = $3)
    FOR UPDATE OF "u" SKIP LOCKED
)"""


async def _write(ids: list[int], at: datetime) -> int:
    """One UPDATE of these licenses' use at `at`, then (when one was written) one of their users' latest use; on
    PostgreSQL rows a seat change holds are skipped, not waited for."""
    client = connections.get("default")
    if client.capabilities.dialect == "postgres":
        count, _ = await client.execute_query(_SKIP_LOCKED, [at, ids, at - WRITE_EVERY])
        if count:
            await client.execute_query(_USERS_SKIP_LOCKED, [at, ids, NEVER_USED])
        return int(count)
    count = await LicenseAssignment.filter(_worth_writing(at), id__in=ids).update(last_used_at=at, idle_since=at, reclaim_at=None)
    if count:
        written = LicenseAssignment.filter(id__in=ids, last_used_at__gte=at).values("user_id")
        await User.filter(Q(latest_use__lt=at) | Q(latest_use=NEVER_USED), id__in=Subquery(written)).update(latest_use=at)
    return count


async def record_use(assignment: LicenseAssignment, at: datetime) -> bool:
    """A sign-in: the license was used at `at`. Nothing written within the hour (the row already read says so)."""
    used = assignment.last_used_at
    if used is not None and at - used < WRITE_EVERY and assignment.reclaim_at is None:
        return False
    return await _write([assignment.id], at) == 1


@dataclass(frozen=True)
class Use:
    email: str
    sku: str
    at: datetime


async def record_uses(org: Organization, uses: list[Use], *, now: datetime) -> tuple[int, int]:
    """Reported uses, 1 to 1000, all or none: INVALID_INPUT for a use later than `now` + 5 minutes (`uses[i].at`).
    A use of an unknown user or of a license the user does not hold is ignored. Returns (recorded, ignored):
    recorded counts the uses that moved a license's last use or kept it from being reclaimed. Reads in two
    queries; writes one UPDATE per distinct time (an hour's writes of a license are one)."""
    if not 1 <= len(uses) <= MAX_USES:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Give 1 to {MAX_USES} uses.", "uses")
    emails = []
    for index, use in enumerate(uses):
        emails.append(query_text(use.email.strip().lower(), column_length(User, "email"), "The email"))
        query_text(use.sku, MAX_SKU, "The productSku")
        if use.at.tzinfo is None or use.at > now + FUTURE_SLACK:
            raise DomainError(ErrorCode.INVALID_INPUT, "A use cannot be in the future.", f"uses[{index}].at")
    users = dict(await User.filter(organization_id=org.id, email__in=set(emails), deleted_at=None).values_list("email", "id"))
    held = {
        (uid, sku): pk
        for pk, uid, sku in await LicenseAssignment.filter(user_id__in=list(users.values())).values_list(
            "id", "user_id", "product_id"
        )
    }
    latest: dict[int, datetime] = {}
    ignored = 0
    for email, use in zip(emails, uses, strict=True):
        pk = held.get((users.get(email, -1), use.sku))
        if pk is None:
            ignored += 1
        elif pk not in latest or use.at > latest[pk]:
            latest[pk] = use.at  # only the latest use of a license in a batch can move it
    by_time: dict[datetime, list[int]] = defaultdict(list)
    for pk, at in latest.items():
        by_time[at].append(pk)
    recorded = 0
    for at, ids in sorted(by_time.items()):
        recorded += await _write(ids, at)
    return recorded, ignored
