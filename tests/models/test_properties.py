"""Property tests of the pure rules: calendar periods, proration rounding, card numbers, emails."""

from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from models import users
from models.billing import round_half_up
from models.clock import add_months
from models.errors import DomainError
from models.gateway import clean_number, luhn_valid

moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc))


@given(moments, st.integers(min_value=0, max_value=240))
def test_periods_are_calendar_months_clamped_to_shorter_months(anchor, k):
    end = add_months(anchor, k)
    months = (end.year - anchor.year) * 12 + end.month - anchor.month
    assert months == k
    assert end.day == anchor.day or end.day < anchor.day and (end + timedelta(days=1)).month != end.month
    assert (end.hour, end.minute, end.second, end.microsecond) == (anchor.hour, anchor.minute, anchor.second, anchor.microsecond)


@given(moments, st.integers(min_value=0, max_value=240))
def test_consecutive_period_ends_never_go_backwards(anchor, k):
    assert add_months(anchor, k) < add_months(anchor, k + 1)


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=10**9))
def test_round_half_up_matches_exact_arithmetic(numerator, denominator):
    exact = Fraction(numerator, denominator)
    expected = int(exact) + (1 if exact - int(exact) >= Fraction(1, 2) else 0)
    assert round_half_up(numerator, denominator) == expected


@given(st.text(alphabet="0123456789", min_size=12, max_size=18))
def test_exactly_one_check_digit_makes_a_number_luhn_valid(body):
    valid = [d for d in "0123456789" if luhn_valid(body + d)]
    assert len(valid) == 1
    number = body + valid[0]
    spaced = " ".join(number[i:i + 4] for i in range(0, len(number), 4))
    assert clean_number(spaced) == number


@settings(max_examples=200)
@given(st.text(max_size=40))
def test_email_normalisation_accepts_only_what_it_can_return_unchanged(raw):
    try:
        email = users.normalize_email(raw, "email")
    except DomainError:
        return
    assert email == email.strip().lower() and email.count("@") == 1
    assert users.normalize_email(email, "email") == email


@pytest.mark.parametrize("number", ["4242424242424241", "42424242424", "4242-4242-4242-424x", "４２４２４２４２４２４２４２４２"])
def test_bad_card_numbers_are_refused_without_echoing_them(number):
    with pytest.raises(DomainError) as failed:
        clean_number(number)
    assert failed.value.code.value == "INVALID_CARD_NUMBER" and number not in failed.value.message
