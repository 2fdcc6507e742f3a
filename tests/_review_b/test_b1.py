from datetime import timedelta, datetime, timezone

from models import billing, renewals, support, exports, alerts as alert_rules, conflicts, cards
from models.tables import Organization, Subscription, SubscriptionStatus, StatusReason, Charge, ExportFormat, DataExportChunk
from tests.billing_support import VISA, add_card, subscription
from tests.support import NOW, error_codes, execute, make_org, make_user
from tests.clock_support import add_card as raw_card, subscribe, reload, charges_of, days

UPDATE_CARD = """mutation($input: UpdatePaymentCardInput!) { updatePaymentCard(input: $input) { paymentCard { id } userErrors { code field } } }"""
CANCEL = """mutation($input: CancelSubscriptionInput!) { cancelSubscription(input: $input) { subscription { id } userErrors { code field } } }"""
ADD_CARD = """mutation($input: AddPaymentCardInput!) { addPaymentCard(input: $input) { paymentCard { id } userErrors { code message field } } }"""


async def test_superscript_digit_id_is_internal_error_not_not_found():
    fx = await make_org(sandbox=True)
    await add_card(fx)
    r = await execute(UPDATE_CARD, {"input": {"cardId": "\u00b2", "expMonth": 12, "expYear": 2031}}, token=fx.token)
    print("update:", r.errors, r.data)
    r2 = await execute(CANCEL, {"input": {"subscriptionId": "\u00b9", "reason": "x", "acknowledgeDataLoss": True}}, token=fx.token)
    print("cancel:", r2.errors, r2.data)
    assert error_codes(r) == [] and r.data["updatePaymentCard"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_card_number_echoed_in_error_message():
    fx = await make_org(sandbox=True)
    r = await execute(ADD_CARD, {"input": {"number": 4242424242424242, "expMonth": 12, "expYear": 2030, "cvc": 987}}, token=fx.token)
    msgs = [e.message for e in r.errors or []]
    print(msgs)
    assert not any("4242424242424242" in m or "987" in m for m in msgs)
