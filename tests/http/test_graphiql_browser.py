"""Seatwise's GraphiQL in a real browser (headless chromium) against a real `seatwise serve`: queries and
subscriptions with the token pasted in the Headers tab, and the token kept out of localStorage unless the
admin opts in."""

import json
import shutil

import httpx
import pytest

from tests.events_support import Toggle
from tests.support import Server, gid, give_licenses, make_org, make_user

chromium = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(chromium is None, reason="needs the system chromium (Debian package `chromium`)")


@pytest.fixture(scope="module")
def server():
    running = Server().wait_ready()
    yield running
    running.stop()


@pytest.fixture
async def page():
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            yield await (await browser.new_context()).new_page()
        finally:
            await browser.close()


async def _open(page, url: str, token: str) -> None:
    await page.goto(url)
    await page.wait_for_selector(".graphiql-query-editor .CodeMirror")
    await page.get_by_role("button", name="Headers").click()
    await page.evaluate(
        "t => document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror').CodeMirror.setValue(t)",
        json.dumps({"Authorization": f"Bearer {token}"}),
    )


async def _run(page, query: str | None = None) -> None:
    if query is not None:
        await page.evaluate("q => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(q)", query)
        # GraphiQL takes in an edit (and its operation name) after a debounce; it then stores the query.
        await page.wait_for_function("q => window.localStorage.getItem('graphiql:query') === q", arg=query)
    await page.locator(".graphiql-execute-button").click()


async def _response(page, predicate: str, timeout: float = 15000) -> dict:
    """The result pane's JSON once `predicate` (JS on `r`, the parsed result) holds."""
    handle = await page.wait_for_function(
        f"""() => {{
            const text = document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue();
            try {{ const r = JSON.parse(text); return ({predicate}) ? text : null; }} catch (e) {{ return null; }}
        }}""",
        timeout=timeout,
    )
    return json.loads(await handle.json_value())


async def test_graphiql_is_seatwises_and_runs_the_default_query_with_the_pasted_token(server, page):
    fx = await make_org()
    await _open(page, f"{server.url}/graphql", fx.token)
    assert await page.title() == "Seatwise GraphiQL"
    assert "Headers" in await page.locator("#seatwise-bar").inner_text()
    await _run(page)  # the default query: seats and conflicts
    result = await _response(page, "r.data && r.data.seats")
    assert "licenseConflicts" in result["data"] and not result.get("errors")
    stored = await page.evaluate("() => JSON.stringify(window.localStorage)")
    assert fx.token not in stored


async def test_the_token_is_stored_only_when_the_admin_opts_in(server, page):
    fx = await make_org()
    await _open(page, f"{server.url}/graphql?persistHeaders=true", fx.token)
    await _run(page, "{ viewer { role } }")
    await _response(page, "r.data && r.data.viewer")
    assert await page.locator("#persist-headers").is_checked()
    assert fx.token in await page.evaluate("() => JSON.stringify(window.localStorage)")
    await page.goto(f"{server.url}/graphql")  # opting out again forgets it
    await page.wait_for_selector(".graphiql-query-editor .CodeMirror")
    assert fx.token not in await page.evaluate("() => JSON.stringify(window.localStorage)")


async def test_graphiql_shows_live_events_of_a_subscription(server, page):
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    user = await make_user(fx)
    await _open(page, f"{server.url}/graphql", fx.token)
    await _run(page, "subscription { licenseEvents { kind user { id } seats { assigned } } }")
    poke = Toggle(httpx.AsyncClient(timeout=10), server.url, fx.token, user.id, "CRM_BASIC")
    try:
        for _ in range(40):  # the subscription starts asynchronously: poke until an event shows
            await poke()
            try:
                result = await _response(page, "r.data && r.data.licenseEvents", timeout=500)
                break
            except Exception:  # playwright's TimeoutError
                continue
        else:
            pane = await page.evaluate("() => document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()")
            raise AssertionError(f"no event reached GraphiQL: {pane}")
    finally:
        await poke.client.aclose()
    assert result["data"]["licenseEvents"]["user"] == {"id": gid("User", user.id)}
