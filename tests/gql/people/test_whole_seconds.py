"""DateTimes have one format everywhere (docs/rules.md section 19): ISO-8601 UTC with Z, whole seconds; an API
token's expiry included (it was printed with microseconds)."""

import re

from tests.support import execute, make_org

CREATE = 'mutation { createApiToken(input: {name: "ci", role: READER, expiresInDays: 30}) { apiToken { expiresAt createdAt } userErrors { code } } }'
WHOLE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


async def test_a_new_token_s_datetimes_are_whole_seconds():
    fx = await make_org()
    result = await execute(CREATE, token=fx.token)
    assert result.errors is None, result.errors
    token = result.data["createApiToken"]["apiToken"]
    assert WHOLE.fullmatch(token["expiresAt"]) and WHOLE.fullmatch(token["createdAt"]), token
