"""/scim/v2 over real HTTP against `seatwise serve`: every endpoint, its status codes, headers and error bodies."""

import json

import httpx
import pytest

from seatwise.models.core.tables import AdminRole, User
from tests.scim_support import ERROR, GROUP, SCIM_JSON, USER, is_error, patch_body, scim_client, scim_token, user_body
from tests.support import Server, make_org, make_user, token_for


@pytest.fixture(scope="module")
def server():
    running = Server().wait_ready()
    yield running
    running.stop()


@pytest.fixture
async def scim(server):
    fx = await make_org()
    token = await scim_token(fx)
    async with scim_client(server.url, token) as client:
        client.fx = fx  # type: ignore[attr-defined]
        yield client


@pytest.mark.parametrize("authorization", [None, "Bearer sw_forged", "Basic dXNlcjpwdw==", "Bearer"])
async def test_a_missing_or_bad_token_is_401_with_a_scim_error(server, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    async with httpx.AsyncClient() as client:
        for path in ("/Users", "/Groups/1", "/ServiceProviderConfig", "/Schemas"):
            response = await client.get(f"{server.url}/scim/v2{path}", headers=headers)
            assert is_error(response, 401) and response.headers["www-authenticate"].startswith("Bearer")


async def test_a_graphql_token_is_403_and_a_scim_token_of_a_deleted_owner_401(server):
    fx = await make_org()
    async with scim_client(server.url, fx.token) as client:
        assert is_error(await client.get("/Users"), 403)
    owner = await make_user(fx, role=AdminRole.USER_ADMIN)
    graphql_token = await token_for(fx, owner, AdminRole.USER_ADMIN)
    async with scim_client(server.url, graphql_token) as client:
        assert is_error(await client.post("/Users", json=user_body("x@acme.test")), 403)


async def test_discovery_declares_exactly_the_kept_attributes(scim):
    config = (await scim.get("/ServiceProviderConfig")).json()
    assert config["patch"] == {"supported": True} and config["filter"] == {"supported": True, "maxResults": 200}
    assert not any(config[k]["supported"] for k in ("bulk", "sort", "etag", "changePassword"))
    types = (await scim.get("/ResourceTypes")).json()
    assert types["totalResults"] == 2 and {t["endpoint"] for t in types["Resources"]} == {"/Users", "/Groups"}
    assert (await scim.get("/ResourceTypes/User")).json()["schema"] == USER
    listed = await scim.get("/Schemas")
    assert listed.headers["content-type"].startswith(SCIM_JSON)
    by_id = {s["id"]: s for s in listed.json()["Resources"]}
    assert {a["name"] for a in by_id[USER]["attributes"]} == {"userName", "name", "displayName", "emails", "active", "externalId"}
    assert {a["name"] for a in by_id[GROUP]["attributes"]} == {"displayName", "members", "externalId"}
    required = {a["name"] for a in by_id[USER]["attributes"] if a["required"]}
    assert required == {"userName", "emails", "active"}
    assert (await scim.get(f"/Schemas/{GROUP}")).json()["attributes"] == by_id[GROUP]["attributes"]
    assert is_error(await scim.get("/Schemas/urn:nothing"), 404)
    assert is_error(await scim.get("/ResourceTypes/Nothing"), 404)


async def test_user_lifecycle_with_status_codes_and_location(scim):
    created = await scim.post(
        "/Users", json=user_body("Pat@Acme.test", name={"givenName": "Pat", "familyName": "Lee"}, externalId="p1")
    )
    assert created.status_code == 201 and created.headers["content-type"].startswith(SCIM_JSON)
    user = created.json()
    assert (
        created.headers["location"]
        == user["meta"]["location"]
        == f"{scim.base_url}Users/{user['id']}".replace("v2Users", "v2/Users")
    )
    assert "displayName" not in user and user["active"] is True and user["meta"]["resourceType"] == "User"
    assert (await User.get(id=int(user["id"]))).display_name == "Pat Lee"  # derived: not a SCIM attribute
    assert (await scim.get(f"/Users/{user['id']}")).json() == user
    replaced = await scim.put(f"/Users/{user['id']}", json=user_body("Pat@Acme.test", displayName="Patricia", active=False))
    assert replaced.status_code == 200 and replaced.json()["active"] is False and "name" not in replaced.json()
    patched = await scim.patch(f"/Users/{user['id']}", json=patch_body({"op": "Replace", "path": "active", "value": "True"}))
    assert patched.status_code == 200 and patched.json()["active"] is True
    deleted = await scim.delete(f"/Users/{user['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert is_error(await scim.get(f"/Users/{user['id']}"), 404)
    assert is_error(
        await scim.patch(f"/Users/{user['id']}", json=patch_body({"op": "add", "path": "displayName", "value": "x"})), 404
    )
    assert is_error(await scim.delete("/Users/not-an-id"), 404)


async def test_plain_json_is_accepted(scim):
    response = await scim.post(
        "/Users", content=json.dumps(user_body("plain@acme.test")), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201


async def test_list_paging_clamps_and_attribute_selection(scim):
    for i in range(3):
        await scim.post("/Users", json=user_body(f"page{i}@acme.test"))
    everyone = (await scim.get("/Users")).json()
    assert everyone["totalResults"] == 4 and everyone["startIndex"] == 1 and everyone["itemsPerPage"] == 4
    none = (await scim.get("/Users", params={"count": "-5"})).json()
    assert none["totalResults"] == 4 and none["Resources"] == [] and none["itemsPerPage"] == 0
    second = (await scim.get("/Users", params={"startIndex": "-3", "count": "1"})).json()
    assert second["startIndex"] == 1 and len(second["Resources"]) == 1
    last = (await scim.get("/Users", params={"startIndex": "4", "count": "1000"})).json()
    assert last["startIndex"] == 4 and len(last["Resources"]) == 1
    beyond = (await scim.get("/Users", params={"startIndex": str(10**40)})).json()
    assert beyond["Resources"] == []
    narrow = (
        await scim.get("/Users", params={"attributes": "userName,name.givenName", "filter": 'userName eq "page1@acme.test"'})
    ).json()
    assert narrow["totalResults"] == 1 and set(narrow["Resources"][0]) == {"schemas", "id", "userName"}
    wide = (await scim.get("/Users", params={"excludedAttributes": "meta,emails"})).json()["Resources"][0]
    assert "meta" not in wide and "id" in wide and "userName" in wide
    assert is_error(await scim.get("/Users", params={"count": "ten"}), 400, "invalidValue")


async def test_group_endpoints_and_excluded_members(scim):
    member = (await scim.post("/Users", json=user_body("member@acme.test"))).json()
    created = await scim.post("/Groups", json={"schemas": [GROUP], "displayName": "Sales", "members": [{"value": member["id"]}]})
    assert created.status_code == 201
    group = created.json()
    assert created.headers["location"] == group["meta"]["location"]
    assert group["members"] == [{"value": member["id"], "$ref": member["meta"]["location"]}]
    lean = (await scim.get("/Groups", params={"excludedAttributes": "members", "filter": 'displayName eq "sales"'})).json()
    assert lean["totalResults"] == 1 and "members" not in lean["Resources"][0]
    assert "members" not in (await scim.get(f"/Groups/{group['id']}", params={"excludedAttributes": "members"})).json()
    removed = await scim.patch(
        f"/Groups/{group['id']}", json=patch_body({"op": "Remove", "path": f'members[value eq "{member["id"]}"]'})
    )
    assert removed.status_code == 200 and "members" not in removed.json()  # no members: the attribute is unassigned
    renamed = await scim.put(f"/Groups/{group['id']}", json={"displayName": "Sales EMEA", "externalId": "g1"})
    assert renamed.status_code == 200 and renamed.json()["displayName"] == "Sales EMEA"
    assert is_error(await scim.post("/Groups", json={"displayName": "SALES emea"}), 409, "uniqueness")
    assert (await scim.delete(f"/Groups/{group['id']}")).status_code == 204
    assert is_error(await scim.get(f"/Groups/{group['id']}"), 404)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "scim_type"),
    [
        ("POST", "/Users", b"{not json", 400, "invalidSyntax"),
        ("POST", "/Users", b"", 400, "invalidSyntax"),
        ("POST", "/Users", b"[" * 100_000, 400, "invalidSyntax"),
        ("POST", "/Users", json.dumps({"userName": "ctl\u0001@acme.test"}).encode(), 400, "invalidValue"),
        ("POST", "/Users", json.dumps({"userName": "x", "emails": "x@acme.test"}).encode(), 400, "invalidValue"),
        ("POST", "/Groups", json.dumps({"displayName": ""}).encode(), 400, "invalidValue"),
        ("POST", "/Groups", json.dumps({"displayName": "G", "members": [{"value": "123456789"}]}).encode(), 400, "invalidValue"),
        ("PATCH", "/Users/999999999", json.dumps({"Operations": "nope"}).encode(), 404, None),
        ("GET", "/Users?filter=userName%20xx%20%22a%22", None, 400, "invalidFilter"),
        ("GET", "/Nowhere", None, 404, None),
        ("POST", "/Schemas", b"{}", 405, None),
    ],
)
async def test_bad_requests_get_scim_error_bodies_never_a_5xx(scim, method, path, body, status, scim_type):
    response = await scim.request(method, path, content=body)
    assert is_error(response, status, scim_type), response.text


TOO_LARGE = b'{"schemas":["%s"],"status":"413","detail":"Request body too large (1 MiB at most)."}' % ERROR.encode()


async def test_a_body_over_1_mib_is_413_with_a_scim_error(scim):
    body = b'{"userName": "' + b"x" * (1024 * 1024) + b'"}'

    async def chunked():  # no Content-Length: the limit counts the body as it arrives
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    for content in (body, chunked()):
        response = await scim.post("/Users", content=content)
        assert response.status_code == 413 and response.headers["content-type"] == SCIM_JSON
        assert response.content == TOO_LARGE


async def test_uniqueness_conflicts_are_409(scim):
    assert (await scim.post("/Users", json=user_body("same@acme.test"))).status_code == 201
    assert is_error(await scim.post("/Users", json=user_body("SAME@acme.test")), 409, "uniqueness")
    other = (await scim.post("/Users", json=user_body("other@acme.test"))).json()
    clash = await scim.patch(
        f"/Users/{other['id']}", json=patch_body({"op": "replace", "path": "userName", "value": "Same@Acme.test"})
    )
    assert is_error(clash, 409, "uniqueness")


async def test_search_by_post_takes_a_search_request(scim):
    for name in ("s1@acme.test", "s2@acme.test"):
        await scim.post("/Users", json=user_body(name))
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'userName sw "s"',
        "startIndex": 2,
        "count": 5,
        "attributes": ["userName"],
    }
    found = await scim.post("/Users/.search", json=body)
    assert found.status_code == 200
    page = found.json()
    assert page["totalResults"] == 2 and page["startIndex"] == 2 and set(page["Resources"][0]) == {"schemas", "id", "userName"}
    assert (await scim.post("/Groups/.search", json={"filter": 'displayName eq "none"'})).json()["totalResults"] == 0
    assert is_error(await scim.post("/Users/.search", json={"count": "many"}), 400, "invalidValue")
    assert is_error(await scim.post("/.search", json={}), 501)
