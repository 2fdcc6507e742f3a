"""docs/admin-guide.md runs: every block, in order, against a real server over a fresh database with a fresh
`seatwise demo`, the shell blocks (curl, the CLI) as a shell session with the server's database, each graphql
block over HTTP, taking ids from earlier answers exactly as the guide's notes tell the reader (tests/guide_support.py).

A block that fails fails the test with its section and text. The blocks the suite cannot run are marked in the
guide ("Not run by the test suite") and listed here; any other block is run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

from tests.guide_support import Block, parse_guide
from tests.support import ROOT, Server, database_url

GUIDE = ROOT / "docs" / "admin-guide.md"
GUIDE_URL = "http://127.0.0.1:8000"
VARIABLE = re.compile(r"\$([A-Z][A-Z0-9_]*)")
# The blocks the guide marks as not run, by section and first line.
NOT_RUN = {
    ("9. Watch live events", "subscription Live($sku: String) {"),
    ("9. Watch live events", '{"type": "connection_init", "payload": {"Authorization": "Bearer <token>"}}'),
    ("Get told when something happens (webhooks)", "mutation CreateEndpoint { createWebhookEndpoint(input: {url: \"https://hooks.example.com/seatwise\", eventTypes: [\"license.revoked\", \"subscription.grace_started\"], description: \"ops\"}) {"),
    ("Get told when something happens (webhooks)", "query Deliveries($endpoint: ID!) { webhookDeliveries(endpointId: $endpoint, status: FAILED, first: 20) { totalCount edges { node { id status nextAttemptAt event { type sequence } attempts { at httpStatus durationMs response error } } } } }"),
}


@pytest.fixture(scope="module")
def server():
    running = Server().wait_ready()
    yield running
    running.stop()


class Session:
    """The reader's terminal and GraphiQL tab: exported shell variables, the Headers tab, the last answer."""

    def __init__(self, url: str, workdir: Path, client: httpx.Client) -> None:
        self.url, self.workdir, self.client = url, workdir, client
        bin_dir = str(Path(sys.executable).parent)  # `seatwise` of this checkout
        self.env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "DATABASE_URL": database_url()}
        self.headers: dict[str, str] = {}

    def substitute(self, block: Block, text: str) -> str:
        def value(match: re.Match) -> str:
            name = match.group(1)
            assert name in self.env, f"{block.describe()}\n\n${name} was not kept by an earlier block"
            return json.dumps(self.env[name])[1:-1]

        return VARIABLE.sub(value, text)

    def run(self, block: Block) -> None:
        if block.kind == "sh":
            self.shell(block)
        elif block.kind == "graphql":
            self.graphql(block)
        elif block.kind == "json":
            headers = json.loads(self.substitute(block, block.text))
            assert "Authorization" in headers, f"{block.describe()}\n\nneither headers nor a graphql block's variables"
            self.headers = headers
        else:
            raise AssertionError(f"{block.describe()}\n\nthe test does not know how to run a {block.kind!r} block")

    def shell(self, block: Block) -> None:
        state = self.workdir / ".env"
        script = f"set -euo pipefail\n{block.text.replace(GUIDE_URL, self.url)}\nenv -0 > {state}\n"
        done = subprocess.run(
            ["bash", "-c", script], cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"{block.describe()}\n\nexit {done.returncode}\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        self.env = dict(item.split("=", 1) for item in state.read_text().split("\0") if "=" in item)
        self.check(block, {"stdout": done.stdout})

    def graphql(self, block: Block) -> None:
        variables = json.loads(self.substitute(block, block.variables)) if block.variables else {}
        response = self.client.post(f"{self.url}/graphql", json={"query": block.text, "variables": variables}, headers=self.headers)
        answer = response.json()
        assert response.status_code == 200 and not answer.get("errors"), f"{block.describe()}\n\n{response.status_code} {answer}"
        codes = [error["code"] for error in _user_errors(answer["data"])]
        assert codes == block.expect, f"{block.describe()}\n\nuserErrors {codes}, the guide says {block.expect}: {answer}"
        self.check(block, answer["data"])

    def check(self, block: Block, data: dict) -> None:
        for expression in block.checks:
            out = _jq(["-e", expression], data, self.env)
            assert out.returncode == 0, f"{block.describe()}\n\nnot true of the answer: {expression}\n{out.stderr}{data}"
        for name, expression in block.keep:
            out = _jq(["-r", expression], data, self.env)
            value = out.stdout.strip()
            assert out.returncode == 0 and value and value != "null" and "\n" not in value, (
                f"{block.describe()}\n\nKeep {name} = {expression} found {value!r} {out.stderr} in {data}"
            )
            self.env[name] = value


def _user_errors(data) -> list[dict]:
    if isinstance(data, list):
        return [error for item in data for error in _user_errors(item)]
    if not isinstance(data, dict):
        return []
    found = list(data.get("userErrors") or [])
    return found + [error for key, item in data.items() if key != "userErrors" for error in _user_errors(item)]


def _jq(args: list[str], data: dict, env: dict[str, str]) -> subprocess.CompletedProcess:
    """A note's jq filter on the answer's data; kept values are `$ENV.NAME` in it."""
    return subprocess.run(["jq", *args], input=json.dumps(data), env=env, capture_output=True, text=True, timeout=30)


def test_the_guide_has_a_block_for_each_kind_it_promises_and_marks_only_the_listed_ones_as_not_run():
    blocks = parse_guide(GUIDE)
    assert {"sh", "graphql", "json"} <= {b.kind for b in blocks}
    assert {(b.heading, b.text.splitlines()[0]) for b in blocks if b.not_run} == NOT_RUN
    assert all(b.not_run for b in blocks if b.kind not in ("sh", "graphql", "json"))


async def test_every_block_of_the_admin_guide_runs_in_order_on_a_fresh_demo(server):
    assert shutil.which("jq") and shutil.which("curl"), "the guide's shell blocks need jq and curl (apt-get install jq curl)"
    with tempfile.TemporaryDirectory(prefix="seatwise-guide-") as workdir, httpx.Client(timeout=60) as client:
        session = Session(server.url, Path(workdir), client)
        ran = 0
        for block in parse_guide(GUIDE):
            if block.not_run:
                continue
            session.run(block)
            ran += 1
    assert ran >= 60
