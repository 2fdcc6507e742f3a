"""SCIM fuzzing over real HTTP: every route and method, with filters, PATCH paths and values, bodies and query
parameters drawn from hostile text (NUL, lone surrogates, 10,000 characters, right-to-left, combining marks; the
GraphQL fuzzer's HOSTILE_TEXT) and from arbitrary JSON. Whatever comes, no answer is a 5xx, every refusal is a SCIM
error body, and a refused request changed nothing (the newest audit event is the same before and after).

SEATWISE_FUZZ_EXAMPLES sets the number of requests (a few dozen by default; `make fuzz` runs thousands on both
databases). The run prints how many it sent.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seatwise.models.scim import groups as scim_groups
from tests.http.test_fuzz import HOSTILE_TEXT, newest_audit
from tests.scim_support import PATCH, SCIM_JSON, USER, scim_token
from tests.support import NOW, Server, is_postgres, make_org, make_user

EXAMPLES = int(os.environ.get("SEATWISE_FUZZ_EXAMPLES", "25"))
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

ATTRIBUTES = [
    "userName",
    "displayName",
    "emails",
    "emails.value",
    "name.givenName",
    "externalId",
    "active",
    "members",
    "id",
    "meta.created",
    "members.value",
]
_attribute = st.one_of(st.sampled_from(ATTRIBUTES), HOSTILE_TEXT)
_operator = st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"])
_filter = st.one_of(
    st.builds(lambda a, o, v: f"{a} {o} {json.dumps(v)}", _attribute, _operator, HOSTILE_TEXT),
    st.builds(lambda a: f"{a} pr", _attribute),
    st.builds(lambda a, v: f"emails[value eq {json.dumps(v)}] and {a} pr", _attribute, HOSTILE_TEXT),
    HOSTILE_TEXT,
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | HOSTILE_TEXT,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(HOSTILE_TEXT | st.sampled_from(ATTRIBUTES), children, max_size=3)
    ),
    max_leaves=8,
)
_value = st.one_of(_json, HOSTILE_TEXT, st.dictionaries(st.sampled_from(ATTRIBUTES), _json, max_size=3))
_path = st.one_of(
    st.sampled_from(ATTRIBUTES),
    st.builds(lambda v: f"emails[type eq {json.dumps(v)}].value", HOSTILE_TEXT),
    st.builds(lambda v: f"members[value eq {json.dumps(v)}]", HOSTILE_TEXT),
    HOSTILE_TEXT,
)
_operation = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "replace", "remove", "Replace", "bogus"])}, optional={"path": _path, "value": _value}
)
_patch = st.builds(lambda ops: {"schemas": [PATCH], "Operations": ops}, st.lists(_operation, min_size=1, max_size=3))
_user = st.fixed_dictionaries(
    {"schemas": st.just([USER]), "userName": HOSTILE_TEXT},
    optional={
        "displayName": HOSTILE_TEXT,
        "emails": st.lists(
            st.fixed_dictionaries({"value": HOSTILE_TEXT}, optional={"primary": st.booleans(), "type": HOSTILE_TEXT}), max_size=3
        ),
        "name": st.dictionaries(st.sampled_from(["givenName", "familyName", "formatted"]), HOSTILE_TEXT, max_size=3),
        "active": st.one_of(st.booleans(), HOSTILE_TEXT),
        "externalId": HOSTILE_TEXT,
    },
)
_group = st.fixed_dictionaries(
    {"displayName": HOSTILE_TEXT}, optional={"members": st.lists(st.fixed_dictionaries({"value": HOSTILE_TEXT}), max_size=3)}
)
_search = st.fixed_dictionaries(
    {"schemas": st.just([SEARCH])},
    optional={"filter": _filter, "startIndex": _json, "count": _json, "attributes": st.lists(_attribute, max_size=2)},
)
_query = st.dictionaries(
    st.sampled_from(["filter", "startIndex", "count", "attributes", "excludedAttributes"]),
    st.one_of(_filter, HOSTILE_TEXT),
    max_size=3,
)


def _requests(user_id: int, group_id: int) -> st.SearchStrategy[tuple[str, str, Any, dict[str, str]]]:
    ids = st.one_of(st.sampled_from([str(user_id), str(group_id), "0", "99999999999999999999"]), HOSTILE_TEXT)
    users = st.builds(lambda i: f"/Users/{i}", st.one_of(st.just(str(user_id)), ids))
    groups = st.builds(lambda i: f"/Groups/{i}", st.one_of(st.just(str(group_id)), ids))
    discovery = st.sampled_from(
        ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas", "/ResourceTypes/User", "/Schemas/x", "/nope"]
    )
    return st.one_of(
        st.tuples(st.just("GET"), st.sampled_from(["/Users", "/Groups"]), st.none(), _query),
        st.tuples(st.just("POST"), st.sampled_from(["/Users/.search", "/Groups/.search", "/.search"]), _search, st.just({})),
        st.tuples(st.just("POST"), st.just("/Users"), st.one_of(_user, _json), st.just({})),
        st.tuples(st.just("POST"), st.just("/Groups"), st.one_of(_group, _json), st.just({})),
        st.tuples(st.sampled_from(["GET", "DELETE"]), st.one_of(users, groups), st.none(), _query),
        st.tuples(st.just("PUT"), users, st.one_of(_user, _json), st.just({})),
        st.tuples(st.just("PUT"), groups, st.one_of(_group, _json), st.just({})),
        st.tuples(st.just("PATCH"), st.one_of(users, groups), st.one_of(_patch, _json), st.just({})),
        st.tuples(st.sampled_from(["GET", "POST", "OPTIONS"]), discovery, st.none(), _query),
    )


def _url_path(path: str) -> str:
    """A path as a client sends it: percent-encoded UTF-8 (a lone surrogate as the bytes of its UTF-8-like form, as a
    client with a broken encoder would send it)."""
    return quote(path.encode("utf-8", "surrogatepass"), safe="/.")


async def test_generated_scim_requests_never_break_the_server_and_refusals_change_nothing():
    fx = await make_org("Fuzz Directory")
    token = await scim_token(fx)
    person = await make_user(fx)
    group = await scim_groups.create(fx.org, {"displayName": "Fuzzers"}, actor=fx.actor, now=NOW)
    server = Server()
    try:
        server.wait_ready(timeout=120)
        scim_headers = {"Authorization": f"Bearer {token}", "Accept": SCIM_JSON}
        with (
            httpx.Client(base_url=f"{server.url}/scim/v2", headers=scim_headers, timeout=60) as scim,
            httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {fx.token}"}, timeout=60) as graphql,
        ):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
            )
            @given(request=_requests(person.id, group.id))
            def send(request: tuple[str, str, Any, dict[str, str]]) -> None:
                method, path, body, query = request
                before = newest_audit(graphql)
                params = {k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in query.items()}
                content = json.dumps(body) if body is not None else None
                headers = {"Content-Type": SCIM_JSON} if content is not None else {}
                response = scim.request(method, _url_path(path), params=params, content=content, headers=headers)
                assert response.status_code < 500 or response.status_code == 501, response.text[:2000]
                if response.status_code >= 400:
                    answer = response.json()
                    assert answer["schemas"] == [ERROR] and answer["status"] == str(response.status_code), answer
                    assert newest_audit(graphql) == before, (request, response.text[:2000])
                sent[0] += 1

            sent = [0]
            send()
            print(f"\nSCIM fuzz: {sent[0]} examples on {'PostgreSQL' if is_postgres() else 'SQLite'}")
            assert scim.get("/Users", params={"count": "1"}).status_code == 200
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()[-3000:]
