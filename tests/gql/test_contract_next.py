"""schema.graphql keeps every promise of the next contract: groups and waitlists (docs/rules.md section 11) and
SCIM-scoped API tokens. tests/contract-next.graphql is the copy kept with the project; set
SEATWISE_CONTRACT_NEXT_PATH to an authoritative file to check against it as well.
"""

import os
from pathlib import Path

import pytest
from graphql import build_schema, find_breaking_changes

from seatwise.gql.graphql.schema import schema
from tests.support import ROOT

NEXT = ROOT / "tests" / "contract-next.graphql"


def test_schema_has_no_breaking_change_against_the_next_contract():
    changes = find_breaking_changes(build_schema(NEXT.read_text()), build_schema(str(schema)))
    assert [c.description for c in changes] == []


def test_checked_in_schema_has_no_breaking_change_against_the_next_contract():
    changes = find_breaking_changes(build_schema(NEXT.read_text()), build_schema((ROOT / "schema.graphql").read_text()))
    assert [c.description for c in changes] == []


def test_schema_has_no_breaking_change_against_an_authoritative_next_contract():
    path = os.environ.get("SEATWISE_CONTRACT_NEXT_PATH")
    if not path:
        pytest.skip("SEATWISE_CONTRACT_NEXT_PATH is not set: the copy in tests/ is checked above")
    changes = find_breaking_changes(build_schema(Path(path).read_text()), build_schema(str(schema)))
    assert [c.description for c in changes] == []
