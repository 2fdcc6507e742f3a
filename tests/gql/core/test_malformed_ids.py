"""Malformed ids read as NOT_FOUND, malformed cursors as BAD_USER_INPUT; existence is checked before state."""

import base64

from seatwise.models.people import deletion
from tests.support import NOW, error_codes, execute, give_licenses, make_org, make_user

USER_Q = "query($id: ID!) { user(id: $id) { id email } }"
DEL = "mutation($id: ID!) { deleteUser(input: {userId: $id}) { user { id } userErrors { code field } } }"
REVOKE_TOK = "mutation($id: ID!) { revokeApiToken(input: {id: $id}) { apiToken { id } userErrors { code } } }"
USERS = "query($after: String) { users(first: 5, after: $after) { totalCount edges { node { email } } } }"
ASSIGN = "mutation($u: ID!, $s: String!) { assignLicense(input: {userId: $u, productSku: $s}) { user { id } userErrors { code field } } }"
BULK = "mutation($u: [ID!]!, $s: String!) { assignLicenses(input: {userIds: $u, productSku: $s}) { userErrors { code field } } }"


async def test_superscript_digit_user_id_is_not_found_not_internal_error():
    fx = await make_org()
    result = await execute(DEL, {"id": "\u00b2"}, token=fx.token)
    assert result.errors is None, error_codes(result)
    assert result.data["deleteUser"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_superscript_digit_in_user_query_is_null():
    fx = await make_org()
    result = await execute(USER_Q, {"id": "\u00b2"}, token=fx.token)
    assert result.errors is None, error_codes(result)
    assert result.data["user"] is None


async def test_arabic_indic_digits_do_not_resolve_to_a_real_user():
    fx = await make_org()
    # 'ids are decimal strings'; a non-ASCII digit string is malformed and must read as NOT_FOUND
    arabic = "".join(chr(0x0660 + int(d)) for d in str(fx.admin.id))
    result = await execute(USER_Q, {"id": arabic}, token=fx.token)
    assert result.data["user"] is None, result.data


async def test_bulk_assign_superscript_id_is_not_found():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    result = await execute(BULK, {"u": ["\u00b2"], "s": "CRM_BASIC"}, token=fx.token)
    assert result.errors is None, error_codes(result)
    assert result.data["assignLicenses"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_revoke_api_token_huge_id_is_not_found():
    fx = await make_org()
    result = await execute(REVOKE_TOK, {"id": "9" * 30}, token=fx.token)
    assert result.errors is None, error_codes(result)
    assert result.data["revokeApiToken"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_revoke_api_token_superscript_id_is_not_found():
    fx = await make_org()
    result = await execute(REVOKE_TOK, {"id": "\u00b2"}, token=fx.token)
    assert result.errors is None, error_codes(result)
    assert result.data["revokeApiToken"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_cursor_with_non_ascii_digit_is_bad_user_input():
    fx = await make_org()
    cursor = base64.urlsafe_b64encode("o:\u00b2".encode()).decode()
    result = await execute(USERS, {"after": cursor}, token=fx.token)
    assert result.data is None and error_codes(result) == ["BAD_USER_INPUT"], error_codes(result)


async def test_assign_license_deleted_user_and_unknown_product_reports_existence_first():
    fx = await make_org()
    user = await make_user(fx)
    await deletion.delete_user(fx.org, str(user.id), actor=fx.actor, now=NOW)
    result = await execute(ASSIGN, {"u": str(user.id), "s": "NO_SUCH_SKU"}, token=fx.token)
    # docs/rules.md section 9: existence (UNKNOWN_PRODUCT) comes before state (USER_DELETED)
    assert result.data["assignLicense"]["userErrors"][0]["code"] == "UNKNOWN_PRODUCT", result.data
