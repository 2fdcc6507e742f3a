"""GraphQL over HTTP against a real `seatwise serve`: request errors, media types, status codes, and the
`graphql-http` audit suite (npm) run against the live server."""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest

from tests.support import Server, make_org

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


@pytest.fixture(scope="module")
def server():
    running = Server().wait_ready()
    yield running
    running.stop()


@pytest.mark.parametrize("body", [b"null", b'"x"', b"123", b"true", b'{"query": "{ __typename }", "x": "\xff\xfe"}', b"\xff"])
async def test_a_body_that_is_not_a_json_object_gets_400_with_a_graphql_error(server, body):
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{server.url}/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST" and error["extensions"]["requestId"] == response.headers["x-request-id"]
    assert "Traceback" not in server.log()


async def test_request_errors_get_400_as_graphql_response_json_and_200_as_json(server):
    fx = await make_org()
    auth = {"Authorization": f"Bearer {fx.token}"}
    async with httpx.AsyncClient() as client:
        for query in ("{", "{ nope }"):
            modern = await client.post(
                f"{server.url}/graphql", json={"query": query}, headers={**auth, "Accept": GRAPHQL_RESPONSE_JSON}
            )
            assert modern.status_code == 400 and modern.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
            assert "data" not in modern.json() and modern.json()["errors"]
            legacy = await client.post(
                f"{server.url}/graphql", json={"query": query}, headers={**auth, "Accept": "application/json"}
            )
            assert legacy.status_code == 200 and legacy.headers["content-type"].startswith("application/json")
            assert legacy.json()["errors"]
        coercion = await client.post(
            f"{server.url}/graphql",
            json={"query": "query($f: Int) { users(first: $f) { totalCount } }", "variables": {"f": "many"}},
            headers={**auth, "Accept": GRAPHQL_RESPONSE_JSON},
        )
        assert coercion.status_code == 400
        ok = await client.post(
            f"{server.url}/graphql", json={"query": "{ viewer { role } }"}, headers={**auth, "Accept": GRAPHQL_RESPONSE_JSON}
        )
        assert ok.status_code == 200 and ok.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
        assert ok.json() == {"data": {"viewer": {"role": "GLOBAL_ADMIN"}}}


async def test_a_missing_token_gets_401_in_either_media_type(server):
    async with httpx.AsyncClient() as client:
        for accept in (GRAPHQL_RESPONSE_JSON, "application/json"):
            response = await client.post(
                f"{server.url}/graphql", json={"query": "{ viewer { role } }"}, headers={"Accept": accept}
            )
            assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
            assert response.headers["content-type"].startswith(accept)


# ---------------------------------------------------------------- graphql-http audit suite (npm)

AUDIT_SCRIPT = """
const { serverAudits } = require('graphql-http');
const [url, token] = process.argv.slice(2);
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers || {});
  headers.set('authorization', 'Bearer ' + token);
  return fetch(input, { ...init, headers });
};
(async () => {
  const results = [];
  for (const audit of serverAudits({ url, fetchFn })) {
    const result = await audit.fn();
    results.push({ id: audit.id, name: audit.name, status: result.status, reason: result.reason });
  }
  process.stdout.write(JSON.stringify(results));
})().catch((error) => { console.error(error); process.exit(1); });
"""


def _graphql_http_dir() -> Path:
    """graphql-http installed with npm once into a cache folder (npm registry), reused by later runs."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "seatwise-tests" / "graphql-http"
    if not (cache / "node_modules" / "graphql-http" / "package.json").exists():
        cache.mkdir(parents=True, exist_ok=True)
        (cache / "package.json").write_text('{"private": true}\n')
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", "graphql-http@^1.22", "graphql@^16"],
            cwd=cache,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return cache


@pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None, reason="node and npm are needed to run graphql-http's audits"
)
async def test_the_graphql_http_audit_suite_passes_without_errors_or_warnings(server):
    fx = await make_org()
    folder = _graphql_http_dir()
    with tempfile.NamedTemporaryFile("w", suffix=".cjs", dir=folder, delete=False) as script:
        script.write(AUDIT_SCRIPT)
    try:
        run = subprocess.run(
            ["node", script.name, f"{server.url}/graphql", fx.token],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        os.unlink(script.name)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(run.stdout)
    assert len(results) > 40
    not_ok = [r for r in results if r["status"] != "ok"]
    assert not_ok == [], json.dumps(not_ok, indent=1)
