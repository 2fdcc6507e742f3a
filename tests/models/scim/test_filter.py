"""SCIM filters become SQL over the kept attributes: operators, precedence, case rules and invalid filters."""

import pytest

from seatwise.models.scim import groups as scim_groups
from seatwise.models.scim import user_resource
from seatwise.models.scim import users as scim_users
from seatwise.models.scim.errors import ScimError
from tests.support import NOW, make_org, make_user


async def _scim_user(fx, user_name: str, **extra):
    body = {"userName": user_name, **extra}
    return await scim_users.create(fx.org, body, actor=fx.actor, now=NOW, wall=NOW)


async def _names(fx, text: str) -> list[str]:
    rows, total = await scim_users.page(fx.org, text, 1, 200)
    assert total == len(rows)
    return sorted(user_resource.current_state(u).user_name for u in rows)


@pytest.fixture
async def people():
    fx = await make_org()
    await _scim_user(fx, "Alice@Acme.test", externalId="ext-A", displayName="Alice Adams", name={"givenName": "Alice"})
    await _scim_user(fx, "bob@acme.test", externalId="ext-B", displayName="Bob Brown")
    carol = await _scim_user(fx, "carol@acme.test", displayName="Carol Clark")
    await scim_users.patch(
        fx.org,
        str(carol.id),
        {"Operations": [{"op": "replace", "path": "active", "value": False}]},
        actor=fx.actor,
        now=NOW,
        wall=NOW,
    )
    return fx


async def test_eq_on_username_ignores_case_of_the_value_and_of_the_attribute_name(people):
    assert await _names(people, 'userName eq "ALICE@acme.test"') == ["Alice@Acme.test"]
    assert await _names(people, 'USERNAME Eq "alice@ACME.test"') == ["Alice@Acme.test"]
    assert await _names(people, 'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob@acme.test"') == ["bob@acme.test"]


async def test_a_user_created_in_seatwise_is_found_by_its_email_as_username(people):
    await make_user(people, email="dave@acme.test")
    assert await _names(people, 'userName eq "Dave@Acme.test"') == ["dave@acme.test"]
    assert await _names(people, 'emails.value eq "dave@acme.test"') == ["dave@acme.test"]


async def test_ne_co_sw_ew_and_pr(people):
    admin = people.admin.email
    assert await _names(people, 'userName ne "bob@acme.test"') == sorted(["Alice@Acme.test", "carol@acme.test", admin])
    assert await _names(people, 'displayName co "ob"') == ["bob@acme.test"]
    assert await _names(people, 'displayName sw "car"') == ["carol@acme.test"]
    assert await _names(people, 'userName ew "@ACME.test" and displayName sw "alice"') == ["Alice@Acme.test"]
    assert await _names(people, "externalId pr") == ["Alice@Acme.test", "bob@acme.test"]
    assert await _names(people, "name.givenName pr") == ["Alice@Acme.test"]


async def test_externalid_is_case_exact(people):
    assert await _names(people, 'externalId eq "ext-A"') == ["Alice@Acme.test"]
    assert await _names(people, 'externalId eq "EXT-A"') == []


async def test_active_takes_booleans_and_the_strings_entra_sends(people):
    assert await _names(people, "active eq false") == ["carol@acme.test"]
    assert await _names(people, 'active eq "False"') == ["carol@acme.test"]
    assert "carol@acme.test" not in await _names(people, "active eq true")


async def test_and_binds_tighter_than_or_and_not_negates(people):
    text = 'userName eq "bob@acme.test" or userName sw "alice" and active eq false'
    assert await _names(people, text) == ["bob@acme.test"]
    assert await _names(people, '(userName eq "bob@acme.test" or userName sw "alice") and active eq true') == [
        "Alice@Acme.test",
        "bob@acme.test",
    ]
    assert "bob@acme.test" not in await _names(people, 'not (userName eq "bob@acme.test")')


async def test_value_filter_on_emails_value(people):
    assert await _names(people, 'emails[value eq "bob@acme.test"]') == ["bob@acme.test"]


@pytest.mark.parametrize(
    "text",
    [
        "userName eq",
        'userName eq "unterminated',
        'title eq "x"',  # not kept
        'emails[type eq "work"]',  # type is not filterable
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"',
        "active gt true",
        'active eq "maybe"',
        "userName eq 12",
        'meta.created gt "yesterday"',
        "x" * 5000,
        'userName eq "' + "a" * 300 + '"',
        'meta.created gt "9999-12-31T23:59:59-23:59"',  # past the last moment there is, in UTC
        'meta.created lt "0001-01-01T00:00:00+23:59"',
    ],
)
async def test_invalid_filters_are_invalid_filter(people, text):
    with pytest.raises(ScimError) as refused:
        await scim_users.page(people.org, text, 1, 10)
    assert refused.value.status == 400 and refused.value.scim_type == "invalidFilter"


async def test_group_filters_on_display_name_and_external_id():
    fx = await make_org()
    for name, ext in (("Sales", "g-1"), ("Support", "g-2")):
        await scim_groups.create(fx.org, {"displayName": name, "externalId": ext}, actor=fx.actor, now=NOW)
    rows, _ = await scim_groups.page(fx.org, 'displayName eq "SALES"', 1, 10)
    assert [g.display_name for g in rows] == ["Sales"]
    rows, _ = await scim_groups.page(fx.org, 'externalId eq "g-2" or displayName sw "nothing"', 1, 10)
    assert [g.display_name for g in rows] == ["Support"]
    with pytest.raises(ScimError):
        await scim_groups.page(fx.org, 'userName eq "x"', 1, 10)


async def test_entra_asks_whether_a_user_is_a_member_of_a_group():
    fx = await make_org()
    user = await _scim_user(fx, "member@acme.test")
    other = await _scim_user(fx, "other@acme.test")
    group = await scim_groups.create(
        fx.org, {"displayName": "Sales", "members": [{"value": str(user.id), "$ref": None}]}, actor=fx.actor, now=NOW
    )
    rows, _ = await scim_groups.page(fx.org, f'id eq "{group.id}" and members eq "{user.id}"', 1, 10)
    assert [g.id for g in rows] == [group.id]
    rows, _ = await scim_groups.page(fx.org, f'id eq "{group.id}" and members eq "{other.id}"', 1, 10)
    assert rows == []
    rows, _ = await scim_groups.page(fx.org, f'members[value eq "{user.id}"]', 1, 10)
    assert [g.id for g in rows] == [group.id]
