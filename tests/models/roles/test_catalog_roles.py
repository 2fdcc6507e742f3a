"""The roles of a product (docs/rules.md section 14): the shipped ones, the organization's own, and what is refused."""

import pytest

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import AuditEvent, ProductRole
from seatwise.models.roles import catalog, definitions
from tests.support import NOW, make_org

CRM_ROLES = [
    "SYSTEM_ADMINISTRATOR",
    "SYSTEM_CUSTOMIZER",
    "SALES_MANAGER",
    "SALESPERSON",
    "CUSTOMER_SERVICE_REPRESENTATIVE",
    "MARKETING_PROFESSIONAL",
    "DELEGATE",
]


async def test_the_catalog_ships_seven_roles_for_professional_and_basic_and_three_for_essential():
    fx = await make_org()
    roles = await catalog.roles_of_products(fx.org)
    assert [r.key for r in roles["CRM_PROFESSIONAL"]] == CRM_ROLES
    assert [r.key for r in roles["CRM_BASIC"]] == CRM_ROLES
    assert [r.key for r in roles["CRM_ESSENTIAL"]] == ["SALESPERSON", "CUSTOMER_SERVICE_REPRESENTATIVE", "DELEGATE"]
    assert all(r.built_in for per_product in roles.values() for r in per_product)


async def test_an_organization_adds_its_own_role_after_the_shipped_ones():
    fx = await make_org()
    role = await definitions.create_role(fx.org, "CRM_BASIC", "REGIONAL_MANAGER", " Regional ", None, actor=fx.actor, now=NOW)
    assert (role.key, role.name, role.description, role.built_in) == ("REGIONAL_MANAGER", "Regional", "", False)
    assert [r.key for r in (await catalog.roles_of_products(fx.org, ["CRM_BASIC"]))["CRM_BASIC"]] == [
        *CRM_ROLES,
        "REGIONAL_MANAGER",
    ]
    other = await make_org("Other")
    assert "REGIONAL_MANAGER" not in [r.key for r in (await catalog.roles_of_products(other.org, ["CRM_BASIC"]))["CRM_BASIC"]]
    assert await AuditEvent.filter(organization_id=fx.org.id, action="product_role.created").count() == 1


@pytest.mark.parametrize(
    ("sku", "key", "code"),
    [
        ("CRM_BASIC", "lower_case", ErrorCode.INVALID_INPUT),
        ("CRM_BASIC", "X", ErrorCode.INVALID_INPUT),
        ("CRM_BASIC", "SALESPERSON", ErrorCode.ALREADY_EXISTS),
        ("CRM_ESSENTIAL", "SALES_MANAGER", ErrorCode.INVALID_INPUT),  # a shipped role Essential does not allow
        ("NOPE", "REGIONAL", ErrorCode.UNKNOWN_PRODUCT),
    ],
)
async def test_a_role_key_that_is_malformed_taken_or_shipped_is_refused(sku, key, code):
    fx = await make_org()
    with pytest.raises(DomainError) as failed:
        await definitions.create_role(fx.org, sku, key, "Name", "", actor=fx.actor, now=NOW)
    assert failed.value.code is code
    assert not await ProductRole.exists(organization_id=fx.org.id)


async def test_a_key_is_unique_in_its_product_only():
    fx = await make_org()
    await definitions.create_role(fx.org, "CRM_BASIC", "AUDITOR", "Auditor", "", actor=fx.actor, now=NOW)
    await definitions.create_role(fx.org, "CRM_PROFESSIONAL", "AUDITOR", "Auditor", "", actor=fx.actor, now=NOW)
    with pytest.raises(DomainError) as failed:
        await definitions.create_role(fx.org, "CRM_BASIC", "AUDITOR", "Again", "", actor=fx.actor, now=NOW)
    assert failed.value.code is ErrorCode.ALREADY_EXISTS
    assert await ProductRole.filter(organization_id=fx.org.id).count() == 2


async def test_shipped_roles_cannot_be_changed_or_deleted():
    fx = await make_org()
    for change in (
        definitions.update_role(fx.org, "CRM_BASIC", "SALESPERSON", name="Seller", description=None, actor=fx.actor, now=NOW),
        definitions.delete_role(fx.org, "CRM_BASIC", "salesperson", actor=fx.actor, now=NOW),
    ):
        with pytest.raises(DomainError) as failed:
            await change
        assert failed.value.code is ErrorCode.INVALID_INPUT
    assert [r.name for r in (await catalog.roles_of_products(fx.org, ["CRM_BASIC"]))["CRM_BASIC"]][3] == "Salesperson"


async def test_an_own_role_is_renamed_and_described_and_unknown_keys_are_unknown_roles():
    fx = await make_org()
    await definitions.create_role(fx.org, "CRM_BASIC", "AUDITOR", "Auditor", "", actor=fx.actor, now=NOW)
    role = await definitions.update_role(
        fx.org, "CRM_BASIC", "auditor", name="Internal auditor", description="Reads everything", actor=fx.actor, now=NOW
    )
    assert (role.name, role.description) == ("Internal auditor", "Reads everything")
    with pytest.raises(DomainError) as failed:
        await definitions.update_role(fx.org, "CRM_BASIC", "NOBODY", name="x", description=None, actor=fx.actor, now=NOW)
    assert (failed.value.code, failed.value.subject) == (ErrorCode.UNKNOWN_ROLE, "key")
