"""schema.graphql keeps every promise of the next contract (groups and waitlists, docs/rules.md section 11).

tests/contract-next.graphql is the next contract without its SCIM parts (ApiToken.scope, ApiTokenScope,
CreateApiTokenInput.scope): SCIM provisioning is a later issue, and adds them back.
"""

from graphql import build_schema, find_breaking_changes

from seatwise.gql.schema import schema
from tests.support import ROOT

NEXT = ROOT / "tests" / "contract-next.graphql"


def test_schema_has_no_breaking_change_against_the_next_contract():
    changes = find_breaking_changes(build_schema(NEXT.read_text()), build_schema(str(schema)))
    assert [c.description for c in changes] == []


def test_checked_in_schema_has_no_breaking_change_against_the_next_contract():
    changes = find_breaking_changes(build_schema(NEXT.read_text()), build_schema((ROOT / "schema.graphql").read_text()))
    assert [c.description for c in changes] == []
