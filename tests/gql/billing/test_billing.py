from datetime import timedelta

import pytest

from seatwise.models.core.tables import AdminRole, Charge, ChargeStatus, Organization, StatusReason, SubscriptionStatus
from tests.billing_support import DECLINES_ON_ADD, DECLINES_ON_CHARGE, MASTERCARD, VISA, add_card, changed, snapshot, subscription
from tests.support import NOW, error_codes, execute, gid, make_org, make_user, token_for

SUB = (
    "id quantity status statusReason currentPeriodStart currentPeriodEnd cancelAtPeriodEnd product { sku } paymentCard { last4 }"
)

ADD_CARD = """
mutation($input: AddPaymentCardInput!) {
  addPaymentCard(input: $input) {
    paymentCard { id brand last4 expMonth expYear isDefault expired createdAt }
    renewedSubscriptions { id status }
    userErrors { code message field }
  }
}"""

UPDATE_CARD = """
mutation($input: UpdatePaymentCardInput!) {
  updatePaymentCard(input: $input) {
    paymentCard { id expMonth expYear isDefault }
    renewedSubscriptions { id status currentPeriodStart }
    userErrors { code field }
  }
}"""

PURCHASE = f"""
mutation($input: PurchaseLicensesInput!) {{
  purchaseLicenses(input: $input) {{
    subscription {{ {SUB} }}
    charge {{ id amount {{ amountCents currency }} status failureCode description subscription {{ id }} }}
    seats {{ purchased assigned available }}
    userErrors {{ code message field }}
  }}
}}"""

REDUCE = f"""
mutation($input: ReduceLicensesInput!) {{
  reduceLicenses(input: $input) {{ subscription {{ {SUB} }} seats {{ purchased assigned }} userErrors {{ code field }} }}
}}"""

QUOTE = "query($sku: String!, $q: Int!) { purchaseQuote(productSku: $sku, quantity: $q) { product { sku } quantity amountDue { amountCents currency } prorated periodEnd } }"
CHARGES = "query($first: Int, $after: String) { charges(first: $first, after: $after) { totalCount edges { cursor node { amount { amountCents } status subscription { id } } } pageInfo { hasNextPage endCursor } } }"


async def sandbox():
    """A sandbox organization: its clock stays at NOW until a test moves it."""
    return await make_org(sandbox=True)


async def move_clock(fx, to):
    await Organization.filter(id=fx.org.id).update(test_clock_now=to)


def card_input(number=VISA, **extra):
    return {"number": number, "expMonth": 12, "expYear": 2030, "cvc": "123", **extra}


def buy_input(sku="CRM_BASIC", quantity=1, key="k1"):
    return {"productSku": sku, "quantity": quantity, "idempotencyKey": key}


async def test_add_payment_card_shows_only_the_masked_card():
    fx = await sandbox()
    result = await execute(ADD_CARD, {"input": card_input("5555-5555-5555-4444", makeDefault=False)}, token=fx.token)
    assert result.errors is None
    payload = result.data["addPaymentCard"]
    card = payload["paymentCard"]
    assert (card["brand"], card["last4"], card["expMonth"], card["expYear"], card["isDefault"], card["expired"]) == (
        "MASTERCARD",
        "4444",
        12,
        2030,
        True,
        False,
    )
    assert (payload["renewedSubscriptions"], payload["userErrors"]) == ([], [])
    cards = (await execute("{ paymentCards { last4 isDefault } }", token=fx.token)).data["paymentCards"]
    assert cards == [{"last4": "4444", "isDefault": True}]


async def test_add_payment_card_refusal_is_a_user_error_and_changes_nothing():
    fx = await sandbox()
    before = await snapshot()
    result = await execute(ADD_CARD, {"input": card_input(DECLINES_ON_ADD)}, token=fx.token)
    assert result.data["addPaymentCard"]["paymentCard"] is None
    assert [e["code"] for e in result.data["addPaymentCard"]["userErrors"]] == ["CARD_DECLINED"]
    result = await execute(ADD_CARD, {"input": card_input(expMonth=13)}, token=fx.token)
    assert result.data["addPaymentCard"]["userErrors"][0] == {
        "code": "INVALID_EXPIRY",
        "message": "The expiry month is 1 to 12.",
        "field": ["input", "expMonth"],
    }
    assert changed(before, await snapshot()) == set()


async def test_add_payment_card_retry_lists_renewed_subscriptions():
    fx = await sandbox()
    past_due = await subscription(
        fx,
        "CRM_BASIC",
        1,
        start=NOW - timedelta(days=40),
        status=SubscriptionStatus.SUSPENDED,
        reason=StatusReason.PAYMENT_FAILED,
    )
    result = await execute(ADD_CARD, {"input": card_input()}, token=fx.token)
    assert result.data["addPaymentCard"]["renewedSubscriptions"] == [
        {"id": gid("ProductSubscription", past_due.id), "status": "ACTIVE"}
    ]


async def test_update_payment_card_and_unknown_card_is_not_found():
    fx, other = await sandbox(), await sandbox()
    card = await add_card(fx)
    foreign = await add_card(other)
    result = await execute(UPDATE_CARD, {"input": {"cardId": str(card.id), "expMonth": 5, "expYear": 2032}}, token=fx.token)
    assert result.data["updatePaymentCard"]["paymentCard"] == {
        "id": gid("PaymentCard", card.id),
        "expMonth": 5,
        "expYear": 2032,
        "isDefault": True,
    }
    before = await snapshot()
    for card_id in (str(foreign.id), "nope"):
        result = await execute(UPDATE_CARD, {"input": {"cardId": card_id, "expMonth": 5, "expYear": 2032}}, token=fx.token)
        assert result.data["updatePaymentCard"] == {
            "paymentCard": None,
            "renewedSubscriptions": [],
            "userErrors": [{"code": "NOT_FOUND", "field": ["input", "cardId"]}],
        }
    assert changed(before, await snapshot()) == set()


async def test_purchase_licenses_returns_subscription_charge_and_seats():
    fx = await sandbox()
    await add_card(fx)
    result = await execute(PURCHASE, {"input": buy_input("CRM_PROFESSIONAL", 2)}, token=fx.token)
    assert result.errors is None
    payload = result.data["purchaseLicenses"]
    sub, charge = payload["subscription"], payload["charge"]
    assert (sub["quantity"], sub["status"], sub["product"], sub["paymentCard"]) == (
        2,
        "ACTIVE",
        {"sku": "CRM_PROFESSIONAL"},
        {"last4": "4242"},
    )
    assert (sub["currentPeriodStart"], sub["currentPeriodEnd"]) == ("2026-11-29T09:00:00Z", "2026-12-29T09:00:00Z")
    assert charge["amount"] == {"amountCents": 13000, "currency": "USD"} and charge["status"] == "SUCCEEDED"
    assert charge["subscription"] == {"id": sub["id"]} and charge["failureCode"] is None
    assert payload["seats"] == {"purchased": 2, "assigned": 0, "available": 2} and payload["userErrors"] == []
    again = await execute(PURCHASE, {"input": buy_input("CRM_PROFESSIONAL", 2)}, token=fx.token)
    assert again.data["purchaseLicenses"]["charge"]["id"] == charge["id"]
    reused = await execute(PURCHASE, {"input": buy_input("CRM_PROFESSIONAL", 3)}, token=fx.token)
    assert reused.data["purchaseLicenses"]["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await Charge.all().count() == 1


@pytest.mark.parametrize(
    ("input", "code"),
    [
        (buy_input(quantity=0), "INVALID_QUANTITY"),
        (buy_input(key=""), "INVALID_INPUT"),
        (buy_input(sku="CRM_GOLD"), "UNKNOWN_PRODUCT"),
    ],
)
async def test_purchase_input_errors_change_nothing(input, code):
    fx = await sandbox()
    await add_card(fx)
    before = await snapshot()
    result = await execute(PURCHASE, {"input": input}, token=fx.token)
    payload = result.data["purchaseLicenses"]
    assert (payload["subscription"], payload["charge"], payload["seats"]) == (None, None, None)
    assert [e["code"] for e in payload["userErrors"]] == [code]
    assert changed(before, await snapshot()) == set()


async def test_purchase_without_card_and_with_declining_card():
    fx = await sandbox()
    result = await execute(PURCHASE, {"input": buy_input()}, token=fx.token)
    assert result.data["purchaseLicenses"]["userErrors"][0]["code"] == "NO_PAYMENT_CARD"
    await add_card(fx, DECLINES_ON_CHARGE)
    before = await snapshot()
    result = await execute(PURCHASE, {"input": buy_input()}, token=fx.token)
    assert result.data["purchaseLicenses"]["subscription"] is None
    assert result.data["purchaseLicenses"]["userErrors"][0]["code"] == "CARD_DECLINED"
    assert changed(before, await snapshot()) == {"Charge", "AuditEvent"}
    charges = (await execute(CHARGES, token=fx.token)).data["charges"]
    assert [(e["node"]["status"], e["node"]["subscription"]) for e in charges["edges"]] == [("FAILED", None)]


async def test_purchase_quote_matches_the_prorated_purchase():
    fx = await sandbox()
    await add_card(fx)
    await subscription(fx, "CRM_BASIC", 1)
    await move_clock(fx, NOW + timedelta(days=15))
    quote = (await execute(QUOTE, {"sku": "CRM_BASIC", "q": 3}, token=fx.token)).data["purchaseQuote"]
    assert quote == {
        "product": {"sku": "CRM_BASIC"},
        "quantity": 3,
        "amountDue": {"amountCents": 4500, "currency": "USD"},
        "prorated": True,
        "periodEnd": "2026-12-29T09:00:00Z",
    }
    result = await execute(PURCHASE, {"input": buy_input("CRM_BASIC", 3)}, token=fx.token)
    assert result.data["purchaseLicenses"]["charge"]["amount"]["amountCents"] == 4500
    assert result.data["purchaseLicenses"]["subscription"]["quantity"] == 4


async def test_purchase_quote_with_bad_arguments_is_a_top_level_error_with_the_domain_code():
    fx = await sandbox()
    for variables, code, argument in (
        ({"sku": "CRM_BASIC", "q": 0}, "INVALID_QUANTITY", ["quantity"]),
        ({"sku": "NOPE", "q": 1}, "UNKNOWN_PRODUCT", ["productSku"]),
    ):
        result = await execute(QUOTE, variables, token=fx.token)
        assert result.data is None and error_codes(result) == [code]
        assert result.errors[0].extensions["field"] == argument


async def test_reduce_licenses_through_the_api():
    fx = await sandbox()
    sub = await subscription(fx, "CRM_BASIC", 4)
    await make_user(fx, skus=["CRM_BASIC"])
    result = await execute(REDUCE, {"input": {"subscriptionId": str(sub.id), "quantity": 3}}, token=fx.token)
    assert result.data["reduceLicenses"]["subscription"]["quantity"] == 1
    assert result.data["reduceLicenses"]["seats"] == {"purchased": 1, "assigned": 1}
    before = await snapshot()
    for sub_id, quantity, code in ((str(sub.id), 1, "INVALID_QUANTITY"), ("0", 1, "NOT_FOUND")):
        result = await execute(REDUCE, {"input": {"subscriptionId": sub_id, "quantity": quantity}}, token=fx.token)
        assert result.data["reduceLicenses"]["subscription"] is None
        assert [e["code"] for e in result.data["reduceLicenses"]["userErrors"]] == [code]
    assert changed(before, await snapshot()) == set()


async def test_subscription_queries_filter_and_scope():
    fx, other = await sandbox(), await sandbox()
    active = await subscription(fx, "CRM_BASIC", 1)
    cancelled = await subscription(fx, "CRM_ESSENTIAL", 1, status=SubscriptionStatus.CANCELLED)
    foreign = await subscription(other, "CRM_BASIC", 1)
    everything = (await execute("{ subscriptions { id } }", token=fx.token)).data["subscriptions"]
    assert everything == [{"id": gid("ProductSubscription", active.id)}, {"id": gid("ProductSubscription", cancelled.id)}]
    only = await execute(
        "query($s: [SubscriptionStatus!]) { subscriptions(status: $s) { id status } }", {"s": ["CANCELLED"]}, token=fx.token
    )
    assert only.data["subscriptions"] == [{"id": gid("ProductSubscription", cancelled.id), "status": "CANCELLED"}]
    one = "query($id: ID!) { subscription(id: $id) { id product { sku } } }"
    assert (await execute(one, {"id": str(active.id)}, token=fx.token)).data["subscription"] == {
        "id": gid("ProductSubscription", active.id),
        "product": {"sku": "CRM_BASIC"},
    }
    assert (await execute(one, {"id": str(foreign.id)}, token=fx.token)).data["subscription"] is None
    assert (await execute(one, {"id": "x"}, token=fx.token)).data["subscription"] is None


async def test_charges_are_newest_first_and_paged():
    fx = await sandbox()
    await add_card(fx)
    for minute, sku in enumerate(("CRM_BASIC", "CRM_ESSENTIAL", "CRM_PROFESSIONAL")):
        await move_clock(fx, NOW + timedelta(minutes=minute))
        await execute(PURCHASE, {"input": buy_input(sku, 1, key=sku)}, token=fx.token)
    page = (await execute(CHARGES, {"first": 2}, token=fx.token)).data["charges"]
    assert [e["node"]["amount"]["amountCents"] for e in page["edges"]] == [6500, 1500]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"]
    rest = (await execute(CHARGES, {"first": 2, "after": page["pageInfo"]["endCursor"]}, token=fx.token)).data["charges"]
    assert [e["node"]["amount"]["amountCents"] for e in rest["edges"]] == [3000]
    assert error_codes(await execute(CHARGES, {"first": 101}, token=fx.token)) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("role", [AdminRole.USER_ADMIN, AdminRole.READER])
async def test_billing_mutations_are_forbidden_to_roles_without_billing(role):
    fx = await sandbox()
    await add_card(fx)
    sub = await subscription(fx, "CRM_BASIC", 3)
    admin = await make_user(fx, role=role)
    token = await token_for(fx, admin, role)
    before = await snapshot()
    for query, variables in (
        (ADD_CARD, {"input": card_input(MASTERCARD)}),
        (UPDATE_CARD, {"input": {"cardId": "1", "expMonth": 1, "expYear": 2031}}),
        (PURCHASE, {"input": buy_input()}),
        (REDUCE, {"input": {"subscriptionId": str(sub.id), "quantity": 1}}),
    ):
        result = await execute(query, variables, token=token)
        assert result.data is None and error_codes(result) == ["FORBIDDEN"]
    assert changed(before, await snapshot()) == set()
    assert (await execute("{ paymentCards { last4 } charges { totalCount } }", token=token)).errors is None


async def test_billing_admin_may_buy():
    fx = await sandbox()
    await add_card(fx)
    admin = await make_user(fx, role=AdminRole.BILLING_ADMIN)
    token = await token_for(fx, admin, AdminRole.BILLING_ADMIN)
    result = await execute(PURCHASE, {"input": buy_input()}, token=token)
    assert result.data["purchaseLicenses"]["charge"]["status"] == "SUCCEEDED"
    assert await Charge.filter(status=ChargeStatus.SUCCEEDED).count() == 1


async def test_a_card_number_sent_with_the_wrong_type_is_not_echoed_in_errors():
    fx = await make_org()
    document = "mutation($i: AddPaymentCardInput!) { addPaymentCard(input: $i) { paymentCard { id } } }"
    result = await execute(
        document, {"i": {"number": 4242424242424242, "expMonth": 12, "expYear": 2030, "cvc": 987}}, token=fx.token
    )
    assert result.data is None
    assert [e.message for e in result.errors] == [
        "Variable '$i' has invalid value at .number: String cannot represent a non string value.",
        "Variable '$i' has invalid value at .cvc: String cannot represent a non string value.",
    ]
    assert not any("4242424242424242" in e.message or "987" in e.message for e in result.errors)
    inline = 'mutation { addPaymentCard(input: {number: 4242424242424242, expMonth: 12, expYear: 2030, cvc: "987"}) { paymentCard { id } } }'
    result = await execute(inline, token=fx.token)
    assert result.data is None and [e.message for e in result.errors] == ["String cannot represent a non string value."]
    assert error_codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
