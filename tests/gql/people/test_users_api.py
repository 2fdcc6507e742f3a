from seatwise.models.core.tables import AdminRole, AuditEvent, User
from tests.support import PASSWORD, error_codes, execute, give_licenses, key_of, make_org, make_user, token_for

CREATE = """
mutation($input: CreateUserInput!) {
  createUser(input: $input) { user { id email displayName status adminRole licenses { product { sku } state } } userErrors { code message field } }
}"""

USERS = """
query($first: Int, $after: String, $filter: UserFilter) {
  users(first: $first, after: $after, filter: $filter) {
    totalCount edges { cursor node { email status } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


async def test_create_user_with_a_license_through_the_api():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    result = await execute(
        CREATE, {"input": {"email": " Ada@Acme.TEST", "displayName": "Ada", "productSkus": ["CRM_BASIC"]}}, token=fx.token
    )
    assert result.errors is None
    user = result.data["createUser"]["user"]
    assert (user["email"], user["status"], user["licenses"]) == (
        "ada@acme.test",
        "ACTIVE",
        [{"product": {"sku": "CRM_BASIC"}, "state": "ACTIVE"}],
    )


async def test_create_user_validation_failure_is_a_user_error_and_changes_nothing():
    fx = await make_org()
    before = await User.all().count()
    result = await execute(CREATE, {"input": {"email": "not an email", "displayName": "X"}}, token=fx.token)
    assert result.data["createUser"] == {
        "user": None,
        "userErrors": [{"code": "INVALID_INPUT", "message": "This is not a valid email address.", "field": ["input", "email"]}],
    }
    assert await User.all().count() == before


async def test_users_are_paged_by_email_with_cursors_and_total_count():
    fx = await make_org()
    for name in ("carol", "alice", "bob"):
        await make_user(fx, email=f"{name}@people.test")
    first = (await execute(USERS, {"first": 2, "filter": {"search": "@PEOPLE.test"}}, token=fx.token)).data["users"]
    assert [e["node"]["email"] for e in first["edges"]] == ["alice@people.test", "bob@people.test"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"]
    second = (
        await execute(
            USERS, {"first": 2, "after": first["pageInfo"]["endCursor"], "filter": {"search": "@people.test"}}, token=fx.token
        )
    ).data["users"]
    assert [e["node"]["email"] for e in second["edges"]] == ["carol@people.test"]
    assert second["pageInfo"]["hasPreviousPage"] and not second["pageInfo"]["hasNextPage"]


async def test_invalid_first_or_cursor_is_bad_user_input():
    fx = await make_org()
    for variables in ({"first": 0}, {"first": 101}, {"first": 10, "after": "garbage!"}):
        result = await execute(USERS, variables, token=fx.token)
        assert result.data is None and error_codes(result) == ["BAD_USER_INPUT"]


async def test_users_filter_by_product_and_status():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    await make_user(fx, email="lic@acme.test", skus=["CRM_BASIC"])
    await make_user(fx, email="idle@acme.test")
    by_product = (await execute(USERS, {"filter": {"productSku": "CRM_BASIC"}}, token=fx.token)).data["users"]
    assert [e["node"]["email"] for e in by_product["edges"]] == ["lic@acme.test"]
    active = (await execute(USERS, {"filter": {"status": "ACTIVE"}}, token=fx.token)).data["users"]
    assert [e["node"]["email"] for e in active["edges"]] == ["lic@acme.test"]


async def test_without_a_token_every_operation_but_sign_in_is_unauthenticated():
    await make_org()
    result = await execute("{ viewer { role } }")
    assert result.data is None and error_codes(result) == ["UNAUTHENTICATED"]
    result = await execute(CREATE, {"input": {"email": "x@acme.test", "displayName": "X"}}, token="forged")
    assert result.data is None and error_codes(result) == ["UNAUTHENTICATED"]
    assert not await User.exists(email="x@acme.test")


async def test_reader_is_forbidden_to_create_users_and_nothing_changes():
    fx = await make_org()
    reader = await make_user(fx, role=AdminRole.READER)
    token = await token_for(fx, reader, AdminRole.READER)
    result = await execute(CREATE, {"input": {"email": "x@acme.test", "displayName": "X"}}, token=token)
    assert result.data is None and error_codes(result) == ["FORBIDDEN"]
    assert not await User.exists(email="x@acme.test")


async def test_user_admin_may_not_grant_admin_roles():
    fx = await make_org()
    user_admin = await make_user(fx, role=AdminRole.USER_ADMIN)
    token = await token_for(fx, user_admin, AdminRole.USER_ADMIN)
    result = await execute(
        CREATE, {"input": {"email": "x@acme.test", "displayName": "X", "adminRole": "GLOBAL_ADMIN"}}, token=token
    )
    assert error_codes(result) == ["FORBIDDEN"]
    assert not await User.exists(email="x@acme.test")


async def test_another_organizations_user_reads_as_unknown():
    acme, other = await make_org("Acme"), await make_org("Other")
    stranger = await make_user(other)
    result = await execute("query($id: ID!) { user(id: $id) { email } }", {"id": str(stranger.id)}, token=acme.token)
    assert result.data == {"user": None}
    result = await execute(
        "mutation($id: ID!) { deleteUser(input: {userId: $id}) { user { id } userErrors { code field } } }",
        {"id": str(stranger.id)},
        token=acme.token,
    )
    assert result.data["deleteUser"]["userErrors"] == [{"code": "NOT_FOUND", "field": ["input", "userId"]}]
    assert (await User.get(id=stranger.id)).deleted_at is None


async def test_delete_and_restore_through_the_api():
    fx = await make_org()
    user = await make_user(fx)
    deleted = await execute(
        "mutation($id: ID!) { deleteUser(input: {userId: $id}) { user { status deletedAt restorableUntil } userErrors { code } } }",
        {"id": str(user.id)},
        token=fx.token,
    )
    assert deleted.data["deleteUser"]["user"]["status"] == "DELETED"
    restored = await execute(
        "mutation($id: ID!) { restoreUser(input: {userId: $id}) { user { status } licensesNotRestored { sku } userErrors { code } } }",
        {"id": str(user.id)},
        token=fx.token,
    )
    assert restored.data["restoreUser"] == {"user": {"status": "DISABLED"}, "licensesNotRestored": [], "userErrors": []}
    actions = set(await AuditEvent.filter(target_id=str(user.id)).values_list("action", flat=True))
    assert {"user.created", "user.deleted", "user.restored"} <= actions


async def test_set_admin_role_and_last_global_admin_through_the_api():
    fx = await make_org()
    result = await execute(
        "mutation($id: ID!) { setAdminRole(input: {userId: $id, role: READER}) { user { adminRole } userErrors { code } } }",
        {"id": str(fx.admin.id)},
        token=fx.token,
    )
    assert result.data["setAdminRole"] == {"user": None, "userErrors": [{"code": "LAST_GLOBAL_ADMIN"}]}
    user = await make_user(fx)
    result = await execute(
        "mutation($id: ID!) { setAdminRole(input: {userId: $id, role: BILLING_ADMIN}) { user { adminRole } userErrors { code } } }",
        {"id": str(user.id)},
        token=fx.token,
    )
    assert result.data["setAdminRole"] == {"user": {"adminRole": "BILLING_ADMIN"}, "userErrors": []}


async def test_sign_in_and_viewer_and_sign_out():
    fx = await make_org()
    signed = await execute(
        "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token viewer { role credential user { email } } userErrors { code } } }",
        {"e": fx.admin.email, "p": PASSWORD},
    )
    payload = signed.data["signIn"]
    assert payload["viewer"] == {"role": "GLOBAL_ADMIN", "credential": "SESSION", "user": {"email": fx.admin.email}}
    out = await execute("mutation { signOut { sessionsEnded userErrors { code } } }", token=payload["token"])
    assert out.data["signOut"] == {"sessionsEnded": 1, "userErrors": []}
    assert error_codes(await execute("{ viewer { role } }", token=payload["token"])) == ["UNAUTHENTICATED"]


async def test_api_tokens_are_created_listed_and_revoked_by_global_admins():
    fx = await make_org()
    created = await execute(
        'mutation { createApiToken(input: {name: "hr-feed", role: USER_ADMIN, expiresInDays: 30}) { token apiToken { id name role owner expiresAt } userErrors { code } } }',
        token=fx.token,
    )
    payload = created.data["createApiToken"]
    assert payload["apiToken"]["owner"] == fx.admin.email and payload["token"].startswith("sw_")
    viewer = await execute("{ viewer { role credential } }", token=payload["token"])
    assert viewer.data["viewer"] == {"role": "USER_ADMIN", "credential": "API_TOKEN"}
    listed = await execute("{ apiTokens { name revokedAt } }", token=fx.token)
    assert {"name": "hr-feed", "revokedAt": None} in listed.data["apiTokens"]
    revoked = await execute(
        "mutation($id: ID!) { revokeApiToken(input: {id: $id}) { apiToken { revokedAt } userErrors { code } } }",
        {"id": payload["apiToken"]["id"]},
        token=fx.token,
    )
    assert revoked.data["revokeApiToken"]["apiToken"]["revokedAt"] is not None
    assert error_codes(await execute("{ viewer { role } }", token=payload["token"])) == ["UNAUTHENTICATED"]


async def test_api_token_acts_as_its_owner_in_the_audit_trail():
    fx = await make_org()
    created = await execute('mutation { createApiToken(input: {name: "bulk-job", role: USER_ADMIN}) { token } }', token=fx.token)
    token = created.data["createApiToken"]["token"]
    result = await execute(CREATE, {"input": {"email": "via@acme.test", "displayName": "Via"}}, token=token)
    user_id = result.data["createUser"]["user"]["id"]
    event = await AuditEvent.get(action="user.created", target_id=key_of(user_id))
    assert event.actor == fx.admin.email and event.details["apiToken"] == "bulk-job"


async def test_access_check_through_the_api():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    await make_user(fx, email="ok@acme.test", skus=["CRM_BASIC"])
    query = 'query($e: String!) { accessCheck(email: $e, productSku: "CRM_BASIC") { allowed reason } }'
    assert (await execute(query, {"e": " OK@acme.test "}, token=fx.token)).data["accessCheck"] == {
        "allowed": True,
        "reason": None,
    }
    assert (await execute(query, {"e": "who@acme.test"}, token=fx.token)).data["accessCheck"] == {
        "allowed": False,
        "reason": "UNKNOWN_USER",
    }
