"""Dry runs of the billing changes (docs/rules.md section 13): purchaseLicenses, reduceLicenses and cancelSubscription
work the change out as it would be made, price included, and keep nothing: no row, audit event, charge, live event or
gateway call. The preview says what would be charged now, how the monthly bill changes and when; its plan token
applies exactly that change (a purchase: at the previewed price) or is PLAN_STALE."""

from datetime import timedelta

import pytest
from tortoise import Tortoise

from seatwise.models.billing import gateways
from seatwise.models.core.clock import add_months
from seatwise.models.core.tables import Charge, Organization, StatusReason, Subscription, SubscriptionStatus
from seatwise.models.events.live import broker
from seatwise.models.seats import licenses
from tests.billing_support import add_card, subscription
from tests.support import NOW, execute, gid, make_org, make_user, recount

PREVIEW = """preview {
      losingAccess { user { id } product { sku } before after reason } totalLosingAccess
      gainingAccess { user { id } before after reason } totalGainingAccess
      seats { before { purchased assigned waiting inConflict } after { purchased assigned waiting inConflict } }
      charge { quantity amountDue { amountCents } prorated periodEnd }
      monthlyChange { amountCents currency } effectiveAt planToken planExpiresAt
    }"""
PURCHASE = f"""
mutation($input: PurchaseLicensesInput!) {{
  purchaseLicenses(input: $input) {{
    subscription {{ id quantity }} charge {{ amount {{ amountCents }} }} seats {{ purchased }} {PREVIEW}
    userErrors {{ code field }}
  }}
}}"""
REDUCE = f"""
mutation($input: ReduceLicensesInput!) {{
  reduceLicenses(input: $input) {{ subscription {{ id quantity }} seats {{ purchased }} {PREVIEW} userErrors {{ code field }} }}
}}"""
CANCEL = f"""
mutation($input: CancelSubscriptionInput!) {{
  cancelSubscription(input: $input) {{
    subscription {{ id status cancelAtPeriodEnd }} serviceRequest {{ id }} {PREVIEW} userErrors {{ code field }}
  }}
}}"""
QUOTE = (
    'query($q: Int!) { purchaseQuote(productSku: "CRM_BASIC", quantity: $q) { amountDue { amountCents } prorated periodEnd } }'
)
STALE = [{"code": "PLAN_STALE", "field": ["input", "planToken"]}]


def _z(when) -> str:
    return when.isoformat().replace("+00:00", "Z")


async def _everything() -> dict:
    """Every row of every table, to tell that a dry run kept nothing."""
    return {name: sorted(map(str, await model.all().values())) for name, model in Tortoise.apps["seatwise"].items()}


@pytest.fixture
def gateway_calls(monkeypatch):
    """Every charge the payment gateway is asked for (the real sandbox gateway answers them)."""
    gateway, calls = gateways.gateway(), []
    charge = gateway.charge

    async def recorded(*args, **kwargs):
        calls.append(kwargs.get("idempotency_key"))
        return await charge(*args, **kwargs)

    monkeypatch.setattr(gateway, "charge", recorded)
    return calls


@pytest.fixture
def published(monkeypatch):
    """Every live event published."""
    events = []
    publish = broker.publish_many

    def recorded(batch):
        events.extend(batch)
        return publish(batch)

    monkeypatch.setattr(broker, "publish_many", recorded)
    return events


async def _sandbox_with_a_plan():
    """A sandbox organization (its clock stays at NOW) with a card, and CRM_BASIC: 2 licenses bought 10 days before
    NOW, both held."""
    fx = await make_org(sandbox=True, now=NOW - timedelta(days=10))
    await add_card(fx, now=NOW - timedelta(days=10))
    sub = await subscription(fx, "CRM_BASIC", 2, start=NOW - timedelta(days=10))
    holders = [await make_user(fx, skus=["CRM_BASIC"], now=NOW - timedelta(days=9, minutes=-i)) for i in range(2)]
    await Organization.filter(id=fx.org.id).update(test_clock_now=NOW)
    await execute("{ viewer { role } }", token=fx.token)  # the token's first use is written once
    return fx, sub, holders


async def test_a_dry_run_purchase_prices_the_change_and_keeps_nothing(gateway_calls, published):
    fx, sub, _ = await _sandbox_with_a_plan()
    quote = (await execute(QUOTE, {"q": 3}, token=fx.token)).data["purchaseQuote"]
    before = await _everything()
    published.clear()  # the setup's events
    payload = (
        await execute(
            PURCHASE,
            {"input": {"productSku": "CRM_BASIC", "quantity": 3, "idempotencyKey": "k1", "dryRun": True}},
            token=fx.token,
        )
    ).data["purchaseLicenses"]
    assert payload["userErrors"] == [] and payload["subscription"] is None and payload["charge"] is None
    preview = payload["preview"]
    assert preview["charge"] == {"quantity": 3, **quote}
    assert preview["charge"]["prorated"] is True and preview["charge"]["periodEnd"] == _z(sub.current_period_end)
    assert preview["monthlyChange"] == {"amountCents": 3 * 3000, "currency": "USD"}
    assert preview["seats"] == [
        {
            "before": {"purchased": 2, "assigned": 2, "waiting": 0, "inConflict": False},
            "after": {"purchased": 5, "assigned": 2, "waiting": 0, "inConflict": False},
        }
    ]
    assert preview["losingAccess"] == [] and preview["effectiveAt"] == _z(NOW)
    assert await _everything() == before  # no subscription, key, attempt, charge, audit or version moved
    assert gateway_calls == [] and published == []


async def test_the_purchase_plan_charges_the_previewed_price_once(gateway_calls):
    fx, sub, _ = await _sandbox_with_a_plan()
    purchase = {"productSku": "CRM_BASIC", "quantity": 3, "idempotencyKey": "k1"}
    dry = (await execute(PURCHASE, {"input": {**purchase, "dryRun": True}}, token=fx.token)).data["purchaseLicenses"]
    previewed = dry["preview"]["charge"]["amountDue"]["amountCents"]
    await Organization.filter(id=fx.org.id).update(test_clock_now=NOW + timedelta(minutes=10))  # the prorated price fell
    later = (await execute(QUOTE, {"q": 3}, token=fx.token)).data["purchaseQuote"]["amountDue"]["amountCents"]
    assert later < previewed
    plan = {**purchase, "planToken": dry["preview"]["planToken"]}
    applied = (await execute(PURCHASE, {"input": plan}, token=fx.token)).data["purchaseLicenses"]
    assert applied["userErrors"] == [] and applied["preview"] is None
    assert applied["charge"] == {"amount": {"amountCents": previewed}}
    assert applied["subscription"] == {"id": gid("ProductSubscription", sub.id), "quantity": 5} and applied["seats"] == {
        "purchased": 5
    }
    again = (await execute(PURCHASE, {"input": plan}, token=fx.token)).data["purchaseLicenses"]  # a retry: the key's result
    assert again["charge"] == applied["charge"] and len(gateway_calls) == 1 and await Charge.all().count() == 1


async def test_a_purchase_plan_is_stale_before_the_gateway_is_asked(gateway_calls):
    fx, _, holders = await _sandbox_with_a_plan()
    other = await make_org("Other", sandbox=True, now=NOW - timedelta(days=10))
    await add_card(other, now=NOW - timedelta(days=10))
    purchase = {"productSku": "CRM_BASIC", "quantity": 3, "idempotencyKey": "k1"}
    dry = (await execute(PURCHASE, {"input": {**purchase, "dryRun": True}}, token=fx.token)).data["purchaseLicenses"]
    token = dry["preview"]["planToken"]
    foreign = (await execute(PURCHASE, {"input": {**purchase, "dryRun": True}}, token=other.token)).data["purchaseLicenses"]
    attempts = [
        {**purchase, "quantity": 4, "planToken": token},  # another input
        {**purchase, "idempotencyKey": "k2", "planToken": token},  # another input
        {**purchase, "planToken": foreign["preview"]["planToken"]},  # another organization's
        {**purchase, "planToken": token[:-2] + ("AA" if not token.endswith("AA") else "BB")},  # forged
    ]
    for attempt in attempts:
        refused = (await execute(PURCHASE, {"input": attempt}, token=fx.token)).data["purchaseLicenses"]
        assert refused["userErrors"] == STALE and refused["subscription"] is None
    await licenses.revoke_license(fx.org, str(holders[0].id), "CRM_BASIC", actor=fx.actor, now=NOW)  # the seat state moves
    stale = (await execute(PURCHASE, {"input": {**purchase, "planToken": token}}, token=fx.token)).data["purchaseLicenses"]
    assert stale["userErrors"] == STALE
    assert gateway_calls == [] and not await Charge.exists()
    fresh = (await execute(PURCHASE, {"input": purchase}, token=fx.token)).data["purchaseLicenses"]  # the key is still free
    assert fresh["userErrors"] == [] and len(gateway_calls) == 1


async def test_an_expired_purchase_plan_is_stale(gateway_calls):
    fx, _, _ = await _sandbox_with_a_plan()
    purchase = {"productSku": "CRM_BASIC", "quantity": 1, "idempotencyKey": "k1"}
    dry = (await execute(PURCHASE, {"input": {**purchase, "dryRun": True}}, token=fx.token)).data["purchaseLicenses"]
    assert dry["preview"]["planExpiresAt"] == _z(NOW + timedelta(minutes=15))
    await Organization.filter(id=fx.org.id).update(test_clock_now=NOW + timedelta(minutes=16))
    plan = {**purchase, "planToken": dry["preview"]["planToken"]}
    assert (await execute(PURCHASE, {"input": plan}, token=fx.token)).data["purchaseLicenses"]["userErrors"] == STALE
    assert gateway_calls == []


async def test_a_dry_run_purchase_answers_what_the_purchase_would(gateway_calls):
    fx, _, _ = await _sandbox_with_a_plan()
    no_card = await make_org("Cardless", sandbox=True)
    await execute("{ viewer { role } }", token=no_card.token)
    before = await _everything()
    cases = [
        ({"quantity": 0}, "INVALID_QUANTITY", ["input", "quantity"]),
        ({"quantity": 10001}, "INVALID_QUANTITY", ["input", "quantity"]),
        ({"idempotencyKey": ""}, "INVALID_INPUT", ["input", "idempotencyKey"]),
        ({"productSku": "NOPE"}, "UNKNOWN_PRODUCT", ["input", "productSku"]),
    ]
    for change, code, field in cases:
        purchase = {"productSku": "CRM_BASIC", "quantity": 1, "idempotencyKey": "k1", "dryRun": True, **change}
        payload = (await execute(PURCHASE, {"input": purchase}, token=fx.token)).data["purchaseLicenses"]
        assert payload["userErrors"] == [{"code": code, "field": field}] and payload["preview"] is None
    purchase = {"productSku": "CRM_BASIC", "quantity": 1, "idempotencyKey": "k1", "dryRun": True}
    payload = (await execute(PURCHASE, {"input": purchase}, token=no_card.token)).data["purchaseLicenses"]
    assert payload["userErrors"] == [{"code": "NO_PAYMENT_CARD", "field": None}]
    assert await _everything() == before and gateway_calls == []


async def test_a_dry_run_with_a_used_key_answers_as_the_retry_would(gateway_calls):
    fx, _, _ = await _sandbox_with_a_plan()
    purchase = {"productSku": "CRM_BASIC", "quantity": 1, "idempotencyKey": "k1"}
    first = (await execute(PURCHASE, {"input": purchase}, token=fx.token)).data["purchaseLicenses"]
    same = (await execute(PURCHASE, {"input": {**purchase, "dryRun": True}}, token=fx.token)).data["purchaseLicenses"]
    assert same["charge"] == first["charge"] and same["preview"] is None
    other = {**purchase, "quantity": 2, "dryRun": True}
    reused = (await execute(PURCHASE, {"input": other}, token=fx.token)).data["purchaseLicenses"]
    assert reused["userErrors"] == [{"code": "IDEMPOTENCY_KEY_REUSED", "field": ["input", "idempotencyKey"]}]
    assert len(gateway_calls) == 1


async def test_a_dry_run_purchase_of_a_product_in_conflict_settles_it_in_the_preview(gateway_calls):
    fx, sub, holders = await _sandbox_with_a_plan()
    await Subscription.filter(id=sub.id).update(quantity=1)  # one license counts, two held: the second in CONFLICT
    await recount(fx.org.id, "CRM_BASIC")
    purchase = {"productSku": "CRM_BASIC", "quantity": 1, "idempotencyKey": "k1", "dryRun": True}
    preview = (await execute(PURCHASE, {"input": purchase}, token=fx.token)).data["purchaseLicenses"]["preview"]
    assert preview["gainingAccess"] == [
        {"user": {"id": gid("User", holders[1].id)}, "before": "CONFLICT", "after": "ACTIVE", "reason": "CONFLICT_SETTLED"}
    ]
    assert preview["seats"][0]["before"]["inConflict"] is True and preview["seats"][0]["after"]["inConflict"] is False


async def test_a_dry_run_reduction_previews_the_lower_bill_and_its_plan_applies(published):
    fx, _, _ = await _sandbox_with_a_plan()
    big = await subscription(fx, "CRM_BASIC", 5, start=NOW - timedelta(days=10))
    before = await _everything()
    published.clear()  # the setup's events
    reduce = {"subscriptionId": str(big.id), "quantity": 3}
    dry = (await execute(REDUCE, {"input": {**reduce, "dryRun": True}}, token=fx.token)).data["reduceLicenses"]
    assert dry["userErrors"] == [] and dry["subscription"] is None
    preview = dry["preview"]
    assert preview["monthlyChange"] == {"amountCents": -3 * 3000, "currency": "USD"} and preview["charge"] is None
    assert [(s["before"]["purchased"], s["after"]["purchased"]) for s in preview["seats"]] == [(7, 4)]
    assert preview["losingAccess"] == [] and preview["effectiveAt"] == _z(NOW)
    assert await _everything() == before and published == []
    applied = (await execute(REDUCE, {"input": {**reduce, "planToken": preview["planToken"]}}, token=fx.token)).data
    assert applied["reduceLicenses"]["subscription"] == {"id": gid("ProductSubscription", big.id), "quantity": 2}
    again = (await execute(REDUCE, {"input": {**reduce, "quantity": 1, "planToken": preview["planToken"]}}, token=fx.token)).data
    assert again["reduceLicenses"]["userErrors"] == STALE


async def test_a_dry_run_reduction_refuses_as_the_reduction_would():
    fx, sub, _ = await _sandbox_with_a_plan()
    before = await _everything()
    cases = [
        ({"quantity": 0}, "INVALID_QUANTITY", ["input", "quantity"]),
        ({"quantity": 2}, "INVALID_QUANTITY", ["input", "quantity"]),  # would leave none
        ({"subscriptionId": "999999"}, "NOT_FOUND", ["input", "subscriptionId"]),
    ]
    for change, code, field in cases:
        reduce = {"subscriptionId": str(sub.id), "quantity": 1, "dryRun": True, **change}
        payload = (await execute(REDUCE, {"input": reduce}, token=fx.token)).data["reduceLicenses"]
        assert payload["userErrors"] == [{"code": code, "field": field}] and payload["preview"] is None
    in_use = (
        await execute(REDUCE, {"input": {"subscriptionId": str(sub.id), "quantity": 1, "dryRun": True}}, token=fx.token)
    ).data
    assert in_use["reduceLicenses"]["userErrors"] == [{"code": "LICENSES_IN_USE", "field": ["input", "quantity"]}]
    assert await _everything() == before


async def test_a_dry_run_of_cancelling_now_names_who_goes_into_conflict(published):
    fx, sub, holders = await _sandbox_with_a_plan()
    spare = await subscription(fx, "CRM_BASIC", 1, start=NOW - timedelta(days=10))
    before = await _everything()
    published.clear()  # the setup's events
    cancel = {"subscriptionId": str(sub.id), "reason": "Too many", "immediately": True, "acknowledgeDataLoss": True}
    dry = (await execute(CANCEL, {"input": {**cancel, "dryRun": True}}, token=fx.token)).data["cancelSubscription"]
    assert dry["userErrors"] == [] and dry["subscription"] is None and dry["serviceRequest"] is None
    preview = dry["preview"]
    assert preview["losingAccess"] == [
        {
            "user": {"id": gid("User", holders[1].id)},
            "product": {"sku": "CRM_BASIC"},
            "before": "ACTIVE",
            "after": "CONFLICT",
            "reason": "SUBSCRIPTION_CANCELLED",
        }
    ]
    assert preview["totalLosingAccess"] == 1
    assert preview["seats"][0]["after"] == {"purchased": 1, "assigned": 2, "waiting": 0, "inConflict": True}
    assert preview["monthlyChange"] == {"amountCents": -2 * 3000, "currency": "USD"} and preview["charge"] is None
    assert preview["effectiveAt"] == _z(NOW)
    assert await _everything() == before and published == []  # no request, audit, status or live event
    applied = (await execute(CANCEL, {"input": {**cancel, "planToken": preview["planToken"]}}, token=fx.token)).data
    assert applied["cancelSubscription"]["subscription"]["status"] == "CANCELLED"
    assert (await Subscription.get(id=spare.id)).status is SubscriptionStatus.ACTIVE


async def test_a_dry_run_of_cancelling_at_period_end_says_when():
    fx, sub, _ = await _sandbox_with_a_plan()
    before = await _everything()
    cancel = {"subscriptionId": str(sub.id), "reason": "Too many", "acknowledgeDataLoss": True}
    dry = (await execute(CANCEL, {"input": {**cancel, "dryRun": True}}, token=fx.token)).data["cancelSubscription"]
    preview = dry["preview"]
    assert preview["effectiveAt"] == _z(add_months(NOW - timedelta(days=10), 1))
    assert preview["losingAccess"] == [] and preview["monthlyChange"] == {"amountCents": -2 * 3000, "currency": "USD"}
    assert await _everything() == before
    refused = await execute(CANCEL, {"input": {**cancel, "reason": "Other", "planToken": preview["planToken"]}}, token=fx.token)
    assert refused.data["cancelSubscription"]["userErrors"] == STALE
    no_export = {**cancel, "acknowledgeDataLoss": False, "dryRun": True}
    required = (await execute(CANCEL, {"input": no_export}, token=fx.token)).data["cancelSubscription"]
    assert required["userErrors"] == [{"code": "DATA_EXPORT_REQUIRED", "field": ["input", "acknowledgeDataLoss"]}]
    assert await _everything() == before


async def test_previews_of_changes_that_bill_nothing_have_no_charge_or_monthly_change():
    fx, _, holders = await _sandbox_with_a_plan()
    document = f'mutation {{ revokeLicense(input: {{userId: "{holders[0].id}", productSku: "CRM_BASIC", dryRun: true}}) {{ {PREVIEW} }} }}'
    preview = (await execute(document, token=fx.token)).data["revokeLicense"]["preview"]
    assert preview["charge"] is None and preview["monthlyChange"] is None and preview["totalLosingAccess"] == 1


async def test_cancelling_a_suspended_subscription_changes_no_monthly_bill():
    fx, _, _ = await _sandbox_with_a_plan()
    suspended = await subscription(
        fx,
        "CRM_BASIC",
        3,
        start=NOW - timedelta(days=70),
        status=SubscriptionStatus.SUSPENDED,
        reason=StatusReason.PAYMENT_FAILED,
    )
    cancel = {"subscriptionId": str(suspended.id), "reason": "Unpaid", "immediately": True, "acknowledgeDataLoss": True}
    preview = (await execute(CANCEL, {"input": {**cancel, "dryRun": True}}, token=fx.token)).data["cancelSubscription"]["preview"]
    assert preview["monthlyChange"] == {"amountCents": 0, "currency": "USD"} and preview["losingAccess"] == []
