"""Stateful property test of the seat ledger: random sequences of purchases, reductions, assignments, bulk
assignments, revocations, deletions, restores, cancellations and billing clock runs, with an explicit moving
`now`, driving the domain functions of models/ directly. After every step:

- a pool's `assigned` is the number of licenses held by users who are not deleted (deleted users hold none);
- `available + assigned - overage == purchased`, and `purchased` is the sum of the counting subscriptions;
- an assignment never takes a pool above `purchased`, and is refused only when it would;
- the conflict set is exactly the latest `overage` assignments by (assignedAt, id);
- a refused step changes nothing; a successful one writes one audit event per change;
- a purchase is refused exactly as the model expects (an invalid quantity, an idempotency key reused with other
  input) and succeeds otherwise, a reused key with the same input replaying the first result.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import Counter
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test
from tortoise import Tortoise

from seatwise.models.billing import cards, reductions
from seatwise.models.billing import purchases as billing
from seatwise.models.billing.gateways import is_expired
from seatwise.models.billing.purchases import KEY_RETENTION
from seatwise.models.catalog import prices
from seatwise.models.clock.run import run_clock
from seatwise.models.core import db
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import AdminRole, AuditEvent, LicenseAssignment, Organization, SeatPool, Subscription, User
from seatwise.models.events.audit import Actor
from seatwise.models.people import deletion, users
from seatwise.models.seats import licenses as seats
from seatwise.models.seats.ledger import COUNTING
from seatwise.models.support import cancellation
from tests import support as test_support
from tests.support import NOW

SKUS = ["CRM_BASIC", "CRM_ESSENTIAL"]
VISA = "4242424242424242"
CARD_EXPIRY = (12, 2031)  # (month, year): the default card, never expired within a run (at most ~2 years of clock)


@pytest.fixture(autouse=True)
def database():
    """The machine owns its event loop and initialises Tortoise on it (replaces the conftest's fixture)."""
    yield


class SeatLedger(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.context = contextvars.copy_context()  # every step runs in it: Tortoise keeps its state in a ContextVar
        self.run(Tortoise.init(config=db.tortoise_config(test_support.database_url())))
        self.run(test_support.truncate_all())
        self.now = NOW
        fx = self.run(test_support.make_org("Ledger", now=NOW, password=None))
        self.org: Organization = fx.org
        self.actor = Actor(email=fx.admin.email, role=AdminRole.GLOBAL_ADMIN, user_id=fx.admin.id)
        self.run(cards.add_card(self.org, VISA, *CARD_EXPIRY, "123", True, actor=self.actor, now=NOW))
        self.user_ids: list[int] = []
        self.keys = 0  # idempotency keys k1..k{keys} were used
        self.used_keys: dict[str, tuple[tuple[str, int], datetime]] = {}  # key -> (its input, when it was used)
        self.created = 0

    def run(self, awaitable):
        """Run a coroutine, or a callable making an awaitable (a queryset is built against the connection of
        the Tortoise context), to completion on the machine's loop."""

        async def go():
            return await (awaitable() if callable(awaitable) else awaitable)

        return self.loop.run_until_complete(self.loop.create_task(go(), context=self.context))

    def teardown(self) -> None:
        try:
            self.run(Tortoise.close_connections())
        finally:
            self.loop.close()

    # ------------------------------------------------------------ helpers

    async def _snapshot(self) -> tuple:
        return (
            sorted(
                await LicenseAssignment.filter(organization_id=self.org.id).values_list(
                    "id", "user_id", "product_id", "assigned_at"
                )
            ),
            sorted(await User.filter(organization_id=self.org.id).values_list("id", "deleted_at", "licenses_at_deletion")),
            sorted(
                await Subscription.filter(organization_id=self.org.id).values_list(
                    "id", "quantity", "status", "cancel_at_period_end", "current_period_end"
                )
            ),
        )

    async def _audit_actions(self) -> Counter:
        return Counter(await AuditEvent.filter(organization_id=self.org.id).values_list("action", flat=True))

    def step(self, action, expected: Counter | None, *, refusals: tuple[ErrorCode, ...] = ()):
        """Run `action`; on a DomainError nothing changed; otherwise the audit trail grew by exactly `expected`."""
        before, events_before = self.run(self._snapshot()), self.run(self._audit_actions())
        try:
            result = self.run(action())
        except DomainError as error:
            assert self.run(self._snapshot()) == before, f"{error!r} changed something"
            assert self.run(self._audit_actions()) == events_before, f"{error!r} wrote audit events"
            if refusals:
                assert error.code in refusals, error
            return error
        grown = self.run(self._audit_actions()) - events_before
        if expected is not None:
            assert grown == expected, (grown, expected)
        return result

    async def _pool(self, sku: str):
        return await seats.seat_pool(self.org, sku)

    def _tick(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    # ------------------------------------------------------------ rules

    @initialize(quantities=st.tuples(st.integers(min_value=1, max_value=3), st.integers(min_value=1, max_value=3)))
    def staffed(self, quantities):
        """Start from a small organization in use, so that few steps reach full pools and conflicts."""
        for sku, quantity in zip(SKUS, quantities, strict=False):
            self.purchase(sku, quantity)
        for index in range(4):
            self.create_user(SKUS[index % 2] if index < 3 else None)
            self._tick(1)

    @rule(minutes=st.integers(min_value=0, max_value=3 * 24 * 60))
    def tick(self, minutes):
        self._tick(minutes)

    @precondition(lambda self: len(self.user_ids) < 8)
    @rule(sku=st.none() | st.sampled_from(SKUS))
    def create_user(self, sku):
        self.created += 1
        email = f"u{self.created}@ledger.test"
        pool = self.run(self._pool(sku)) if sku else None
        expected = Counter({"user.created": 1, **({"license.assigned": 1} if sku else {})})
        result = self.step(
            lambda: users.create_user(self.org, email, "U", product_skus=[sku] if sku else None, actor=self.actor, now=self.now),
            expected,
            refusals=(ErrorCode.NO_LICENSES_AVAILABLE,),
        )
        if isinstance(result, DomainError):
            assert pool.assigned + 1 > pool.purchased
        else:
            self.user_ids.append(result.id)

    @rule(
        sku=st.sampled_from(SKUS),
        quantity=st.integers(min_value=0, max_value=3) | st.just(prices.MAX_QUANTITY + 1),
        reuse=st.none() | st.integers(min_value=0),
    )
    def purchase(self, sku, quantity, reuse=None):
        """Buy with a new idempotency key, or with one used before (`reuse` picks it): exactly the refusal the model
        expects, or success with exactly the audit event it expects."""
        if reuse is None or not self.keys:
            self.keys += 1
            key = f"k{self.keys}"
        else:
            key = f"k{reuse % self.keys + 1}"
        refusal, expected = self._purchase_outcome(key, sku, quantity)
        result = self.step(
            lambda: billing.purchase_licenses(self.org, sku, quantity, key, actor=self.actor, now=self.now),
            expected,
            refusals=(refusal,) if refusal else (),
        )
        if refusal is None:
            assert not isinstance(result, DomainError), f"refused with {result!r}, expected to succeed"
        else:
            assert isinstance(result, DomainError), f"succeeded, expected {refusal}"
        if refusal is None and expected:  # a purchase that charged: its key is kept, older ones are let go
            self.used_keys = {k: v for k, v in self.used_keys.items() if v[1] >= self.now - KEY_RETENTION}
            self.used_keys[key] = ((sku, quantity), self.now)

    def _purchase_outcome(self, key: str, sku: str, quantity: int) -> tuple[ErrorCode | None, Counter]:
        """What a purchase must do in the model's state: (the refusal, None when it must succeed; the audit events)."""
        if not prices.MIN_QUANTITY <= quantity <= prices.MAX_QUANTITY:
            return ErrorCode.INVALID_QUANTITY, Counter()
        if key in self.used_keys:  # kept for KEY_RETENTION: the same input replays the first result, other input is refused
            if self.used_keys[key][0] != (sku, quantity):
                return ErrorCode.IDEMPOTENCY_KEY_REUSED, Counter()
            return None, Counter()
        assert not is_expired(*CARD_EXPIRY, self.now), "the model's card outlives every run"
        return None, Counter({"licenses.purchased": 1})

    @rule(data=st.data(), quantity=st.integers(min_value=1, max_value=2))
    def reduce(self, data, quantity):
        subs = self.run(lambda: Subscription.filter(organization_id=self.org.id).order_by("id").values_list("id", flat=True))
        if not subs:
            return
        sub_id = data.draw(st.sampled_from(subs))
        self.step(
            lambda: reductions.reduce_licenses(self.org, str(sub_id), quantity, actor=self.actor, now=self.now),
            Counter({"licenses.reduced": 1}),
            refusals=(ErrorCode.SUBSCRIPTION_NOT_ACTIVE, ErrorCode.INVALID_QUANTITY, ErrorCode.LICENSES_IN_USE),
        )

    @rule(data=st.data(), immediately=st.booleans())
    def cancel(self, data, immediately):
        subs = self.run(lambda: Subscription.filter(organization_id=self.org.id).order_by("id").values_list("id", flat=True))
        if not subs:
            return
        sub_id = data.draw(st.sampled_from(subs))
        expected = Counter(
            {
                "subscription.cancel_requested": 1,
                "service_request.submitted": 1,
                **({"subscription.cancelled": 1} if immediately else {}),
            }
        )
        self.step(
            lambda: cancellation.cancel_subscription(
                self.org,
                str(sub_id),
                "No longer needed.",
                immediately=immediately,
                acknowledge_data_loss=True,
                actor=self.actor,
                now=self.now,
            ),
            expected,
            refusals=(ErrorCode.ALREADY_CANCELLED,),
        )

    @precondition(lambda self: self.user_ids)
    @rule(data=st.data(), sku=st.sampled_from(SKUS))
    def assign(self, data, sku):
        user_id = data.draw(st.sampled_from(self.user_ids))
        pool = self.run(self._pool(sku))
        result = self.step(
            lambda: seats.assign_license(self.org, str(user_id), sku, actor=self.actor, now=self.now),
            Counter({"license.assigned": 1}),
            refusals=(ErrorCode.NO_LICENSES_AVAILABLE, ErrorCode.ALREADY_ASSIGNED, ErrorCode.USER_DELETED),
        )
        if isinstance(result, DomainError):
            if result.code is ErrorCode.NO_LICENSES_AVAILABLE:
                assert pool.assigned + 1 > pool.purchased, "refused although a license was available"
        else:
            after = self.run(self._pool(sku))
            assert after.assigned == pool.assigned + 1 <= after.purchased

    @precondition(lambda self: self.user_ids)
    @rule(data=st.data(), sku=st.sampled_from(SKUS))
    def bulk_assign(self, data, sku):
        chosen = data.draw(st.lists(st.sampled_from(self.user_ids), min_size=1, max_size=4, unique=True))
        pool = self.run(self._pool(sku))
        result = self.step(
            lambda: seats.assign_licenses(self.org, [str(u) for u in chosen], sku, actor=self.actor, now=self.now),
            Counter({"license.assigned": len(chosen)}),
            refusals=(ErrorCode.NO_LICENSES_AVAILABLE, ErrorCode.ALREADY_ASSIGNED, ErrorCode.USER_DELETED),
        )
        if isinstance(result, DomainError):
            if result.code is ErrorCode.NO_LICENSES_AVAILABLE:
                assert pool.assigned + len(chosen) > pool.purchased, "refused although enough licenses were available"
        else:
            after = self.run(self._pool(sku))
            assert after.assigned == pool.assigned + len(chosen) <= after.purchased

    @precondition(lambda self: self.user_ids)
    @rule(data=st.data(), sku=st.sampled_from(SKUS))
    def revoke(self, data, sku):
        user_id = data.draw(st.sampled_from(self.user_ids))
        self.step(
            lambda: seats.revoke_license(self.org, str(user_id), sku, actor=self.actor, now=self.now),
            Counter({"license.revoked": 1}),
            refusals=(ErrorCode.NOT_ASSIGNED, ErrorCode.USER_DELETED),
        )

    @precondition(lambda self: self.user_ids)
    @rule(data=st.data())
    def delete(self, data):
        user_id = data.draw(st.sampled_from(self.user_ids))
        self.step(
            lambda: deletion.delete_user(self.org, str(user_id), actor=self.actor, now=self.now),
            Counter({"user.deleted": 1}),
            refusals=(ErrorCode.USER_DELETED, ErrorCode.NOT_FOUND),
        )

    @precondition(lambda self: self.user_ids)
    @rule(data=st.data())
    def restore(self, data):
        user_id = data.draw(st.sampled_from(self.user_ids))
        pools = {p.product.sku: p for p in self.run(seats.seat_pools(self.org))}
        result = self.step(
            lambda: deletion.restore_user(self.org, str(user_id), actor=self.actor, now=self.now),
            Counter({"user.restored": 1}),
            refusals=(ErrorCode.USER_NOT_DELETED, ErrorCode.RESTORE_WINDOW_EXPIRED, ErrorCode.NOT_FOUND),
        )
        if not isinstance(result, DomainError):
            _, missing = result
            for product in missing:  # not restored only when no license of it was free
                assert pools[product.sku].available == 0
            for after in self.run(seats.seat_pools(self.org)):  # a restored license is never one above purchased
                assert after.overage <= pools[after.product.sku].overage

    @rule(days=st.integers(min_value=1, max_value=27))
    def run_clock(self, days):
        """At most 27 days: each subscription crosses at most one period end per run."""
        self._tick(days * 24 * 60)
        before = {s.id: s for s in self.run(lambda: Subscription.filter(organization_id=self.org.id))}
        live_before = set(self.run(lambda: User.filter(organization_id=self.org.id).values_list("id", flat=True)))
        latest = self.run(lambda: AuditEvent.filter(organization_id=self.org.id).order_by("-id").first())
        self.run(run_clock(self.now))
        after = {s.id: s for s in self.run(lambda: Subscription.filter(organization_id=self.org.id))}
        new = self.run(lambda: AuditEvent.filter(organization_id=self.org.id, id__gt=latest.id if latest else 0))
        changed = {
            str(i)
            for i, s in after.items()
            if (s.status, s.current_period_end, s.quantity)
            != (before[i].status, before[i].current_period_end, before[i].quantity)
        }
        on_subs = Counter(e.target_id for e in new if e.target_type == "SUBSCRIPTION")
        assert on_subs == Counter(changed), (on_subs, changed)
        purged = live_before - set(self.run(lambda: User.filter(organization_id=self.org.id).values_list("id", flat=True)))
        assert sorted(e.target_id for e in new if e.action == "user.purged") == sorted(str(u) for u in purged)
        self.user_ids = [u for u in self.user_ids if u not in purged]

    # ------------------------------------------------------------ invariants

    @invariant()
    def ledger_holds(self):
        self.run(self._check())

    async def _check(self) -> None:
        rows = await LicenseAssignment.filter(organization_id=self.org.id).values("id", "user_id", "product_id", "assigned_at")
        deleted = set(await User.filter(organization_id=self.org.id, deleted_at__isnull=False).values_list("id", flat=True))
        assert not [r for r in rows if r["user_id"] in deleted], "a deleted user holds a license"
        subs = await Subscription.filter(organization_id=self.org.id, status__in=COUNTING).values_list("product_id", "quantity")
        pools = await seats.seat_pools(self.org)
        expected_conflicts: set[int] = set()
        for pool in pools:
            sku = pool.product.sku
            held = sorted(((r["assigned_at"], r["id"]) for r in rows if r["product_id"] == sku), reverse=True)
            assert pool.assigned == len(held)
            assert pool.purchased == sum(q for p, q in subs if p == sku)
            assert pool.available + pool.assigned - pool.overage == pool.purchased
            assert pool.overage == max(pool.assigned - pool.purchased, 0)
            expected_conflicts |= {i for _, i in held[: pool.overage]}
            # The line the ledger stored is where the conflict starts: the oldest of the `overage` latest.
            [(line_at, line_id)] = await SeatPool.filter(organization_id=self.org.id, product_id=sku).values_list(
                "line_assigned_at", "line_id"
            )
            assert (line_at, line_id) == (held[pool.overage - 1] if pool.overage else (None, None))
        assert await seats.conflict_assignment_ids(self.org) == expected_conflicts


def test_the_seat_ledger_holds_under_random_sequences():
    run_state_machine_as_test(
        SeatLedger,
        settings=settings(max_examples=25, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]),
    )
