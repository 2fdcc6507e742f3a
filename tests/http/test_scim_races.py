"""SCIM writes race over real HTTP through two `seatwise serve` processes (PostgreSQL when TEST_DATABASE_URL is set,
else the suite's SQLite file): every request is one transaction holding what it decides on, so whatever the timing a
losing uniqueness race is 409 `uniqueness`, a refused request writes nothing and a repeated (de)activation is a 200
no-op (docs/rules.md section 19)."""

import asyncio

import httpx
import pytest

from seatwise.models.core.tables import AdminRole, AuditEvent, User
from tests.scim_support import patch_body, scim_client, scim_token, user_body
from tests.support import Server, make_org, make_user, post

BURSTS = 4


@pytest.fixture(scope="module")
def servers(test_database):
    running = [Server() for _ in range(2)]
    try:
        yield [server.wait_ready(timeout=120) for server in running]
    finally:
        for server in running:
            server.stop()


async def _both(servers, token, requests):
    """Each (method, path, body) sent at once, alternately to either server; the responses in order."""
    clients = [scim_client(server.url, token) for server in servers]
    try:
        return await asyncio.gather(
            *(clients[i % 2].request(method, path, json=body) for i, (method, path, body) in enumerate(requests))
        )
    finally:
        for client in clients:
            await client.aclose()


async def test_creates_that_lose_a_uniqueness_race_answer_409_uniqueness(servers):
    fx = await make_org()
    token = await scim_token(fx)
    for burst in range(BURSTS):
        same_name = [
            ("POST", "/Users", user_body(f"Ann{burst}@acme.example")),
            ("POST", "/Users", user_body(f"ann{burst}@ACME.example")),
        ]
        same_email = [
            ("POST", "/Users", user_body(f"x{burst}", emails=[{"value": f"shared{burst}@acme.example", "primary": True}])),
            ("POST", "/Users", user_body(f"y{burst}", emails=[{"value": f"shared{burst}@acme.example", "primary": True}])),
        ]
        for pair in (same_name, same_email):
            answers = await _both(servers, token, pair)
            assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
            loser = next(a for a in answers if a.status_code == 409)
            assert loser.json()["scimType"] == "uniqueness"
    assert await User.filter(organization_id=fx.org.id).count() == 1 + 2 * BURSTS


async def test_two_admins_deactivating_each_other_one_wins_and_the_refused_request_wrote_nothing(servers):
    for burst in range(BURSTS):
        fx = await make_org(f"Org {burst}")
        other = await make_user(fx, role=AdminRole.GLOBAL_ADMIN)
        # The directory's token belongs to a USER_ADMIN: a deactivated global admin's own tokens end with it.
        token = await scim_token(fx, owner=await make_user(fx, role=AdminRole.USER_ADMIN), role=AdminRole.USER_ADMIN)
        requests = [
            (
                "PATCH",
                f"/Users/{a.id}",
                patch_body({"op": "replace", "value": {"active": False, "displayName": f"renamed {a.id}"}}),
            )
            for a in (fx.admin, other)
        ]
        answers = await _both(servers, token, requests)
        assert sorted(a.status_code for a in answers) == [200, 400], [a.text for a in answers]
        refused = next(i for i, a in enumerate(answers) if a.status_code == 400)
        winner = 1 - refused
        assert answers[refused].json()["scimType"] == "invalidValue"
        kept = await User.get(id=(fx.admin, other)[refused].id)
        gone = await User.get(id=(fx.admin, other)[winner].id)
        assert kept.deleted_at is None and not kept.display_name.startswith("renamed")
        assert gone.deleted_at is not None and gone.display_name == f"renamed {gone.id}"
        assert await AuditEvent.filter(organization_id=fx.org.id, target_id=str(kept.id), action="user.updated").count() == 0


async def test_repeated_deactivations_and_reactivations_racing_are_200_no_ops(servers):
    fx = await make_org()
    token = await scim_token(fx)
    person = await make_user(fx)
    for active in (False, True, False):
        answers = await _both(
            servers,
            token,
            [("PATCH", f"/Users/{person.id}", patch_body({"op": "replace", "path": "active", "value": active}))] * 3,
        )
        assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
        assert all(a.json()["active"] is active for a in answers)
        assert ((await User.get(id=person.id)).deleted_at is None) is active
    deleted = await AuditEvent.filter(organization_id=fx.org.id, target_id=str(person.id), action="user.deleted").count()
    restored = await AuditEvent.filter(organization_id=fx.org.id, target_id=str(person.id), action="user.restored").count()
    assert (deleted, restored) == (2, 1)


CREATE_USER = (
    """mutation($e: String!) { createUser(input: {email: $e, displayName: "Racer"}) { user { id } userErrors { code field } } }"""
)
CREATE_GROUP = """mutation($n: String!) { createGroup(input: {displayName: $n}) { group { id } userErrors { code field } } }"""


async def test_graphql_creates_that_lose_a_uniqueness_race_answer_already_exists(servers):
    fx = await make_org()
    async with httpx.AsyncClient(timeout=60) as client:
        for burst in range(BURSTS):
            for document, variables, name in (
                (CREATE_USER, [{"e": f"racer{burst}@acme.example"}, {"e": f"RACER{burst}@acme.example"}], "createUser"),
                (CREATE_GROUP, [{"n": f"Team {burst}"}, {"n": f"team {burst} "}], "createGroup"),
            ):
                bodies = await asyncio.gather(
                    *(post(client, servers[i].url, document, v, token=fx.token) for i, v in enumerate(variables))
                )
                assert all("errors" not in body for body in bodies), bodies
                field = "email" if name == "createUser" else "displayName"
                errors = sorted((body["data"][name]["userErrors"] for body in bodies), key=len)
                assert errors == [[], [{"code": "ALREADY_EXISTS", "field": ["input", field]}]], bodies
