"""Property tests of the pure rules: calendar periods, proration rounding, card numbers, emails."""

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seatwise.models.billing.gateways import clean_number, luhn_valid
from seatwise.models.catalog.prices import round_half_up
from seatwise.models.core.clock import add_months
from seatwise.models.core.errors import DomainError
from seatwise.models.people import validation

moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@given(moments, st.integers(min_value=0, max_value=240))
def test_periods_are_calendar_months_clamped_to_shorter_months(anchor, k):
    end = add_months(anchor, k)
    months = (end.year - anchor.year) * 12 + end.month - anchor.month
    assert months == k
    assert end.day == anchor.day or (end.day < anchor.day and (end + timedelta(days=1)).month != end.month)
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
    spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    assert clean_number(spaced) == number


ATOM_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-"
atoms = st.text(alphabet=ATOM_CHARS, min_size=1, max_size=8)
labels = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,6}[A-Za-z0-9])?", fullmatch=True)
top_labels = st.from_regex(r"[A-Za-z]([A-Za-z0-9]{0,4}[A-Za-z])?", fullmatch=True)  # every top-level domain ends with a letter
spaces = st.text(alphabet=" \t", max_size=2)


@st.composite
def valid_emails(draw):
    """docs/rules.md section 4: atoms joined by single dots, `@`, two or more labels (the last ending with a letter); any
    case, surrounding spaces."""
    local = ".".join(draw(st.lists(atoms, min_size=1, max_size=3)))
    domain = ".".join([*draw(st.lists(labels, min_size=1, max_size=2)), draw(top_labels)])
    return draw(spaces) + local + "@" + domain + draw(spaces)


# Each defect breaks one rule of the syntax; `where` picks the position it goes in.
DEFECTS = {
    "space inside": lambda e, where: e[:where] + " " + e[where:],
    # In the local part: an internationalised domain is valid (stored in IDNA form), an SMTPUTF8 local part is not.
    "non-ASCII letter in the local part": lambda e, where: e[: min(where, e.index("@"))] + "é" + e[min(where, e.index("@")) :],
    "quote": lambda e, where: e[:where] + '"' + e[where:],
    "angle bracket": lambda e, where: e[:where] + "<" + e[where:],
    "second @": lambda e, where: e[:where] + "@" + e[where:],
    "no @": lambda e, where: e.replace("@", ""),
    "double dot in the local part": lambda e, where: e.replace("@", "..x@"),
    "dot starting the local part": lambda e, where: "." + e,
    "dot ending the local part": lambda e, where: e.replace("@", ".@"),
    "empty local part": lambda e, where: e[e.index("@") :],
    "no dot in the domain": lambda e, where: e[: e.index("@") + 1] + "localhost",
    "label starting with a hyphen": lambda e, where: e.replace("@", "@-"),
    "label ending with a hyphen": lambda e, where: e + "-",
    "empty label": lambda e, where: e + ".",
    "over 254 characters": lambda e, where: "a" * 251 + e[e.index("@") :],
}


@settings(max_examples=300)
@given(valid_emails())
def test_email_normalisation_accepts_valid_emails_trimmed_and_lower_cased(raw):
    email = validation.normalize_email(raw, "email")
    assert email == raw.strip().lower()
    assert validation.normalize_email(email, "email") == email


@settings(max_examples=300)
@given(valid_emails(), st.sampled_from(sorted(DEFECTS)), st.integers(min_value=1, max_value=40))
def test_email_normalisation_refuses_each_broken_rule(valid, defect, where):
    raw = DEFECTS[defect](valid.strip(), min(where, len(valid.strip()) - 1))
    with pytest.raises(DomainError) as failed:
        validation.normalize_email(raw, "email")
    assert failed.value.code.value == "INVALID_INPUT", defect


@pytest.mark.parametrize("number", ["4242424242424241", "42424242424", "4242-4242-4242-424x", "４２４２４２４２４２４２４２４２"])
def test_bad_card_numbers_are_refused_without_echoing_them(number):
    with pytest.raises(DomainError) as failed:
        clean_number(number)
    assert failed.value.code.value == "INVALID_CARD_NUMBER" and number not in failed.value.message
