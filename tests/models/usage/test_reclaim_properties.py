"""A property of the reclaim step (docs/rules.md section 12), over random sequences of uses, clock runs at random
times, policy changes, assignments and group changes (seeded, so a failure replays): no license used (or given)
within the policy's idleDays is ever reclaimed, no dormant user holds or is counted for the product, and outside a
conflict a pool never has more assigned than purchased; `assigned` is always the licenses held."""

import random
from datetime import timedelta

from seatwise.models.clock.run import run_clock
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import AuditEvent, LicenseAssignment, LicenseDormancy, SeatPool, Subscription
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members
from seatwise.models.seats import licenses as seats
from seatwise.models.usage import access, policies
from tests.support import NOW, give_licenses, make_org, make_user

SKU = "CRM_BASIC"
SEQUENCES, STEPS, PEOPLE = 12, 14, 5


async def _check(fx, last_touch: dict[int, object], idle_days: dict[object, int]) -> None:
    for event in await AuditEvent.filter(organization_id=fx.org.id, action="license.reclaimed"):
        touched = last_touch.get((int(event.target_id), event.at))
        assert touched is not None and event.at - touched >= timedelta(days=idle_days[event.at]), (event.target_id, event.at)
    dormant = await LicenseDormancy.filter(organization_id=fx.org.id).values_list("user_id", flat=True)
    assert not await LicenseAssignment.filter(user_id__in=list(dormant), product_id=SKU).exists()
    pool = await SeatPool.get(organization_id=fx.org.id, product_id=SKU)
    assert pool.assigned == await LicenseAssignment.filter(organization_id=fx.org.id, product_id=SKU).count()
    assert pool.assigned <= pool.purchased  # nothing here opens a conflict


async def _sequence(seed: int) -> int:
    rng = random.Random(seed)
    fx = await make_org(f"P{seed}")
    sub = await give_licenses(fx, SKU, 3)
    await Subscription.filter(id=sub.id).update(current_period_end=NOW + timedelta(days=3650))  # no renewal due here
    people = [await make_user(fx) for _ in range(PEOPLE)]
    group = await groups.create_group(fx.org, "Team", [SKU], actor=fx.actor, now=NOW)
    now, idle = NOW, 14
    touch: dict[int, object] = {}  # user id -> when their license was last given or used
    seen: dict[tuple[int, object], object] = {}  # (user id, clock time) -> their last touch before that run
    idle_at: dict[object, int] = {}
    await policies.set_reclaim_policy(
        fx.org, SKU, enabled=True, idle_days=idle, notice_days=rng.randint(0, 3), actor=fx.actor, now=now
    )
    for _ in range(STEPS):
        now += timedelta(hours=rng.randint(1, 24 * 12))
        step, who = rng.choice(["use", "use", "clock", "clock", "policy", "assign", "join", "leave"]), rng.choice(people)
        if step == "use" and await access.sign_in(fx.org, who.email, SKU, actor=fx.actor, now=now) is None:
            touch[who.id] = now
        elif step == "clock":
            for uid, at in touch.items():
                seen[(uid, now)] = at
            idle_at[now] = idle
            await run_clock(now)
        elif step == "policy":
            idle = rng.randint(14, 40)
            await policies.set_reclaim_policy(
                fx.org, SKU, enabled=rng.random() < 0.9, idle_days=idle, notice_days=rng.randint(0, 5), actor=fx.actor, now=now
            )
        elif step == "assign" and not await LicenseAssignment.exists(user_id=who.id, product_id=SKU):
            try:
                await seats.assign_license(fx.org, str(who.id), SKU, actor=fx.actor, now=now)
                touch[who.id] = now
            except DomainError as error:  # the rule, not a failure
                assert error.code is ErrorCode.NO_LICENSES_AVAILABLE
        elif step == "join":
            await members.add_members(fx.org, str(group.id), [str(who.id)], actor=fx.actor, now=now)
            if await LicenseAssignment.filter(user_id=who.id, product_id=SKU, assigned_at=now).exists():
                touch[who.id] = now
        elif step == "leave":
            await members.remove_members(fx.org, str(group.id), [str(who.id)], actor=fx.actor, now=now)
        for row in await LicenseAssignment.filter(organization_id=fx.org.id, product_id=SKU, assigned_at=now):
            touch[row.user_id] = now  # served from the queue at this step
        await _check(fx, seen, idle_at)
    return await AuditEvent.filter(organization_id=fx.org.id, action="license.reclaimed").count()


async def test_no_license_used_within_idle_days_is_reclaimed_and_dormant_users_hold_nothing():
    reclaimed = [await _sequence(seed) for seed in range(SEQUENCES)]
    assert sum(reclaimed) > 0, reclaimed  # the sequences do reclaim: the property is not vacuous
