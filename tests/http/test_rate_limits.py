"""Rate limits over real HTTP (docs/rules.md section 17): headers on every answer, 429 + Retry-After + RATE_LIMITED
once the points are spent, a separate budget for accessCheck, and one budget across servers sharing Redis."""

import httpx
import pytest

from tests.http.test_redis_fanout import REDIS_URL, redis_answers
from tests.support import Server, make_org

PAGE = "{ users(first: 100) { totalCount } }"  # costs 2 points
ACCESS = '{ accessCheck(email: "nobody@example.test", productSku: "CRM_BASIC") { allowed } }'


def _access(times: int) -> str:
    fields = " ".join(
        f'a{i}: accessCheck(email: "nobody@example.test", productSku: "CRM_BASIC") {{ allowed }}' for i in range(times)
    )
    return f"{{ {fields} }}"


@pytest.fixture(scope="module")
def server():
    running = Server(env={"SEATWISE_RATE_LIMIT": "10", "SEATWISE_ACCESS_RATE": "3"}).wait_ready()
    yield running
    running.stop()


async def _ask(client, url: str, token: str, query: str) -> httpx.Response:
    return await client.post(f"{url}/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"})


async def test_every_answer_says_what_is_left_and_the_request_past_the_limit_gets_429_with_retry_after(server):
    fx = await make_org()
    async with httpx.AsyncClient(timeout=10) as client:
        answers = [await _ask(client, server.url, fx.token, PAGE) for _ in range(6)]

    assert [a.status_code for a in answers] == [200, 200, 200, 200, 200, 429]
    assert {a.headers["ratelimit-policy"] for a in answers} == {'"hour";q=10;w=3600'}
    assert [a.headers["ratelimit"].split(";")[1] for a in answers] == ["r=8", "r=6", "r=4", "r=2", "r=0", "r=0"]
    refused = answers[-1]
    assert [e["extensions"]["code"] for e in refused.json()["errors"]] == ["RATE_LIMITED"]
    assert "data" not in refused.json() or refused.json()["data"] is None
    assert int(refused.headers["retry-after"]) >= 1


async def test_access_checks_have_their_own_budget_that_console_traffic_does_not_spend(server):
    fx = await make_org()
    async with httpx.AsyncClient(timeout=10) as client:
        for _ in range(5):
            await _ask(client, server.url, fx.token, PAGE)  # the hourly points are spent
        console = await _ask(client, server.url, fx.token, PAGE)
        sign_ins = await _ask(client, server.url, fx.token, ACCESS)
        storm = await _ask(client, server.url, fx.token, _access(4))  # 4 checks at once, 3 allowed per second
        after_storm = await _ask(client, server.url, fx.token, "{ rateLimit { remaining } }")

    assert console.status_code == 429
    assert sign_ins.status_code == 200 and sign_ins.json() == {"data": {"accessCheck": {"allowed": False}}}
    assert sign_ins.headers["ratelimit-policy"] == '"access";q=3;w=1'
    assert storm.status_code == 429 and storm.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert after_storm.json() == {"data": {"rateLimit": {"remaining": 0}}}  # asking is free, even when spent


@pytest.fixture(scope="module")
def shared_servers():
    if not redis_answers():
        pytest.skip(f"Redis does not answer at {REDIS_URL}")
    env = {"REDIS_URL": REDIS_URL, "SEATWISE_RATE_LIMIT": "6"}
    a, b = Server(env=env), Server(env=env)
    try:
        yield a.wait_ready(), b.wait_ready()
    finally:
        a.stop()
        b.stop()


async def test_two_servers_sharing_redis_spend_one_budget(shared_servers):
    a, b = shared_servers
    fx = await make_org()
    async with httpx.AsyncClient(timeout=10) as client:
        first = [await _ask(client, url, fx.token, PAGE) for url in (a.url, b.url, a.url)]
        fourth = await _ask(client, b.url, fx.token, PAGE)

    assert [r.status_code for r in first] == [200, 200, 200]
    assert [r.headers["ratelimit"].split(";")[1] for r in first] == ["r=4", "r=2", "r=0"]
    assert fourth.status_code == 429
