"""An admin's own password (docs/rules.md section 17): changePassword from a session, an operator's reset."""

import pytest

from seatwise.models.core.errors import DomainError, ErrorCode, Forbidden, Unauthenticated
from seatwise.models.core.tables import AuditEvent, Credential, CredentialKind, User
from seatwise.models.people import account, auth
from tests.support import NOW, PASSWORD, make_org, make_user

NEW = "a brand new passphrase"


async def _session(fx):
    token, viewer = await auth.sign_in(fx.admin.email, PASSWORD, now=NOW)
    return token, viewer


async def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one_and_the_api_token():
    fx = await make_org()
    other, _ = await _session(fx)
    this, viewer = await _session(fx)

    ended = await account.change_password(viewer, PASSWORD, NEW, now=NOW)

    assert ended == 1
    assert (await auth.authenticate(f"Bearer {this}", now=NOW)).user.id == fx.admin.id
    assert (await auth.authenticate(f"Bearer {fx.token}", now=NOW)).user.id == fx.admin.id  # the API token stays
    with pytest.raises(Unauthenticated):
        await auth.authenticate(f"Bearer {other}", now=NOW)
    await auth.sign_in(fx.admin.email, NEW, now=NOW)
    with pytest.raises(DomainError) as old:
        await auth.sign_in(fx.admin.email, PASSWORD, now=NOW)
    assert old.value.code is ErrorCode.INVALID_CREDENTIALS
    changed = await AuditEvent.get(action="user.password_changed", target_id=str(fx.admin.id))
    assert changed.actor == fx.admin.email and changed.details == {"sessionsEnded": 1}


@pytest.mark.parametrize(
    ("current", "new", "code", "subject"),
    [
        ("wrong password!", NEW, ErrorCode.INVALID_CREDENTIALS, "current_password"),
        (PASSWORD, "short", ErrorCode.INVALID_INPUT, "new_password"),
        (PASSWORD, PASSWORD, ErrorCode.INVALID_INPUT, "new_password"),
    ],
)
async def test_a_refused_change_names_the_field_and_changes_nothing(current, new, code, subject):
    fx = await make_org()
    other, _ = await _session(fx)
    _, viewer = await _session(fx)
    stored = (await User.get(id=fx.admin.id)).password_hash

    with pytest.raises(DomainError) as refused:
        await account.change_password(viewer, current, new, now=NOW)

    assert (refused.value.code, refused.value.subject) == (code, subject)
    assert (await User.get(id=fx.admin.id)).password_hash == stored
    assert (await auth.authenticate(f"Bearer {other}", now=NOW)).user.id == fx.admin.id
    assert not await AuditEvent.exists(action="user.password_changed")


async def test_wrong_current_passwords_count_towards_the_sign_in_lockout():
    fx = await make_org()
    _, viewer = await _session(fx)
    for _ in range(auth.LOCKOUT_FAILURES):
        with pytest.raises(DomainError):
            await account.change_password(viewer, "wrong password!", NEW, now=NOW)

    with pytest.raises(DomainError) as locked:
        await account.change_password(viewer, PASSWORD, NEW, now=NOW)

    assert locked.value.code is ErrorCode.TOO_MANY_ATTEMPTS


async def test_an_api_token_cannot_change_the_password():
    fx = await make_org()
    viewer = await auth.authenticate(f"Bearer {fx.token}", now=NOW)

    with pytest.raises(Forbidden):
        await account.change_password(viewer, PASSWORD, NEW, now=NOW)


async def test_an_operator_reset_ends_every_session_and_lets_the_admin_sign_in_with_the_new_password():
    fx = await make_org()
    session, _ = await _session(fx)

    user = await account.reset_password(f"  {fx.admin.email.upper()} ", NEW, now=NOW)

    assert user.id == fx.admin.id
    with pytest.raises(Unauthenticated):
        await auth.authenticate(f"Bearer {session}", now=NOW)
    assert await Credential.filter(user_id=fx.admin.id, kind=CredentialKind.API_TOKEN, revoked_at=None).exists()
    await auth.sign_in(fx.admin.email, NEW, now=NOW)
    reset = await AuditEvent.get(action="user.password_changed", target_id=str(fx.admin.id))
    assert reset.actor is None and reset.details == {"sessionsEnded": 1, "via": "seatwise reset-password"}


async def test_a_reset_of_an_email_without_an_admin_is_not_found():
    fx = await make_org()
    member = await make_user(fx)  # a user without an admin role

    for email in ("nobody@acme.test", member.email):
        with pytest.raises(DomainError) as missing:
            await account.reset_password(email, NEW, now=NOW)
        assert missing.value.code is ErrorCode.NOT_FOUND
