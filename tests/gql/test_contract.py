"""schema.graphql keeps every promise of the public API contract, kept in tests/contract.graphql.

CI may also point SEATWISE_CONTRACT_PATH at the authoritative contract file: the copy kept here must then be
the same schema, and the schema must keep its promises too. Without the variable, only the copy is checked.
"""

import os
from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, find_breaking_changes, print_schema

from seatwise.gql.graphql.schema import schema
from tests.support import ROOT

LOCAL_COPY = ROOT / "tests" / "contract.graphql"


def _external_contract() -> Path | None:
    configured = os.environ.get("SEATWISE_CONTRACT_PATH")
    return Path(configured) if configured else None


def _contracts() -> list[tuple[str, Path]]:
    found = [("tests/contract.graphql", LOCAL_COPY)]
    external = _external_contract()
    if external is not None:
        found.append(("SEATWISE_CONTRACT_PATH", external))
    return found


CONTRACTS = _contracts()
CONTRACT_IDS = [name for name, _ in CONTRACTS]


def _breaking(contract: GraphQLSchema, candidate: GraphQLSchema) -> list[str]:
    return [change.description for change in find_breaking_changes(contract, candidate)]


@pytest.mark.parametrize("path", [p for _, p in CONTRACTS], ids=CONTRACT_IDS)
def test_schema_has_no_breaking_change_against_the_contract(path):
    assert _breaking(build_schema(path.read_text()), build_schema(str(schema))) == []


@pytest.mark.parametrize("path", [p for _, p in CONTRACTS], ids=CONTRACT_IDS)
def test_checked_in_schema_has_no_breaking_change_against_the_contract(path):
    assert _breaking(build_schema(path.read_text()), build_schema((ROOT / "schema.graphql").read_text())) == []


if _external_contract() is not None:
    # Defined only when CI names the authoritative contract, so that a clone's run has nothing to skip.

    def test_local_copy_of_the_contract_is_the_external_contract():
        external = _external_contract()
        # The same schema (types, fields, arguments, descriptions); comments may differ.
        assert print_schema(build_schema(LOCAL_COPY.read_text())) == print_schema(build_schema(external.read_text())), (
            "tests/contract.graphql differs from the contract at SEATWISE_CONTRACT_PATH: copy it over"
        )


def test_a_breaking_change_would_be_caught():
    # The comparison is not vacuous: removing a contract field is reported.
    contract = build_schema(LOCAL_COPY.read_text())
    trimmed = build_schema(LOCAL_COPY.read_text().replace("  overage: Int!\n", "", 1))
    assert _breaking(contract, trimmed)
