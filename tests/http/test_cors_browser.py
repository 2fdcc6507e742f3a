"""A console on another origin, in a real browser (the system Chromium through Playwright): the page is served by a
second loopback server (another port is another origin), so every request to Seatwise is a cross-origin request
that Chromium itself checks (preflight, allowed and exposed headers, the WebSocket's Origin). Nothing is routed
through Playwright: with request interception on, Playwright answers preflights itself."""

from __future__ import annotations

import http.server
import re
import shutil
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.events_support import Toggle, assign_over_http
from tests.support import Server, give_licenses, make_org, make_user

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no `chromium` on PATH: install Debian's chromium package")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]
EXTRA_HEADER = "x-console-build"  # allowed through SEATWISE_CORS_HEADERS

# fetch() from the page; resolves to what the page may see of the answer, or {failed: message} (a refused preflight).
FETCH = """async ([url, headers, body]) => {
  try {
    const response = await fetch(url, {method: 'POST', headers: {'content-type': 'application/json', ...headers},
                                       body: JSON.stringify(body)});
    return {status: response.status, requestId: response.headers.get('x-request-id'), body: await response.json()};
  } catch (error) { return {failed: String(error)}; }
}"""
# A graphql-transport-ws client in the page: every `next` payload goes to window.seatwiseEvents.
SUBSCRIBE = """([url, token, query]) => new Promise((resolve, reject) => {
  window.seatwiseEvents = [];
  const ws = new WebSocket(url, 'graphql-transport-ws');
  ws.onopen = () => ws.send(JSON.stringify({type: 'connection_init', payload: {Authorization: 'Bearer ' + token}}));
  ws.onerror = () => reject(new Error('websocket failed'));
  ws.onmessage = (message) => {
    const data = JSON.parse(message.data);
    if (data.type === 'connection_ack') {
      ws.send(JSON.stringify({id: '1', type: 'subscribe', payload: {query}}));
      resolve('ack');
    } else if (data.type === 'next') { window.seatwiseEvents.push(data.payload); }
  };
})"""


class _Blank(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        page = b"<!doctype html><title>console</title><p>A console on another origin.</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def console() -> Iterator[str]:
    """The console's own web server: its origin is http://127.0.0.1:<another port>."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Blank)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture(scope="module")
def server(console):
    running = Server(env={"SEATWISE_CORS_ORIGINS": console, "SEATWISE_CORS_HEADERS": EXTRA_HEADER}).wait_ready()
    yield running
    running.stop()


@pytest.fixture
async def page(console):
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = await browser.new_page()
            page.set_default_timeout(60_000)  # the machine may be busy; nothing here measures time
            await page.goto(console)
            yield page
        finally:
            await browser.close()


async def test_a_console_on_another_origin_sends_apollo_and_trace_headers_and_reads_the_request_id(server, page):
    fx = await make_org("Cross Origin Co")
    headers = {
        "authorization": f"Bearer {fx.token}",
        "apollographql-client-name": "console",
        "apollographql-client-version": "1.2.3",
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "tracestate": "seatwise=1",
        "x-request-id": "console-req-1",
        EXTRA_HEADER: "2026.12",
    }
    answer = await page.evaluate(FETCH, [f"{server.url}/graphql", headers, {"query": "{ viewer { role } }"}])
    assert answer == {"status": 200, "requestId": "console-req-1", "body": {"data": {"viewer": {"role": "GLOBAL_ADMIN"}}}}


async def test_a_header_neither_built_in_nor_configured_fails_the_preflight_in_the_browser(server, page):
    fx = await make_org("Preflight Co")
    headers = {"authorization": f"Bearer {fx.token}", "x-not-allowed": "1"}
    answer = await page.evaluate(FETCH, [f"{server.url}/graphql", headers, {"query": "{ viewer { role } }"}])
    assert answer == {"failed": "TypeError: Failed to fetch"}


async def test_a_console_on_another_origin_receives_live_events_over_the_websocket(server, page):
    fx = await make_org("Live Origin Co")
    await give_licenses(fx, "CRM_BASIC", 5)
    primer, target = await make_user(fx), await make_user(fx)
    query = 'subscription { licenseEvents(productSku: "CRM_BASIC") { kind user { email } seats { assigned } } }'
    ws_url = server.url.replace("http://", "ws://", 1) + "/graphql"
    assert await page.evaluate(SUBSCRIBE, [ws_url, fx.token, query]) == "ack"

    async with httpx.AsyncClient(timeout=10) as client:
        # The subscription starts asynchronously after the ack: toggle a license until the page has an event.
        poke = Toggle(client, server.url, fx.token, primer.id, "CRM_BASIC")
        for _ in range(40):
            await poke()
            if await _wait_for_event(page, primer.email, timeout_ms=1_000):
                break
        else:
            pytest.fail("the page never received an event")
        payload = await assign_over_http(client, server.url, fx.token, target.id, "CRM_BASIC")
        assert await _wait_for_event(page, target.email, timeout_ms=30_000)

    events = await page.evaluate("() => window.seatwiseEvents")
    assert events[-1] == {
        "data": {
            "licenseEvents": {
                "kind": "ASSIGNED",
                "user": {"email": target.email},
                "seats": {"assigned": payload["seats"]["assigned"]},
            }
        }
    }


async def _wait_for_event(page, email: str, *, timeout_ms: float) -> bool:
    try:
        await page.wait_for_function(
            "pattern => new RegExp(pattern).test(JSON.stringify(window.seatwiseEvents))", arg=re.escape(email), timeout=timeout_ms
        )
    except Exception as error:  # playwright's TimeoutError
        if "Timeout" not in type(error).__name__:
            raise
        return False
    return True
