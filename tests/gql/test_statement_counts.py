"""Every often-called operation costs a small constant number of SQL statements, the same for an organization of
1,000 users as for a large one (authentication included; BEGIN and COMMIT are not counted).

The large organization has 20,000 users: enough to tell a constant from a count that grows (any query that
walks the organization's rows would show as slower, and a per-row query as more statements), and seeded in a
few seconds on both databases. `make bench` measures latency at 100,000."""

import pytest

from seatwise.models.core.tables import User
from tests.scale_support import ScaleOrg, seed_org
from tests.support import count_statements, execute, give_licenses

pytestmark = pytest.mark.slow

LARGE = 20_000

# Operation -> (document, the most statements it may take). Licenses of a product in conflict need that product's
# conflict line: the users page is 3 statements, plus one per product in conflict on the page (one here).
OPERATIONS = {
    "viewer": ("{ viewer { role user { email } } }", 1),
    "seats": ("{ seats { product { sku } purchased assigned available overage inConflict waiting } }", 2),
    "accessCheck": (
        'query($email: String!) { accessCheck(email: $email, productSku: "CRM_ESSENTIAL") { allowed reason } }',
        4,
    ),
    "alerts": ("{ alerts { kind message product { sku } } }", 4),
    "licenseConflicts": (
        "{ licenseConflicts { product { sku } overage causes remedies { kind }"
        " affectedUsers(first: 100) { edges { cursor node { email } } pageInfo { hasNextPage } } } }",
        6,
    ),
    "subscriptions": ("{ subscriptions { id status quantity } }", 2),
    "users page": (
        "{ users(first: 100) { edges { node { email status licenses { product { sku name } assignedAt state } } }"
        " pageInfo { hasNextPage endCursor } } }",
        4,
    ),
    "users page with totalCount": ("{ users(first: 100) { totalCount edges { node { email } } } }", 3),
    "audit log page": ("{ auditEvents(first: 100) { edges { node { action at } } pageInfo { endCursor } } }", 2),
    "charges page": ("{ charges(first: 100) { edges { node { amount { amountCents } } } } }", 2),
}
ASSIGN = 'mutation($u: ID!) { assignLicense(input: {userId: $u, productSku: "CRM_PROFESSIONAL"}) { userErrors { code } seats { assigned } } }'
REVOKE = 'mutation($u: ID!) { revokeLicense(input: {userId: $u, productSku: "CRM_PROFESSIONAL"}) { userErrors { code } seats { assigned } } }'
MUTATION_BOUND = 10


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


async def test_a_users_page_without_conflicts_is_three_statements_with_authentication():
    scale = await seed_org(300, "Calm")
    from seatwise.models.core.tables import SeatPool

    # No product in conflict: the licenses' state needs no conflict line.
    await SeatPool.filter(organization_id=scale.fx.org.id).update(purchased=1000)
    await execute("{ viewer { role } }", token=scale.fx.token)
    result, sql = await count_statements(execute(OPERATIONS["users page"][0], token=scale.fx.token))
    assert result.errors is None and len(result.data["users"]["edges"]) == 100
    assert len(sql) == 3, sql
