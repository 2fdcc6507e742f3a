"""What a document costs before it runs (docs/rules.md section 17): 1 plus its connections' nodes / 100, rounded up;
MAX_COST_EXCEEDED past 500,000 nodes; rateLimit alone is free."""

import pytest
from graphql import parse

from seatwise.gql.graphql.core.cost import document_cost
from seatwise.gql.graphql.schema import schema
from tests.support import error_codes, execute, make_org


def cost(source: str, variables: dict | None = None, operation: str | None = None):
    return document_cost(schema._schema, parse(source), operation, variables)


@pytest.mark.parametrize(
    ("source", "nodes", "points"),
    [
        ("{ viewer { role } }", 0, 1),
        ("{ rateLimit { remaining } }", 0, 0),
        ("{ users(first: 10) { edges { node { email } } } }", 10, 2),
        ("{ users(first: 100) { edges { node { email } } } }", 100, 2),
        ("{ users(first: 100) { totalCount } groups(first: 50) { totalCount } }", 150, 3),
        # a nested connection: 100 groups, each with up to 20 members
        ("{ groups(first: 100) { edges { node { members(first: 20) { edges { node { email } } } } } } }", 2100, 22),
        # fragments count where they are spread
        ("query { ...F } fragment F on Query { users(first: 30) { totalCount } }", 30, 2),
    ],
)
def test_a_document_costs_one_plus_its_nodes_over_a_hundred(source, nodes, points):
    computed = cost(source)
    assert (computed.nodes, computed.points) == (nodes, points)


def test_page_sizes_from_variables_count_and_a_missing_one_is_the_arguments_default():
    assert cost("query($n: Int) { users(first: $n) { totalCount } }", {"n": 7}).nodes == 7
    assert cost("{ users { totalCount } }").nodes == 50  # users(first: Int = 50)


async def test_a_document_past_half_a_million_nodes_is_refused_before_it_runs():
    fx = await make_org()
    deep = "{ groups(first: 100) { edges { node { members(first: 100) { edges { node { groups { id } } } } } } } }"
    wide = ", ".join(f"u{i}: users(first: 100) {{ totalCount }}" for i in range(6))
    huge = f"{{ users(first: 1000000) {{ totalCount }} {wide} }}"

    assert cost(deep).nodes == 10_100  # fine
    result = await execute(huge, token=fx.token)

    assert error_codes(result) == ["MAX_COST_EXCEEDED"] and result.data is None
    assert result.errors[0].extensions["nodes"] == 1_000_600


async def test_rate_limit_says_what_is_left_and_asking_for_it_alone_is_free():
    fx = await make_org()
    page = await execute("{ users(first: 100) { totalCount } rateLimit { limit cost remaining used } }", token=fx.token)
    free = await execute("{ rateLimit { limit cost remaining used resetAt } }", token=fx.token)

    assert page.data["rateLimit"] == {"limit": 5000, "cost": 2, "remaining": 4998, "used": 2}
    assert {k: v for k, v in free.data["rateLimit"].items() if k != "resetAt"} == {
        "limit": 5000,
        "cost": 0,
        "remaining": 4998,
        "used": 2,
    }
