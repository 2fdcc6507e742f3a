"""The outdated-card story, end to end through the API and a sandbox's test clock.

A card valid to the end of this month pays for licenses; the renewal a month later fails with
CARD_EXPIRED; the grace period keeps access; the suspension after it opens a license conflict
caused by the failed payment, with four remedies, each of which settles it alone.
"""

from dataclasses import dataclass

from tests.support import NOW, execute, make_org

# NOW is 2026-11-29T09:00Z: the card (11/2026) is valid until 2026-12-01, the renewal is on 2026-12-29.
RENEWAL = "2026-12-29T09:00:00Z"
GRACE_ENDS = "2027-01-28T09:00:00Z"
AFTER_GRACE = "2027-01-28T10:00:00Z"

ADD_CARD = """
mutation($number: String!, $m: Int!, $y: Int!) {
  addPaymentCard(input: {number: $number, expMonth: $m, expYear: $y, cvc: "123"}) {
    paymentCard { id last4 isDefault } userErrors { code message }
  }
}
"""
UPDATE_CARD = """
mutation($card: ID!, $m: Int!, $y: Int!) {
  updatePaymentCard(input: {cardId: $card, expMonth: $m, expYear: $y}) {
    paymentCard { expired } renewedSubscriptions { id status currentPeriodStart } userErrors { code message }
  }
}
"""
PURCHASE = """
mutation($sku: String!, $qty: Int!, $key: String!) {
  purchaseLicenses(input: {productSku: $sku, quantity: $qty, idempotencyKey: $key}) {
    subscription { id status quantity } charge { status amount { amountCents } } seats { purchased assigned inConflict }
    userErrors { code message }
  }
}
"""
CREATE_USER = """
mutation($email: String!) {
  createUser(input: {email: $email, displayName: "Member", productSkus: ["CRM_BASIC"]}) { user { id email status } userErrors { code } }
}
"""
ADVANCE = """
mutation($to: DateTime!) { advanceTestClock(input: {to: $to}) { organization { now } userErrors { code message } } }
"""
STATE = """
query($sub: ID!) {
  subscription(id: $sub) { status statusReason graceEndsAt suspendedAt }
  seats(productSku: "CRM_BASIC") { purchased assigned overage inConflict }
  licenseConflicts {
    overage causes
    affectedUsers { edges { node { id email } } }
    remedies { kind description quote { quantity amountDue { amountCents } } }
  }
  alerts { kind }
  charges(first: 5) { edges { node { status failureCode } } }
}
"""
ACCESS = """query($email: String!) { accessCheck(email: $email, productSku: "CRM_BASIC") { allowed reason } }"""
REVOKE = """
mutation($user: ID!) { revokeLicense(input: {userId: $user, productSku: "CRM_BASIC"}) { seats { inConflict } userErrors { code } } }
"""
DELETE = """mutation($user: ID!) { deleteUser(input: {userId: $user}) { user { status } userErrors { code } } }"""


@dataclass
class Story:
    token: str
    card_id: str
    subscription_id: str
    members: list[dict]

    async def run(self, query: str, **variables) -> dict:
        result = await execute(query, variables, token=self.token)
        assert result.errors is None, result.errors
        return result.data

    async def state(self) -> dict:
        state = await self.run(STATE, sub=self.subscription_id)
        [state["seats"]] = state["seats"]
        return state

    async def allowed(self) -> list[bool]:
        return [(await self.run(ACCESS, email=m["email"]))["accessCheck"]["allowed"] for m in self.members]


async def _bought_with_an_outdated_card() -> Story:
    fx = await make_org("Story", sandbox=True, now=NOW)
    story = Story(fx.token, "", "", [])
    added = (await story.run(ADD_CARD, number="4242 4242 4242 4242", m=11, y=2026))["addPaymentCard"]
    assert added["userErrors"] == [] and added["paymentCard"]["isDefault"]
    story.card_id = added["paymentCard"]["id"]
    bought = (await story.run(PURCHASE, sku="CRM_BASIC", qty=3, key="story-1"))["purchaseLicenses"]
    assert bought["userErrors"] == [] and bought["charge"]["status"] == "SUCCEEDED"
    story.subscription_id = bought["subscription"]["id"]
    for index in range(3):
        created = (await story.run(CREATE_USER, email=f"member{index}@story.test"))["createUser"]
        assert created["userErrors"] == []
        story.members.append(created["user"])
    return story


async def _advance(story: Story, to: str) -> None:
    moved = (await story.run(ADVANCE, to=to))["advanceTestClock"]
    assert moved["userErrors"] == [] and moved["organization"]["now"] == to


async def _in_conflict() -> Story:
    story = await _bought_with_an_outdated_card()
    await _advance(story, RENEWAL)
    await _advance(story, AFTER_GRACE)
    return story


async def test_the_renewal_fails_on_the_expired_card_and_the_grace_period_keeps_access():
    story = await _bought_with_an_outdated_card()
    assert [a["kind"] for a in (await story.state())["alerts"]] == ["CARD_EXPIRING", "SEATS_LOW"]

    await _advance(story, RENEWAL)

    state = await story.state()
    assert state["subscription"] == {
        "status": "GRACE_PERIOD",
        "statusReason": "PAYMENT_FAILED",
        "graceEndsAt": GRACE_ENDS,
        "suspendedAt": None,
    }
    assert state["charges"]["edges"][0]["node"] == {"status": "FAILED", "failureCode": "CARD_EXPIRED"}
    assert state["seats"] == {"purchased": 3, "assigned": 3, "overage": 0, "inConflict": False}
    assert state["licenseConflicts"] == []
    assert [a["kind"] for a in state["alerts"]] == ["PAYMENT_FAILED", "SEATS_LOW"]
    assert await story.allowed() == [True, True, True]


async def test_the_suspension_after_the_grace_period_opens_a_conflict_with_four_remedies():
    story = await _in_conflict()

    state = await story.state()
    assert state["subscription"]["status"] == "SUSPENDED"
    assert state["subscription"]["suspendedAt"] is not None
    assert state["seats"] == {"purchased": 0, "assigned": 3, "overage": 3, "inConflict": True}
    [conflict] = state["licenseConflicts"]
    assert (conflict["overage"], conflict["causes"]) == (3, ["PAYMENT_FAILED"])
    assert [e["node"]["id"] for e in conflict["affectedUsers"]["edges"]] == [m["id"] for m in reversed(story.members)]
    assert [r["kind"] for r in conflict["remedies"]] == [
        "PURCHASE_LICENSES",
        "REVOKE_LICENSES",
        "DELETE_USERS",
        "RECLAIM_IDLE_LICENSES",  # months into the story, the members' licenses are idle 30 days or more
        "UPDATE_PAYMENT_CARD",
    ]
    assert conflict["remedies"][0]["quote"] == {"quantity": 3, "amountDue": {"amountCents": 9000}}
    assert [a["kind"] for a in state["alerts"]][:2] == ["LICENSE_CONFLICT", "PAYMENT_FAILED"]
    assert await story.allowed() == [False, False, False]


async def test_revoking_the_overage_licenses_settles_the_conflict():
    story = await _in_conflict()
    [conflict] = (await story.state())["licenseConflicts"]

    for edge in conflict["affectedUsers"]["edges"]:
        revoked = (await story.run(REVOKE, user=edge["node"]["id"]))["revokeLicense"]
        assert revoked["userErrors"] == []

    state = await story.state()
    assert state["licenseConflicts"] == []
    assert state["seats"] == {"purchased": 0, "assigned": 0, "overage": 0, "inConflict": False}
    assert state["subscription"]["status"] == "SUSPENDED"  # nothing else changed


async def test_deleting_the_overage_users_settles_the_conflict():
    story = await _in_conflict()
    [conflict] = (await story.state())["licenseConflicts"]

    for edge in conflict["affectedUsers"]["edges"]:
        deleted = (await story.run(DELETE, user=edge["node"]["id"]))["deleteUser"]
        assert deleted == {"user": {"status": "DELETED"}, "userErrors": []}

    state = await story.state()
    assert state["licenseConflicts"] == []
    assert state["subscription"]["status"] == "SUSPENDED"


async def test_updating_the_card_expiry_renews_the_subscription_and_settles_the_conflict():
    story = await _in_conflict()

    updated = (await story.run(UPDATE_CARD, card=story.card_id, m=12, y=2030))["updatePaymentCard"]

    assert updated["userErrors"] == [] and updated["paymentCard"] == {"expired": False}
    assert updated["renewedSubscriptions"] == [
        {"id": story.subscription_id, "status": "ACTIVE", "currentPeriodStart": AFTER_GRACE}
    ]
    state = await story.state()
    assert state["licenseConflicts"] == []
    assert state["seats"] == {"purchased": 3, "assigned": 3, "overage": 0, "inConflict": False}
    assert state["charges"]["edges"][0]["node"] == {"status": "SUCCEEDED", "failureCode": None}
    assert await story.allowed() == [True, True, True]


async def test_purchasing_the_overage_settles_the_conflict():
    # A purchase needs a working default card, and adding or fixing one first renews every SUSPENDED
    # subscription (which alone settles the conflict). A purchase is the remedy on its own once the
    # unpaid subscription is CANCELLED, 90 days into its suspension.
    story = await _in_conflict()
    await _advance(story, "2027-04-29T09:00:00Z")
    state = await story.state()
    assert state["subscription"]["status"] == "CANCELLED" and state["subscription"]["statusReason"] == "PAYMENT_FAILED"
    [conflict] = state["licenseConflicts"]
    assert conflict["causes"] == ["PAYMENT_FAILED"]
    kinds = ["PURCHASE_LICENSES", "REVOKE_LICENSES", "DELETE_USERS", "RECLAIM_IDLE_LICENSES"]  # idle for months by now
    assert [r["kind"] for r in conflict["remedies"]] == kinds
    added = (await story.run(ADD_CARD, number="5555 5555 5555 4444", m=12, y=2030))["addPaymentCard"]
    assert added["userErrors"] == []

    bought = (await story.run(PURCHASE, sku="CRM_BASIC", qty=conflict["overage"], key="settle"))["purchaseLicenses"]

    assert bought["userErrors"] == []
    assert bought["charge"]["amount"]["amountCents"] == conflict["remedies"][0]["quote"]["amountDue"]["amountCents"]
    assert bought["seats"] == {"purchased": 3, "assigned": 3, "inConflict": False}
    assert (await story.state())["licenseConflicts"] == []
    assert await story.allowed() == [True, True, True]


async def test_fixing_the_card_during_the_grace_period_renews_the_subscription_before_any_conflict():
    story = await _bought_with_an_outdated_card()
    await _advance(story, RENEWAL)
    await _advance(story, "2027-01-05T09:00:00Z")  # daily retries on the expired card keep failing

    updated = (await story.run(UPDATE_CARD, card=story.card_id, m=1, y=2028))["updatePaymentCard"]

    assert updated["renewedSubscriptions"] == [
        {"id": story.subscription_id, "status": "ACTIVE", "currentPeriodStart": "2027-01-05T09:00:00Z"}
    ]
    state = await story.state()
    assert state["subscription"]["status"] == "ACTIVE" and state["subscription"]["graceEndsAt"] is None
    assert [a["kind"] for a in state["alerts"]] == ["SEATS_LOW"]
    await _advance(story, AFTER_GRACE)
    assert (await story.state())["licenseConflicts"] == []
