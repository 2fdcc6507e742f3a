"""One boundary for text no database stores (docs/rules.md section 19): NUL and lone surrogates in any String or ID
argument, literal or variable, nested in inputs and lists, are BAD_USER_INPUT naming the argument or variable path;
nothing runs, nothing is written and the value is not quoted."""

import pytest

from seatwise.models.core.tables import AuditEvent, Group
from tests.support import execute, make_org

BAD = ["a\x00b", "a\ud800b", "\udfff"]


def _refused(result, path: str) -> None:
    assert result.data is None
    assert [(e.extensions["code"], e.extensions["argument"]) for e in result.errors] == [("BAD_USER_INPUT", path)]
    assert all(ch not in result.errors[0].message for ch in "\x00\ud800\udfff")


@pytest.mark.parametrize("bad", BAD, ids=["nul", "surrogate", "low-surrogate"])
@pytest.mark.parametrize(
    ("document", "variables", "path"),
    [
        ("query($s: String) { groups(search: $s) { totalCount } }", lambda b: {"s": b}, "$s"),
        ("query($s: String!) { licenseWaitlist(productSku: $s) { totalCount } }", lambda b: {"s": b}, "$s"),
        (
            "mutation($i: CreateGroupInput!) { createGroup(input: $i) { userErrors { code } } }",
            lambda b: {"i": {"displayName": b}},
            "$i.displayName",
        ),
        (
            "mutation($i: CreateGroupInput!) { createGroup(input: $i) { userErrors { code } } }",
            lambda b: {"i": {"displayName": "ok", "productSkus": ["CRM_BASIC", b]}},
            "$i.productSkus.1",
        ),
        ("mutation($g: ID!) { deleteGroup(input: {groupId: $g}) { userErrors { code } } }", lambda b: {"g": b}, "$g"),
    ],
)
async def test_variables_with_forbidden_text_are_refused_by_path(document, variables, path, bad):
    fx = await make_org()
    _refused(await execute(document, variables(bad), token=fx.token), path)
    assert not await Group.filter(organization_id=fx.org.id).exists()


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ('{ groups(search: "a\\u0000b") { totalCount } }', "search"),
        ('mutation { createGroup(input: {displayName: "a\\u0000b"}) { userErrors { code } } }', "input.displayName"),
        (
            'mutation { createGroup(input: {displayName: "ok", productSkus: ["CRM_BASIC", "\\u0000"]}) { userErrors { code } } }',
            "input.productSkus.1",
        ),
        ('query($s: String = "\\u0000") { groups(search: $s) { totalCount } }', "$s"),
    ],
)
async def test_literals_with_nul_are_refused_by_argument_path(document, path):
    fx = await make_org()
    before = await AuditEvent.filter(organization_id=fx.org.id).count()
    _refused(await execute(document, token=fx.token), path)
    _refused(await execute(document, token=fx.token), path)  # the same document again: its literals' answer is kept
    assert await AuditEvent.filter(organization_id=fx.org.id).count() == before


async def test_a_document_seen_clean_still_has_its_variables_checked():
    fx = await make_org()
    document = "query($s: String) { groups(search: $s) { totalCount } }"
    assert (await execute(document, {"s": "clean"}, token=fx.token)).errors is None
    _refused(await execute(document, {"s": "a\x00b"}, token=fx.token), "$s")


async def test_clean_text_goes_through():
    fx = await make_org()
    result = await execute('mutation { createGroup(input: {displayName: "שלום é"}) { group { displayName } } }', token=fx.token)
    assert result.errors is None and result.data["createGroup"]["group"]["displayName"] == "שלום é"
