"""The groups API through the schema: mutations with userErrors, queries with sources and queue positions,
and addGroupMembers of 1,000 users in as many statements as 10."""

from seatwise.models.core.tables import User
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members as memberships
from seatwise.models.seats import licenses as seats
from tests.support import NOW, count_round_trips, execute, give_licenses, make_org, make_user

CREATE = """mutation($name: String!, $skus: [String!]) {
  createGroup(input: {displayName: $name, productSkus: $skus}) { group { id displayName source } userErrors { code field } } }"""
ADD = """mutation($g: ID!, $u: [ID!]!) {
  addGroupMembers(input: {groupId: $g, userIds: $u}) {
    group { memberCount licenses { product { sku } licensed waiting } }
    waiting { position since user { email } product { sku } groups { displayName } }
    userErrors { code field } } }"""
REVOKE = """mutation($u: ID!) { revokeLicense(input: {userId: $u, productSku: "CRM_BASIC"}) { userErrors { code field } } }"""
VIEW = """query($u: ID!, $e: String!) {
  seats(productSku: "CRM_BASIC") { assigned waiting }
  accessCheck(email: $e, productSku: "CRM_BASIC") { allowed reason }
  alerts { kind }
  groups(search: "SAL") { totalCount edges { node { displayName memberCount members { edges { node { email } } } } } }
  licenseWaitlist(productSku: "CRM_BASIC") { totalCount edges { node { position user { email } } } }
  user(id: $u) { groups { displayName } licenseWaits { position product { sku } } }
  users { edges { node { email licenses { direct groups { displayName } } } } } }"""


async def test_groups_api_shows_sources_waits_positions_and_errors():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    a, b = await make_user(fx, email="a@acme.example"), await make_user(fx, email="b@acme.example")
    created = (await execute(CREATE, {"name": "Sales", "skus": ["CRM_BASIC"]}, token=fx.token)).data["createGroup"]
    assert created["userErrors"] == [] and created["group"]["source"] == "SEATWISE"
    again = (await execute(CREATE, {"name": "sales ", "skus": []}, token=fx.token)).data["createGroup"]
    assert again["userErrors"] == [{"code": "ALREADY_EXISTS", "field": ["input", "displayName"]}]
    bad = (await execute(ADD, {"g": created["group"]["id"], "u": [str(a.id), "nope"]}, token=fx.token)).data["addGroupMembers"]
    assert bad["userErrors"] == [{"code": "NOT_FOUND", "field": ["input", "userIds", "1"]}]
    added = (await execute(ADD, {"g": created["group"]["id"], "u": [str(a.id), str(b.id)]}, token=fx.token)).data[
        "addGroupMembers"
    ]
    assert added["group"] == {"memberCount": 2, "licenses": [{"product": {"sku": "CRM_BASIC"}, "licensed": 1, "waiting": 1}]}
    assert [(w["position"], w["user"]["email"], w["groups"]) for w in added["waiting"]] == [
        (1, b.email, [{"displayName": "Sales"}])
    ]
    revoked = (await execute(REVOKE, {"u": str(a.id)}, token=fx.token)).data["revokeLicense"]
    assert revoked["userErrors"] == [{"code": "LICENSE_INHERITED", "field": ["input", "productSku"]}]
    view = (await execute(VIEW, {"u": str(b.id), "e": b.email}, token=fx.token)).data
    assert view["seats"] == [{"assigned": 1, "waiting": 1}]
    assert view["accessCheck"] == {"allowed": False, "reason": "WAITING_FOR_LICENSE"}
    assert {"kind": "LICENSES_WAITING"} in view["alerts"]
    assert view["groups"]["totalCount"] == 1 and view["groups"]["edges"][0]["node"]["memberCount"] == 2
    assert [e["node"]["position"] for e in view["licenseWaitlist"]["edges"]] == [1]
    assert view["user"] == {
        "groups": [{"displayName": "Sales"}],
        "licenseWaits": [{"position": 1, "product": {"sku": "CRM_BASIC"}}],
    }
    licenses = {e["node"]["email"]: e["node"]["licenses"] for e in view["users"]["edges"]}
    assert licenses[a.email] == [{"direct": False, "groups": [{"displayName": "Sales"}]}]


async def _add_through_api(monkeypatch, fx, size: int, tag: str, sku: str) -> int:
    await User.bulk_create(
        [
            User(organization_id=fx.org.id, email=f"{tag}{i}@acme.example", display_name=f"{tag} {i}", created_at=NOW)
            for i in range(size)
        ]
    )
    people = await User.filter(email__startswith=tag).order_by("id")
    group = await groups.create_group(fx.org, tag, [sku], actor=fx.actor, now=NOW)
    result, cost = await count_round_trips(
        monkeypatch, execute(ADD, {"g": str(group.id), "u": [str(p.id) for p in people]}, token=fx.token)
    )
    assert result.errors is None and result.data["addGroupMembers"]["userErrors"] == []
    assert len(result.data["addGroupMembers"]["waiting"]) == size // 2
    return cost


async def test_add_group_members_of_1000_users_costs_as_many_statements_as_10(monkeypatch):
    fx = await make_org()
    await give_licenses(fx, "CRM_ESSENTIAL", 5)
    await give_licenses(fx, "CRM_BASIC", 500)
    await give_licenses(fx, "CRM_PROFESSIONAL", 5)
    await _add_through_api(monkeypatch, fx, 10, "warm", "CRM_PROFESSIONAL")  # per-process caches (catalog, token use) filled
    small = await _add_through_api(monkeypatch, fx, 10, "small", "CRM_ESSENTIAL")
    large = await _add_through_api(monkeypatch, fx, 1000, "large", "CRM_BASIC")
    assert large == small


async def test_members_of_more_groups_than_one_statement_reads_come_in_database_order():
    """A user in 501 groups (more than SQLite's 500 terms of one compound SELECT): each group's first members come,
    in batches of at most MAX_GROUPS_PER_STATEMENT, ordered by the database as the keyset compares them."""
    from seatwise.models.core.tables import Group, GroupMember, GroupSource
    from seatwise.models.groups.reads import MAX_GROUPS_PER_STATEMENT

    fx = await make_org()
    user = await make_user(fx, email="m@acme.example")
    other = await make_user(fx, email="a.z@acme.example")
    made = [
        Group(
            organization_id=fx.org.id,
            display_name=f"G{i:03}",
            name_key=f"g{i:03}",
            source=GroupSource.SEATWISE,
            created_at=NOW,
            last_modified=NOW,
        )
        for i in range(MAX_GROUPS_PER_STATEMENT * 5 + 1)
    ]
    await Group.bulk_create(made)
    ids = [g.id for g in await Group.filter(organization_id=fx.org.id).order_by("id")]
    await GroupMember.bulk_create([GroupMember(group_id=gid, user_id=uid) for gid in ids for uid in (user.id, other.id)])
    query = """query($u: ID!) { user(id: $u) { groups { members(first: 1) { totalCount edges { node { email } } } } } }"""
    result = await execute(query, {"u": str(user.id)}, token=fx.token)
    assert result.errors is None
    pages = [g["members"] for g in result.data["user"]["groups"]]
    assert len(pages) == len(ids)
    assert {(p["totalCount"], p["edges"][0]["node"]["email"]) for p in pages} == {(2, "a.z@acme.example")}


KEPT = """mutation($u: ID!) { revokeLicense(input: {userId: $u, productSku: "CRM_BASIC"}) {
  user { email } seats { assigned } keptThroughGroups { displayName } userErrors { code } } }"""


async def test_revoke_license_says_which_groups_keep_the_license_and_an_empty_list_when_it_was_taken_back():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    member, loner = await make_user(fx), await make_user(fx)
    group = await groups.create_group(fx.org, "Sales", ["CRM_BASIC"], actor=fx.actor, now=NOW)
    await memberships.add_members(fx.org, str(group.id), [str(member.id)], actor=fx.actor, now=NOW)
    await seats.assign_license(fx.org, str(member.id), "CRM_BASIC", actor=fx.actor, now=NOW)
    await seats.assign_license(fx.org, str(loner.id), "CRM_BASIC", actor=fx.actor, now=NOW)

    kept = (await execute(KEPT, {"u": str(member.id)}, token=fx.token)).data["revokeLicense"]
    taken = (await execute(KEPT, {"u": str(loner.id)}, token=fx.token)).data["revokeLicense"]

    assert kept == {
        "user": {"email": member.email},
        "seats": {"assigned": 2},
        "keptThroughGroups": [{"displayName": "Sales"}],
        "userErrors": [],
    }
    assert taken == {"user": {"email": loner.email}, "seats": {"assigned": 1}, "keptThroughGroups": [], "userErrors": []}
