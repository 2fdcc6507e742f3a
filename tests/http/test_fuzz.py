"""Schema-driven fuzzing over real HTTP: hypothesis-graphql writes queries and mutations from the schema (valid
ones, and ones with one schema violation); half of them have their arguments moved into variables. Whatever
comes, the server answers without a 5xx, without an unmasked error, without quoting a value of the request in
any message, and it is healthy afterwards.

Every String and ID is drawn from text a client may send: any Unicode, NUL, lone surrogates, 10,000 characters,
right-to-left text and combining marks. A request refused as a whole (top-level errors and no data, or every
mutation answering userErrors) changed nothing: the newest audit event is the same before and after.

SEATWISE_FUZZ_EXAMPLES sets the number of documents (a few dozen by default, so that `make test` stays fast;
`make fuzz` runs thousands, on SQLite and on PostgreSQL). The run prints how many examples it sent.
"""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import graphql
import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema

from seatwise.gql.graphql.schema import schema
from tests.support import Server, is_postgres, make_org

EXAMPLES = int(os.environ.get("SEATWISE_FUZZ_EXAMPLES", "25"))
GRAPHQL_SCHEMA = schema._schema
# Generated strings shorter than this are not looked for in messages: "1" or "ab" occur in any sentence.
MIN_QUOTED = 6

_moments = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9998, 12, 30),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-14)), timezone(timedelta(hours=14))]),
)
_DATETIME = st.one_of(
    _moments.map(lambda moment: graphql.StringValueNode(value=moment.isoformat())),
    st.text(max_size=40).map(lambda text: graphql.StringValueNode(value=text)),
)
# Text as clients send it, for every String and ID: what the databases cannot store (NUL, lone surrogates), the
# longest, right-to-left, combining marks, and any Unicode.
HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(categories=["Cs", "Cc", "Mn", "Cf"]), min_size=1, max_size=8),
    st.sampled_from(
        [
            "a\x00b",
            "\x00",
            "\ud800",
            "a\udfffb",
            "x" * 10_000,
            "\u202eevil\u202c",
            "e\u0301\u0301",
            "שלום",
            "مرحبا",
            "CRM_BASIC\x00",
        ]
    ),
    st.tuples(st.text(max_size=6), st.sampled_from(["\x00", "\ud83d", "\u0301", "\u200f"]), st.text(max_size=6)).map("".join),
)
_STRING = HOSTILE_TEXT.map(lambda text: graphql.StringValueNode(value=text))
CUSTOM_SCALARS = {
    "DateTime": _DATETIME,
    "JSON": st.text(max_size=20).map(lambda text: graphql.StringValueNode(value=text)),
    "String": _STRING,
    "ID": st.one_of(_STRING, st.integers(min_value=0, max_value=2**63).map(lambda n: graphql.IntValueNode(value=str(n)))),
}
# Refusals that are recorded on purpose (docs/rules.md): a declined charge, a failed sign-in.
RECORDED_REFUSALS = {"CARD_DECLINED", "CARD_EXPIRED", "INVALID_CREDENTIALS", "TOO_MANY_ATTEMPTS"}
NEWEST_AUDIT = "{ auditEvents(first: 1) { edges { node { id } } } }"


def _documents() -> st.SearchStrategy[graphql.DocumentNode]:
    def of(mode: Mode) -> st.SearchStrategy[graphql.DocumentNode]:
        return from_schema(GRAPHQL_SCHEMA, custom_scalars=CUSTOM_SCALARS, print_ast=lambda document: document, mode=mode)

    return st.one_of(of(Mode.POSITIVE), of(Mode.NEGATIVE))


def hoist_arguments(document: graphql.DocumentNode) -> tuple[graphql.DocumentNode, dict[str, Any]]:
    """The same operation with each root field's arguments passed as variables of the declared types."""
    operation = document.definitions[0]
    root = GRAPHQL_SCHEMA.mutation_type if operation.operation is graphql.OperationType.MUTATION else GRAPHQL_SCHEMA.query_type
    definitions, variables, selections = [], {}, []
    for field in operation.selection_set.selections:
        field_def = root.fields.get(field.name.value) if isinstance(field, graphql.FieldNode) else None
        if field_def is None:
            selections.append(field)
            continue
        arguments = []
        for argument in field.arguments or ():
            declared = field_def.args.get(argument.name.value)
            if declared is None:
                arguments.append(argument)
                continue
            name = f"v{len(definitions)}"
            variable = graphql.VariableNode(name=graphql.NameNode(value=name))
            definitions.append(
                graphql.VariableDefinitionNode(variable=variable, type=graphql.parse_type(str(declared.type)), directives=())
            )
            variables[name] = graphql.value_from_ast_untyped(argument.value)
            arguments.append(graphql.ArgumentNode(name=argument.name, value=variable))
        selections.append(dataclasses.replace(field, arguments=tuple(arguments)))
    operation = dataclasses.replace(
        operation,
        variable_definitions=tuple(definitions),
        selection_set=dataclasses.replace(operation.selection_set, selections=tuple(selections)),
    )
    return dataclasses.replace(document, definitions=(operation,)), variables


def _sent_values(document: graphql.DocumentNode, variables: dict[str, Any]) -> list[str]:
    """Every string and number literal of the document, and every leaf of the variables."""
    found: list[str] = []

    class Literals(graphql.Visitor):
        def enter(self, node: graphql.Node, *_: Any) -> None:
            if isinstance(node, (graphql.StringValueNode, graphql.IntValueNode, graphql.FloatValueNode)):
                found.append(str(node.value))

    graphql.visit(document, Literals())

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():  # keys are field names, which messages do name
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif value is not None and not isinstance(value, bool):
            found.append(str(value))

    walk(variables)
    return found


def _messages(body: Any) -> list[str]:
    """Top-level error messages and every userErrors message of the response."""
    found = [error.get("message", "") for error in body.get("errors") or []]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "userErrors" and isinstance(item, list):
                    found.extend(str(error.get("message", "")) for error in item if isinstance(error, dict))
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(body.get("data"))
    return found


def refused(body: Any) -> bool:
    """Refused as a whole: top-level errors without data, or every mutation payload with userErrors (not one that
    is recorded on purpose)."""
    data = body.get("data")
    if data is None:
        return bool(body.get("errors"))
    payloads = [value for value in data.values() if isinstance(value, dict) and "userErrors" in value]
    return (
        bool(payloads)
        and all(p["userErrors"] and not {e.get("code") for e in p["userErrors"]} & RECORDED_REFUSALS for p in payloads)
        and len(payloads) == len(data)
    )


def newest_audit(client: httpx.Client) -> Any:
    return client.post("/graphql", json={"query": NEWEST_AUDIT}).json().get("data")


def post_json(client: httpx.Client, path: str, payload: Any) -> httpx.Response:
    """JSON with escapes (ensure_ascii): a lone surrogate has no UTF-8 form, JSON's \\ud800 escape carries it."""
    return client.post(path, content=json.dumps(payload), headers={"Content-Type": "application/json"})


def check_answer(response: httpx.Response, sent: list[str]) -> None:
    assert response.status_code < 500, response.text[:2000]
    body = response.json()
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert code and code != "INTERNAL_SERVER_ERROR", error
    messages = _messages(body)
    for value in {v.strip() for v in sent if len(v.strip()) >= MIN_QUOTED}:
        for message in messages:
            assert value not in message, (value, message)


async def test_generated_documents_never_break_the_server_nor_echo_their_values():
    fx = await make_org("Fuzz", sandbox=True)
    # Thousands of generated documents with one token (`make fuzz`): a budget they cannot spend.
    server = Server(env={"SEATWISE_RATE_LIMIT": "1000000000"})
    headers = {"Authorization": f"Bearer {fx.token}"}
    try:
        server.wait_ready(timeout=120)
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
            )
            @given(document=_documents(), as_variables=st.booleans())
            def send(document: graphql.DocumentNode, as_variables: bool) -> None:
                variables: dict[str, Any] = {}
                if as_variables:
                    document, variables = hoist_arguments(document)
                sent = _sent_values(document, variables)
                before = newest_audit(client)
                response = post_json(client, "/graphql", {"query": graphql.print_ast(document), "variables": variables})
                check_answer(response, sent)
                if refused(response.json()):
                    assert newest_audit(client) == before, response.text[:2000]
                sent_count[0] += 1

            sent_count = [0]
            send()
            print(f"\nGraphQL fuzz: {sent_count[0]} examples on {'PostgreSQL' if is_postgres() else 'SQLite'}")

            assert client.get("/healthz").status_code == 200
            alive = client.post("/graphql", json={"query": "{ viewer { user { email } } }"})
            assert alive.json() == {"data": {"viewer": {"user": {"email": fx.admin.email}}}}
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()[-3000:]


async def test_a_websocket_error_quotes_no_value_of_the_operation():
    from tests.events_support import init, ws_client

    fx = await make_org("Socket")
    server = Server()
    try:
        server.wait_ready(timeout=120)
        async with ws_client(server.url) as ws:
            assert (await init(ws, fx.token))["type"] == "connection_ack"
            document = "subscription { licenseEvents(productSku: 4242424242424242) { kind } }"
            await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": document}}))
            answer = json.loads(await ws.recv())
    finally:
        server.stop()
    assert answer["type"] == "error", answer
    assert "4242424242424242" not in json.dumps(answer), answer
    assert [error["extensions"]["code"] for error in answer["payload"]] == ["GRAPHQL_VALIDATION_FAILED"], answer
