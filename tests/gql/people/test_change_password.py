"""changePassword through the schema: the payload, userErrors with their fields, FORBIDDEN for an API token."""

from seatwise.models.core.clock import utcnow
from seatwise.models.people import auth
from tests.support import PASSWORD, error_codes, execute, make_org

CHANGE = """mutation($current: String!, $new: String!) {
  changePassword(input: {currentPassword: $current, newPassword: $new}) {
    viewer { credential user { email } } userErrors { code field } } }"""
NEW = "a brand new passphrase"


async def test_a_signed_in_admin_changes_the_password_and_stays_signed_in():
    fx = await make_org()
    session, _ = await auth.sign_in(fx.admin.email, PASSWORD, now=utcnow())

    changed = (await execute(CHANGE, {"current": PASSWORD, "new": NEW}, token=session)).data["changePassword"]

    assert changed == {"viewer": {"credential": "SESSION", "user": {"email": fx.admin.email}}, "userErrors": []}
    assert (await execute("{ viewer { role } }", token=session)).data == {"viewer": {"role": "GLOBAL_ADMIN"}}


async def test_a_wrong_current_password_and_a_short_new_one_are_user_errors_on_their_fields():
    fx = await make_org()
    session, _ = await auth.sign_in(fx.admin.email, PASSWORD, now=utcnow())

    wrong = (await execute(CHANGE, {"current": "wrong password!", "new": NEW}, token=session)).data["changePassword"]
    short = (await execute(CHANGE, {"current": PASSWORD, "new": "short"}, token=session)).data["changePassword"]

    assert wrong == {"viewer": None, "userErrors": [{"code": "INVALID_CREDENTIALS", "field": ["input", "currentPassword"]}]}
    assert short == {"viewer": None, "userErrors": [{"code": "INVALID_INPUT", "field": ["input", "newPassword"]}]}


async def test_an_api_token_gets_forbidden():
    fx = await make_org()

    result = await execute(CHANGE, {"current": PASSWORD, "new": NEW}, token=fx.token)

    assert error_codes(result) == ["FORBIDDEN"] and result.data is None
