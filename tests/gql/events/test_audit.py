from seatwise.models.core.tables import AdminRole
from tests.support import error_codes, execute, make_org, make_user, token_for

EVENTS = """
query($first: Int, $after: String, $filter: AuditFilter) {
  auditEvents(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor node { id action actor targetType targetId details at } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


async def test_audit_events_page_newest_first_with_cursors():
    fx = await make_org()
    created = [await make_user(fx) for _ in range(5)]
    seen, after = [], None
    while True:
        page = (await execute(EVENTS, {"first": 2, "after": after, "filter": {"action": "user.created"}}, token=fx.token)).data[
            "auditEvents"
        ]
        assert page["totalCount"] == 6  # the five users and the first admin
        seen += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 6 and len({n["id"] for n in seen}) == 6
    assert [n["targetId"] for n in seen[:5]] == [str(u.id) for u in reversed(created)]
    assert [n["at"] for n in seen] == sorted((n["at"] for n in seen), reverse=True)
    first = seen[0]
    assert (first["action"], first["actor"], first["targetType"]) == ("user.created", fx.admin.email, "USER")
    assert first["details"]["email"] == created[-1].email and first["at"].endswith("Z")


async def test_audit_events_filter_by_target_and_stay_in_the_organization():
    fx, other = await make_org("Acme"), await make_org("Other")
    user = await make_user(fx)
    await make_user(other)
    page = (await execute(EVENTS, {"filter": {"targetId": str(user.id)}}, token=fx.token)).data["auditEvents"]
    assert {(e["node"]["action"], e["node"]["targetId"]) for e in page["edges"]} == {("user.created", str(user.id))}
    everything = (await execute(EVENTS, {"first": 100}, token=fx.token)).data["auditEvents"]
    assert all(e["node"]["actor"] in (fx.admin.email, None) for e in everything["edges"])
    assert other.admin.email not in str(everything)


async def test_every_role_may_read_the_audit_trail_but_bad_paging_is_refused():
    fx = await make_org()
    reader = await make_user(fx, role=AdminRole.READER)
    token = await token_for(fx, reader, AdminRole.READER)
    page = (await execute(EVENTS, {}, token=token)).data["auditEvents"]
    # newest first: the reader created, then the organization's first admin and their API token
    assert page["totalCount"] == 3
    assert [e["node"]["action"] for e in page["edges"]] == ["user.created", "api_token.created", "user.created"]
    assert [page["edges"][i]["node"]["targetId"] for i in (0, 2)] == [str(reader.id), str(fx.admin.id)]
    assert error_codes(await execute(EVENTS, {"first": 101}, token=token)) == ["BAD_USER_INPUT"]
    assert error_codes(await execute(EVENTS, {"after": "garbage!"}, token=token)) == ["BAD_USER_INPUT"]
    assert error_codes(await execute(EVENTS, {})) == ["UNAUTHENTICATED"]
