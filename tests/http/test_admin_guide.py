"""docs/admin-guide.md runs: every block, in order, against a real server over a fresh database with a fresh
`seatwise demo`, the shell blocks (curl, the CLI) as one shell session on the server's database, each graphql
block over HTTP, taking ids from earlier answers exactly as the guide's notes tell the reader (tests/guide_support.py).

A block that fails fails the test with its section and text. The blocks the suite cannot run are marked in the
guide ("Not run by the test suite") and listed here; the graphql ones among them are still validated.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from graphql import parse, validate

from tests.gql.test_docs_examples import schema
from tests.guide_support import Block, parse_guide
from tests.support import ROOT, Server, database_url

GUIDE = ROOT / "docs" / "admin-guide.md"
GUIDE_URL = "http://127.0.0.1:8000"  # the guide's `make run`; the test's server is elsewhere
VARIABLE = re.compile(r"\$([A-Z][A-Z0-9_]*)")
# The blocks the guide marks as not run: (section, start of the block's first line).
NOT_RUN = {
    ("9. Watch live events", "subscription Live($sku: String) {"),
    ("9. Watch live events", '{"type": "connection_init", "payload": {"Authoriza'),
    ("Get told when something happens (webhooks)", "mutation CreateEndpoint { createWebhookEndpoint(in"),
    ("Get told when something happens (webhooks)", "query Deliveries($endpoint: ID!) { webhookDeliveri"),
}


def _key(block: Block) -> tuple[str, str]:
    return block.heading, block.text.splitlines()[0][:50]


def _require(ok: bool, block: Block, detail: str) -> None:
    if not ok:
        raise AssertionError(f"{block.describe()}\n\n{detail}")


@pytest.fixture(scope="module")
def server():
    running = Server().wait_ready()
    yield running
    running.stop()


class Session:
    """The reader's terminal and GraphiQL tab: exported shell variables (and kept values), the Headers tab."""

    def __init__(self, url: str, workdir: Path, client: httpx.Client) -> None:
        self.url, self.workdir, self.client = url, workdir, client
        bin_dir = str(Path(sys.executable).parent)  # `seatwise` of this checkout
        self.env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "DATABASE_URL": database_url()}
        self.headers: dict[str, str] = {}

    def run(self, block: Block) -> None:
        if block.kind == "sh":
            self.shell(block)
        elif block.kind == "graphql":
            self.graphql(block)
        elif block.kind == "json":
            headers = json.loads(self.substitute(block, block.text))
            _require("Authorization" in headers, block, "neither the Headers tab nor a graphql block's variables")
            self.headers = headers
        else:
            _require(False, block, f"the test does not know how to run a {block.kind!r} block")

    def substitute(self, block: Block, text: str) -> str:
        def value(match: re.Match) -> str:
            _require(match.group(1) in self.env, block, f"${match.group(1)} was not kept by an earlier block")
            return json.dumps(self.env[match.group(1)])[1:-1]

        return VARIABLE.sub(value, text)

    def shell(self, block: Block) -> None:
        state = self.workdir / ".env"
        script = f"set -euo pipefail\n{block.text.replace(GUIDE_URL, self.url)}\nenv -0 > {state}\n"
        done = subprocess.run(["bash", "-c", script], cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=120)
        _require(done.returncode == 0, block, f"exit {done.returncode}\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        self.env = dict(item.split("=", 1) for item in state.read_text().split("\0") if "=" in item)

    def graphql(self, block: Block) -> None:
        variables = json.loads(self.substitute(block, block.variables)) if block.variables else {}
        response = self.client.post(
            f"{self.url}/graphql", json={"query": block.text, "variables": variables}, headers=self.headers
        )
        answer = response.json()
        _require(response.status_code == 200 and not answer.get("errors"), block, f"HTTP {response.status_code}: {answer}")
        codes = [error["code"] for error in _user_errors(answer["data"])]
        _require(codes == block.expect, block, f"userErrors {codes}, the guide says {block.expect}: {answer}")
        for expression in block.checks:
            out = _jq(["-e", expression], answer["data"], self.env)
            _require(out.returncode == 0, block, f"not true of the answer: {expression}\n{out.stderr}{answer}")
        for name, expression in block.keep:
            out = _jq(["-r", expression], answer["data"], self.env)
            value = out.stdout.strip()
            ok = out.returncode == 0 and value not in ("", "null") and "\n" not in value
            _require(ok, block, f"Keep {name} = {expression} found {value!r} {out.stderr}in {answer}")
            self.env[name] = value


def _user_errors(data) -> list[dict]:
    if isinstance(data, list):
        return [error for item in data for error in _user_errors(item)]
    if not isinstance(data, dict):
        return []
    return list(data.get("userErrors") or []) + [e for k, item in data.items() if k != "userErrors" for e in _user_errors(item)]


def _jq(args: list[str], data: dict, env: dict[str, str]) -> subprocess.CompletedProcess:
    """A note's jq filter on the answer's data; kept values are `$ENV.NAME` in it."""
    return subprocess.run(["jq", *args], input=json.dumps(data), env=env, capture_output=True, text=True, timeout=30)


@pytest.fixture
def session(server, tmp_path):
    assert shutil.which("jq") and shutil.which("curl"), "the guide's shell blocks need jq and curl (apt-get install jq curl)"
    with httpx.Client(timeout=60) as client:
        yield Session(server.url, tmp_path, client)


def test_the_guide_marks_only_the_listed_blocks_as_not_run_and_every_note_is_one_the_test_reads():
    blocks = parse_guide(GUIDE)
    assert {"sh", "graphql", "json"} <= {b.kind for b in blocks}
    assert {_key(b) for b in blocks if b.not_run} == NOT_RUN
    assert all(b.not_run for b in blocks if b.kind not in ("sh", "graphql", "json"))
    words = re.findall(r"^\s*> (?:- )?\*\*(\w[\w ]*)\*\*", GUIDE.read_text(encoding="utf-8"), re.MULTILINE)
    assert set(words) <= {"Keep", "Check", "Expect"}, "a note the test would not read"
    for block in blocks:
        if block.not_run and block.kind == "graphql":
            _require(not validate(schema(), parse(block.text)), block, "not valid against schema.graphql")


async def test_every_block_of_the_admin_guide_runs_in_order_on_a_fresh_demo(session):
    ran = [block for block in parse_guide(GUIDE) if not block.not_run]
    for block in ran:
        session.run(block)
    assert len(ran) >= 80 and sum(len(b.checks) for b in ran) >= 50


BROKEN = """## A broken section

```sh
seatwise demo --json > demo.json
export TOKEN=$(jq -r .token demo.json)
```

```json
{"Authorization": "Bearer $TOKEN"}
```

```graphql
{ seats { product { sku } purchased } }
```

> **Check**: nothing is purchased (`.seats | all(.purchased == 0)`)

```sh
seatwise no-such-command
```
"""


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda text: text, "{ seats { product { sku } purchased } }\n\nnot true of the answer: .seats | all(.purchased == 0)"),
        (lambda text: text.replace("purchased }", "purchasedd }"), "Cannot query field 'purchasedd'"),
        (lambda text: text.replace("Check**: nothing", "Expect** `NO_LICENSES_AVAILABLE` nothing"), "the guide says ['NO"),
        (lambda text: text.replace("$TOKEN", "$NOT_KEPT"), "$NOT_KEPT was not kept by an earlier block"),
        (
            lambda text: text.replace("> **Check**", "> *Not run by the test suite*\n> **Check**"),
            "seatwise no-such-command\n\nexit 2",
        ),
    ],
)
async def test_a_block_that_fails_fails_the_test_naming_its_section_and_text(session, tmp_path, change, says):
    guide = tmp_path / "guide.md"
    guide.write_text(change(BROKEN), encoding="utf-8")
    with pytest.raises(AssertionError) as failed:
        for block in parse_guide(guide):
            if not block.not_run:
                session.run(block)
    assert 'section "A broken section"' in str(failed.value) and says in str(failed.value)
