"""SCIM input rules over the app (ASGI, no server process): one primary email, ASCII digits only in paging
(docs/rules.md section 19)."""

import json

import httpx
import pytest

from seatwise.gql.http.app import create_app
from seatwise.models.core.tables import User
from tests.scim_support import SCIM_JSON, is_error, scim_token, user_body
from tests.support import make_org


@pytest.fixture
async def scim():
    fx = await make_org()
    token = await scim_token(fx)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": SCIM_JSON}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app()), base_url="http://test/scim/v2", headers=headers
    ) as client:
        client.fx = fx  # type: ignore[attr-defined]
        yield client


async def test_two_primary_emails_are_400_invalid_value_and_create_nobody(scim):
    emails = [{"value": "a@acme.example", "primary": True}, {"value": "b@acme.example", "primary": "true"}]
    answer = await scim.post("/Users", json=user_body("ann", emails=emails))
    assert is_error(answer, 400, "invalidValue")
    assert not await User.filter(email__in=["a@acme.example", "b@acme.example"]).exists()
    one = await scim.post("/Users", json=user_body("ann", emails=[emails[0], {"value": "b@acme.example", "primary": False}]))
    assert one.status_code == 201 and one.json()["emails"][0]["primary"] is True


@pytest.mark.parametrize("raw", ["١٢", "１２", "1_0", "+-1", "1e1", "²"])
async def test_paging_takes_ascii_digits_only(scim, raw):
    assert is_error(await scim.get("/Users", params={"count": raw}), 400, "invalidValue")
    assert is_error(await scim.get("/Users", params={"startIndex": raw}), 400, "invalidValue")


async def test_paging_takes_ascii_integers(scim):
    found = (await scim.get("/Users", params={"count": " 1 ", "startIndex": "+1"})).json()
    assert (found["itemsPerPage"], found["startIndex"]) == (1, 1)


BAD = ["a\x00b", "a\ud800b"]


def _json(body) -> dict:
    """A body as JSON text with escapes (a lone surrogate has no UTF-8 form; JSON's \\ud800 escape carries it)."""
    return {"content": json.dumps(body), "headers": {"Content-Type": SCIM_JSON}}


async def test_nul_in_a_query_parameter_is_400_invalid_value(scim):
    """A query string carries UTF-8 only: a lone surrogate cannot arrive there, NUL can (%00)."""
    for params in ({"filter": 'userName eq "a\x00b"'}, {"attributes": "a\x00"}, {"count": "1\x00"}):
        for path in ("/Users", "/Groups"):
            answer = await scim.get(path, params=params)
            assert is_error(answer, 400, "invalidValue") and "\\u0000" not in answer.text


@pytest.mark.parametrize("bad", BAD, ids=["nul", "surrogate"])
async def test_text_no_database_stores_in_a_body_is_400_invalid_value_and_changes_nothing(scim, bad):
    person = await scim.post("/Users", json=user_body("ann@acme.example"))
    uid = person.json()["id"]
    before = await User.get(id=int(uid))
    search = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": bad}],
    }
    filtered = {"op": "replace", "path": f'emails[type eq "{bad}"].value', "value": "x"}
    requests = [
        ("POST", "/Users/.search", {"schemas": [search], "filter": f'userName eq "{bad}"'}),
        ("POST", "/Groups/.search", {"schemas": [search], "filter": f'displayName eq "{bad}"'}),
        ("POST", "/Users", user_body("bob@acme.example", displayName=bad)),
        ("POST", "/Users", user_body("bob@acme.example", **{bad: "x"})),
        ("PATCH", f"/Users/{uid}", patch),
        ("PATCH", f"/Users/{uid}", {**patch, "Operations": [filtered]}),
        ("PUT", f"/Users/{uid}", user_body("ann@acme.example", name={"givenName": bad})),
        ("POST", "/Groups", {"displayName": bad}),
    ]
    for method, path, body in requests:
        answer = await scim.request(method, path, **_json(body))
        assert is_error(answer, 400, "invalidValue"), (path, answer.text)
    after = await User.get(id=int(uid))
    assert (after.display_name, after.given_name, after.last_modified) == (
        before.display_name,
        before.given_name,
        before.last_modified,
    )
    assert not await User.filter(email="bob@acme.example").exists()


async def test_a_nul_in_the_path_is_400_invalid_value(scim):
    assert is_error(await scim.get("/Users/1%00"), 400, "invalidValue")
