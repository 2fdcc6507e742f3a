"""What the online product asks Seatwise when a person signs in: may they use the product, and with which security
roles. One `accessCheck` answers both (the license decides `allowed`; the roles come with it only when allowed).

    python -m venv .venv-examples && .venv-examples/bin/pip install -r examples/requirements.txt
    SEATWISE_TOKEN=sw_... .venv-examples/bin/python examples/sign_in_roles.py --email ana@acme.example --product CRM_BASIC

The token comes from the environment (SEATWISE_TOKEN), never the command line. Exit status: 0 the person may sign
in, 3 they may not (the reason is printed), 1 the server refused the request, 2 usage.
"""

from __future__ import annotations

import argparse
import os
import sys

from gql.transport.exceptions import TransportError, TransportQueryError
from gql.transport.httpx import HTTPXTransport

from gql import Client, GraphQLRequest

ACCESS = """
query SignIn($email: String!, $sku: String!) {
  accessCheck(email: $email, productSku: $sku) {
    allowed
    reason
    roles { role { key } direct viaAdminRole groups { displayName } }
  }
}"""


def sources(grant: dict) -> str:
    found = (["direct"] if grant["direct"] else []) + [f"group {g['displayName']}" for g in grant["groups"]]
    return ", ".join(found + (["Seatwise GLOBAL_ADMIN"] if grant["viaAdminRole"] else []))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--email", required=True)
    parser.add_argument("--product", required=True)
    args = parser.parse_args()
    token = os.environ.get("SEATWISE_TOKEN")
    if not token:
        print("Set SEATWISE_TOKEN to an API token of the organization.", file=sys.stderr)
        return 2
    client = Client(transport=HTTPXTransport(url=args.url, headers={"Authorization": f"Bearer {token}"}))
    try:
        answer = client.execute(GraphQLRequest(ACCESS, variable_values={"email": args.email, "sku": args.product}))
    except (TransportQueryError, TransportError) as error:
        print(f"Refused: {error}", file=sys.stderr)
        return 1
    decision = answer["accessCheck"]
    if not decision["allowed"]:
        print(f"{args.email} may not sign in to {args.product}: {decision['reason']}")
        return 3
    keys = [grant["role"]["key"] for grant in decision["roles"]]
    print(f"{args.email} may sign in to {args.product} with roles: {', '.join(keys) if keys else '(none: can do nothing yet)'}")
    for grant in decision["roles"]:
        print(f"  {grant['role']['key']}: {sources(grant)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
