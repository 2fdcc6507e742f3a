"""Automatic persisted queries (Apollo's protocol) over real HTTP: an unknown hash asks for the text, a known one
runs over GET and POST, a forged hash is refused and stores nothing; the store is bounded and, with Redis, shared
by every server process."""

import json
import uuid

import httpx
import pytest

from seatwise.gql.http.persisted import PersistedQueries, sha256_hex
from tests.http.test_redis_fanout import REDIS_URL, redis_answers
from tests.support import Server, make_org

VIEWER = "{ viewer { role } }"


def _document() -> str:
    """A document no other test (or earlier run sharing the Redis) has sent: its hash is unknown."""
    return f"# {uuid.uuid4().hex}\n{VIEWER}"


def _extension(digest: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


@pytest.fixture(scope="module")
def server():
    running = Server().wait_ready()
    yield running
    running.stop()


async def _post(client, url: str, token: str, body: dict) -> httpx.Response:
    return await client.post(f"{url}/graphql", json=body, headers={"Authorization": f"Bearer {token}"})


async def _get(client, url: str, token: str, digest: str) -> httpx.Response:
    params = {"extensions": json.dumps(_extension(digest))}
    return await client.get(f"{url}/graphql", params=params, headers={"Authorization": f"Bearer {token}"})


async def test_an_unknown_hash_asks_for_the_text_then_the_hash_alone_runs_over_get_and_post(server):
    fx = await make_org()
    document = _document()
    digest = sha256_hex(document)
    async with httpx.AsyncClient(timeout=10) as client:
        unknown = await _post(client, server.url, fx.token, {"extensions": _extension(digest)})
        registered = await _post(client, server.url, fx.token, {"query": document, "extensions": _extension(digest)})
        by_get = await _get(client, server.url, fx.token, digest)
        by_post = await _post(client, server.url, fx.token, {"extensions": _extension(digest)})

    assert unknown.status_code == 200
    [error] = unknown.json()["errors"]
    assert (error["message"], error["extensions"]["code"]) == ("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
    expected = {"data": {"viewer": {"role": "GLOBAL_ADMIN"}}}
    assert [r.status_code for r in (registered, by_get, by_post)] == [200, 200, 200]
    assert registered.json() == by_get.json() == by_post.json() == expected


async def test_a_forged_hash_is_refused_and_stores_nothing_under_it(server):
    fx = await make_org()
    forged = sha256_hex(_document())  # the hash of another document
    async with httpx.AsyncClient(timeout=10) as client:
        refused = await _post(client, server.url, fx.token, {"query": _document(), "extensions": _extension(forged)})
        after = await _get(client, server.url, fx.token, forged)

    assert refused.status_code == 400
    assert [e["extensions"]["code"] for e in refused.json()["errors"]] == ["PERSISTED_QUERY_HASH_MISMATCH"]
    assert [e["extensions"]["code"] for e in after.json()["errors"]] == ["PERSISTED_QUERY_NOT_FOUND"]


@pytest.mark.parametrize(
    "extension",
    [{"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}}, {"persistedQuery": {"version": 1, "sha256Hash": "xyz"}}],
)
async def test_a_malformed_persisted_query_extension_is_a_bad_request(server, extension):
    fx = await make_org()
    async with httpx.AsyncClient(timeout=10) as client:
        refused = await _post(client, server.url, fx.token, {"query": VIEWER, "extensions": extension})
    assert refused.status_code == 400
    assert [e["extensions"]["code"] for e in refused.json()["errors"]] == ["BAD_REQUEST"]


async def test_a_persisted_mutation_never_runs_over_get(server):
    fx = await make_org()
    mutation = f"# {uuid.uuid4().hex}\nmutation {{ signOut {{ sessionsEnded }} }}"
    digest = sha256_hex(mutation)
    async with httpx.AsyncClient(timeout=10) as client:
        await _post(client, server.url, fx.token, {"query": mutation, "extensions": _extension(digest)})
        by_get = await _get(client, server.url, fx.token, digest)
    assert by_get.status_code == 400 and "data" not in by_get.json()  # Strawberry: mutations are not allowed over GET


async def test_the_store_keeps_the_most_recently_used_documents_only():
    store = PersistedQueries(2)
    documents = [_document() for _ in range(3)]
    await store.put(sha256_hex(documents[0]), documents[0])
    await store.put(sha256_hex(documents[1]), documents[1])
    assert await store.get(sha256_hex(documents[0])) == documents[0]  # now the most recent

    await store.put(sha256_hex(documents[2]), documents[2])

    assert len(store) == 2
    assert await store.get(sha256_hex(documents[1])) is None
    assert await store.get(sha256_hex(documents[0])) == documents[0]


@pytest.fixture(scope="module")
def redis_servers():
    if not redis_answers():
        pytest.skip(f"Redis does not answer at {REDIS_URL}")
    a, b = Server(env={"REDIS_URL": REDIS_URL}), Server(env={"REDIS_URL": REDIS_URL})
    try:
        yield a.wait_ready(), b.wait_ready()
    finally:
        a.stop()
        b.stop()


async def test_with_redis_a_document_sent_to_one_server_runs_by_hash_on_another(redis_servers):
    a, b = redis_servers
    fx = await make_org()
    document = _document()
    digest = sha256_hex(document)
    async with httpx.AsyncClient(timeout=10) as client:
        await _post(client, a.url, fx.token, {"query": document, "extensions": _extension(digest)})
        elsewhere = await _get(client, b.url, fx.token, digest)
    assert elsewhere.json() == {"data": {"viewer": {"role": "GLOBAL_ADMIN"}}}
