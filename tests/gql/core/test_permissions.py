"""The role table of docs/rules.md section 2: a role that may not do something gets FORBIDDEN, no data, and nothing changes."""

import pytest

from seatwise.models.core.clock import utcnow
from seatwise.models.core.tables import AdminRole, AuditEvent, Credential, CredentialKind, LicenseAssignment, SeatPool, User
from seatwise.models.people import credentials, deletion
from tests.support import NOW, error_codes, execute, give_licenses, make_org, make_user, token_for

SET_ROLE = (
    "mutation($id: ID!) { setAdminRole(input: {userId: $id, role: USER_ADMIN}) { user { adminRole } userErrors { code } } }"
)
CREATE_TOKEN = 'mutation { createApiToken(input: {name: "feed", role: READER}) { token userErrors { code } } }'
REVOKE_TOKEN = "mutation($id: ID!) { revokeApiToken(input: {id: $id}) { apiToken { revokedAt } userErrors { code } } }"
ASSIGN = 'mutation($id: ID!) { assignLicense(input: {userId: $id, productSku: "CRM_BASIC"}) { user { id } userErrors { code } } }'
REVOKE = 'mutation($id: ID!) { revokeLicense(input: {userId: $id, productSku: "CRM_BASIC"}) { user { id } userErrors { code } } }'
DELETE = "mutation($id: ID!) { deleteUser(input: {userId: $id}) { user { id } userErrors { code } } }"
RESTORE = "mutation($id: ID!) { restoreUser(input: {userId: $id}) { user { id } userErrors { code } } }"

NOT_GLOBAL = [AdminRole.BILLING_ADMIN, AdminRole.USER_ADMIN, AdminRole.READER]
NO_USER_MANAGEMENT = [AdminRole.BILLING_ADMIN, AdminRole.READER]


async def _as(fx, role: AdminRole) -> str:
    return await token_for(fx, await make_user(fx, role=role), role)


async def _state(fx) -> tuple:
    """Everything the mutations below could change."""
    return (
        sorted(await User.filter(organization_id=fx.org.id).values_list("id", "admin_role", "deleted_at")),
        sorted(await LicenseAssignment.filter(organization_id=fx.org.id).values_list("user_id", "product_id")),
        sorted(await SeatPool.filter(organization_id=fx.org.id).values_list("product_id", "assigned", "purchased")),
        sorted(await Credential.filter(organization_id=fx.org.id).values_list("id", "revoked_at")),
        await AuditEvent.filter(organization_id=fx.org.id).count(),
    )


def _forbidden(result) -> None:
    assert result.data is None
    assert error_codes(result) == ["FORBIDDEN"]


@pytest.mark.parametrize("role", NOT_GLOBAL, ids=lambda r: r.value)
async def test_only_a_global_admin_may_set_admin_roles(role):
    fx = await make_org()
    token = await _as(fx, role)
    target = await make_user(fx)
    before = await _state(fx)
    _forbidden(await execute(SET_ROLE, {"id": str(target.id)}, token=token))
    assert await _state(fx) == before
    assert (await User.get(id=target.id)).admin_role is None


@pytest.mark.parametrize("role", NOT_GLOBAL, ids=lambda r: r.value)
async def test_only_a_global_admin_may_create_api_tokens(role):
    fx = await make_org()
    token = await _as(fx, role)
    before = await _state(fx)
    _forbidden(await execute(CREATE_TOKEN, token=token))
    assert await _state(fx) == before
    assert not await Credential.exists(organization_id=fx.org.id, name="feed")


@pytest.mark.parametrize("role", NOT_GLOBAL, ids=lambda r: r.value)
async def test_only_a_global_admin_may_revoke_api_tokens(role):
    fx = await make_org()
    token = await _as(fx, role)
    _, credential = await credentials.issue_credential(
        fx.admin, CredentialKind.API_TOKEN, AdminRole.GLOBAL_ADMIN, now=utcnow(), name="victim"
    )
    before = await _state(fx)
    _forbidden(await execute(REVOKE_TOKEN, {"id": str(credential.id)}, token=token))
    assert await _state(fx) == before
    assert (await Credential.get(id=credential.id)).revoked_at is None


@pytest.mark.parametrize("role", NO_USER_MANAGEMENT, ids=lambda r: r.value)
async def test_billing_admins_and_readers_may_not_assign_or_revoke_licenses(role):
    fx = await make_org()
    token = await _as(fx, role)
    await give_licenses(fx, "CRM_BASIC", 2)
    holder = await make_user(fx, skus=["CRM_BASIC"])
    idle = await make_user(fx)
    before = await _state(fx)
    _forbidden(await execute(ASSIGN, {"id": str(idle.id)}, token=token))
    _forbidden(await execute(REVOKE, {"id": str(holder.id)}, token=token))
    assert await _state(fx) == before
    assert await LicenseAssignment.filter(user_id=holder.id).values_list("product_id", flat=True) == ["CRM_BASIC"]
    assert not await LicenseAssignment.exists(user_id=idle.id)


@pytest.mark.parametrize("role", NO_USER_MANAGEMENT, ids=lambda r: r.value)
async def test_billing_admins_and_readers_may_not_delete_or_restore_users(role):
    fx = await make_org()
    token = await _as(fx, role)
    live = await make_user(fx)
    gone = await make_user(fx)
    await deletion.delete_user(fx.org, str(gone.id), actor=fx.actor, now=NOW)
    before = await _state(fx)
    _forbidden(await execute(DELETE, {"id": str(live.id)}, token=token))
    _forbidden(await execute(RESTORE, {"id": str(gone.id)}, token=token))
    assert await _state(fx) == before
    assert (await User.get(id=live.id)).deleted_at is None
    assert (await User.get(id=gone.id)).deleted_at is not None


CARD_CHANGES = {
    "removePaymentCard": "mutation($id: ID!) { removePaymentCard(input: {cardId: $id}) { removedCardId userErrors { code } } }",
    "setDefaultPaymentCard": "mutation($id: ID!) { setDefaultPaymentCard(input: {cardId: $id}) { paymentCard { id } userErrors { code } } }",
    "resumeSubscription": "mutation($id: ID!) { resumeSubscription(input: {subscriptionId: $id}) { subscription { id } userErrors { code } } }",
}
NO_BILLING = [AdminRole.USER_ADMIN, AdminRole.READER]


@pytest.mark.parametrize("mutation", sorted(CARD_CHANGES))
@pytest.mark.parametrize("role", NO_BILLING, ids=lambda r: r.value)
async def test_user_admins_and_readers_may_not_manage_cards_or_resume_subscriptions(role, mutation):
    from seatwise.models.core.tables import PaymentCard, Subscription
    from tests.billing_support import add_card

    fx = await make_org()
    token = await _as(fx, role)
    card = await add_card(fx)
    await add_card(fx, "5555555555554444", make_default=False)
    sub = await give_licenses(fx, "CRM_BASIC", 1)
    await Subscription.filter(id=sub.id).update(cancel_at_period_end=True)
    target = sub.id if mutation == "resumeSubscription" else card.id
    cards_before = sorted(await PaymentCard.filter(organization_id=fx.org.id).values_list("id", "is_default"))
    before = await _state(fx)
    _forbidden(await execute(CARD_CHANGES[mutation], {"id": str(target)}, token=token))
    assert await _state(fx) == before
    assert sorted(await PaymentCard.filter(organization_id=fx.org.id).values_list("id", "is_default")) == cards_before
    assert (await Subscription.get(id=sub.id)).cancel_at_period_end


@pytest.mark.parametrize("mutation", sorted(CARD_CHANGES))
async def test_billing_admins_may_manage_cards_and_resume_subscriptions(mutation):
    from seatwise.models.core.tables import Subscription
    from tests.billing_support import add_card

    fx = await make_org()
    token = await _as(fx, AdminRole.BILLING_ADMIN)
    await add_card(fx)
    other = await add_card(fx, "5555555555554444", make_default=False)
    sub = await give_licenses(fx, "CRM_BASIC", 1)
    await Subscription.filter(id=sub.id).update(cancel_at_period_end=True)
    target = sub.id if mutation == "resumeSubscription" else other.id
    result = await execute(CARD_CHANGES[mutation], {"id": str(target)}, token=token)
    assert result.errors is None and result.data[mutation]["userErrors"] == []
