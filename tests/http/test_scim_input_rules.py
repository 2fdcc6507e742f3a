"""SCIM input rules over the app (ASGI, no server process): one primary email, ASCII digits only in paging
(docs/rules.md section 12)."""

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
