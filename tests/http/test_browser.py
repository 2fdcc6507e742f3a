"""GraphiQL in a real browser: the system Chromium (Debian's `chromium`, driven by Playwright) with every
request that is not to the loopback server blocked, so the page must work on a closed network.

It relies only on GraphiQL's stable parts: the query editor (`.graphiql-query-editor`), the editor-tools
tab named "Headers" (`.graphiql-editor-tools button`) and its editor (`.graphiql-editor-tool`), the run
button (`.graphiql-execute-button`) and the result pane (`.result-window`); the editors are CodeMirror
instances filled as a person pastes (focus, select all, insert) and read through CodeMirror itself; Run
waits until GraphiQL has parsed the query editor's text (`CodeMirror.documentAST`).
On failure a screenshot goes to test-artifacts/ (or $SEATWISE_TEST_ARTIFACTS).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.events_support import Toggle, assign_over_http
from tests.support import ROOT, Server, give_licenses, make_org, make_user

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no `chromium` on PATH: install Debian's chromium package (.ci/run does) to run the browser test"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("SEATWISE_TEST_ARTIFACTS", ROOT / "test-artifacts"))

QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
HEADERS_TAB = ".graphiql-editor-tools button"
TOOL_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
RUN_BUTTON = ".graphiql-execute-button"
RESULT = ".result-window .CodeMirror"


@pytest.fixture(scope="module")
def server():
    running = Server().wait_ready()
    yield running
    running.stop()


@asynccontextmanager
async def graphiql(server: Server, name: str) -> AsyncIterator:
    """A page showing GraphiQL; requests leaving the loopback server are aborted and recorded in
    `page.blocked`. A screenshot is saved if the block fails."""
    from playwright.async_api import async_playwright

    origin = urlsplit(server.url)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = await browser.new_context()
            blocked: list[str] = []

            async def only_loopback(route):
                target = urlsplit(route.request.url)
                if (target.scheme, target.netloc) == (origin.scheme, origin.netloc):
                    await route.continue_()
                else:
                    blocked.append(route.request.url)
                    await route.abort("internetdisconnected")

            await context.route("**/*", only_loopback)
            page = await context.new_page()
            page.set_default_timeout(60_000)  # generous: the machine may be busy; nothing here measures time
            page.blocked = blocked
            try:
                await page.goto(f"{server.url}/graphql")
                await page.locator(QUERY_EDITOR).wait_for()
                yield page
            except BaseException:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                shot = ARTIFACTS / f"{name}.png"
                await page.screenshot(path=str(shot), full_page=True)
                print(f"screenshot of the failure: {shot}; requests blocked (not to the server): {blocked}")
                raise
        finally:
            await browser.close()


async def paste(page, editor_selector: str, text: str) -> None:
    """Replace an editor's text as a person pasting would, then check that the editor holds it."""
    editor = page.locator(editor_selector).first
    await editor.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.insert_text(text)
    assert await editor.evaluate("element => element.CodeMirror.getValue()") == text


async def run(page) -> None:
    """Press the run button once GraphiQL has parsed what the query editor shows, as a person who pastes and
    then reaches for the button would. GraphiQL parses 100 ms after the last edit; pressed sooner, it sends
    the previous document's kind (a subscription then goes as a plain POST instead of over the WebSocket)."""
    editor = await page.locator(QUERY_EDITOR).first.element_handle()
    await page.wait_for_function(
        "element => element.CodeMirror.documentAST?.loc?.source?.body === element.CodeMirror.getValue()", arg=editor
    )
    await page.locator(RUN_BUTTON).click()


async def result_text(page) -> str:
    return await page.locator(RESULT).first.evaluate("element => element.CodeMirror.getValue()")


async def wait_for_result(page, pattern: str, timeout_ms: float = 30_000) -> str:
    """The result pane's text once it matches `pattern` (a regular expression)."""
    await page.wait_for_function(
        "([selector, pattern]) => new RegExp(pattern).test(document.querySelector(selector)?.CodeMirror?.getValue() ?? '')",
        arg=[RESULT, pattern],
        timeout=timeout_ms,
    )
    return await result_text(page)


async def open_headers_with_token(page, token: str) -> None:
    await page.locator(HEADERS_TAB, has_text="Headers").click()
    await paste(page, TOOL_EDITOR, json.dumps({"Authorization": f"Bearer {token}"}))


async def test_graphiql_runs_a_query_once_a_token_is_pasted_on_a_closed_network(server):
    fx = await make_org("Browser Co")
    await give_licenses(fx, "CRM_BASIC", 5)
    async with graphiql(server, "graphiql-query") as page:
        await paste(page, QUERY_EDITOR, '{ viewer { role organization { name } } seats(productSku: "CRM_BASIC") { purchased } }')
        await run(page)
        refused = json.loads(await wait_for_result(page, r'"errors"'))

        await open_headers_with_token(page, fx.token)
        await run(page)
        answered = json.loads(await wait_for_result(page, r'"purchased"'))

        assert page.blocked == []  # everything the page needed came from the server itself
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]
    assert answered == {
        "data": {"viewer": {"role": "GLOBAL_ADMIN", "organization": {"name": "Browser Co"}}, "seats": [{"purchased": 5}]}
    }


async def test_graphiql_subscription_receives_the_event_of_a_mutation(server):
    fx = await make_org("Live Co")
    await give_licenses(fx, "CRM_BASIC", 5)
    primer, target = await make_user(fx), await make_user(fx)
    async with graphiql(server, "graphiql-subscription") as page, httpx.AsyncClient(timeout=10) as client:
        await open_headers_with_token(page, fx.token)
        await paste(
            page,
            QUERY_EDITOR,
            'subscription { licenseEvents(productSku: "CRM_BASIC") { kind user { email } seats { assigned } } }',
        )
        await run(page)

        # The subscription starts asynchronously: toggle a license until the pane shows an event.
        poke = Toggle(client, server.url, fx.token, primer.id, "CRM_BASIC")
        for _ in range(40):
            await poke()
            try:
                await wait_for_result(page, re.escape(primer.email), timeout_ms=1_000)
                break
            except Exception as error:  # playwright's TimeoutError
                if "Timeout" not in type(error).__name__:
                    raise
        else:
            pytest.fail(f"GraphiQL never showed an event; result pane: {await result_text(page)!r}")

        payload = await assign_over_http(client, server.url, fx.token, target.id, "CRM_BASIC")
        text = await wait_for_result(page, re.escape(target.email))

    # GraphiQL shows the latest event of a subscription.
    assert json.loads(text) == {
        "data": {
            "licenseEvents": {
                "kind": "ASSIGNED",
                "user": {"email": target.email},
                "seats": {"assigned": payload["seats"]["assigned"]},
            }
        }
    }
