"""A stateful property test of product roles (docs/rules.md section 14): under any sequence of direct grants and
revokes, group role changes, group joins and leaves, license assigns and revokes, deletions and restores, a user's
effective roles are exactly the union of their sources, CRM_ESSENTIAL never holds a role it does not allow, and the
sign-in answer carries no role whenever it does not allow the user in."""

import asyncio
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from seatwise.models.core.errors import DomainError, Forbidden
from seatwise.models.core.tables import AdminRole, LicenseAssignment, User
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members as memberships
from seatwise.models.people import deletion
from seatwise.models.roles import grants
from seatwise.models.roles.effective import effective_roles
from seatwise.models.seats import licenses as seats
from tests.support import NOW, execute, give_licenses, make_org, make_user, truncate_all

SKUS = ["CRM_BASIC", "CRM_ESSENTIAL"]
KEYS = ["SALESPERSON", "SALES_MANAGER", "DELEGATE", "SYSTEM_ADMINISTRATOR"]
ESSENTIAL_ALLOWS = {"SALESPERSON", "CUSTOMER_SERVICE_REPRESENTATIVE", "DELEGATE"}
PEOPLE = 5  # person 0 is a GLOBAL_ADMIN
SIGN_IN = "query($e: String!, $s: String!) { accessCheck(email: $e, productSku: $s) { allowed roles { role { key } } } }"


@pytest.fixture
async def loop():
    """The test's event loop, idle while a synchronous (Hypothesis) test runs steps on it."""
    return asyncio.get_running_loop()


def allowed_in(sku: str, keys) -> set[str]:
    return {k for k in keys if sku != "CRM_ESSENTIAL" or k in ESSENTIAL_ALLOWS}


def test_effective_roles_are_always_the_union_of_their_sources(loop):
    class ProductRoles(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.clock = NOW
            self.direct: set[tuple[int, str, str]] = set()  # (person, sku, key)
            self.team_roles: list[set[tuple[str, str]]] = [set(), set()]
            self.members: list[set[int]] = [set(), set()]
            loop.run_until_complete(self._setup())

        async def _setup(self):
            await truncate_all()
            self.fx = await make_org()
            for sku in SKUS:
                await give_licenses(self.fx, sku, 3)
            self.people = [await make_user(self.fx, role=AdminRole.GLOBAL_ADMIN if i == 0 else None) for i in range(PEOPLE)]
            self.teams = [await groups.create_group(self.fx.org, f"Team {i}", [], actor=self.fx.actor, now=NOW) for i in range(2)]

        def run(self, coro) -> bool:
            self.clock += timedelta(seconds=1)
            try:
                loop.run_until_complete(coro)
            except (DomainError, Forbidden):
                return False  # refused: nothing changed (the invariant says so)
            return True

        def ids(self, picks):
            return [str(self.people[i].id) for i in sorted(set(picks))]

        @rule(
            picks=st.lists(st.integers(0, PEOPLE - 1), min_size=1, max_size=3),
            sku=st.sampled_from(SKUS),
            keys=st.sets(st.sampled_from(KEYS), min_size=1),
        )
        def grant(self, picks, sku, keys):
            if self.run(grants.grant_roles(self.fx.org, self.ids(picks), sku, sorted(keys), actor=self.fx.actor, now=self.clock)):
                self.direct |= {(p, sku, k) for p in picks for k in keys}

        @rule(
            picks=st.lists(st.integers(0, PEOPLE - 1), min_size=1, max_size=3),
            sku=st.sampled_from(SKUS),
            keys=st.sets(st.sampled_from(KEYS), min_size=1),
        )
        def revoke(self, picks, sku, keys):
            if self.run(
                grants.revoke_roles(self.fx.org, self.ids(picks), sku, sorted(keys), actor=self.fx.actor, now=self.clock)
            ):
                self.direct -= {(p, sku, k) for p in picks for k in keys}

        @rule(team=st.integers(0, 1), wanted=st.dictionaries(st.sampled_from(SKUS), st.sets(st.sampled_from(KEYS))))
        def set_team_roles(self, team, wanted):
            entries = [(sku, sorted(keys)) for sku, keys in sorted(wanted.items())]
            change = groups.update_group(
                self.fx.org, str(self.teams[team].id), product_roles=entries, actor=self.fx.actor, now=self.clock
            )
            if self.run(change):
                self.team_roles[team] = {(sku, k) for sku, keys in wanted.items() for k in keys}

        @rule(team=st.integers(0, 1), picks=st.lists(st.integers(0, PEOPLE - 1), min_size=1, max_size=3))
        def join(self, team, picks):
            if self.run(
                memberships.add_members(
                    self.fx.org, str(self.teams[team].id), self.ids(picks), actor=self.fx.actor, now=self.clock
                )
            ):
                self.members[team] |= set(picks)

        @rule(team=st.integers(0, 1), picks=st.lists(st.integers(0, PEOPLE - 1), min_size=1, max_size=3))
        def leave(self, team, picks):
            if self.run(
                memberships.remove_members(
                    self.fx.org, str(self.teams[team].id), self.ids(picks), actor=self.fx.actor, now=self.clock
                )
            ):
                self.members[team] -= set(picks)

        @rule(person=st.integers(0, PEOPLE - 1), sku=st.sampled_from(SKUS), give=st.booleans())
        def license(self, person, sku, give):
            action = seats.assign_license if give else seats.revoke_license
            self.run(action(self.fx.org, str(self.people[person].id), sku, actor=self.fx.actor, now=self.clock))

        @rule(person=st.integers(1, PEOPLE - 1), restore=st.booleans())
        def delete_or_restore(self, person, restore):
            user_id = str(self.people[person].id)
            if restore:
                self.run(deletion.restore_user(self.fx.org, user_id, actor=self.fx.actor, now=self.clock))
            else:
                self.run(deletion.delete_user(self.fx.org, user_id, actor=self.fx.actor, now=self.clock, wall=self.clock))

        def expected(
            self, person: int, sku: str, licensed: set[tuple[int, str]]
        ) -> dict[str, tuple[bool, tuple[int, ...], bool]]:
            keys = {k for p, s, k in self.direct if p == person and s == sku}
            via = {t: {k for s, k in self.team_roles[t] if s == sku} for t in range(2) if person in self.members[t]}
            admin = person == 0 and (person, sku) in licensed and sku != "CRM_ESSENTIAL"
            every = allowed_in(
                sku, keys | {k for ks in via.values() for k in ks} | ({"SYSTEM_ADMINISTRATOR"} if admin else set())
            )
            return {
                k: (
                    k in keys,
                    tuple(sorted(self.teams[t].id for t, ks in via.items() if k in ks)),
                    admin and k == "SYSTEM_ADMINISTRATOR",
                )
                for k in every
            }

        @invariant()
        def roles_are_the_union_of_their_sources(self):
            loop.run_until_complete(self._check())

        async def _check(self):
            users = await User.filter(id__in=[u.id for u in self.people]).order_by("id")
            index = {u.id: i for i, u in enumerate(self.people)}
            held_licenses = await LicenseAssignment.filter(user_id__in=list(index)).values_list("user_id", "product_id")
            licensed = {(index[uid], sku) for uid, sku in held_licenses}
            for sku in SKUS:
                found = await effective_roles(self.fx.org, users, sku)
                for user in users:
                    person = index[user.id]
                    got = {e.role.key: (e.direct, tuple(sorted(e.group_ids)), e.via_admin_role) for e in found[user.id]}
                    assert got == self.expected(person, sku, licensed), (person, sku)
                    assert sku != "CRM_ESSENTIAL" or set(got) <= ESSENTIAL_ALLOWS
                    answer = (await execute(SIGN_IN, {"e": user.email, "s": sku}, token=self.fx.token)).data["accessCheck"]
                    if not answer["allowed"]:
                        assert answer["roles"] == []
                    else:
                        assert [r["role"]["key"] for r in answer["roles"]] == [e.role.key for e in found[user.id]]

    run_state_machine_as_test(
        ProductRoles,
        settings=settings(max_examples=20, stateful_step_count=15, deadline=None, suppress_health_check=list(HealthCheck)),
    )
