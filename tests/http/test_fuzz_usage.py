"""The schema fuzzer (tests/http/test_fuzz.py) aimed at the fields of sections 12, 13 and 16 alone: updateUser,
revokeLicenses, deleteUsers, revokeLicense, deleteUser, purchaseLicenses, reduceLicenses and cancelSubscription with
dryRun and planToken, recordLicenseUses, setReclaimPolicy, idleLicenses and the pools' idle counts. No 5xx, no unmasked error, no value quoted back."""

from __future__ import annotations

from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema

from tests.billing_support import add_card, subscription
from tests.http.test_fuzz import (
    CUSTOM_SCALARS,
    EXAMPLES,
    GRAPHQL_SCHEMA,
    _sent_values,
    check_answer,
    hoist_arguments,
    post_json,
)
from tests.support import Server, make_org, make_user

pytestmark = pytest.mark.fuzz

MUTATIONS = [
    "updateUser",
    "revokeLicenses",
    "deleteUsers",
    "revokeLicense",
    "deleteUser",
    "recordLicenseUses",
    "setReclaimPolicy",
    "purchaseLicenses",
    "reduceLicenses",
    "cancelSubscription",
]
QUERIES = ["idleLicenses", "seats"]


def _documents() -> st.SearchStrategy[graphql.DocumentNode]:
    def of(mode: Mode, fields: list[str]) -> st.SearchStrategy[graphql.DocumentNode]:
        return from_schema(
            GRAPHQL_SCHEMA, fields=fields, custom_scalars=CUSTOM_SCALARS, print_ast=lambda document: document, mode=mode
        )

    return st.one_of(of(Mode.POSITIVE, MUTATIONS), of(Mode.NEGATIVE, MUTATIONS), of(Mode.POSITIVE, QUERIES))


async def test_generated_usage_and_plan_documents_never_break_the_server():
    fx = await make_org("FuzzUse", sandbox=True)
    await add_card(fx)  # the billing changes get past NO_PAYMENT_CARD
    await subscription(fx, "CRM_BASIC", 5)
    for _ in range(3):
        await make_user(fx, skus=["CRM_BASIC"])
    server = Server()
    try:
        server.wait_ready(timeout=120)
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {fx.token}"}, timeout=60) as client:

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
            )
            @given(document=_documents(), as_variables=st.booleans())
            def send(document: graphql.DocumentNode, as_variables: bool) -> None:
                variables: dict[str, Any] = {}
                if as_variables:
                    document, variables = hoist_arguments(document)
                response = post_json(client, "/graphql", {"query": graphql.print_ast(document), "variables": variables})
                check_answer(response, _sent_values(document, variables))

            send()
            assert client.get("/healthz").status_code == 200
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()[-3000:]
