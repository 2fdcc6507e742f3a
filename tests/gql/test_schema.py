from seatwise.gql.graphql.schema import schema
from tests.support import ROOT


def test_checked_in_schema_matches_the_code():
    assert (ROOT / "schema.graphql").read_text() == str(schema) + "\n", "run `make schema` and commit schema.graphql"
