"""Seatwise from Python with the `gql` client: sign in, look at the seats, quote and buy what is missing
(safely retried with an idempotency key), create users and give them licenses in bulk with a progress
bar, then list the license conflicts and their remedies.

    python -m venv .venv-examples && .venv-examples/bin/pip install -r examples/requirements.txt
    SEATWISE_TOKEN=sw_... .venv-examples/bin/python examples/seats.py --product CRM_BASIC --new-users 25

Credentials come from the environment, never the command line: SEATWISE_TOKEN (an API token or a
session token), or SEATWISE_EMAIL and SEATWISE_PASSWORD to sign in. Results go to stdout, the progress
bars to stderr. Exit status: 0 done, 1 the server refused something (the reason is printed), 2 usage.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from collections.abc import Iterator

from gql.transport.exceptions import TransportError, TransportQueryError
from gql.transport.httpx import HTTPXTransport
from tqdm import tqdm

from gql import Client, GraphQLRequest

SIGN_IN = """
mutation SignIn($email: String!, $password: String!) {
  signIn(input: {email: $email, password: $password}) { token userErrors { code message } }
}"""

VIEWER = "query Viewer { viewer { role user { email } organization { name sandbox } } }"

SEATS = """
query Seats($sku: String) {
  seats(productSku: $sku) { product { sku name } purchased assigned available overage inConflict }
}"""

QUOTE = """
query Quote($sku: String!, $quantity: Int!) {
  purchaseQuote(productSku: $sku, quantity: $quantity) { quantity amountDue { amountCents currency } prorated periodEnd }
}"""

PURCHASE = """
mutation Purchase($sku: String!, $quantity: Int!, $key: String!) {
  purchaseLicenses(input: {productSku: $sku, quantity: $quantity, idempotencyKey: $key}) {
    subscription { id quantity }
    charge { id status amount { amountCents currency } }
    seats { purchased assigned available }
    userErrors { code message field }
  }
}"""

CREATE_USER = """
mutation CreateUser($email: String!, $name: String!) {
  createUser(input: {email: $email, displayName: $name}) { user { id email } userErrors { code message field } }
}"""

ASSIGN = """
mutation Assign($userIds: [ID!]!, $sku: String!) {
  assignLicenses(input: {userIds: $userIds, productSku: $sku}) {
    assigned { id } seats { purchased assigned available } userErrors { code message field }
  }
}"""

CONFLICTS = """
query Conflicts {
  licenseConflicts {
    product { sku } purchased assigned overage causes
    affectedUsers(first: 10) { totalCount edges { node { email } } }
    remedies { kind description quote { amountDue { amountCents currency } } }
  }
}"""


class Refused(Exception):
    """The server answered with userErrors: nothing was changed by that call."""


def connect(url: str, token: str | None = None) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    # The schema is fetched once (introspection needs no token) so that every document and variable is
    # checked locally before it is sent.
    return Client(transport=HTTPXTransport(url, headers=headers, timeout=30), fetch_schema_from_transport=True)


def run(session, document: str, **variables) -> dict:
    return session.execute(GraphQLRequest(document, variable_values=variables or None))


def payload(result: dict, field: str) -> dict:
    """The mutation's payload, or Refused with its userErrors."""
    body = result[field]
    if body["userErrors"]:
        raise Refused("; ".join(f"{e['code']}: {e['message']}" for e in body["userErrors"]))
    return body


def money(amount: dict) -> str:
    return f"{amount['amountCents'] / 100:.2f} {amount['currency']}"


def token_from_environment(url: str) -> str:
    token = os.environ.get("SEATWISE_TOKEN")
    if token:
        return token
    email, password = os.environ.get("SEATWISE_EMAIL"), os.environ.get("SEATWISE_PASSWORD")
    if not (email and password):
        print("Set SEATWISE_TOKEN, or SEATWISE_EMAIL and SEATWISE_PASSWORD.", file=sys.stderr)
        raise SystemExit(2)
    with connect(url) as anonymous:
        return payload(run(anonymous, SIGN_IN, email=email, password=password), "signIn")["token"]


def buy(session, sku: str, quantity: int, key: str, attempts: int = 3) -> dict:
    """purchaseLicenses, retried on network errors with the same idempotency key: at most one charge."""
    for attempt in range(1, attempts + 1):
        try:
            return payload(run(session, PURCHASE, sku=sku, quantity=quantity, key=key), "purchaseLicenses")
        except TransportError as error:
            if isinstance(error, TransportQueryError) or attempt == attempts:
                raise
            print(f"  network error ({error}); retrying with the same key", file=sys.stderr)
    raise AssertionError("unreachable")


def chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("SEATWISE_URL", "http://127.0.0.1:8000/graphql"))
    parser.add_argument("--product", default="CRM_BASIC", help="SKU to buy and assign")
    parser.add_argument("--new-users", type=int, default=10, help="users to create and license (0: none)")
    parser.add_argument("--email-domain", help="domain of the new users' emails (default: the signed-in admin's)")
    parser.add_argument("--batch-size", type=int, default=100, help="users per assignLicenses call (1..1000)")
    parser.add_argument("--idempotency-key", help="reuse a key to retry an earlier run's purchase safely")
    args = parser.parse_args(argv)
    if not 1 <= args.batch_size <= 1000 or args.new_users < 0:
        parser.error("--batch-size is 1..1000 and --new-users at least 0")

    try:
        token = token_from_environment(args.url)
        with connect(args.url, token) as session:
            viewer = run(session, VIEWER)["viewer"]
            org = viewer["organization"]
            print(
                f"Signed in as {viewer['user']['email']} ({viewer['role']}) of {org['name']}"
                + (" [sandbox]" if org["sandbox"] else "")
            )

            print("Seats:")
            for pool in run(session, SEATS)["seats"]:
                print(
                    f"  {pool['product']['sku']:<18} purchased {pool['purchased']:>5}  assigned {pool['assigned']:>5}"
                    f"  available {pool['available']:>5}" + ("  IN CONFLICT" if pool["inConflict"] else "")
                )

            if args.new_users:
                pool = run(session, SEATS, sku=args.product)["seats"][0]
                missing = max(args.new_users - pool["available"], 0)
                if missing:
                    quote = run(session, QUOTE, sku=args.product, quantity=missing)["purchaseQuote"]
                    print(
                        f"Quote: {missing} x {args.product} = {money(quote['amountDue'])}"
                        + (f" (prorated to {quote['periodEnd']})" if quote["prorated"] else "")
                    )
                    key = args.idempotency_key or f"seats-example-{uuid.uuid4()}"
                    bought = buy(session, args.product, missing, key)
                    charge = bought["charge"]
                    print(
                        f"Bought {missing} {args.product}: charge {charge['id']} {charge['status']} "
                        f"{money(charge['amount'])} (idempotency key {key})"
                    )
                    again = buy(session, args.product, missing, key)  # what a retry after a timeout would see
                    print(
                        f"Same key again: charge {again['charge']['id']}, "
                        + ("no second charge" if again["charge"]["id"] == charge["id"] else "A SECOND CHARGE")
                    )

                domain = args.email_domain or viewer["user"]["email"].split("@", 1)[1]
                batch = uuid.uuid4().hex[:6]
                user_ids = []
                for i in tqdm(range(args.new_users), desc="Creating users", unit="user"):
                    email = f"hire-{batch}-{i:04d}@{domain}"
                    created = payload(run(session, CREATE_USER, email=email, name=f"New hire {i}"), "createUser")
                    user_ids.append(created["user"]["id"])

                seats = None
                with tqdm(total=len(user_ids), desc=f"Assigning {args.product}", unit="user") as progress:
                    for ids in chunks(user_ids, args.batch_size):
                        # All or none per call: a refused batch changes nothing and stops here.
                        result = payload(run(session, ASSIGN, userIds=ids, sku=args.product), "assignLicenses")
                        seats = result["seats"]
                        progress.update(len(result["assigned"]))
                print(
                    f"Assigned {len(user_ids)} {args.product} licenses: purchased {seats['purchased']}, "
                    f"assigned {seats['assigned']}, available {seats['available']}"
                )

            conflicts = run(session, CONFLICTS)["licenseConflicts"]
            if not conflicts:
                print("No license conflicts.")
            for conflict in conflicts:
                affected = conflict["affectedUsers"]
                emails = ", ".join(edge["node"]["email"] for edge in affected["edges"])
                print(
                    f"Conflict: {conflict['product']['sku']} has {conflict['assigned']} licensed users for "
                    f"{conflict['purchased']} licenses (overage {conflict['overage']}, "
                    f"causes {', '.join(conflict['causes'])}); over the limit: {emails}"
                )
                for remedy in conflict["remedies"]:
                    price = f" ({money(remedy['quote']['amountDue'])})" if remedy["quote"] else ""
                    print(f"  remedy {remedy['kind']}: {remedy['description']}{price}")
    except Refused as refused:
        print(f"Refused: {refused}", file=sys.stderr)
        return 1
    except TransportQueryError as error:
        codes = [(e.get("extensions") or {}).get("code") for e in (error.errors or [])]
        print(f"Error {', '.join(filter(None, codes)) or ''}: {error}", file=sys.stderr)
        return 1
    except TransportError as error:
        print(f"Could not talk to {args.url}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
