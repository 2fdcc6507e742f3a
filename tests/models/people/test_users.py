from datetime import timedelta

import pytest

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import AdminRole, AuditEvent, Credential, User
from seatwise.models.people import deletion, users, validation
from tests.support import NOW, make_org, make_user


@pytest.mark.parametrize(
    "raw, normalized",
    [
        ("  Ada@Example.COM ", "ada@example.com"),
        ("o'brien+tag@mail.co.test", "o'brien+tag@mail.co.test"),
        ("a.b.c@x-y.example", "a.b.c@x-y.example"),
    ],
)
def test_email_is_trimmed_and_lower_cased(raw, normalized):
    assert validation.normalize_email(raw, "email") == normalized


@pytest.mark.parametrize(
    "raw",
    [
        "plain",
        "a@b",
        "a b@example.com",
        "a..b@example.com",
        ".a@example.com",
        "a@-x.example",
        "a@x-.example",
        '"q"@example.com',
        "<a@example.com>",
        "ä@example.com",
        "a@@example.com",
        "a@example..com",
        "x" * 250 + "@example.com",
    ],
)
def test_email_syntax_errors_are_invalid_input(raw):
    with pytest.raises(DomainError) as failed:
        validation.normalize_email(raw, "email")
    assert failed.value.code is ErrorCode.INVALID_INPUT
    assert failed.value.subject == "email"


async def test_create_user_writes_user_and_audit_event():
    fx = await make_org()
    user = await users.create_user(fx.org, " New@Acme.TEST ", " New Person ", actor=fx.actor, now=NOW)
    assert (user.email, user.display_name) == ("new@acme.test", "New Person")
    event = await AuditEvent.filter(action="user.created", target_id=str(user.id)).get()
    assert event.actor == fx.admin.email


async def test_email_is_unique_across_organizations_deleted_users_included():
    acme, other = await make_org("Acme"), await make_org("Other")
    user = await make_user(acme, email="taken@shared.test")
    await deletion.delete_user(acme.org, str(user.id), actor=acme.actor, now=NOW)
    with pytest.raises(DomainError) as failed:
        await users.create_user(other.org, "TAKEN@shared.test", "Someone", actor=other.actor, now=NOW)
    assert failed.value.code is ErrorCode.ALREADY_EXISTS
    assert await User.filter(email="taken@shared.test").count() == 1


@pytest.mark.parametrize("name", ["", "   ", "x" * 257])
async def test_display_name_must_have_1_to_256_characters(name):
    fx = await make_org()
    with pytest.raises(DomainError) as failed:
        await users.create_user(fx.org, "n@acme.test", name, actor=fx.actor, now=NOW)
    assert failed.value.code is ErrorCode.INVALID_INPUT
    assert not await User.exists(email="n@acme.test")


async def test_short_password_is_refused():
    fx = await make_org()
    with pytest.raises(DomainError) as failed:
        await users.create_user(
            fx.org, "n@acme.test", "N", admin_role=AdminRole.READER, password="short", actor=fx.actor, now=NOW
        )
    assert failed.value.subject == "password"
    assert not await User.exists(email="n@acme.test")


async def test_last_global_admin_can_be_neither_deleted_nor_demoted():
    fx = await make_org()
    for attempt in (
        deletion.delete_user(fx.org, str(fx.admin.id), actor=fx.actor, now=NOW),
        users.set_admin_role(fx.org, str(fx.admin.id), AdminRole.READER, actor=fx.actor, now=NOW),
    ):
        with pytest.raises(DomainError) as failed:
            await attempt
        assert failed.value.code is ErrorCode.LAST_GLOBAL_ADMIN
    admin = await User.get(id=fx.admin.id)
    assert admin.admin_role is AdminRole.GLOBAL_ADMIN and admin.deleted_at is None


async def test_demoting_one_of_two_global_admins_ends_its_credentials():
    fx = await make_org()
    second = await make_user(fx, role=AdminRole.GLOBAL_ADMIN)
    from tests.support import token_for

    await token_for(fx, second, AdminRole.GLOBAL_ADMIN)
    await users.set_admin_role(fx.org, str(second.id), AdminRole.READER, actor=fx.actor, now=NOW)
    assert (await User.get(id=second.id)).admin_role is AdminRole.READER
    assert not await Credential.filter(user_id=second.id, revoked_at=None).exists()
    assert await AuditEvent.filter(action="user.admin_role_changed", target_id=str(second.id)).exists()


async def test_delete_ends_sessions_and_tokens_and_sets_restore_window():
    fx = await make_org()
    user = await make_user(fx, role=AdminRole.USER_ADMIN)
    from tests.support import token_for

    await token_for(fx, user, AdminRole.USER_ADMIN)
    deleted = await deletion.delete_user(fx.org, str(user.id), actor=fx.actor, now=NOW)
    assert deleted.deleted_at == NOW
    assert users.restorable_until(deleted) == NOW + timedelta(days=30)
    assert not await Credential.filter(user_id=user.id, revoked_at=None).exists()
    token = await Credential.get(user_id=user.id)
    revoked = await AuditEvent.get(action="api_token.revoked", target_id=str(token.id))
    assert revoked.actor == fx.admin.email and revoked.details == {"reason": "user.deleted"}


async def test_deleting_a_deleted_user_is_user_deleted():
    fx = await make_org()
    user = await make_user(fx)
    await deletion.delete_user(fx.org, str(user.id), actor=fx.actor, now=NOW)
    with pytest.raises(DomainError) as failed:
        await deletion.delete_user(fx.org, str(user.id), actor=fx.actor, now=NOW)
    assert failed.value.code is ErrorCode.USER_DELETED


async def test_restore_inside_the_window_and_refusal_after_it():
    fx = await make_org()
    kept, late = await make_user(fx), await make_user(fx)
    for user in (kept, late):
        await deletion.delete_user(fx.org, str(user.id), actor=fx.actor, now=NOW)
    restored, missing = await deletion.restore_user(fx.org, str(kept.id), actor=fx.actor, now=NOW + timedelta(days=30))
    assert restored.deleted_at is None and missing == []
    with pytest.raises(DomainError) as failed:
        await deletion.restore_user(fx.org, str(late.id), actor=fx.actor, now=NOW + timedelta(days=30, seconds=1))
    assert failed.value.code is ErrorCode.RESTORE_WINDOW_EXPIRED
    assert (await User.get(id=late.id)).deleted_at == NOW


async def test_restoring_a_user_who_is_not_deleted_is_user_not_deleted():
    fx = await make_org()
    user = await make_user(fx)
    with pytest.raises(DomainError) as failed:
        await deletion.restore_user(fx.org, str(user.id), actor=fx.actor, now=NOW)
    assert failed.value.code is ErrorCode.USER_NOT_DELETED


async def test_another_organizations_user_is_not_found():
    acme, other = await make_org("Acme"), await make_org("Other")
    stranger = await make_user(other)
    for bad_id in (str(stranger.id), "not-an-id", "999999"):
        with pytest.raises(DomainError) as failed:
            await deletion.delete_user(acme.org, bad_id, actor=acme.actor, now=NOW)
        assert failed.value.code is ErrorCode.NOT_FOUND
    assert (await User.get(id=stranger.id)).deleted_at is None


async def test_users_query_filters_by_status_and_search():
    fx = await make_org()
    ada = await make_user(fx, email="ada@acme.test")
    gone = await make_user(fx, email="gone@acme.test")
    await deletion.delete_user(fx.org, str(gone.id), actor=fx.actor, now=NOW)
    live = [u.email for u in await users.users_query(fx.org)]
    assert "ada@acme.test" in live and "gone@acme.test" not in live
    assert [u.email for u in await users.users_query(fx.org, status=users.UserStatus.DELETED)] == ["gone@acme.test"]
    assert [u.email for u in await users.users_query(fx.org, search="ADA")] == ["ada@acme.test"]
    assert ada.id in [u.id for u in await users.users_query(fx.org, status=users.UserStatus.DISABLED)]
