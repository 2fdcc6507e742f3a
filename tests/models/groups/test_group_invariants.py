"""A stateful property test of group-based licensing: any sequence of group changes, member changes, direct
assigns and revokes, purchases, suspensions, deletions and restores keeps the invariants of docs/rules.md section 11
(see tests/group_support.check_group_invariants) after every step."""

import asyncio
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from seatwise.models.core.errors import DomainError
from seatwise.models.core.tables import Subscription, SubscriptionStatus
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members as memberships
from seatwise.models.people import deletion
from seatwise.models.seats import licenses as seats
from tests.group_support import check_group_invariants
from tests.support import NOW, give_licenses, make_org, make_user, recount, truncate_all

SKUS = ["CRM_BASIC", "CRM_ESSENTIAL"]


@pytest.fixture
async def loop():
    """The test's event loop, idle while a synchronous (Hypothesis) test runs steps on it."""
    return asyncio.get_running_loop()


def test_group_licensing_keeps_its_invariants_under_any_sequence_of_changes(loop):
    class GroupLicensing(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.clock = NOW
            loop.run_until_complete(self._setup())

        async def _setup(self):
            await truncate_all()
            self.fx = await make_org()
            self.people = [await make_user(self.fx) for _ in range(6)]
            self.teams = [
                await groups.create_group(self.fx.org, f"Team {i}", [SKUS[i % 2]], actor=self.fx.actor, now=NOW) for i in range(2)
            ]

        def run(self, coro):
            self.clock += timedelta(seconds=1)
            try:
                loop.run_until_complete(coro)
            except DomainError:
                pass  # refused: nothing changed (the invariants say so)

        def ids(self, picks):
            return [str(self.people[i].id) for i in sorted(set(picks))]

        @rule(team=st.integers(0, 1), picks=st.lists(st.integers(0, 5), min_size=1, max_size=4))
        def add_members(self, team, picks):
            self.run(
                memberships.add_members(
                    self.fx.org, str(self.teams[team].id), self.ids(picks), actor=self.fx.actor, now=self.clock
                )
            )

        @rule(team=st.integers(0, 1), picks=st.lists(st.integers(0, 5), min_size=1, max_size=3))
        def remove_members(self, team, picks):
            self.run(
                memberships.remove_members(
                    self.fx.org, str(self.teams[team].id), self.ids(picks), actor=self.fx.actor, now=self.clock
                )
            )

        @rule(team=st.integers(0, 1), skus=st.sets(st.sampled_from(SKUS)))
        def grant_products(self, team, skus):
            self.run(
                groups.update_group(
                    self.fx.org, str(self.teams[team].id), product_skus=sorted(skus), actor=self.fx.actor, now=self.clock
                )
            )

        @rule(sku=st.sampled_from(SKUS), quantity=st.integers(1, 3))
        def buy(self, sku, quantity):
            self.run(give_licenses(self.fx, sku, quantity))

        @rule(sku=st.sampled_from(SKUS), paid=st.booleans())
        def suspend_or_pay_again(self, sku, paid):
            async def flip():
                sub = await Subscription.filter(organization_id=self.fx.org.id, product_id=sku).first()
                if sub is not None:
                    await Subscription.filter(id=sub.id).update(
                        status=SubscriptionStatus.ACTIVE if paid else SubscriptionStatus.SUSPENDED
                    )
                    await recount(self.fx.org.id, sku)

            self.run(flip())

        @rule(person=st.integers(0, 5), sku=st.sampled_from(SKUS))
        def assign(self, person, sku):
            self.run(seats.assign_license(self.fx.org, str(self.people[person].id), sku, actor=self.fx.actor, now=self.clock))

        @rule(person=st.integers(0, 5), sku=st.sampled_from(SKUS))
        def revoke(self, person, sku):
            self.run(seats.revoke_license(self.fx.org, str(self.people[person].id), sku, actor=self.fx.actor, now=self.clock))

        @rule(person=st.integers(0, 5))
        def delete(self, person):
            self.run(deletion.delete_user(self.fx.org, str(self.people[person].id), actor=self.fx.actor, now=self.clock))

        @rule(person=st.integers(0, 5))
        def restore(self, person):
            self.run(deletion.restore_user(self.fx.org, str(self.people[person].id), actor=self.fx.actor, now=self.clock))

        @invariant()
        def invariants_hold(self):
            loop.run_until_complete(check_group_invariants(self.fx.org.id))

    run_state_machine_as_test(
        GroupLicensing,
        settings=settings(max_examples=25, stateful_step_count=15, deadline=None, suppress_health_check=list(HealthCheck)),
    )
