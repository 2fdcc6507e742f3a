"""GET /exports/{id} against a real `seatwise serve`."""

import hashlib

import httpx
import pytest

from tests.support import Server, key_of, make_org, post
from tests.support_helpers import EXPORT, bulk_users


@pytest.fixture(scope="module")
def server():
    running = Server().wait_ready()
    yield running
    running.stop()


async def _download(client: httpx.AsyncClient, url: str, token: str | None) -> tuple[httpx.Response, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with client.stream("GET", url, headers=headers) as response:
        body = b"".join([part async for part in response.aiter_raw()])
    return response, body


@pytest.mark.parametrize("fmt", ["JSON", "CSV"])
async def test_download_is_exactly_the_reported_bytes(server, fmt):
    fx = await make_org("Acme")
    await bulk_users(fx, 3000, deleted_every=7)  # several 256 KiB chunks for JSON
    async with httpx.AsyncClient(timeout=60) as client:
        body = await post(client, server.url, EXPORT, {"format": fmt}, token=fx.token)
        exported = body["data"]["exportData"]["dataExport"]
        assert exported["downloadUrl"] == f"{server.url}/exports/{key_of(exported['id'])}"  # absolute: the request named its host
        response, data = await _download(client, exported["downloadUrl"], fx.token)
    assert response.status_code == 200
    assert len(data) == exported["sizeBytes"] and hashlib.sha256(data).hexdigest() == exported["sha256"]
    assert int(response.headers["content-length"]) == exported["sizeBytes"]
    assert response.headers["content-type"].startswith("application/json" if fmt == "JSON" else "text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert data.count(b"@big.test") == 3000


async def test_download_needs_a_valid_token_and_the_right_organization(server):
    acme, other = await make_org("Acme"), await make_org("Other")
    async with httpx.AsyncClient(timeout=30) as client:
        exported = (await post(client, server.url, EXPORT, {"format": "CSV"}, token=acme.token))["data"]["exportData"][
            "dataExport"
        ]
        url = exported["downloadUrl"]
        for token in (None, "sw_not_a_real_token"):
            response, _ = await _download(client, url, token)
            assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        response, body = await _download(client, url, other.token)
        assert response.status_code == 404 and b"email" not in body
        for missing in ("/exports/999999", "/exports/abc"):
            response, _ = await _download(client, server.url + missing, acme.token)
            assert response.status_code == 404
        response, body = await _download(client, url, acme.token)
        assert response.status_code == 200 and body.startswith(b"email,displayName,")


async def test_download_url_follows_the_forwarded_scheme_and_host_of_a_trusted_proxy(server):
    fx = await make_org("Acme")
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"{server.url}/graphql",
            json={"query": EXPORT, "variables": {"format": "CSV"}},
            headers={
                "Authorization": f"Bearer {fx.token}",
                "Host": "seats.example.com",
                "X-Forwarded-Proto": "https",
                "X-Forwarded-For": "203.0.113.9",
            },
        )
    exported = response.json()["data"]["exportData"]["dataExport"]
    # The test server's peer is 127.0.0.1, uvicorn's default FORWARDED_ALLOW_IPS: its X-Forwarded-Proto is honoured.
    assert exported["downloadUrl"] == f"https://seats.example.com/exports/{key_of(exported['id'])}"


async def test_download_url_uses_the_configured_public_url():
    fx = await make_org("Acme")
    running = Server(env={"SEATWISE_PUBLIC_URL": "https://seatwise.example.org/api/"}).wait_ready()
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            exported = (await post(client, running.url, EXPORT, {"format": "CSV"}, token=fx.token))["data"]["exportData"][
                "dataExport"
            ]
    finally:
        running.stop()
    assert exported["downloadUrl"] == f"https://seatwise.example.org/api/exports/{key_of(exported['id'])}"
