"""Every ```graphql example in README.md and docs/*.md is a valid document against schema.graphql.

docs/admin-guide.md is not checked here: tests/http/test_admin_guide.py runs each of its blocks on a live demo
(and validates the few it cannot run), one owner per check.
"""

import re
from functools import cache

import pytest
from graphql import build_schema, parse, validate

from tests.support import ROOT

RUN_ELSEWHERE = {"admin-guide.md"}
DOCUMENTS = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name not in RUN_ELSEWHERE)]
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
def schema():
    return build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))


def test_the_readme_and_the_api_notes_have_graphql_examples():
    places = {where.split(":")[0] for where, _ in EXAMPLES}
    assert {"README.md", "docs/api.md"} <= places


@pytest.mark.parametrize(("where", "source"), EXAMPLES, ids=[where for where, _ in EXAMPLES])
def test_graphql_example_is_valid_against_the_schema(where, source):
    errors = validate(schema(), parse(source))
    assert [e.message for e in errors] == [], where


def test_an_invalid_example_would_be_caught():
    # The check is not vacuous: a misspelt field fails validation.
    assert validate(schema(), parse("{ seats { purchasedd } }"))
