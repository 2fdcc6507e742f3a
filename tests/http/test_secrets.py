"""No secret at rest or in logs: card numbers, CVCs and bearer tokens sent to a real server are found
neither in the raw database (the SQLite files' bytes, or every PostgreSQL table dumped via SQL) nor
in the server's log."""

import re
from pathlib import Path

import httpx
import pytest
from tortoise import connections

from tests.billing_support import (
    AMEX,
    BAD_CVC_ON_ADD,
    DECLINES_ON_ADD,
    DECLINES_ON_CHARGE,
    DISCOVER,
    EXPIRED_ON_ADD,
    MASTERCARD,
    VISA,
)
from tests.support import PASSWORD, Server, database_url, is_postgres, make_org, post

ADD_CARD = """
mutation($input: AddPaymentCardInput!) {
  addPaymentCard(input: $input) { paymentCard { last4 } userErrors { code message } }
}"""
PURCHASE = """
mutation($input: PurchaseLicensesInput!) { purchaseLicenses(input: $input) { charge { status } userErrors { code } } }"""
SIGN_IN = "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token } }"
# Distinctive CVCs: a 3-digit value is searched for where it could have been written (quoted, keyed, as a value).
CVC3, CVC4 = "731", "7319"
LONG_HEX = re.compile(r"[0-9a-f]{32,}|tok_sandbox_\w+")


@pytest.fixture
def server():
    running = Server().wait_ready()
    yield running
    running.stop()


def cvc_of(number: str) -> str:
    return CVC4 if number.startswith(("34", "37")) else CVC3


async def dump_rows() -> str:
    """Every row of every table as text, through SQL."""
    conn = connections.get("default")
    if is_postgres():
        names = [
            r["tablename"] for r in await conn.execute_query_dict("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        rows = []
        for name in names:
            rows += [str(r) for r in await conn.execute_query_dict(f'SELECT t::text AS row FROM "{name}" t')]
        return "\n".join(rows)
    names = [r["name"] for r in await conn.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'table'")]
    rows = []
    for name in names:
        rows += [str(r) for r in await conn.execute_query_dict(f'SELECT * FROM "{name}"')]
    return "\n".join(rows)


def raw_sqlite_bytes() -> bytes:
    path = Path(database_url().removeprefix("sqlite://").split("?")[0])
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())


def assert_no_cvc_value(text: str, where: str) -> None:
    text = LONG_HEX.sub("", text)  # hashes and gateway tokens may hold any digit run
    for cvc in (CVC3, CVC4):
        assert not re.search(rf"(?<![0-9]){cvc}(?![0-9])", text), f"CVC {cvc} found in {where}"


async def test_card_numbers_cvcs_and_tokens_are_nowhere_at_rest_or_in_logs(server):
    fx = await make_org()
    numbers = [
        VISA,
        MASTERCARD,
        AMEX,
        DISCOVER,
        DECLINES_ON_CHARGE,
        DECLINES_ON_ADD,
        EXPIRED_ON_ADD,
        BAD_CVC_ON_ADD,
        "4242424242424241",
    ]
    async with httpx.AsyncClient(timeout=30) as client:
        session = (await post(client, server.url, SIGN_IN, {"e": fx.admin.email, "p": PASSWORD}))["data"]["signIn"]["token"]
        tokens = [fx.token, session]
        outcomes = {}
        for i, number in enumerate(numbers):
            variables = {"input": {"number": number, "expMonth": 12, "expYear": 2031, "cvc": cvc_of(number), "makeDefault": True}}
            body = await post(client, server.url, ADD_CARD, variables, token=tokens[i % 2])
            payload = body["data"]["addPaymentCard"]
            outcomes[number] = payload["userErrors"][0]["code"] if payload["userErrors"] else "OK"
            assert number not in str(body) and cvc_of(number) not in str(payload["userErrors"])
        # The default card now declines every charge: a failed charge is recorded too.
        await post(
            client,
            server.url,
            ADD_CARD,
            {"input": {"number": DECLINES_ON_CHARGE, "expMonth": 1, "expYear": 2032, "cvc": CVC3}},
            token=session,
        )
        body = await post(
            client,
            server.url,
            PURCHASE,
            {"input": {"productSku": "CRM_BASIC", "quantity": 1, "idempotencyKey": "s1"}},
            token=session,
        )
        assert body["data"]["purchaseLicenses"]["userErrors"] == [{"code": "CARD_DECLINED"}]
        # A badly typed input is refused by GraphQL validation: its error must not carry the number into the log either.
        await post(
            client,
            server.url,
            ADD_CARD,
            {"input": {"number": VISA, "expMonth": "twelve", "expYear": 2031, "cvc": CVC3}},
            token=session,
        )
    assert outcomes == {
        VISA: "OK",
        MASTERCARD: "OK",
        AMEX: "OK",
        DISCOVER: "OK",
        DECLINES_ON_CHARGE: "OK",
        DECLINES_ON_ADD: "CARD_DECLINED",
        EXPIRED_ON_ADD: "CARD_EXPIRED",
        BAD_CVC_ON_ADD: "INVALID_CVC",
        "4242424242424241": "INVALID_CARD_NUMBER",
    }
    server.stop()  # flush the log and let SQLite checkpoint
    log = server.log()
    rows = await dump_rows()
    assert "POST /graphql" in log and "4444" in rows and "CARD_DECLINED" in rows  # the searches see real data
    secrets = [*numbers, *tokens]
    for secret in secrets:
        assert secret not in log, "a secret reached the server log"
        assert secret not in rows, "a secret reached the database"
    assert "cvc" not in rows.lower(), "a CVC column or JSON key reached the database"
    assert_no_cvc_value(rows, "the database rows")
    for cvc in (CVC3, CVC4):
        assert f'"{cvc}"' not in log and f"'{cvc}'" not in log, "a CVC reached the server log"
    if not is_postgres():
        raw = raw_sqlite_bytes()
        for secret in secrets:
            assert secret.encode() not in raw, "a secret reached the SQLite file"
        for cvc in (CVC3, CVC4):
            assert f'"{cvc}"'.encode() not in raw and f"'{cvc}'".encode() not in raw
        assert b'"cvc"' not in raw.lower()
    # the dump holds the tables the secrets would be in: each token's hash (credential) and every card's last 4
    import hashlib

    assert all(hashlib.sha256(token.encode()).hexdigest() in rows for token in tokens)
    assert all(number[-4:] in rows for number, outcome in outcomes.items() if outcome == "OK")


async def test_a_card_number_sent_with_the_wrong_type_stays_out_of_the_log(server):
    fx = await make_org()
    async with httpx.AsyncClient(timeout=30) as client:
        body = await post(
            client,
            server.url,
            ADD_CARD,
            {"input": {"number": int(VISA), "expMonth": 12, "expYear": 2031, "cvc": int(CVC3)}},
            token=fx.token,
        )
    assert body["data"] is None
    server.stop()
    assert VISA not in server.log()


async def test_card_numbers_posted_to_the_sandbox_tokenizer_are_nowhere_at_rest_or_in_logs(server):
    fx = await make_org()
    async with httpx.AsyncClient(timeout=30) as client:
        for number in (VISA, AMEX, DECLINES_ON_ADD, "4242424242424241"):
            form = {"card[number]": number, "card[exp_month]": "12", "card[exp_year]": "2031", "card[cvc]": cvc_of(number)}
            response = await client.post(f"{server.url}/sandbox-gateway/tokens", data=form)
            assert number not in response.text
            if response.status_code == 200:
                await post(client, server.url, ADD_CARD, {"input": {"token": response.json()["id"]}}, token=fx.token)
    server.stop()
    log, rows = server.log(), await dump_rows()
    assert "POST /sandbox-gateway/tokens" in log and "0005" in rows  # the AMEX card was added: the searches see real data
    for number in (VISA, AMEX, DECLINES_ON_ADD, "4242424242424241"):
        assert number not in log and number not in rows
    assert "cvc" not in rows.lower()
    assert_no_cvc_value(rows, "the database rows")


STRIPE_KEY = "sk_test_seatwise_secret_" + "9f3c1a7e5b2d4c6e8a0b"  # distinctive: searched for everywhere


async def test_the_stripe_secret_key_is_nowhere_in_logs_errors_exports_or_metrics(localstripe):
    import stripe

    from seatwise.models.billing.gateways.stripe_gateway import HTTPXClient

    fx = await make_org()
    env = {"SEATWISE_GATEWAY": "stripe", "SEATWISE_STRIPE_SECRET_KEY": STRIPE_KEY, "SEATWISE_STRIPE_API_BASE": localstripe.url}
    running = Server(env).wait_ready()
    browser_http = HTTPXClient()
    browser = stripe.StripeClient(STRIPE_KEY, base_addresses={"api": localstripe.url}, http_client=browser_http)
    seen = []
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            for number in (VISA, DECLINES_ON_ADD, DECLINES_ON_CHARGE):
                method = await browser.v1.payment_methods.create_async(
                    params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2031, "cvc": CVC3}}
                )
                seen.append(await post(client, running.url, ADD_CARD, {"input": {"token": method.id}}, token=fx.token))
            seen.append(await post(client, running.url, ADD_CARD, {"input": {"token": "pm_unknown"}}, token=fx.token))
            seen.append(
                await post(
                    client,
                    running.url,
                    ADD_CARD,
                    {"input": {"number": VISA, "expMonth": 1, "expYear": 2031, "cvc": CVC3}},
                    token=fx.token,
                )
            )
            purchase = {"input": {"productSku": "CRM_BASIC", "quantity": 1, "idempotencyKey": "s1"}}
            seen.append(await post(client, running.url, PURCHASE, purchase, token=fx.token))
            export = "mutation { exportData(input: {format: JSON}) { dataExport { id } userErrors { code } } }"
            seen.append(await post(client, running.url, export, token=fx.token))
            seen.append({"metrics": (await client.get(f"{running.url}/metrics")).text})
            seen.append({"tokenizer": (await client.post(f"{running.url}/sandbox-gateway/tokens", data={})).status_code})
    finally:
        running.stop()
        await browser_http.close_async()
    codes = [[e["code"] for e in body["data"]["addPaymentCard"]["userErrors"]] for body in seen[:5]]
    assert codes == [[], ["CARD_DECLINED"], [], ["INVALID_INPUT"], ["INVALID_INPUT"]]
    assert seen[5]["data"]["purchaseLicenses"]["userErrors"] == [{"code": "CARD_DECLINED"}]  # the default card declines charges
    assert seen[-1] == {"tokenizer": 404}  # no sandbox tokenizer with a real processor
    rows = await dump_rows()
    assert "CARD_DECLINED" in rows and "pm_" in rows  # the searches see real data
    for where, text in (("the server log", running.log()), ("the responses", str(seen)), ("the database", rows)):
        assert STRIPE_KEY not in text and STRIPE_KEY[-12:] not in text, f"the Stripe secret key reached {where}"
