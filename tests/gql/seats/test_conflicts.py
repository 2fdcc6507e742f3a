from datetime import timedelta

from seatwise.models.catalog import prices
from seatwise.models.core.clock import utcnow
from seatwise.models.core.tables import AdminRole
from seatwise.models.seats import licenses as seats
from tests.events_support import card, suspend
from tests.support import NOW, count_selects, error_codes, execute, gid, give_licenses, make_org, make_user, token_for

CONFLICTS = """
query Conflicts($first: Int, $after: String) {
  licenseConflicts {
    product { sku name }
    purchased assigned overage causes
    affectedUsers(first: $first, after: $after) {
      totalCount
      edges { cursor node { email licenses { product { sku } state } } }
      pageInfo { hasNextPage endCursor }
    }
    remedies { kind description quote { quantity amountDue { amountCents currency } prorated periodEnd product { sku } } }
  }
}
"""

ALERTS = """
query { alerts { kind message dueAt product { sku } subscription { id status } paymentCard { last4 expired } } }
"""


async def _conflict(fx, *, assigned: int = 4, counting: int = 2):
    """`assigned` users of CRM_BASIC, one minute apart; then all but `counting` licenses are suspended."""
    await card(fx, 12, 2030)
    await give_licenses(fx, "CRM_BASIC", counting)
    lapsing = await give_licenses(fx, "CRM_BASIC", assigned - counting)
    people = []
    for index in range(assigned):
        user = await make_user(fx)
        await seats.assign_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW + timedelta(minutes=index))
        people.append(user)
    await suspend(lapsing)
    return people


async def test_license_conflicts_show_numbers_causes_affected_users_and_remedies():
    fx = await make_org(sandbox=True)  # its clock stays at NOW: the quote is predictable
    people = await _conflict(fx)

    result = await execute(CONFLICTS, {"first": 100}, token=fx.token)

    assert result.errors is None
    [conflict] = result.data["licenseConflicts"]
    assert conflict["product"] == {"sku": "CRM_BASIC", "name": "CRM Online Basic"}
    assert (conflict["purchased"], conflict["assigned"], conflict["overage"]) == (2, 4, 2)
    assert conflict["causes"] == ["PAYMENT_FAILED"]
    affected = conflict["affectedUsers"]
    assert affected["totalCount"] == 2
    assert [e["node"]["email"] for e in affected["edges"]] == [people[3].email, people[2].email]
    assert all(e["node"]["licenses"] == [{"product": {"sku": "CRM_BASIC"}, "state": "CONFLICT"}] for e in affected["edges"])
    kinds = [r["kind"] for r in conflict["remedies"]]
    assert kinds == ["PURCHASE_LICENSES", "REVOKE_LICENSES", "DELETE_USERS", "UPDATE_PAYMENT_CARD"]
    quote = conflict["remedies"][0]["quote"]
    expected = await prices.quote(fx.org, "CRM_BASIC", 2, NOW)
    assert quote["quantity"] == 2 and quote["product"] == {"sku": "CRM_BASIC"}
    assert quote["amountDue"] == {"amountCents": expected.amount_cents, "currency": "USD"}
    assert [r["quote"] for r in conflict["remedies"][1:]] == [None, None, None]


async def test_affected_users_page_with_first_and_after():
    fx = await make_org()
    people = await _conflict(fx, assigned=5, counting=2)

    first = (await execute(CONFLICTS, {"first": 2}, token=fx.token)).data["licenseConflicts"][0]["affectedUsers"]
    rest = (await execute(CONFLICTS, {"first": 2, "after": first["pageInfo"]["endCursor"]}, token=fx.token)).data[
        "licenseConflicts"
    ][0]["affectedUsers"]

    assert [e["node"]["email"] for e in first["edges"] + rest["edges"]] == [people[4].email, people[3].email, people[2].email]
    assert (first["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasNextPage"]) == (True, False)


async def test_an_invalid_first_or_cursor_is_bad_user_input():
    fx = await make_org()
    await _conflict(fx)
    assert error_codes(await execute(CONFLICTS, {"first": 101}, token=fx.token)) == ["BAD_USER_INPUT"]
    assert error_codes(await execute(CONFLICTS, {"first": 10, "after": "nonsense"}, token=fx.token)) == ["BAD_USER_INPUT"]


async def test_junior_licenses_are_in_conflict_and_denied_access_seniors_keep_it():
    fx = await make_org()
    people = await _conflict(fx)
    query = """
    query($id: ID!, $email: String!) {
      user(id: $id) { licenses { state } }
      accessCheck(email: $email, productSku: "CRM_BASIC") { allowed reason }
    }
    """
    senior = await execute(query, {"id": str(people[0].id), "email": people[0].email}, token=fx.token)
    junior = await execute(query, {"id": str(people[3].id), "email": people[3].email}, token=fx.token)

    assert senior.data == {"user": {"licenses": [{"state": "ACTIVE"}]}, "accessCheck": {"allowed": True, "reason": None}}
    assert junior.data == {
        "user": {"licenses": [{"state": "CONFLICT"}]},
        "accessCheck": {"allowed": False, "reason": "LICENSE_CONFLICT"},
    }


async def test_no_conflicts_is_an_empty_list_and_a_reader_may_ask():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 3)
    reader = await make_user(fx, role=AdminRole.READER)
    result = await execute(CONFLICTS, token=await token_for(fx, reader, AdminRole.READER))
    assert result.errors is None and result.data == {"licenseConflicts": []}


async def test_conflicts_and_alerts_need_a_token():
    assert error_codes(await execute(CONFLICTS)) == ["UNAUTHENTICATED"]
    assert error_codes(await execute(ALERTS)) == ["UNAUTHENTICATED"]


async def test_another_organizations_conflict_is_not_shown():
    fx = await make_org()
    await _conflict(fx)
    other = await make_org("Other")
    result = await execute(CONFLICTS, token=other.token)
    assert result.data == {"licenseConflicts": []}


async def test_alerts_list_the_conflict_the_failed_payment_and_low_seats():
    fx = await make_org()
    await _conflict(fx)

    result = await execute(ALERTS, token=fx.token)

    assert result.errors is None
    found = result.data["alerts"]
    assert [a["kind"] for a in found] == ["LICENSE_CONFLICT", "PAYMENT_FAILED", "SEATS_LOW"]
    conflict, payment, low = found
    assert conflict["product"] == {"sku": "CRM_BASIC"} and conflict["dueAt"] is None and conflict["subscription"] is None
    assert payment["subscription"]["status"] == "SUSPENDED" and payment["dueAt"] == "2027-02-27T09:00:00Z"
    assert payment["paymentCard"] == {"last4": "4242", "expired": False}
    assert "4" in conflict["message"] and "2" in conflict["message"]
    assert low["product"] == {"sku": "CRM_BASIC"}


async def test_alerts_warn_of_a_card_expiring_before_the_renewal():
    # The API answers on the wall clock: a card valid to the end of this month, a subscription renewing next month.
    now = utcnow().replace(microsecond=0)
    fx = await make_org(now=now)
    await card(fx, now.month, now.year, last4="0005")
    sub = await give_licenses(fx, "CRM_ESSENTIAL", 3, now=now)

    [alert] = (await execute(ALERTS, token=fx.token)).data["alerts"]

    assert alert["kind"] == "CARD_EXPIRING"
    assert alert["subscription"] == {"id": gid("ProductSubscription", sub.id), "status": "ACTIVE"}
    assert alert["paymentCard"] == {"last4": "0005", "expired": False}
    assert alert["dueAt"] == sub.current_period_end.isoformat().replace("+00:00", "Z")


async def test_conflicts_with_their_affected_users_cost_the_same_queries_whatever_the_overage(monkeypatch):
    small, large = await make_org("Small"), await make_org("Large")
    await _conflict(small, assigned=3, counting=1)
    await _conflict(large, assigned=60, counting=10)

    few, few_queries = await count_selects(monkeypatch, execute(CONFLICTS, {"first": 100}, token=small.token))
    many, many_queries = await count_selects(monkeypatch, execute(CONFLICTS, {"first": 100}, token=large.token))

    assert few.errors is None and many.errors is None
    assert many.data["licenseConflicts"][0]["affectedUsers"]["totalCount"] == 50
    assert many_queries == few_queries, (few_queries, many_queries)


IDLE_REMEDY = """
query Idle($first: Int, $after: String) {
  licenseConflicts {
    remedies {
      kind description
      idleUsers(first: $first, after: $after) { totalCount edges { cursor node { email } } pageInfo { hasNextPage endCursor } }
    }
  }
}
"""


async def _idle_conflict(fx, idle: int, fresh: int = 1):
    """A CRM_BASIC conflict (the sandbox clock at NOW): `idle` holders assigned 40+ days ago, one day apart (the first
    idle longest), and `fresh` assigned at NOW; all but one license suspended."""
    await card(fx, 12, 2030)
    await give_licenses(fx, "CRM_BASIC", 1)
    lapsing = await give_licenses(fx, "CRM_BASIC", idle + fresh)
    people = []
    for index in range(idle + fresh):
        user = await make_user(fx)
        at = NOW - timedelta(days=40 + idle - index) if index < idle else NOW
        await seats.assign_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=at)
        people.append(user)
    await suspend(lapsing)
    return people


async def test_a_conflict_with_idle_licenses_offers_to_reclaim_them_longest_idle_first_page_by_page():
    # given a conflict on CRM_BASIC with 3 licenses idle 40 days or more and 1 used today
    fx = await make_org(sandbox=True)
    people = await _idle_conflict(fx, idle=3)

    # when the admin reads the remedies, the idle users a page of 2 at a time
    first = (await execute(IDLE_REMEDY, {"first": 2}, token=fx.token)).data["licenseConflicts"][0]["remedies"]
    [reclaim] = [r for r in first if r["kind"] == "RECLAIM_IDLE_LICENSES"]
    after = reclaim["idleUsers"]["pageInfo"]["endCursor"]
    second = (await execute(IDLE_REMEDY, {"first": 2, "after": after}, token=fx.token)).data["licenseConflicts"][0]["remedies"]

    # then the remedy counts and lists the idle holders, longest idle first; the other remedies have no idleUsers
    assert "3 licenses of CRM Online Basic are idle 30 days or more" in reclaim["description"]
    assert reclaim["idleUsers"]["totalCount"] == 3 and reclaim["idleUsers"]["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["email"] for e in reclaim["idleUsers"]["edges"]] == [people[0].email, people[1].email]
    [rest] = [r["idleUsers"] for r in second if r["kind"] == "RECLAIM_IDLE_LICENSES"]
    assert [e["node"]["email"] for e in rest["edges"]] == [people[2].email] and rest["pageInfo"]["hasNextPage"] is False
    assert all(r["idleUsers"] is None for r in first if r["kind"] != "RECLAIM_IDLE_LICENSES")


async def test_a_conflict_without_idle_licenses_offers_no_reclaim():
    fx = await make_org(sandbox=True)
    await _idle_conflict(fx, idle=0, fresh=2)
    remedies = (await execute(IDLE_REMEDY, {"first": 2}, token=fx.token)).data["licenseConflicts"][0]["remedies"]
    assert "RECLAIM_IDLE_LICENSES" not in [r["kind"] for r in remedies]


async def test_the_idle_users_of_a_remedy_cost_the_same_statements_for_3_and_for_40_idle_holders(monkeypatch):
    small, large = await make_org(sandbox=True), await make_org(sandbox=True)
    await _idle_conflict(small, idle=3)
    await _idle_conflict(large, idle=40)

    few, few_queries = await count_selects(monkeypatch, execute(IDLE_REMEDY, {"first": 100}, token=small.token))
    many, many_queries = await count_selects(monkeypatch, execute(IDLE_REMEDY, {"first": 100}, token=large.token))

    assert few.errors is None and many.errors is None
    [idle] = [r["idleUsers"] for r in many.data["licenseConflicts"][0]["remedies"] if r["idleUsers"]]
    assert idle["totalCount"] == 40 and len(idle["edges"]) == 40
    assert many_queries == few_queries, (few_queries, many_queries)
