"""The budgets behind rate limits (gql/graphql/core/rate_limit.py): a refused charge spends nothing, and a shared
storage that fails never fails a request (the process counts alone for a while)."""

from limits.aio.storage import MemoryStorage, RedisStorage

from seatwise.gql.graphql.core.cost import Cost
from seatwise.gql.graphql.core.rate_limit import Budgets
from tests.support import free_port

PAGE = Cost(100, 2, ("users",))


async def test_a_refused_charge_spends_nothing():
    budgets = Budgets(MemoryStorage(), 3, 10)

    first = await budgets.spend("token", PAGE)
    refused = await budgets.spend("token", PAGE)

    assert (first.allowed, first.remaining) == (True, 1)
    assert (refused.allowed, refused.remaining, refused.headers(refused.reset_at - 10)["Retry-After"]) == (False, 1, "10")


async def test_an_unreachable_redis_falls_back_to_counting_in_this_process():
    closed = f"async+redis://127.0.0.1:{free_port()}/0"
    storage = RedisStorage(closed, implementation="redispy", wrap_exceptions=True, socket_connect_timeout=0.25)
    budgets = Budgets(storage, 5, 10)

    spent = [await budgets.spend("token", PAGE) for _ in range(3)]

    assert [(s.allowed, s.remaining) for s in spent] == [(True, 3), (True, 1), (False, 1)]
    assert budgets.shared_down_until > 0
