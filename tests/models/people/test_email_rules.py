"""Email syntax through email-validator, without DNS (docs/rules.md sections 4 and 12): an ASCII local part, an
internationalised domain kept in its ASCII (IDNA) form, lower-cased; reserved domains accepted; nothing else."""

import pytest

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.people.validation import normalize_email


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        (" Ann.Lee+crm@ACME.test ", "ann.lee+crm@acme.test"),
        ("ann@Bücher.example", "ann@xn--bcher-kva.example"),  # Entra and Okta take internationalised domains
        ("ann@xn--bcher-kva.example", "ann@xn--bcher-kva.example"),  # the same address, one spelling
        ("test.user@okta.local", "test.user@okta.local"),  # Okta's SPEC test provisions @okta.local
        ("o'neil@acme.example", "o'neil@acme.example"),
    ],
)
def test_valid_addresses_are_normalised(raw, stored):
    assert normalize_email(raw, "email") == stored


@pytest.mark.parametrize(
    "raw",
    [
        "ünï@acme.test",  # a non-ASCII local part (SMTPUTF8): Entra user principal names and Okta logins are ASCII
        "a..b@acme.test",
        "a@acme",
        '"quoted"@acme.test',
        "a@[192.0.2.1]",
        "Ann <ann@acme.test>",
        "a b@acme.test",
        "a@-acme.test",
        "a" * 250 + "@acme.test",
        "",
    ],
)
def test_anything_else_is_invalid_input_without_quoting_it(raw):
    with pytest.raises(DomainError) as refused:
        normalize_email(raw, "email")
    assert refused.value.code is ErrorCode.INVALID_INPUT and refused.value.subject == "email"
    assert refused.value.message == "This is not a valid email address."
