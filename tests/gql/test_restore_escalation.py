"""Restoring a deleted admin gives the admin role back: only a role that may grant roles (GLOBAL_ADMIN) may do it.

The regression: a USER_ADMIN restored a deleted GLOBAL_ADMIN, who then signed in as GLOBAL_ADMIN."""

from __future__ import annotations

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import AdminRole, AuditEvent, User
from seatwise.models.people import auth, deletion
from tests.support import NOW, PASSWORD, error_codes, execute, make_org, make_user, token_for

RESTORE = "mutation($id: ID!) { restoreUser(input: {userId: $id}) { user { id adminRole deletedAt } userErrors { code } } }"


async def _deleted_admin(fx, role: AdminRole) -> User:
    admin = await make_user(fx, role=role, password=PASSWORD)
    await deletion.delete_user(fx.org, str(admin.id), actor=fx.actor, now=NOW)
    return admin


async def test_a_user_admin_cannot_restore_a_deleted_global_admin_and_nothing_changes():
    fx = await make_org()
    gone = await _deleted_admin(fx, AdminRole.GLOBAL_ADMIN)
    user_admin = await token_for(fx, await make_user(fx, role=AdminRole.USER_ADMIN), AdminRole.USER_ADMIN)
    audits = await AuditEvent.filter(action="user.restored").count()

    result = await execute(RESTORE, {"id": str(gone.id)}, token=user_admin)

    assert result.data is None and error_codes(result) == ["FORBIDDEN"]
    assert (await User.get(id=gone.id)).deleted_at is not None
    assert await AuditEvent.filter(action="user.restored").count() == audits
    try:  # and the deleted admin still cannot sign in
        await auth.sign_in(gone.email, PASSWORD, now=NOW)
        raise AssertionError("a deleted admin signed in")
    except DomainError as refused:
        assert refused.code is ErrorCode.INVALID_CREDENTIALS


async def test_a_user_admin_cannot_restore_any_deleted_admin_role():
    fx = await make_org()
    user_admin = await token_for(fx, await make_user(fx, role=AdminRole.USER_ADMIN), AdminRole.USER_ADMIN)
    for role in (AdminRole.BILLING_ADMIN, AdminRole.USER_ADMIN, AdminRole.READER):
        gone = await _deleted_admin(fx, role)
        assert error_codes(await execute(RESTORE, {"id": str(gone.id)}, token=user_admin)) == ["FORBIDDEN"], role
        assert (await User.get(id=gone.id)).deleted_at is not None


async def test_a_user_admin_restores_a_user_without_a_role_and_a_global_admin_restores_an_admin():
    fx = await make_org()
    user_admin = await token_for(fx, await make_user(fx, role=AdminRole.USER_ADMIN), AdminRole.USER_ADMIN)
    plain = await make_user(fx)
    await deletion.delete_user(fx.org, str(plain.id), actor=fx.actor, now=NOW)
    restored = (await execute(RESTORE, {"id": str(plain.id)}, token=user_admin)).data["restoreUser"]
    assert restored["userErrors"] == [] and restored["user"]["deletedAt"] is None

    gone = await _deleted_admin(fx, AdminRole.GLOBAL_ADMIN)
    restored = (await execute(RESTORE, {"id": str(gone.id)}, token=fx.token)).data["restoreUser"]
    assert restored["userErrors"] == [] and restored["user"]["adminRole"] == "GLOBAL_ADMIN"
