"""The admin guide's examples run on the demo organization and do what the guide says."""

from datetime import datetime, timedelta

from graphql import OperationDefinitionNode, parse

from seatwise.models.billing.gateways.sandbox import create_token
from seatwise.models.core.clock import utcnow
from seatwise.models.demo import seed as demo
from seatwise.models.people import auth
from tests.billing_support import VISA
from tests.gql.test_docs_examples import EXAMPLES
from tests.support import error_codes, execute


def _guide_operations() -> dict[str, str]:
    """The named operations of docs/admin-guide.md, by name."""
    named = {}
    for where, source in EXAMPLES:
        if not where.startswith("docs/admin-guide.md"):
            continue
        for definition in parse(source).definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                named[definition.name.value] = source
    return named


GUIDE = _guide_operations()


def _guide_examples() -> list[tuple[str, str]]:
    return [(where, source) for where, source in EXAMPLES if where.startswith("docs/admin-guide.md")]


async def _sandbox_token() -> str:
    """What the console's card form gets from the sandbox tokenizer (POST /sandbox-gateway/tokens)."""
    return (await create_token(VISA, 12, 2030, "123", wall=utcnow())).token


async def _run(name: str, token: str, variables: dict | None = None) -> dict:
    result = await execute(GUIDE[name], variables, token=token)
    assert result.errors is None, (name, [e.message for e in result.errors])
    return result.data


async def test_every_admin_guide_example_runs_on_the_demo_without_a_top_level_error():
    built = await demo.build_demo("guide")
    now = (await execute("{ organization { now } }", token=built.token)).data["organization"]["now"]
    variables = {
        "SignIn": {"email": "admin@guide.demo.seatwise.example", "password": "not the password"},
        "Holders": {"sku": "CRM_BASIC"},
        "NewUser": {"email": "new.hire@guide.demo.seatwise.example", "name": "New Hire"},
        "Bulk": {"userIds": ["999999"], "sku": "CRM_BASIC"},
        "Quote": {"sku": "CRM_BASIC", "quantity": 2},
        "Buy": {"sku": "CRM_BASIC", "quantity": 2, "key": "guide-buy"},
        "AddCard": {"token": await _sandbox_token()},
        "RemoveCard": {"id": "999999"},
        "MakeDefault": {"id": "999999"},
        "Resume": {"id": "999999"},
        "Restore": {"id": "999999"},
        "Revoke": {"id": "999999"},
        "Cancel": {"id": "999999", "reason": "Consolidating tools"},
        "Audit": {},
        "Preview": {"ids": ["999999"]},
        "Apply": {"ids": ["999999"], "plan": "not-a-plan"},
        "Advance": {"to": (datetime.fromisoformat(now) + timedelta(days=1)).isoformat()},
        "ChangePassword": {"current": built.password, "new": "a brand new passphrase"},
    }
    ran = 0
    for where, source in _guide_examples():
        operation = next(d for d in parse(source).definitions if isinstance(d, OperationDefinitionNode))
        if operation.operation.value == "subscription":
            continue  # live events need a WebSocket; tests/http/test_events_ws.py covers them
        name = operation.name.value if operation.name else None
        token = built.token
        if name == "ChangePassword":  # a session (an API token gets FORBIDDEN), as the guide says
            token, _ = await auth.sign_in(built.admin.email, built.password, now=utcnow())
        result = await execute(source, variables.get(name), token=token)
        assert result.errors is None, (where, error_codes(result), [e.message for e in result.errors])
        ran += 1
    assert ran >= 25


async def test_the_guide_settles_the_demo_conflict_buys_idempotently_and_fixes_the_outdated_card():
    built = await demo.build_demo("story")
    token = built.token

    # A script's token with the least role it needs, then a new hire with two licenses.
    created = (await execute(GUIDE["CreateToken"], token=token)).data["createApiToken"]
    hr = created["token"]
    assert created["apiToken"]["role"] == "USER_ADMIN"
    # The demo's Sales group has someone waiting for CRM_BASIC: of two more licenses the waiter takes the first.
    more = (await _run("Buy", token, {"sku": "CRM_BASIC", "quantity": 2, "key": "story-basic"}))["purchaseLicenses"]
    assert more["userErrors"] == [] and more["seats"]["available"] == 1
    new_hire = {"email": "new.hire@story.demo.seatwise.example", "name": "New Hire"}
    hire = (await _run("NewUser", hr, new_hire))["createUser"]
    assert hire["userErrors"] == [] and hire["user"]["status"] == "ACTIVE"

    # No free CRM_ESSENTIAL license is left: the bulk assignment changes nothing and names the item.
    holders = await _run("Holders", token, {"sku": "CRM_BASIC"})
    ids = [
        edge["node"]["id"]
        for edge in holders["users"]["edges"]
        if "CRM_ESSENTIAL" not in {lic["product"]["sku"] for lic in edge["node"]["licenses"]}
    ]
    assert len(ids) >= 2
    bulk = (await _run("Bulk", hr, {"userIds": ids, "sku": "CRM_ESSENTIAL"}))["assignLicenses"]
    assert bulk["userErrors"][0]["code"] == "NO_LICENSES_AVAILABLE" and bulk["assigned"] == []

    # Quote, then buy twice with one key: one charge, the first result again.
    quote = (await _run("Quote", token, {"sku": "CRM_ESSENTIAL", "quantity": len(ids)}))["purchaseQuote"]
    buy = {"sku": "CRM_ESSENTIAL", "quantity": len(ids), "key": "story-essential"}
    first = (await _run("Buy", token, buy))["purchaseLicenses"]
    again = (await _run("Buy", token, buy))["purchaseLicenses"]
    assert first["userErrors"] == [] and first["charge"]["amount"] == quote["amountDue"]
    assert again["charge"]["id"] == first["charge"]["id"]
    assert (await _run("Bulk", hr, {"userIds": ids, "sku": "CRM_ESSENTIAL"}))["assignLicenses"]["userErrors"] == []

    # The demo conflict (cancelled for non-payment) is settled by buying its overage.
    conflict = (await execute("{ licenseConflicts { product { sku } overage } }", token=token)).data["licenseConflicts"]
    assert conflict == [{"product": {"sku": "CRM_PROFESSIONAL"}, "overage": 3}]
    settle = {"sku": "CRM_PROFESSIONAL", "quantity": 3, "key": "story-settle"}
    assert (await _run("Buy", token, settle))["purchaseLicenses"]["userErrors"] == []
    assert (await execute("{ licenseConflicts { overage } }", token=token)).data["licenseConflicts"] == []

    # The outdated card: a month later the renewals fail on the expired card; a new card pays them at once.
    now = (await execute("{ organization { now } }", token=token)).data["organization"]["now"]
    later = (datetime.fromisoformat(now) + timedelta(days=32)).isoformat()
    assert (await _run("Advance", token, {"to": later}))["advanceTestClock"]["userErrors"] == []
    past_due = (await execute("{ subscriptions(status: [GRACE_PERIOD]) { id } }", token=token)).data["subscriptions"]
    assert past_due
    old_card = next(
        c for c in (await execute("{ paymentCards { id isDefault } }", token=token)).data["paymentCards"] if c["isDefault"]
    )
    card = (await _run("AddCard", token, {"token": await _sandbox_token()}))["addPaymentCard"]
    assert card["userErrors"] == [] and card["paymentCard"]["isDefault"]
    assert {s["id"] for s in card["renewedSubscriptions"]} == {s["id"] for s in past_due}
    assert all(s["status"] == "ACTIVE" for s in card["renewedSubscriptions"])
    # The outdated card goes; the new one stays the default. It could not go first while it was the only one paying.
    removed = (await _run("RemoveCard", token, {"id": old_card["id"]}))["removePaymentCard"]
    assert removed["userErrors"] == [] and removed["defaultCard"]["id"] == card["paymentCard"]["id"]

    # Cancelling needs a recent export first.
    subscription = past_due[0]["id"]
    cancel = {"id": subscription, "reason": "Consolidating tools"}
    refused = (await _run("Cancel", token, cancel))["cancelSubscription"]
    assert refused["userErrors"][0]["code"] == "DATA_EXPORT_REQUIRED"
    exported = await execute("mutation { exportData(input: {format: JSON}) { userErrors { code } } }", token=token)
    assert exported.data["exportData"]["userErrors"] == []
    cancelled = (await _run("Cancel", token, cancel))["cancelSubscription"]
    assert cancelled["userErrors"] == [] and cancelled["subscription"]["cancelAtPeriodEnd"] is True
    assert cancelled["serviceRequest"]["status"] == "RESOLVED"
    # Changing one's mind before the period ends: it renews again; resuming it once more changes nothing.
    resumed = (await _run("Resume", token, {"id": subscription}))["resumeSubscription"]
    assert resumed["userErrors"] == [] and resumed["subscription"]["cancelAtPeriodEnd"] is False
    cancelled = (await _run("Cancel", token, cancel))["cancelSubscription"]
    assert cancelled["userErrors"] == []

    # The audit trail shows it, newest first.
    audit = (await _run("Audit", token))["auditEvents"]["edges"]
    newest = {edge["node"]["action"] for edge in audit[:2]}
    assert newest == {"subscription.cancel_requested", "service_request.submitted"}
