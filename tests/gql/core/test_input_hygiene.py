"""Input hygiene: no error message quotes an input value; text that cannot fit a column or holds a NUL, and
malformed DateTimes, are input errors (never INTERNAL_SERVER_ERROR, nothing logged at error level) that answer
the same on SQLite and PostgreSQL; ids are compared after parsing."""

from __future__ import annotations

import logging

import pytest

from seatwise.gql.graphql.core.errors import without_values
from seatwise.models.core.inputs import parse_id
from seatwise.models.core.tables import AuditEvent, LicenseAssignment, SignInFailure, User
from tests.support import PASSWORD, error_codes, execute, gid, give_licenses, make_org, make_user

CARD = "4242424242424242"
SECRET = "s3cr3t-Sentinel-9f8e7d"
ADD_CARD = "mutation($i: AddPaymentCardInput!) { addPaymentCard(input: $i) { userErrors { code message } } }"
SIGN_IN = "mutation($i: SignInInput!) { signIn(input: $i) { token userErrors { code message field } } }"
USERS = "query($f: UserFilter) { users(first: 5, filter: $f) { totalCount } }"
BULK = "mutation($u: [ID!]!, $s: String!) { assignLicenses(input: {userIds: $u, productSku: $s}) { userErrors { code message field } } }"
REVOKE_TOKEN = "mutation($id: ID!) { revokeApiToken(input: {id: $id}) { userErrors { code } } }"
CLOCK = "mutation($to: DateTime!) { advanceTestClock(input: {to: $to}) { organization { now } userErrors { code message } } }"
GOOD_CARD = {"number": CARD, "cvc": "123", "expMonth": 12, "expYear": 2030}

# Every graphql-core template that can quote a value: (document, variables, a fragment the message keeps).
TEMPLATES = [
    pytest.param(
        ADD_CARD,
        {"i": {"numbr": CARD, "cvc": SECRET, "expMonth": 1, "expYear": 2030}},
        "unknown field 'numbr'. Did you mean 'number'?",
        id="variable-unknown-field-suggestion",
    ),
    pytest.param(ADD_CARD, {"i": {**GOOD_CARD, "nickname": SECRET}}, "unknown field 'nickname'", id="variable-unknown-field"),
    pytest.param(ADD_CARD, {"i": {**GOOD_CARD, CARD: SECRET}}, "an unknown field", id="variable-unknown-key-not-a-name"),
    pytest.param(
        SIGN_IN,
        {"i": {"email": "admin@acme.test", "pasword": SECRET}},
        "required field 'password'",
        id="variable-required-field-missing",
    ),
    pytest.param(ADD_CARD, {"i": SECRET}, "'AddPaymentCardInput' to be an object", id="variable-not-an-object"),
    pytest.param(
        ADD_CARD,
        {"i": {**GOOD_CARD, "number": int(CARD)}},
        "String cannot represent a non string value",
        id="variable-string-given-number",
    ),
    pytest.param(
        ADD_CARD,
        {"i": {**GOOD_CARD, "expMonth": SECRET}},
        "Int cannot represent non-integer value",
        id="variable-int-given-string",
    ),
    pytest.param(
        ADD_CARD,
        {"i": {**GOOD_CARD, "expMonth": int(CARD)}},
        "Int cannot represent non 32-bit signed integer value",
        id="variable-int-out-of-range",
    ),
    pytest.param(
        ADD_CARD,
        {"i": {**GOOD_CARD, "makeDefault": SECRET}},
        "Boolean cannot represent a non boolean value",
        id="variable-boolean-given-string",
    ),
    pytest.param(REVOKE_TOKEN, {"id": {"x": SECRET}}, "ID cannot represent", id="variable-id-given-object"),
    pytest.param(USERS, {"f": {"status": SECRET}}, "does not exist in 'UserStatus' enum", id="variable-enum-unknown-value"),
    pytest.param(USERS, {"f": {"status": "ACTIVEX"}}, "Did you mean the enum value 'ACTIVE'?", id="variable-enum-suggestion"),
    pytest.param(USERS, {"f": {"status": int(CARD)}}, "'UserStatus'", id="variable-enum-non-string"),
    pytest.param(BULK, {"u": [{"x": SECRET}], "s": "CRM_BASIC"}, "ID cannot represent", id="variable-list-item"),
    pytest.param(CLOCK, {"to": SECRET}, "ISO-8601", id="variable-datetime-garbage"),
    pytest.param(CLOCK, {"to": f"2027-01-01T00:00:00 {SECRET}"}, "ISO-8601", id="variable-datetime-trailing-garbage"),
    pytest.param(
        'mutation { addPaymentCard(input: {nickname: "%s", number: "%s", cvc: "123", expMonth: 1, expYear: 2030}) { userErrors { code } } }'
        % (SECRET, CARD),
        None,
        "unknown field 'nickname'",
        id="literal-unknown-field",
    ),
    pytest.param(
        'mutation { signIn(input: {email: "%s", pasword: "%s"}) { token } }' % (CARD, SECRET),
        None,
        "required field 'password'",
        id="literal-required-field-missing",
    ),
    pytest.param(
        'mutation { addPaymentCard(input: {number: %s, cvc: "123", expMonth: 1, expYear: 2030}) { userErrors { code } } }' % CARD,
        None,
        "String cannot represent a non string value",
        id="literal-string-given-int",
    ),
    pytest.param(
        'mutation { addPaymentCard(input: {number: "1", cvc: "1", expMonth: %s, expYear: 2030}) { userErrors { code } } }' % CARD,
        None,
        "Int cannot represent non 32-bit signed integer value",
        id="literal-int-out-of-range",
    ),
    pytest.param(
        'mutation { addPaymentCard(input: "%s") { userErrors { code } } }' % SECRET,
        None,
        "to be an object",
        id="literal-not-an-object",
    ),
    pytest.param(
        "{ users(filter: {status: ACTIVE%s}) { totalCount } }" % SECRET.replace("-", "_"),
        None,
        "'UserStatus'",
        id="literal-enum-unknown",
    ),
    pytest.param(
        '{ users(filter: {status: "%s"}) { totalCount } }' % SECRET, None, "'UserStatus'", id="literal-enum-given-string"
    ),
    pytest.param('{ user(id: {x: "%s"}) { id } }' % SECRET, None, "ID cannot represent", id="literal-id-given-object"),
    pytest.param(
        'mutation { advanceTestClock(input: {to: "%s"}) { userErrors { code } } }' % SECRET,
        None,
        "ISO-8601",
        id="literal-datetime-garbage",
    ),
    pytest.param('{ users(filter: {search: "x"} "%s") { totalCount } }' % SECRET, None, "Syntax Error", id="syntax-string-token"),
    pytest.param("{ users(first: 1 %s) { totalCount } }" % CARD, None, "Syntax Error", id="syntax-int-token"),
    pytest.param(
        '{ users(filter: {search: "%s\\u12"}) { totalCount } }' % SECRET, None, "escape sequence", id="syntax-bad-escape"
    ),
]


@pytest.mark.parametrize(("document", "variables", "kept"), TEMPLATES)
async def test_no_error_message_quotes_an_input_value(document, variables, kept):
    fx = await make_org(sandbox=True)

    result = await execute(document, variables, token=fx.token)

    assert result.errors, result.data
    messages = " | ".join(error.message for error in result.errors)
    for value in (CARD, SECRET, SECRET.replace("-", "_"), "4242"):
        assert value not in messages, messages
    assert "'ACTIVEX'" not in messages and '"ACTIVEX"' not in messages, messages
    assert kept in messages, messages  # the names and types stay: the message still says what is wrong
    assert "INTERNAL_SERVER_ERROR" not in error_codes(result)


@pytest.mark.parametrize(
    "message",
    [
        "Expected value of type 'T' not to include unknown field 'numbr'. Did you mean 'number'? Found: {'numbr': '4242'}.",
        "Expected value of type 'T' not to include unknown field 'a b', found: {'a b': '4242'}.",
        "Expected value of type 'T', but encountered error 'bad 4242'; found: '4242'.",
        "Enum 'E' cannot represent non-enum value: \"4242\". Did you mean the enum value 'A', 'B', or 'C'?",
        "Value '4242' does not exist in 'E' enum. Did you mean the enum value 'A' or 'B'?",
        "Variable '$x' got invalid value '4242' at 'x.y'; Expected type 'Int'.",
        "Syntax Error: Unexpected BlockString '4242\n4242'.",
        "Syntax Error: Invalid character escape sequence: '\\x4242'.",
        "ID cannot represent value: {'a': '4242'}",
    ],
)
def test_without_values_drops_the_value_of_every_template(message):
    cleaned = without_values(message)
    assert "4242" not in cleaned, cleaned
    assert cleaned.endswith((".", "?"))


# ---------------------------------------------------------------- over-long text, NUL, DateTimes


@pytest.fixture
def no_error_logs(caplog):
    caplog.set_level(logging.INFO)
    yield caplog
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def _clean_refusal(result, code: str, *values: str) -> None:
    assert error_codes(result) == [code], (error_codes(result), result.errors)
    assert result.data is None
    for value in values:
        assert value not in result.errors[0].message


LONG_EMAIL = "a" * 400 + "@acme.test"
LONG_SKU = "CRM_" + "X" * 70


def _refused_at(result, path: str) -> None:
    """The text boundary's refusal (gql/graphql/core/text_boundary.py): BAD_USER_INPUT naming where, nothing ran."""
    assert result.data is None
    assert [(e.extensions["code"], e.extensions["argument"]) for e in result.errors] == [("BAD_USER_INPUT", path)]


@pytest.mark.parametrize("email", ["admin\x00@acme.test", "admin\ud800@acme.test"], ids=["nul", "surrogate"])
async def test_sign_in_with_text_no_database_stores_is_refused_at_the_boundary(email, no_error_logs):
    await make_org()

    _refused_at(await execute(SIGN_IN, {"i": {"email": email, "password": PASSWORD}}), "$i.email")
    assert await SignInFailure.all().count() == 0  # nothing written


async def test_sign_in_with_an_impossible_email_is_invalid_input(no_error_logs):
    await make_org()

    result = await execute(SIGN_IN, {"i": {"email": LONG_EMAIL, "password": PASSWORD}})

    assert result.errors is None, result.errors
    [error] = result.data["signIn"]["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", ["input", "email"])
    assert "aaaa" not in error["message"] and "admin" not in error["message"]
    assert await SignInFailure.all().count() == 0  # nothing written


async def test_sign_in_with_a_lone_surrogate_in_the_password_is_refused_at_the_boundary(no_error_logs):
    fx = await make_org()

    _refused_at(await execute(SIGN_IN, {"i": {"email": fx.admin.email, "password": PASSWORD + "\ud800"}}), "$i.password")


ACCESS = "query($e: String!, $s: String!) { accessCheck(email: $e, productSku: $s) { allowed reason } }"


@pytest.mark.parametrize(
    ("email", "sku"),
    [
        (LONG_EMAIL, "CRM_BASIC"),
        ("x@acme.test", LONG_SKU),
        ("x\x00@acme.test", "CRM_BASIC"),
        ("x@acme.test", "CRM\x00BASIC"),
    ],
    ids=["long-email", "long-sku", "nul-email", "nul-sku"],
)
async def test_access_check_with_impossible_text_is_bad_user_input(email, sku, no_error_logs):
    fx = await make_org()

    result = await execute(ACCESS, {"e": email, "s": sku}, token=fx.token)

    _clean_refusal(result, "BAD_USER_INPUT", "aaaa", "XXXX", "x@acme")


@pytest.mark.parametrize(
    "filter",
    [
        {"productSku": LONG_SKU},
        {"productSku": "CRM\x00"},
        {"search": "a" * 300},
        {"search": "ann\x00"},
        {"search": "ann\udc00"},
    ],
    ids=["long-sku", "nul-sku", "long-search", "nul-search", "surrogate-search"],
)
async def test_users_filter_with_impossible_text_is_bad_user_input(filter, no_error_logs):
    fx = await make_org()

    result = await execute(USERS, {"f": filter}, token=fx.token)

    _clean_refusal(result, "BAD_USER_INPUT", "aaaa", "XXXX", "ann")


AUDIT = "query($f: AuditFilter) { auditEvents(first: 5, filter: $f) { totalCount } }"


@pytest.mark.parametrize(
    "filter",
    [
        {"action": "user." + "x" * 70},
        {"targetId": "1" * 70},
        {"action": "user.created\x00"},
        {"targetId": "1\x00"},
    ],
    ids=["long-action", "long-target", "nul-action", "nul-target"],
)
async def test_audit_filter_with_impossible_text_is_bad_user_input(filter, no_error_logs):
    fx = await make_org()

    result = await execute(AUDIT, {"f": filter}, token=fx.token)

    _clean_refusal(result, "BAD_USER_INPUT", "xxxx", "1111")


SKU_MUTATIONS = {
    "assignLicense": (
        "mutation($s: String!, $u: ID!) { assignLicense(input: {userId: $u, productSku: $s}) { userErrors { code message field } } }",
        ["input", "productSku"],
    ),
    "assignLicenses": (
        "mutation($s: String!, $u: ID!) { assignLicenses(input: {userIds: [$u], productSku: $s}) { userErrors { code message field } } }",
        ["input", "productSku"],
    ),
    "revokeLicense": (
        "mutation($s: String!, $u: ID!) { revokeLicense(input: {userId: $u, productSku: $s}) { userErrors { code message field } } }",
        ["input", "productSku"],
    ),
    "createUser": (
        'mutation($s: String!) { createUser(input: {email: "new@acme.test", displayName: "New", productSkus: ["CRM_BASIC", $s]}) { userErrors { code message field } } }',
        ["input", "productSkus", "1"],
    ),
    "purchaseLicenses": (
        'mutation($s: String!) { purchaseLicenses(input: {productSku: $s, quantity: 1, idempotencyKey: "k1"}) { userErrors { code message field } } }',
        ["input", "productSku"],
    ),
}


@pytest.mark.parametrize("sku", [LONG_SKU, "CRM_BASIC\x00"], ids=["long", "nul"])
@pytest.mark.parametrize("mutation", list(SKU_MUTATIONS))
async def test_every_mutation_refuses_an_impossible_sku_as_invalid_input(mutation, sku, no_error_logs):
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    user = await make_user(fx)
    document, field = SKU_MUTATIONS[mutation]

    variables = {"s": sku, "u": str(user.id)} if "$u" in document else {"s": sku}
    result = await execute(document, variables, token=fx.token)

    if "\x00" in sku:
        _refused_at(result, "$s")
    else:
        assert result.errors is None, result.errors
        [error] = result.data[mutation]["userErrors"]
        assert (error["code"], error["field"]) == ("INVALID_INPUT", field)
        assert "XXXX" not in error["message"]
    assert await LicenseAssignment.filter(user_id=user.id).count() == 0
    assert await User.filter(email="new@acme.test").count() == 0


async def test_purchase_quote_with_an_impossible_sku_is_a_top_level_invalid_input(no_error_logs):
    fx = await make_org()

    result = await execute(
        "query($s: String!) { purchaseQuote(productSku: $s, quantity: 1) { quantity } }", {"s": LONG_SKU}, token=fx.token
    )

    _clean_refusal(result, "INVALID_INPUT", "XXXX")


NUL_MUTATIONS = [
    pytest.param(
        'mutation { createUser(input: {email: "n@acme.test", displayName: "Ann\\u0000"}) { userErrors { code field } } }',
        "createUser",
        "input.displayName",
        id="displayName",
    ),
    pytest.param(
        'mutation { createApiToken(input: {name: "ci\\u0000", role: READER}) { userErrors { code field } } }',
        "createApiToken",
        "input.name",
        id="tokenName",
    ),
    pytest.param(
        'mutation { submitServiceRequest(input: {category: OTHER, description: "help\\u0000"}) { userErrors { code field } } }',
        "submitServiceRequest",
        "input.description",
        id="description",
    ),
    pytest.param(
        'mutation { purchaseLicenses(input: {productSku: "CRM_BASIC", quantity: 1, idempotencyKey: "k\\u0000"}) { userErrors { code field } } }',
        "purchaseLicenses",
        "input.idempotencyKey",
        id="idempotencyKey",
    ),
]


@pytest.mark.parametrize(("document", "mutation", "field"), NUL_MUTATIONS)
async def test_a_nul_in_any_stored_string_is_refused_at_the_boundary_on_every_database(document, mutation, field, no_error_logs):
    fx = await make_org()
    events = await AuditEvent.all().count()

    _refused_at(await execute(document, token=fx.token), field)
    assert await AuditEvent.all().count() == events  # nothing changed


async def test_a_password_with_a_lone_surrogate_is_refused_at_the_boundary(no_error_logs):
    fx = await make_org()

    result = await execute(
        'mutation($p: String) { createUser(input: {email: "n@acme.test", displayName: "Ann", adminRole: READER, password: $p}) { userErrors { code field } } }',
        {"p": PASSWORD + "\ud800"},
        token=fx.token,
    )

    _refused_at(result, "$p")
    assert await User.filter(email="n@acme.test").count() == 0


async def test_a_cancellation_reason_with_a_nul_is_refused_at_the_boundary(no_error_logs):
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_BASIC", 2)

    result = await execute(
        'mutation($id: ID!) { cancelSubscription(input: {subscriptionId: $id, reason: "bye\\u0000", acknowledgeDataLoss: true}) { subscription { id } userErrors { code field } } }',
        {"id": str(sub.id)},
        token=fx.token,
    )

    _refused_at(result, "input.reason")


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "2027-01-01T00:00:00",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "2027-13-45T00:00:00Z",
        "",
    ],
    ids=["garbage", "no-zone", "before-year-1-in-utc", "after-9999-in-utc", "impossible-date", "empty"],
)
async def test_advance_test_clock_with_a_malformed_datetime_is_an_input_error(value, no_error_logs):
    fx = await make_org(sandbox=True)

    result = await execute(CLOCK, {"to": value}, token=fx.token)

    _clean_refusal(result, "BAD_USER_INPUT", *([value] if value else []))
    assert "DateTime" in result.errors[0].message


async def test_advance_test_clock_to_year_one_is_invalid_input_on_every_database(no_error_logs):
    fx = await make_org(sandbox=True)

    result = await execute(CLOCK, {"to": "0001-01-01T00:00:00-14:00"}, token=fx.token)

    assert result.errors is None, result.errors
    assert result.data["advanceTestClock"]["userErrors"][0]["code"] == "INVALID_INPUT"


# ---------------------------------------------------------------- ids, parsed once


def test_an_id_parses_the_same_whatever_its_leading_zeros():
    assert parse_id("60577") == parse_id("060577") == parse_id("0000060577") == parse_id(60577) == 60577
    assert [parse_id(raw) for raw in ("", "-1", "1.0", "\u00b2", "1" * 19, " 1", True)] == [None] * 7


async def test_assign_licenses_refuses_one_user_listed_under_two_spellings(no_error_logs):
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    user = await make_user(fx)

    result = await execute(BULK, {"u": [str(user.id), "0" + str(user.id)], "s": "CRM_BASIC"}, token=fx.token)

    [error] = result.data["assignLicenses"]["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", ["input", "userIds", "1"])
    assert "listed twice" in error["message"] and str(user.id) not in error["message"]
    assert await LicenseAssignment.filter(user_id=user.id).count() == 0


async def test_a_user_id_with_a_leading_zero_names_the_same_user():
    fx = await make_org()
    user = await make_user(fx)

    result = await execute("query($id: ID!) { user(id: $id) { id } }", {"id": "0" + str(user.id)}, token=fx.token)

    assert result.data["user"] == {"id": gid("User", user.id)}


async def test_audit_events_filtered_by_a_target_id_with_a_leading_zero_find_the_target():
    fx = await make_org()
    user = await make_user(fx)

    result = await execute(
        "query($t: ID) { auditEvents(first: 5, filter: {targetId: $t}) { totalCount } }",
        {"t": "0" + str(user.id)},
        token=fx.token,
    )

    assert result.data["auditEvents"]["totalCount"] == 1  # user.created
