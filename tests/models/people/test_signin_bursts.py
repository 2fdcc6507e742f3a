"""The sign-in lockout holds for a burst of concurrent tries."""

import asyncio
from collections import Counter

from seatwise.models.core.clock import utcnow
from seatwise.models.core.errors import DomainError
from seatwise.models.core.tables import SignInFailure
from seatwise.models.people import auth
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


async def test_correct_password_after_a_burst_of_failures_is_refused():
    fx = await make_org()

    async def attempt(pw):
        try:
            await auth.sign_in(fx.admin.email, pw, now=utcnow())
            return "OK"
        except DomainError as e:
            return e.code.value

    burst = Counter(await asyncio.gather(*(attempt(f"wrong password {i:04d}") for i in range(9))))
    assert burst == {"INVALID_CREDENTIALS": 5, "TOO_MANY_ATTEMPTS": 4}, burst
    # the right password, after the burst: still locked, and the refused tries did not extend the lock
    assert await attempt(PASSWORD) == "TOO_MANY_ATTEMPTS"
    assert await SignInFailure.filter(email=fx.admin.email.lower()).count() == 5
