"""Lists that grow cost a constant number of queries, whatever their length."""

from tests.support import count_selects, execute, give_licenses, make_org, make_user

PAGE = """
{ users(first: 100) { totalCount edges { node { email status licenses { product { sku name } assignedAt state } } } } }
"""


async def test_a_page_of_users_with_licenses_is_a_constant_number_of_queries(monkeypatch):
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 200)
    await give_licenses(fx, "CRM_ESSENTIAL", 200)
    for _ in range(10):
        await make_user(fx, skus=["CRM_BASIC", "CRM_ESSENTIAL"])
    small, small_count = await count_selects(monkeypatch, execute(PAGE, token=fx.token))
    assert small.errors is None and small.data["users"]["totalCount"] == 11
    for _ in range(89):
        await make_user(fx, skus=["CRM_BASIC"])
    big, big_count = await count_selects(monkeypatch, execute(PAGE, token=fx.token))
    assert big.errors is None and len(big.data["users"]["edges"]) == 100
    assert big_count == small_count
    assert big_count <= 12
