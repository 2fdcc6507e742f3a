"""Emails with a trailing newline inside, or non-ASCII letters that lower-case to ASCII, are INVALID_INPUT."""

import pytest

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import User
from seatwise.models.people import validation
from tests.support import execute, make_org


@pytest.mark.parametrize("raw", ["ada\n@example.com", "ada@example\n.com", "\u212aate@example.com"])
def test_newline_or_non_ascii_email_is_invalid_input(raw):
    with pytest.raises(DomainError) as failed:
        print(repr(validation.normalize_email(raw, "email")))
    assert failed.value.code is ErrorCode.INVALID_INPUT


async def test_create_user_with_a_newline_in_the_email_is_refused():
    fx = await make_org()
    result = await execute(
        'mutation { createUser(input: {email: "eve\\n@example.com", displayName: "Eve"}) { user { email } userErrors { code } } }',
        token=fx.token,
    )
    assert result.data["createUser"]["userErrors"] == [{"code": "INVALID_INPUT"}]
    assert not await User.exists(email="eve\n@example.com")
