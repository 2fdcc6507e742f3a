"""Keyset pagination: cursors on the sort key, opaque and checked; the total only when asked for."""

import base64
import json

import pytest

from seatwise.models.core.pages import BadUserInput, Keyset, decode_cursor, encode_cursor, paginate
from seatwise.models.core.tables import AuditEvent, User
from seatwise.models.people import users
from tests.support import count_statements, error_codes, execute, make_org, make_user

USERS = """
query($first: Int, $after: String) {
  users(first: $first, after: $after) { edges { cursor node { email } } pageInfo { hasNextPage hasPreviousPage endCursor } }
}"""


def _forged(*parts) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


async def test_walking_every_page_lists_every_user_once_in_email_order():
    fx = await make_org()
    for i in range(7):
        await make_user(fx, email=f"p{i}@pages.test")
    seen, after, pages = [], None, 0
    while True:
        page = (await execute(USERS, {"first": 2, "after": after}, token=fx.token)).data["users"]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += [e["node"]["email"] for e in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 8 and pages == 4


async def test_a_row_added_before_the_cursor_does_not_shift_the_next_page():
    fx = await make_org()
    for name in ("b", "c", "d", "e"):
        await make_user(fx, email=f"{name}@shift.test")
    query = users.users_query(fx.org, search="@shift.test")
    first = await paginate(query, 2, None, users.USER_ORDER)
    await make_user(fx, email="a@shift.test")
    second = await paginate(query, 2, first.cursor(1), users.USER_ORDER)
    assert [u.email for u in first.items] == ["b@shift.test", "c@shift.test"]
    assert [u.email for u in second.items] == ["d@shift.test", "e@shift.test"] and not second.has_next


async def test_the_total_is_counted_only_when_asked_for():
    fx = await make_org()
    page, sql = await count_statements(paginate(users.users_query(fx.org), 10, None, users.USER_ORDER))
    assert len(sql) == 1 and "COUNT" not in sql[0].upper()
    total, sql = await count_statements(page.total())
    assert total == 1 and len(sql) == 1 and "COUNT" in sql[0].upper()


async def test_total_count_is_not_queried_unless_selected():
    fx = await make_org()
    _, without = await count_statements(execute("{ users(first: 5) { edges { node { email } } } }", token=fx.token))
    _, with_total = await count_statements(execute("{ users(first: 5) { totalCount } }", token=fx.token))
    assert not any("COUNT(" in s.upper() for s in without)
    assert sum("COUNT(" in s.upper() for s in with_total) == 1


def test_a_cursor_round_trips_its_key():
    order = Keyset(("-at", "-id"))
    from datetime import UTC, datetime

    key = (datetime(2026, 11, 29, 9, 0, 0, 123456, tzinfo=UTC), 42)
    assert decode_cursor(encode_cursor(order.tag, key), order, AuditEvent) == key


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "",
        "bzo1",  # the former offset cursors ("o:5")
        _forged(2, "email,id", "a@x.test", 1),  # another version
        _forged(1, "-at,-id", "a@x.test", 1),  # another connection's ordering
        _forged(1, "email,id", "a@x.test"),  # too few values
        _forged(1, "email,id", "a@x.test", "1"),  # an id that is not a number
        _forged(1, "email,id", "a@x.test", True),
        _forged(1, "email,id", "a@x.test", 2**63),
        _forged(1, "email,id", "a\x00@x.test", 1),
        _forged(1, "email,id", "\ud800", 1),
        _forged(1, "email,id", "x" * 300, 1),
        _forged(True, "email,id", "a@x.test", 1),
        "é" * 10,
    ],
)
def test_a_cursor_we_did_not_issue_is_bad_user_input(cursor):
    with pytest.raises(BadUserInput):
        decode_cursor(cursor, Keyset(("email", "id")), User)


@pytest.mark.parametrize("at", ["2026-11-29T09:00:00", "yesterday", 5])
def test_a_cursor_with_a_time_that_is_not_an_aware_timestamp_is_bad_user_input(at):
    with pytest.raises(BadUserInput):
        decode_cursor(_forged(1, "-at,-id", at, 1), Keyset(("-at", "-id")), AuditEvent)


async def test_a_users_cursor_given_to_the_audit_log_is_bad_user_input():
    fx = await make_org()
    await make_user(fx)
    cursor = (await execute(USERS, {"first": 1}, token=fx.token)).data["users"]["pageInfo"]["endCursor"]
    result = await execute("query($a: String) { auditEvents(first: 1, after: $a) { totalCount } }", {"a": cursor}, token=fx.token)
    assert result.data is None and error_codes(result) == ["BAD_USER_INPUT"]
