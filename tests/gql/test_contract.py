"""schema.graphql keeps every promise of ../shared/contract.graphql."""

import pytest
from graphql import build_schema, find_breaking_changes

from gql.schema import schema
from tests.support import ROOT

CONTRACT = ROOT.parent / "shared" / "contract.graphql"
LOCAL_COPY = ROOT / "tests" / "contract.graphql"


def _contract_text() -> str:
    # The shared contract when the repository sits beside ../shared, else the copy kept with the tests.
    return (CONTRACT if CONTRACT.exists() else LOCAL_COPY).read_text()


def test_local_copy_of_the_contract_is_current():
    if not CONTRACT.exists():
        pytest.skip("../shared/contract.graphql is not beside this clone")
    assert LOCAL_COPY.read_text() == CONTRACT.read_text(), "copy ../shared/contract.graphql to tests/contract.graphql"


def test_schema_has_no_breaking_change_against_the_contract():
    changes = find_breaking_changes(build_schema(_contract_text()), build_schema(str(schema)))
    assert [c.description for c in changes] == []


def test_checked_in_schema_has_no_breaking_change_against_the_contract():
    changes = find_breaking_changes(build_schema(_contract_text()), build_schema((ROOT / "schema.graphql").read_text()))
    assert [c.description for c in changes] == []
