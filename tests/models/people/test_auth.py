from datetime import timedelta

import pytest

from seatwise.models.core.errors import DomainError, ErrorCode, Unauthenticated
from seatwise.models.core.tables import AdminRole, Credential, CredentialKind
from seatwise.models.people import auth, credentials, tokens
from tests.support import NOW, PASSWORD, count_statements, make_org, make_user


async def test_tokens_are_stored_only_as_sha256():
    fx = await make_org()
    stored = await Credential.get(user_id=fx.admin.id)
    assert stored.token_hash == credentials.hash_token(fx.token)
    assert fx.token not in stored.token_hash and len(fx.token) >= 43


async def test_sign_in_issues_a_twelve_hour_session():
    fx = await make_org()
    token, viewer = await auth.sign_in(fx.admin.email.upper(), PASSWORD, now=NOW)
    assert viewer.credential.kind is CredentialKind.SESSION
    assert (await auth.authenticate(f"Bearer {token}", now=NOW + timedelta(hours=11))).user.id == fx.admin.id
    with pytest.raises(Unauthenticated):
        await auth.authenticate(f"Bearer {token}", now=NOW + timedelta(hours=12))


async def test_wrong_email_and_wrong_password_fail_alike():
    fx = await make_org()
    errors = []
    for email, password in ((fx.admin.email, "wrong password!"), ("nobody@acme.test", PASSWORD)):
        with pytest.raises(DomainError) as failed:
            await auth.sign_in(email, password, now=NOW)
        errors.append((failed.value.code, failed.value.message))
    assert errors[0] == errors[1] == (ErrorCode.INVALID_CREDENTIALS, "The email or password is wrong.")


async def test_users_without_admin_role_cannot_sign_in():
    fx = await make_org()
    user = await make_user(fx, password=PASSWORD)
    with pytest.raises(DomainError) as failed:
        await auth.sign_in(user.email, PASSWORD, now=NOW)
    assert failed.value.code is ErrorCode.INVALID_CREDENTIALS


async def test_five_failures_lock_sign_in_for_fifteen_minutes_even_with_the_right_password():
    fx = await make_org()
    for minute in range(5):
        with pytest.raises(DomainError):
            await auth.sign_in(fx.admin.email, "wrong password!", now=NOW + timedelta(minutes=minute))
    locked_from = NOW + timedelta(minutes=4)
    with pytest.raises(DomainError) as failed:
        await auth.sign_in(fx.admin.email, PASSWORD, now=locked_from + timedelta(minutes=14))
    assert failed.value.code is ErrorCode.TOO_MANY_ATTEMPTS
    token, _ = await auth.sign_in(fx.admin.email, PASSWORD, now=locked_from + timedelta(minutes=15))
    viewer = await auth.authenticate(f"Bearer {token}", now=locked_from + timedelta(minutes=15))
    assert viewer.user.id == fx.admin.id


async def test_sign_out_everywhere_ends_sessions_but_keeps_api_tokens():
    fx = await make_org()
    first, viewer = await auth.sign_in(fx.admin.email, PASSWORD, now=NOW)
    second, _ = await auth.sign_in(fx.admin.email, PASSWORD, now=NOW)
    assert await auth.sign_out(viewer, everywhere=True, now=NOW) == 2
    for token in (first, second):
        with pytest.raises(Unauthenticated):
            await auth.authenticate(f"Bearer {token}", now=NOW)
    assert (await auth.authenticate(f"Bearer {fx.token}", now=NOW)).credential.kind is CredentialKind.API_TOKEN


async def test_api_token_role_cannot_exceed_its_creator():
    fx = await make_org()
    billing = await make_user(fx, role=AdminRole.BILLING_ADMIN, password=PASSWORD)
    _, viewer = await auth.sign_in(billing.email, PASSWORD, now=NOW)
    with pytest.raises(DomainError) as failed:
        await tokens.create_api_token(viewer, "ci", AdminRole.USER_ADMIN, None, now=NOW)
    assert failed.value.code is ErrorCode.INVALID_INPUT
    assert not await Credential.filter(kind=CredentialKind.API_TOKEN, name="ci").exists()


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic abc", "Bearer nope"])
async def test_missing_or_malformed_tokens_are_unauthenticated(header):
    await make_org()
    with pytest.raises(Unauthenticated):
        await auth.authenticate(header, now=NOW)


async def test_revoked_and_expired_api_tokens_stop_working():
    fx = await make_org()
    _, viewer = await auth.sign_in(fx.admin.email, PASSWORD, now=NOW)
    revoked, row = await tokens.create_api_token(viewer, "old", AdminRole.READER, None, now=NOW)
    expiring, _ = await tokens.create_api_token(viewer, "short", AdminRole.READER, 1, now=NOW)
    await tokens.revoke_api_token(viewer, str(row.id), now=NOW)
    with pytest.raises(Unauthenticated):
        await auth.authenticate(f"Bearer {revoked}", now=NOW)
    with pytest.raises(Unauthenticated):
        await auth.authenticate(f"Bearer {expiring}", now=NOW + timedelta(days=1))


async def test_authentication_is_one_statement_and_last_use_is_written_at_most_once_a_minute():
    fx = await make_org()
    viewer, first = await count_statements(auth.authenticate(f"Bearer {fx.token}", now=NOW))
    assert (viewer.user.id, viewer.org.id, viewer.role) == (fx.admin.id, fx.org.id, AdminRole.GLOBAL_ADMIN)
    assert len(first) == 2 and first[1].lstrip().upper().startswith("UPDATE")  # never used before: last use written
    _, again = await count_statements(auth.authenticate(f"Bearer {fx.token}", now=NOW + timedelta(seconds=59)))
    assert len(again) == 1 and again[0].lstrip().upper().startswith("SELECT")
    _, later = await count_statements(auth.authenticate(f"Bearer {fx.token}", now=NOW + timedelta(minutes=1)))
    assert len(later) == 2


async def test_a_token_revoked_by_another_process_fails_on_the_next_request():
    fx = await make_org()
    viewer = await auth.authenticate(f"Bearer {fx.token}", now=NOW)
    # Revoked behind this process's back (another instance): nothing here may remember the token.
    await Credential.filter(id=viewer.credential.id).update(revoked_at=NOW)
    with pytest.raises(Unauthenticated):
        await auth.authenticate(f"Bearer {fx.token}", now=NOW)
