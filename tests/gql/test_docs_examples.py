"""Every ```graphql example in README.md and docs/*.md is a valid document against schema.graphql."""

import re
from functools import cache

import pytest
from graphql import build_schema, parse, validate

from tests.support import ROOT

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```graphql[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def _examples() -> list[tuple[str, str]]:
    found = []
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{path.relative_to(ROOT)}:{line}", match.group(1)))
    return found


EXAMPLES = _examples()


@cache
def _schema():
    return build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))


def test_the_documentation_has_graphql_examples_in_the_readme_and_the_admin_guide():
    places = {where.split(":")[0] for where, _ in EXAMPLES}
    assert {"README.md", "docs/admin-guide.md"} <= places
    assert len(EXAMPLES) >= 20


@pytest.mark.parametrize(("where", "source"), EXAMPLES, ids=[where for where, _ in EXAMPLES])
def test_graphql_example_is_valid_against_the_schema(where, source):
    errors = validate(_schema(), parse(source))
    assert [e.message for e in errors] == [], where


def test_an_invalid_example_would_be_caught():
    # The check is not vacuous: a misspelt field fails validation.
    assert validate(_schema(), parse("{ seats { purchasedd } }"))
