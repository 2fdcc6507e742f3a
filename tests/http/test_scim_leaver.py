"""A leaver, end to end over real HTTP: the directory deactivates a person licensed through a directory group,
and in that same request their license goes to the first person waiting; the product's access check denies
the leaver and allows the waiter; the audit trail names the SCIM token's owner, `details.via = "scim"`."""

from __future__ import annotations

import httpx
import pytest

from seatwise.models.core.tables import LicenseAssignment, LicenseWait
from tests.scim_http_support import Scim, graphql, member_ids, ok, scim_org
from tests.support import Server, give_licenses, key_of

SKU = "CRM_PROFESSIONAL"

GRANT = """
mutation Grant($id: ID!, $skus: [String!]) {
  updateGroup(input: {groupId: $id, productSkus: $skus}) { group { id } userErrors { code message } }
}
"""
ACCESS = """
query Access($a: String!, $b: String!, $sku: String!) {
  a: accessCheck(email: $a, productSku: $sku) { allowed reason }
  b: accessCheck(email: $b, productSku: $sku) { allowed reason }
  seats(productSku: $sku) { purchased assigned available waiting }
}
"""
AUDIT = """
query Audit { auditEvents(first: 100) { edges { node { id action actor targetType targetId details } } } }
"""


@pytest.fixture(scope="module")
def server():
    running = Server().wait_ready()
    yield running
    running.stop()


async def audit_events(client: httpx.AsyncClient, url: str, token: str) -> list[dict]:
    data = await graphql(client, url, AUDIT, None, token)
    return sorted((edge["node"] for edge in data["auditEvents"]["edges"]), key=lambda event: int(key_of(event["id"])))


async def test_a_leaver_deactivated_over_scim_hands_the_license_to_the_first_waiter_in_the_same_request(server):
    org = await scim_org("Leavers")
    admin_token = org.fx.token
    await give_licenses(org.fx, SKU, 1)
    async with httpx.AsyncClient(timeout=30) as client:
        scim = Scim(client, server.url, org.scim_token)
        alice = await scim.create_user("alice@leavers.test", name={"givenName": "Alice", "familyName": "Leaver"})
        bob = await scim.create_user("bob@leavers.test", name={"givenName": "Bob", "familyName": "Waiter"})
        sales = await scim.create_group("Sales")
        # Which products a directory group grants is set in Seatwise, never over SCIM.
        granted = await graphql(client, server.url, GRANT, {"id": sales["id"], "skus": [SKU]}, admin_token)
        assert granted["updateGroup"]["userErrors"] == []
        # The directory adds Alice, then Bob: Alice takes the one license, Bob waits.
        members = [{"value": alice["id"]}, {"value": bob["id"]}]
        ok(await scim.patch(f"/Groups/{sales['id']}", [{"op": "Add", "path": "members", "value": members}]))
        emails = {"a": "alice@leavers.test", "b": "bob@leavers.test", "sku": SKU}
        before = await graphql(client, server.url, ACCESS, emails, admin_token)
        assert before["a"] == {"allowed": True, "reason": None}
        assert before["b"] == {"allowed": False, "reason": "WAITING_FOR_LICENSE"}
        assert before["seats"] == [{"purchased": 1, "assigned": 1, "available": 0, "waiting": 1}]
        seen = {event["id"] for event in await audit_events(client, server.url, admin_token)}

        # Alice leaves the company: the directory deactivates her.
        response = await scim.patch(f"/Users/{alice['id']}", [{"op": "replace", "path": "active", "value": False}])
        assert ok(response)["active"] is False

        # No other request has run since: whatever changed, changed in that one.
        assert await LicenseAssignment.filter(product_id=SKU).values_list("user_id", flat=True) == [int(bob["id"])]
        assert not await LicenseWait.filter(product_id=SKU).exists()
        after = await graphql(client, server.url, ACCESS, emails, admin_token)
        assert after["a"] == {"allowed": False, "reason": "ACCOUNT_DELETED"}
        assert after["b"] == {"allowed": True, "reason": None}
        assert after["seats"] == [{"purchased": 1, "assigned": 1, "available": 0, "waiting": 0}]
        # The leaver stays readable over SCIM, inactive, and keeps the membership (a restore grants it again).
        assert ok(await scim.get(f"/Users/{alice['id']}"))["active"] is False
        assert member_ids(ok(await scim.get(f"/Groups/{sales['id']}"))) == sorted([alice["id"], bob["id"]])

        new = [event for event in await audit_events(client, server.url, admin_token) if event["id"] not in seen]
    by_action = {(event["action"], event["targetId"]): event for event in new}
    assert ("user.deleted", alice["id"]) in by_action, new
    assert ("license.assigned", bob["id"]) in by_action, new
    assert by_action[("license.assigned", bob["id"])]["details"].get("group") is not None
    for event in new:
        assert event["actor"] == org.owner, event
        assert event["details"].get("via") == "scim", event
