"""The preview of a cancellation at period end (docs/rules.md section 13): the dry run works out, inside its
rolled-back change, the billing clock's own step that ends the subscription when the cancellation takes effect, as of
that date, so `losingAccess` names the (user, product) pairs that go into CONFLICT then (SUBSCRIPTION_CANCELLED) and
`effectiveAt` is that date. Nothing is kept; the plan applies exactly the real cancellation (it only marks the
subscription), and the clock at the period end puts exactly the previewed users into CONFLICT."""

from datetime import timedelta

from seatwise.models.clock.run import run_clock
from seatwise.models.core.tables import Organization, SeatPool, StatusReason, Subscription, SubscriptionStatus
from tests.billing_support import add_card, subscription
from tests.gql.plans.test_billing_previews import CANCEL, STALE, _everything, _z
from tests.support import NOW, execute, gid, make_org, make_user, recount

STATE = "query($id: ID!) { user(id: $id) { licenses { state } } }"
START = NOW - timedelta(days=10)


async def _two_subscriptions(holders: int):
    """A sandbox organization (its clock at NOW) with a card; CRM_BASIC from a subscription of 5 licenses and another
    of 2, both bought 10 days before NOW, and `holders` users holding it, the oldest first."""
    fx = await make_org(sandbox=True, now=START)
    await add_card(fx, now=START)
    big = await subscription(fx, "CRM_BASIC", 5, start=START)
    await subscription(fx, "CRM_BASIC", 2, start=START)
    users = [await make_user(fx, skus=["CRM_BASIC"], now=START + timedelta(minutes=i)) for i in range(holders)]
    await Organization.filter(id=fx.org.id).update(test_clock_now=NOW)
    await execute("{ viewer { role } }", token=fx.token)  # the token's first use is written once
    return fx, big, users


def _losing(users) -> list[dict]:
    return [
        {
            "user": {"id": gid("User", u.id)},
            "product": {"sku": "CRM_BASIC"},
            "before": "ACTIVE",
            "after": "CONFLICT",
            "reason": "SUBSCRIPTION_CANCELLED",
        }
        for u in users
    ]


async def _states(fx, users) -> list[str]:
    found = [(await execute(STATE, {"id": gid("User", u.id)}, token=fx.token)).data["user"]["licenses"] for u in users]
    return [licenses[0]["state"] for licenses in found]


async def test_the_preview_names_who_goes_into_conflict_at_period_end_and_keeps_nothing(gateway_calls, published):
    fx, big, users = await _two_subscriptions(5)
    before = await _everything()
    published.clear()  # the setup's events
    cancel = {"subscriptionId": gid("ProductSubscription", big.id), "reason": "Too many", "acknowledgeDataLoss": True}
    dry = (await execute(CANCEL, {"input": {**cancel, "dryRun": True}}, token=fx.token)).data["cancelSubscription"]
    assert dry["userErrors"] == [] and dry["subscription"] is None and dry["serviceRequest"] is None
    preview = dry["preview"]
    assert preview["losingAccess"] == _losing(users[2:]) and preview["totalLosingAccess"] == 3
    assert preview["gainingAccess"] == [] and preview["totalGainingAccess"] == 0
    assert preview["seats"] == [
        {
            "before": {"purchased": 7, "assigned": 5, "waiting": 0, "inConflict": False},
            "after": {"purchased": 2, "assigned": 5, "waiting": 0, "inConflict": True},
        }
    ]
    assert preview["effectiveAt"] == _z(big.current_period_end) and big.current_period_end > NOW
    assert preview["monthlyChange"] == {"amountCents": -5 * 3000, "currency": "USD"} and preview["charge"] is None
    assert await _everything() == before  # no status, request, audit, line or version kept
    assert published == [] and gateway_calls == []


async def test_the_plan_only_marks_the_subscription_and_the_clock_does_what_was_previewed():
    fx, big, users = await _two_subscriptions(5)
    cancel = {"subscriptionId": gid("ProductSubscription", big.id), "reason": "Too many", "acknowledgeDataLoss": True}
    dry = (await execute(CANCEL, {"input": {**cancel, "dryRun": True}}, token=fx.token)).data["cancelSubscription"]
    previewed = {entry["user"]["id"] for entry in dry["preview"]["losingAccess"]}
    other = await execute(
        CANCEL, {"input": {**cancel, "reason": "Other", "planToken": dry["preview"]["planToken"]}}, token=fx.token
    )
    assert other.data["cancelSubscription"]["userErrors"] == STALE  # bound to the input
    plan = {**cancel, "planToken": dry["preview"]["planToken"]}
    applied = (await execute(CANCEL, {"input": plan}, token=fx.token)).data["cancelSubscription"]
    assert applied["userErrors"] == [] and applied["preview"] is None
    assert applied["subscription"] == {"id": cancel["subscriptionId"], "status": "ACTIVE", "cancelAtPeriodEnd": True}
    pool = await SeatPool.filter(organization_id=fx.org.id, product_id="CRM_BASIC").values_list("purchased", "assigned")
    assert pool == [(7, 5)]
    assert await _states(fx, users) == ["ACTIVE"] * 5  # nothing changes until the period end
    await run_clock(big.current_period_end, org=fx.org)
    ended = await Subscription.get(id=big.id)
    assert ended.status is SubscriptionStatus.CANCELLED and ended.status_reason is StatusReason.CANCELLED_BY_REQUEST
    assert await _states(fx, users) == ["ACTIVE"] * 2 + ["CONFLICT"] * 3
    assert previewed == {gid("User", u.id) for u in users[2:]}


async def test_licenses_in_conflict_already_are_not_listed_again():
    fx, big, users = await _two_subscriptions(7)
    await Subscription.filter(id=big.id).update(quantity=6)
    await recount(fx.org.id, "CRM_BASIC")
    users.append(await make_user(fx, skus=["CRM_BASIC"], now=START + timedelta(minutes=7)))
    await Subscription.filter(id=big.id).update(quantity=5)  # 7 count: the newest holder is in CONFLICT already
    await recount(fx.org.id, "CRM_BASIC")
    cancel = {
        "subscriptionId": gid("ProductSubscription", big.id),
        "reason": "Too many",
        "acknowledgeDataLoss": True,
        "dryRun": True,
    }
    preview = (await execute(CANCEL, {"input": cancel}, token=fx.token)).data["cancelSubscription"]["preview"]
    assert preview["losingAccess"] == _losing(users[2:7]) and preview["totalLosingAccess"] == 5
    assert [(s["before"]["inConflict"], s["after"]["purchased"]) for s in preview["seats"]] == [(True, 2)]


async def test_a_preview_where_the_other_licenses_cover_everyone_names_nobody():
    fx, big, _ = await _two_subscriptions(2)
    cancel = {
        "subscriptionId": gid("ProductSubscription", big.id),
        "reason": "Too many",
        "acknowledgeDataLoss": True,
        "dryRun": True,
    }
    preview = (await execute(CANCEL, {"input": cancel}, token=fx.token)).data["cancelSubscription"]["preview"]
    assert preview["losingAccess"] == [] and preview["totalLosingAccess"] == 0
    assert preview["seats"][0]["after"] == {"purchased": 2, "assigned": 2, "waiting": 0, "inConflict": False}
    assert preview["effectiveAt"] == _z(big.current_period_end)


async def test_a_past_due_subscription_set_to_cancel_ends_at_the_next_run_in_the_preview():
    fx, _, _ = await _two_subscriptions(0)
    late = await subscription(
        fx,
        "CRM_BASIC",
        3,
        start=NOW - timedelta(days=40),
        status=SubscriptionStatus.GRACE_PERIOD,
        reason=StatusReason.PAYMENT_FAILED,
    )
    users = [await make_user(fx, skus=["CRM_BASIC"], now=START + timedelta(minutes=i)) for i in range(8)]
    before = await _everything()
    cancel = {
        "subscriptionId": gid("ProductSubscription", late.id),
        "reason": "Unpaid",
        "acknowledgeDataLoss": True,
        "dryRun": True,
    }
    preview = (await execute(CANCEL, {"input": cancel}, token=fx.token)).data["cancelSubscription"]["preview"]
    assert preview["losingAccess"] == _losing(users[7:]) and preview["effectiveAt"] == _z(NOW)
    assert [(s["before"]["purchased"], s["after"]["purchased"]) for s in preview["seats"]] == [(10, 7)]
    assert await _everything() == before
