from seatwise.models.core.tables import AdminRole, AuditEvent, ServiceRequest, Subscription
from tests.support import error_codes, execute, gid, give_licenses, make_org, make_user, token_for
from tests.support_helpers import CANCEL, EXPORT, SUBMIT

CONFLICTS = '{ licenseConflicts { product { sku } overage causes } seats(productSku: "CRM_BASIC") { purchased assigned overage inConflict } }'

REQUESTS = """
query($first: Int, $after: String, $status: ServiceRequestStatus) {
  serviceRequests(first: $first, after: $after, status: $status) {
    totalCount edges { cursor node { description status category } } pageInfo { hasNextPage endCursor }
  }
}"""


async def _export(fx):
    result = await execute(EXPORT, {"format": "CSV"}, token=fx.token)
    assert result.errors is None and result.data["exportData"]["dataExport"]["sizeBytes"] > 0


async def test_cancel_without_export_is_data_export_required_and_changes_nothing():
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_BASIC", 2)
    result = await execute(CANCEL, {"input": {"subscriptionId": str(sub.id), "reason": "Too expensive"}}, token=fx.token)
    payload = result.data["cancelSubscription"]
    assert payload["subscription"] is None and payload["serviceRequest"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("DATA_EXPORT_REQUIRED", ["input", "acknowledgeDataLoss"])
    ]
    after = await Subscription.get(id=sub.id)
    assert (after.status.value, after.cancel_at_period_end, after.version) == ("ACTIVE", False, sub.version)
    assert await ServiceRequest.all().count() == 0
    assert not await AuditEvent.filter(action__startswith="subscription.").exists()


async def test_cancel_after_export_takes_effect_at_period_end():
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_BASIC", 2)
    await _export(fx)
    result = await execute(CANCEL, {"input": {"subscriptionId": str(sub.id), "reason": "Too expensive"}}, token=fx.token)
    payload = result.data["cancelSubscription"]
    assert payload["userErrors"] == []
    assert payload["subscription"] == {
        "id": gid("ProductSubscription", sub.id),
        "status": "ACTIVE",
        "statusReason": None,
        "cancelAtPeriodEnd": True,
        "cancelledAt": None,
        "currentPeriodEnd": "2026-12-29T09:00:00Z",
    }
    request = payload["serviceRequest"]
    assert (request["category"], request["status"], request["description"], request["subscription"]) == (
        "CANCEL_SUBSCRIPTION",
        "RESOLVED",
        "Too expensive",
        {"id": gid("ProductSubscription", sub.id)},
    )
    assert "2026-12-29T09:00:00Z" in request["resolution"] and request["resolvedAt"]
    seats = (await execute(CONFLICTS, token=fx.token)).data["seats"][0]
    assert seats["purchased"] == 2


async def test_service_request_cancels_at_period_end_with_the_same_rules():
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_BASIC", 2)
    variables = {"input": {"category": "CANCEL_SUBSCRIPTION", "description": "Please cancel", "subscriptionId": str(sub.id)}}
    refused = (await execute(SUBMIT, variables, token=fx.token)).data["submitServiceRequest"]
    assert refused["serviceRequest"] is None and refused["userErrors"][0]["code"] == "DATA_EXPORT_REQUIRED"
    variables["input"]["acknowledgeDataLoss"] = True
    payload = (await execute(SUBMIT, variables, token=fx.token)).data["submitServiceRequest"]
    assert payload["userErrors"] == []
    assert payload["serviceRequest"]["status"] == "RESOLVED"
    assert payload["serviceRequest"]["subscription"] == {
        "id": gid("ProductSubscription", sub.id),
        "cancelAtPeriodEnd": True,
        "status": "ACTIVE",
    }
    again = (await execute(SUBMIT, variables, token=fx.token)).data["submitServiceRequest"]
    assert again["userErrors"][0]["code"] == "ALREADY_CANCELLED"


async def test_service_request_cancellation_without_subscription_id_is_invalid_input():
    fx = await make_org()
    payload = (
        await execute(SUBMIT, {"input": {"category": "CANCEL_SUBSCRIPTION", "description": "cancel"}}, token=fx.token)
    ).data
    assert [(e["code"], e["field"]) for e in payload["submitServiceRequest"]["userErrors"]] == [
        ("INVALID_INPUT", ["input", "subscriptionId"])
    ]


async def test_immediate_cancellation_opens_a_conflict_caused_by_the_cancellation():
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_BASIC", 2)
    await give_licenses(fx, "CRM_BASIC", 1)
    for _ in range(3):
        await make_user(fx, skus=["CRM_BASIC"])
    await _export(fx)
    variables = {"input": {"subscriptionId": str(sub.id), "reason": "Team closed", "immediately": True}}
    payload = (await execute(CANCEL, variables, token=fx.token)).data["cancelSubscription"]
    assert payload["userErrors"] == []
    assert (payload["subscription"]["status"], payload["subscription"]["statusReason"]) == ("CANCELLED", "CANCELLED_BY_REQUEST")
    assert payload["subscription"]["cancelledAt"] is not None
    data = (await execute(CONFLICTS, token=fx.token)).data
    assert data["seats"] == [{"purchased": 1, "assigned": 3, "overage": 2, "inConflict": True}]
    assert data["licenseConflicts"] == [{"product": {"sku": "CRM_BASIC"}, "overage": 2, "causes": ["SUBSCRIPTION_CANCELLED"]}]


async def test_cancelling_a_cancelled_subscription_is_already_cancelled_before_the_export_check():
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_BASIC", 2)
    first = {"input": {"subscriptionId": str(sub.id), "reason": "x", "immediately": True, "acknowledgeDataLoss": True}}
    assert (await execute(CANCEL, first, token=fx.token)).data["cancelSubscription"]["userErrors"] == []
    again = (await execute(CANCEL, {"input": {"subscriptionId": str(sub.id), "reason": "x"}}, token=fx.token)).data
    assert [e["code"] for e in again["cancelSubscription"]["userErrors"]] == ["ALREADY_CANCELLED"]
    missing = (await execute(CANCEL, {"input": {"subscriptionId": "nope", "reason": "x"}}, token=fx.token)).data
    assert [e["code"] for e in missing["cancelSubscription"]["userErrors"]] == ["NOT_FOUND"]
    empty = (await execute(CANCEL, {"input": {"subscriptionId": "nope", "reason": ""}}, token=fx.token)).data
    assert [e["code"] for e in empty["cancelSubscription"]["userErrors"]] == ["INVALID_INPUT"]


async def test_roles_without_billing_cannot_cancel_but_user_admins_may_ask_for_help():
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_BASIC", 2)
    user_admin = await make_user(fx, role=AdminRole.USER_ADMIN)
    token = await token_for(fx, user_admin, AdminRole.USER_ADMIN)
    cancel = {"input": {"subscriptionId": str(sub.id), "reason": "x", "acknowledgeDataLoss": True}}
    assert error_codes(await execute(CANCEL, cancel, token=token)) == ["FORBIDDEN"]
    via_request = {
        "input": {
            "category": "CANCEL_SUBSCRIPTION",
            "description": "x",
            "subscriptionId": str(sub.id),
            "acknowledgeDataLoss": True,
        }
    }
    assert error_codes(await execute(SUBMIT, via_request, token=token)) == ["FORBIDDEN"]
    assert not (await Subscription.get(id=sub.id)).cancel_at_period_end
    help_request = {"input": {"category": "LICENSING", "description": "Need a hand"}}
    payload = (await execute(SUBMIT, help_request, token=token)).data["submitServiceRequest"]
    assert (payload["serviceRequest"]["status"], payload["serviceRequest"]["resolution"]) == ("OPEN", None)
    reader = await make_user(fx, role=AdminRole.READER)
    assert error_codes(await execute(SUBMIT, help_request, token=await token_for(fx, reader, AdminRole.READER))) == ["FORBIDDEN"]
    billing = await make_user(fx, role=AdminRole.BILLING_ADMIN)
    payload = (await execute(CANCEL, cancel, token=await token_for(fx, billing, AdminRole.BILLING_ADMIN))).data[
        "cancelSubscription"
    ]
    assert payload["userErrors"] == [] and payload["subscription"]["cancelAtPeriodEnd"]


async def test_service_requests_are_paged_newest_first_and_filtered():
    fx = await make_org()
    for text in ("one", "two", "three"):
        await execute(SUBMIT, {"input": {"category": "OTHER", "description": text}}, token=fx.token)
    first = (await execute(REQUESTS, {"first": 2}, token=fx.token)).data["serviceRequests"]
    assert [e["node"]["description"] for e in first["edges"]] == ["three", "two"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"]
    rest = (await execute(REQUESTS, {"first": 2, "after": first["pageInfo"]["endCursor"]}, token=fx.token)).data[
        "serviceRequests"
    ]
    assert [e["node"]["description"] for e in rest["edges"]] == ["one"] and not rest["pageInfo"]["hasNextPage"]
    resolved = (await execute(REQUESTS, {"status": "RESOLVED"}, token=fx.token)).data["serviceRequests"]
    assert resolved["totalCount"] == 0
    assert error_codes(await execute(REQUESTS, {"first": 0}, token=fx.token)) == ["BAD_USER_INPUT"]
