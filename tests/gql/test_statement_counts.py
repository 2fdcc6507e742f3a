"""Every often-called operation costs a small constant number of SQL statements, the same for an organization of
1,000 users as for a large one, and a page the same for 2 rows as for 20 (authentication included; BEGIN and
COMMIT are not counted). Pages read per page, not per row: the DataLoaders of gql/graphql/core/context.py.

The large organization has 20,000 users: enough to tell a constant from a count that grows (any query that
walks the organization's rows would show as slower, and a per-row query as more statements), and seeded in a
few seconds on both databases. `make bench` measures latency at 100,000."""

import pytest

from seatwise.models.core.tables import User
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members as memberships
from tests.scale_support import ScaleOrg, seed_org
from tests.support import NOW, OrgFixture, count_statements, execute, give_licenses, make_org, make_user

LARGE = 20_000

# Operation -> (document, the most statements it may take). Licenses of a product in conflict need that product's
# conflict line: the users page is 3 statements, plus one per product in conflict on the page (one here).
OPERATIONS = {
    "viewer": ("{ viewer { role user { email } } }", 1),
    "seats": ("{ seats { product { sku } purchased assigned available overage inConflict waiting } }", 2),
    "accessCheck": (
        'query($email: String!) { accessCheck(email: $email, productSku: "CRM_ESSENTIAL") { allowed reason } }',
        2,  # the token, then the user, license, pool and conflict line in one statement (models/seats/access.py)
    ),
    "alerts": ("{ alerts { kind message product { sku } } }", 6),  # 5th: disabled webhooks; 6th: scheduled reclaims (grouped)
    "licenseConflicts": (
        "{ licenseConflicts { product { sku } overage causes remedies { kind }"
        " affectedUsers(first: 100) { edges { cursor node { email } } pageInfo { hasNextPage } } } }",
        7,  # the 7th: one grouped count of the idle licenses of the products in conflict (RECLAIM_IDLE_LICENSES)
    ),
    "subscriptions": ("{ subscriptions { id status quantity } }", 2),
    "users page": (
        "{ users(first: 100) { edges { node { email status licenses { product { sku name } assignedAt state } } }"
        " pageInfo { hasNextPage endCursor } } }",
        4,
    ),
    "users page with totalCount": ("{ users(first: 100) { totalCount edges { node { email } } } }", 3),
    # Section 17: every order pages by keyset from its index; licenseState is a condition of the page's statement.
    "users page by latest use": (
        "{ users(first: 100, orderBy: {field: LAST_USED_AT, direction: DESC}) { nodes { email } pageInfo { endCursor } } }",
        2,
    ),
    "users page by name, backward": (
        "{ users(last: 100, orderBy: {field: DISPLAY_NAME}) { nodes { email } pageInfo { startCursor } } }",
        2,
    ),
    "users page filtered": (
        "{ users(first: 100, filter: {licenseState: ACTIVE, adminRole: null}, orderBy: {field: CREATED_AT, direction: DESC})"
        " { nodes { email } totalCount } }",
        3,
    ),
    "audit log page": ("{ auditEvents(first: 100) { edges { node { action at } } pageInfo { endCursor } } }", 2),
    "charges page": ("{ charges(first: 100) { edges { node { amount { amountCents } } } } }", 2),
}
ASSIGN = 'mutation($u: ID!) { assignLicense(input: {userId: $u, productSku: "CRM_PROFESSIONAL"}) { userErrors { code } seats { assigned } } }'
REVOKE = 'mutation($u: ID!) { revokeLicense(input: {userId: $u, productSku: "CRM_PROFESSIONAL"}) { userErrors { code } seats { assigned } } }'
MUTATION_BOUND = 15  # 10, plus the outbox: the counter, the events, the endpoints that take them, and the event data's
# target state: the user and the pool, one query each however many events (docs/rules.md 15)


async def _statements(scale: ScaleOrg, name: str) -> int:
    document, _ = OPERATIONS[name]
    variables = {"email": scale.conflicted_email} if "$email" in document else None
    result, sql = await count_statements(execute(document, variables, token=scale.fx.token))
    assert result.errors is None, (name, result.errors)
    if name == "accessCheck":  # the holder of a license in conflict: the longest path
        assert result.data["accessCheck"] == {"allowed": False, "reason": "LICENSE_CONFLICT"}
    return len(sql)


async def _mutations(scale: ScaleOrg) -> tuple[int, int]:
    user = scale.user_ids[scale.size // 2 + 5]  # holds CRM_BASIC only
    assigned, assign_sql = await count_statements(execute(ASSIGN, {"u": str(user)}, token=scale.fx.token))
    revoked, revoke_sql = await count_statements(execute(REVOKE, {"u": str(user)}, token=scale.fx.token))
    assert assigned.data["assignLicense"]["userErrors"] == revoked.data["revokeLicense"]["userErrors"] == []
    return len(assign_sql), len(revoke_sql)


@pytest.mark.slow
async def test_operations_cost_the_same_statements_at_1000_and_at_20000_users():
    small, large = await seed_org(1000, "Small"), await seed_org(LARGE, "Large")
    assert await User.filter(organization_id=large.fx.org.id).count() == LARGE
    for scale in (small, large):
        await give_licenses(scale.fx, "CRM_PROFESSIONAL", 100)
        await execute("{ viewer { role } }", token=scale.fx.token)  # the token's first use is written once
    counts = {}
    for name, (_, bound) in OPERATIONS.items():
        counts[name] = (await _statements(small, name), await _statements(large, name))
        assert counts[name][0] == counts[name][1] <= bound, (name, counts[name], bound)
    small_writes, large_writes = await _mutations(small), await _mutations(large)
    assert small_writes == large_writes and max(small_writes) <= MUTATION_BOUND, (small_writes, large_writes)


@pytest.mark.slow
async def test_a_users_page_without_conflicts_is_three_statements_with_authentication():
    scale = await seed_org(300, "Calm")
    from seatwise.models.core.tables import SeatPool

    # No product in conflict: the licenses' state needs no conflict line.
    await SeatPool.filter(organization_id=scale.fx.org.id).update(purchased=1000)
    await execute("{ viewer { role } }", token=scale.fx.token)
    result, sql = await count_statements(execute(OPERATIONS["users page"][0], token=scale.fx.token))
    assert result.errors is None and len(result.data["users"]["edges"]) == 100
    assert len(sql) == 3, sql


# A page of groups with what each shows: its member count, its licenses, its first members and their waits.
GROUPS_PAGE = """{ groups(first: 50) { edges { node { displayName memberCount licenses { product { sku } licensed waiting }
  members(first: 2) { totalCount edges { node { email licenseWaits { position product { sku } } } } pageInfo { hasNextPage } } } } } }"""
GROUPS_PAGE_BOUND = 6  # authentication, the page, member counts, licenses, first members, their waits
# A page of users with their licenses (and the groups each comes from) and their groups.
USERS_PAGE = """{ users(first: 100) { totalCount edges { node { email status
  licenses { product { sku name } assignedAt state direct groups { displayName } } groups { displayName } } } } }"""
USERS_PAGE_BOUND = 6  # authentication, the page, its totalCount, licenses, groups, the groups granting the licenses


async def _groups(fx: OrgFixture, count: int) -> None:
    """`count` groups granting CRM_BASIC and CRM_ESSENTIAL, of three members each. There are as many CRM_BASIC
    licenses as groups: each group's first member takes one, then the other two join and wait, group by group."""
    await give_licenses(fx, "CRM_BASIC", count)
    await give_licenses(fx, "CRM_ESSENTIAL", 3 * count)
    teams = []
    for index in range(count):
        people = [await make_user(fx, email=f"g{index:02}-{n}@{count}.example") for n in range(3)]
        group = await groups.create_group(fx.org, f"Team {index:02}", ["CRM_BASIC", "CRM_ESSENTIAL"], actor=fx.actor, now=NOW)
        await memberships.add_members(fx.org, str(group.id), [str(people[0].id)], actor=fx.actor, now=NOW)
        teams.append((group, people[1:]))
    for group, waiting in teams:
        await memberships.add_members(fx.org, str(group.id), [str(p.id) for p in waiting], actor=fx.actor, now=NOW)
    await execute("{ viewer { role } }", token=fx.token)  # the token's first use is written once


async def _page(fx: OrgFixture, document: str) -> tuple[dict, int]:
    result, sql = await count_statements(execute(document, token=fx.token))
    assert result.errors is None, result.errors
    return result.data, len(sql)


async def test_a_page_of_20_groups_costs_the_statements_of_a_page_of_2():
    counts = []
    for count in (2, 20):
        fx = await make_org(f"Org {count}")
        await _groups(fx, count)
        data, statements = await _page(fx, GROUPS_PAGE)
        counts.append(statements)
        nodes = [edge["node"] for edge in data["groups"]["edges"]]
        assert len(nodes) == count
        for index, node in enumerate(nodes):
            assert node["memberCount"] == node["members"]["totalCount"] == 3
            assert node["licenses"] == [
                {"product": {"sku": "CRM_BASIC"}, "licensed": 1, "waiting": 2},
                {"product": {"sku": "CRM_ESSENTIAL"}, "licensed": 3, "waiting": 0},
            ]
            members = node["members"]
            assert [m["node"]["email"] for m in members["edges"]] == [f"g{index:02}-{n}@{count}.example" for n in (0, 1)]
            assert members["pageInfo"] == {"hasNextPage": True}
            # The first member took the group's free license; the next waits behind the groups before it.
            assert [m["node"]["licenseWaits"] for m in members["edges"]] == [
                [],
                [{"position": 2 * index + 1, "product": {"sku": "CRM_BASIC"}}],
            ]
    assert counts[0] == counts[1] <= GROUPS_PAGE_BOUND, counts


async def test_a_page_of_40_users_with_licenses_and_groups_costs_the_statements_of_a_page_of_5():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 100)
    await give_licenses(fx, "CRM_ESSENTIAL", 100)
    sales = await groups.create_group(fx.org, "Sales", ["CRM_BASIC"], actor=fx.actor, now=NOW)
    counts = []
    for size in (5, 40):
        while await User.filter(organization_id=fx.org.id).count() < size:
            user = await make_user(fx, skus=["CRM_ESSENTIAL"])
            await memberships.add_members(fx.org, str(sales.id), [str(user.id)], actor=fx.actor, now=NOW)
        await execute("{ viewer { role } }", token=fx.token)
        data, statements = await _page(fx, USERS_PAGE)
        counts.append(statements)
        assert data["users"]["totalCount"] == len(data["users"]["edges"]) == size
        people = [edge["node"] for edge in data["users"]["edges"] if edge["node"]["email"] != fx.admin.email]
        assert len(people) == size - 1
        for person in people:
            assert person["status"] == "ACTIVE" and person["groups"] == [{"displayName": "Sales"}]
            assert [(lic["product"]["sku"], lic["state"], lic["direct"], lic["groups"]) for lic in person["licenses"]] == [
                ("CRM_BASIC", "ACTIVE", False, [{"displayName": "Sales"}]),
                ("CRM_ESSENTIAL", "ACTIVE", True, []),
            ]
    assert counts[0] == counts[1] <= USERS_PAGE_BOUND, counts
