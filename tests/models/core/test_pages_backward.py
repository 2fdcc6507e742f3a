"""Backward paging (docs/rules.md section 17): `last` rows before `before`, read by the keyset reversed and returned in
the list's order, with hasPreviousPage/hasNextPage as the Relay cursor spec says; forward and backward arguments
never mix; and, over any data in any order, paging forward then backward visits every row exactly once, in order."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seatwise.models.core.pages import BadUserInput, Keyset, paginate, window
from seatwise.models.core.tables import User
from seatwise.models.core.tables.people import NEVER_USED
from seatwise.models.people import listing
from seatwise.models.people.listing import OrderDirection, UserOrderField
from tests.support import NOW, make_org


async def _people(fx, rows: list[tuple[str, int, int | None]]) -> list[User]:
    """Users of `fx` (its admin aside) with these (display name, creation hour, latest use hour or None: never)."""
    users = [
        User(
            organization_id=fx.org.id,
            email=f"u{index:03d}-{fx.org.id}@pages.test",
            display_name=name,
            created_at=NOW + timedelta(hours=created),
            latest_use=NEVER_USED if used is None else NOW + timedelta(hours=used),
        )
        for index, (name, created, used) in enumerate(rows)
    ]
    await User.bulk_create(users)
    return await User.filter(organization_id=fx.org.id, email__endswith="@pages.test")


def _expected(users: list[User], order: Keyset) -> list[int]:
    ranked = sorted(users, key=order.key, reverse=order.descending)
    return [u.id for u in ranked]


async def _forward(query, order: Keyset, size: int) -> list[int]:
    seen, after = [], None
    while True:
        page = await paginate(query, size, after, order)
        assert page.has_previous is (after is not None)
        seen += [u.id for u in page.items]
        if not page.has_next:
            return seen
        after = page.cursor(len(page.items) - 1)


async def _backward(query, order: Keyset, size: int) -> list[int]:
    seen, before = [], None
    while True:
        page = await paginate(query, None, None, order, last=size, before=before)
        assert page.has_next is (before is not None)
        seen = [u.id for u in page.items] + seen
        if not page.has_previous:
            return seen
        before = page.cursor(0)


async def test_a_backward_page_is_the_last_rows_before_the_cursor_in_the_lists_order():
    fx = await make_org()
    people = await _people(fx, [(name, 0, None) for name in "abcdefg"])
    query = User.filter(email__endswith="@pages.test", organization_id=fx.org.id)
    order = listing.user_order(UserOrderField.DISPLAY_NAME, OrderDirection.ASC)
    last = await paginate(query, None, None, order, last=3)
    assert [u.display_name for u in last.items] == ["e", "f", "g"]
    assert last.has_previous and not last.has_next
    before = await paginate(query, None, None, order, last=3, before=last.cursor(0))
    assert [u.display_name for u in before.items] == ["b", "c", "d"]
    assert before.has_previous and before.has_next
    start = await paginate(query, None, None, order, last=3, before=before.cursor(0))
    assert [u.display_name for u in start.items] == ["a"] and not start.has_previous and start.has_next
    # a backward page's end cursor pages forward again
    again = await paginate(query, 3, before.cursor(2), order)
    assert [u.display_name for u in again.items] == ["e", "f", "g"] and len(people) == 7


@pytest.mark.parametrize(
    ("first", "after", "last", "before"),
    [
        (5, None, 5, None),
        (None, "x", None, "y"),
        (5, None, None, "y"),
        (None, "x", 5, None),
        (None, None, 0, None),
        (None, None, 101, None),
        (None, None, None, "y"),
    ],
)
def test_forward_and_backward_arguments_do_not_mix_and_last_is_1_to_100(first, after, last, before):
    with pytest.raises(BadUserInput):
        window(first, after, last, before)


async def test_a_cursor_of_another_order_is_refused():
    fx = await make_org()
    await _people(fx, [("a", 0, None), ("b", 1, None)])
    query = User.filter(organization_id=fx.org.id)
    by_name = listing.user_order(UserOrderField.DISPLAY_NAME, OrderDirection.ASC)
    page = await paginate(query, 1, None, by_name)
    for field, direction in listing.ORDERS:
        other = listing.user_order(field, direction)
        if other != by_name:
            with pytest.raises(BadUserInput):
                await paginate(query, 1, page.cursor(0), other)
            with pytest.raises(BadUserInput):
                await paginate(query, None, None, other, last=1, before=page.cursor(0))


def test_the_email_order_keeps_the_cursors_issued_before_orders():
    from seatwise.models.people.users import USER_ORDER

    assert listing.user_order(None, None) == USER_ORDER == listing.user_order(UserOrderField.EMAIL, OrderDirection.ASC)


rows = st.lists(
    st.tuples(
        st.text(alphabet="abc", min_size=1, max_size=2),  # ties of names, broken by the id
        st.integers(min_value=0, max_value=3),
        st.none() | st.integers(min_value=0, max_value=3),
    ),
    max_size=14,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows, st.sampled_from(sorted(listing.ORDERS)), st.integers(min_value=1, max_value=4))
async def test_paging_forward_then_backward_visits_every_row_once_in_order(data, order_key, size):
    fx = await make_org()
    people = await _people(fx, data)
    order = listing.ORDERS[order_key]
    query = User.filter(organization_id=fx.org.id, email__endswith="@pages.test")
    expected = _expected(people, order)
    assert await _forward(query, order, size) == expected
    assert await _backward(query, order, size) == expected


async def test_the_longest_display_name_pages_by_its_cursor():
    fx = await make_org()
    longest = "\U0001f600" * 256  # 256 characters of 4 bytes each in UTF-8
    await _people(fx, [(longest, 0, None), (longest, 1, None), ("b", 2, None)])
    query = User.filter(organization_id=fx.org.id, email__endswith="@pages.test")
    order = listing.user_order(UserOrderField.DISPLAY_NAME, OrderDirection.DESC)
    first = await paginate(query, 1, None, order)
    second = await paginate(query, 1, first.cursor(0), order)
    back = await paginate(query, None, None, order, last=1, before=second.cursor(0))
    assert [u.display_name for u in first.items + second.items] == [longest, longest]
    assert [u.id for u in back.items] == [u.id for u in first.items] and first.items[0].id > second.items[0].id
