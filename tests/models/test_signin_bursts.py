"""The sign-in lockout holds for a burst of concurrent tries."""

import asyncio
from collections import Counter

from seatwise.models import auth
from seatwise.models.clock import utcnow
from seatwise.models.errors import DomainError
from tests.support import PASSWORD, make_org


async def test_concurrent_wrong_passwords_are_limited_to_five():
    fx = await make_org()

    async def attempt(i):
        try:
            await auth.sign_in(fx.admin.email, f"wrong password {i:04d}", now=utcnow())
            return "OK"
        except DomainError as e:
            return e.code.value

    codes = Counter(await asyncio.gather(*(attempt(i) for i in range(20))))
    # docs/rules.md section 2: after 5 failures within 15 minutes further tries get TOO_MANY_ATTEMPTS
    assert codes == {"INVALID_CREDENTIALS": 5, "TOO_MANY_ATTEMPTS": 15}, codes


async def test_correct_password_in_a_burst_after_failures_succeeds():
    fx = await make_org()

    async def attempt(pw):
        try:
            await auth.sign_in(fx.admin.email, pw, now=utcnow())
            return "OK"
        except DomainError as e:
            return e.code.value

    results = await asyncio.gather(*(attempt(f"wrong password {i:04d}") for i in range(9)), attempt(PASSWORD))
    # the right password is the 10th try, after 9 failures: it must be TOO_MANY_ATTEMPTS
    assert results[-1] == "TOO_MANY_ATTEMPTS", results
