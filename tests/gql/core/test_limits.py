from graphql import get_introspection_query

from tests.support import error_codes, execute, make_org


async def test_documents_deeper_than_the_limit_are_refused_before_resolving():
    # The contract's types have no cycles, so no real document reaches 12 levels; the same schema
    # built with a limit of 6 shows that the limiter is wired in front of every resolver.
    from seatwise.gql.graphql.core.context import Context
    from seatwise.gql.graphql.schema import build_schema

    fx = await make_org()
    from seatwise.models.core.clock import utcnow
    from seatwise.models.people import auth

    viewer = await auth.authenticate(f"Bearer {fx.token}", now=utcnow())
    limited = build_schema(max_levels=6)
    seven = "{ users { edges { node { licenses { product { unitPrice { amountCents } } } } } } }"
    six = "{ users { edges { node { licenses { product { sku } } } } } }"
    refused = await limited.execute(seven, context_value=Context(viewer))
    assert refused.data is None and "exceeds maximum operation depth of 5" in refused.errors[0].message
    assert (await limited.execute(six, context_value=Context(viewer))).errors is None


async def test_more_than_thirty_aliases_are_refused():
    fx = await make_org()
    query = "{ " + " ".join(f"a{i}: products {{ sku }}" for i in range(31)) + " }"
    result = await execute(query, token=fx.token)
    assert result.data is None and error_codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
    assert result.errors[0].message == "31 aliases found. Allowed: 30."
    thirty = "{ " + " ".join(f"a{i}: products {{ sku }}" for i in range(30)) + " }"
    assert (await execute(thirty, token=fx.token)).errors is None


async def test_more_than_five_thousand_tokens_are_refused():
    fx = await make_org()
    query = "{ " + " ".join("products { sku }" for _ in range(1300)) + " }"  # 5,202 tokens
    result = await execute(query, token=fx.token)
    assert result.data is None and len(result.errors) == 1
    assert result.errors[0].message == "Syntax Error: Document contains more than 5000 tokens. Parsing aborted."


async def test_graphiql_introspection_works_but_cyclic_introspection_is_refused():
    assert (await execute(get_introspection_query(descriptions=True))).errors is None
    cyclic = "{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }"
    result = await execute(cyclic)
    assert result.data is None and error_codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
    assert result.errors[0].message == "Maximum introspection depth exceeded."


async def test_unexpected_errors_are_masked_with_a_request_id(monkeypatch):

    fx = await make_org()
    calls = []

    async def broken():
        calls.append("catalog")
        raise RuntimeError("secret internals")

    monkeypatch.setattr("seatwise.gql.graphql.people.users.catalog", broken)
    result = await execute("{ products { sku } }", token=fx.token)
    assert error_codes(result) == ["INTERNAL_SERVER_ERROR"]
    assert "secret internals" not in str(result.errors[0].message)
    assert result.data is None and result.errors[0].message == "Internal server error."
    assert calls == ["catalog"]  # the error came from the broken resolver, not from a refusal before it
    assert "requestId" in result.errors[0].extensions
