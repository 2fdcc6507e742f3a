"""The API of cards through a processor (docs/rules.md section 18): addPaymentCard by token, removePaymentCard,
setDefaultPaymentCard, resumeSubscription; bad input is a userErrors entry naming the field, nothing changed."""

from __future__ import annotations

from seatwise.models.billing.gateways.sandbox import create_token
from seatwise.models.core.clock import utcnow
from seatwise.models.core.tables import PaymentCard, Subscription
from tests.billing_support import changed, snapshot
from tests.clock_support import subscribe
from tests.support import execute, gid, make_org

ADD = """mutation($input: AddPaymentCardInput!) { addPaymentCard(input: $input) {
  paymentCard { id last4 isDefault } userErrors { code field } } }"""
REMOVE = """mutation($id: ID!) { removePaymentCard(input: {cardId: $id}) {
  removedCardId defaultCard { id last4 isDefault } userErrors { code message field } } }"""
SET_DEFAULT = """mutation($id: ID!) { setDefaultPaymentCard(input: {cardId: $id}) {
  paymentCard { id isDefault } userErrors { code field } } }"""
RESUME = """mutation($id: ID!) { resumeSubscription(input: {subscriptionId: $id}) {
  subscription { id status cancelAtPeriodEnd } userErrors { code field } } }"""


async def _add(fx, number: str = "4242424242424242", make_default: bool = True) -> dict:
    token = (await create_token(number, 12, 2030, "123", wall=utcnow())).token
    result = await execute(ADD, {"input": {"token": token, "makeDefault": make_default}}, token=fx.token)
    assert result.errors is None, result.errors
    return result.data["addPaymentCard"]["paymentCard"]


async def test_cards_are_added_by_token_removed_and_made_default():
    fx = await make_org()
    first = await _add(fx)
    second = await _add(fx, "5555555555554444", make_default=False)

    made = await execute(SET_DEFAULT, {"id": second["id"]}, token=fx.token)
    assert made.data["setDefaultPaymentCard"] == {"paymentCard": {"id": second["id"], "isDefault": True}, "userErrors": []}

    removed = await execute(REMOVE, {"id": second["id"]}, token=fx.token)
    assert removed.data["removePaymentCard"] == {
        "removedCardId": second["id"],
        "defaultCard": {"id": first["id"], "last4": "4242", "isDefault": True},
        "userErrors": [],
    }


async def test_an_unknown_token_names_the_token_field_and_adds_nothing():
    fx = await make_org()
    result = await execute(ADD, {"input": {"token": "tok_made_up"}}, token=fx.token)
    assert result.data["addPaymentCard"] == {
        "paymentCard": None,
        "userErrors": [{"code": "INVALID_INPUT", "field": ["input", "token"]}],
    }
    assert not await PaymentCard.exists()


async def test_neither_token_nor_card_is_invalid_input():
    fx = await make_org()
    result = await execute(ADD, {"input": {}}, token=fx.token)
    assert result.data["addPaymentCard"]["userErrors"] == [{"code": "INVALID_INPUT", "field": ["input", "token"]}]


async def test_the_last_card_paying_for_subscriptions_is_in_use():
    fx = await make_org()
    card = await _add(fx)
    await subscribe(fx, "CRM_BASIC", 1)
    before = await snapshot()
    result = await execute(REMOVE, {"id": card["id"]}, token=fx.token)
    errors = result.data["removePaymentCard"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [("CARD_IN_USE", ["input", "cardId"])]
    assert result.data["removePaymentCard"]["removedCardId"] is None
    assert changed(before, await snapshot()) == set()


async def test_another_organizations_card_is_not_found():
    fx, other = await make_org(), await make_org("Other")
    theirs = await _add(other)
    theirs_id = next(c.id for c in await PaymentCard.filter(organization_id=other.org.id))
    for mutation, name in ((REMOVE, "removePaymentCard"), (SET_DEFAULT, "setDefaultPaymentCard")):
        result = await execute(mutation, {"id": theirs["id"]}, token=fx.token)
        assert [(e["code"], e["field"]) for e in result.data[name]["userErrors"]] == [("NOT_FOUND", ["input", "cardId"])]
    assert await PaymentCard.filter(id=theirs_id, is_default=True).exists()


async def test_a_subscription_set_to_cancel_is_resumed_and_a_cancelled_one_is_not():
    fx = await make_org()
    pending = await subscribe(fx, "CRM_BASIC", 1, cancel_at_period_end=True)
    result = await execute(RESUME, {"id": str(pending.id)}, token=fx.token)
    assert result.data["resumeSubscription"] == {
        "subscription": {"id": gid("ProductSubscription", pending.id), "status": "ACTIVE", "cancelAtPeriodEnd": False},
        "userErrors": [],
    }
    from seatwise.models.core.tables import SubscriptionStatus

    ended = await subscribe(fx, "CRM_ESSENTIAL", 1, status=SubscriptionStatus.CANCELLED)
    result = await execute(RESUME, {"id": str(ended.id)}, token=fx.token)
    assert result.data["resumeSubscription"] == {
        "subscription": None,
        "userErrors": [{"code": "SUBSCRIPTION_NOT_ACTIVE", "field": ["input", "subscriptionId"]}],
    }
    assert (await Subscription.get(id=ended.id)).status is SubscriptionStatus.CANCELLED


async def test_the_raw_card_fields_are_deprecated_and_the_token_is_not():
    fx = await make_org()
    result = await execute(
        '{ __type(name: "AddPaymentCardInput") { inputFields(includeDeprecated: true) { name isDeprecated deprecationReason } } }',
        token=fx.token,
    )
    fields = {f["name"]: f["isDeprecated"] for f in result.data["__type"]["inputFields"]}
    assert fields == {"number": True, "expMonth": True, "expYear": True, "cvc": True, "makeDefault": False, "token": False}
