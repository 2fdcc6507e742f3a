"""docs/admin-guide.md runs: every block, in order, against a real server over a fresh database with a fresh
`seatwise demo`, the shell blocks (curl, the CLI) as one shell session on the server's database, each graphql
block over HTTP, taking ids from earlier answers exactly as the guide's notes tell the reader (tests/guide_support.py).
A subscription (and the raw graphql-transport-ws messages) opens a WebSocket; the checks of its notes are of its
first event, made by the next mutation once /metrics counts the subscription open. The guide's webhook receiver
($RECEIVER) is a local HTTP server verifying the signature, the server allowing loopback webhook targets.

A block that fails fails the test with its section and text.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer
from standardwebhooks.webhooks import Webhook
from werkzeug import Request, Response

from tests.guide_support import Block, LiveSocket, parse_guide
from tests.support import ROOT, Server, database_url

GUIDE = ROOT / "docs" / "admin-guide.md"
GUIDE_URL = "http://127.0.0.1:8000"  # the guide's `make run`; the test's server is elsewhere
VARIABLE = re.compile(r"\$([A-Z][A-Z0-9_]*)")
WAIT_SECONDS = 20  # a Wait note: how long the reader reads again
GUIDE_RECEIVER = "https://hooks.example.com/seatwise"  # the guide's $RECEIVER; the test's receiver is local


def _require(ok: bool, block: Block, detail: str) -> None:
    if not ok:
        raise AssertionError(f"{block.describe()}\n\n{detail}")


@pytest.fixture(scope="module")
def server():
    running = Server({"SEATWISE_WEBHOOK_ALLOW_PRIVATE": "true", "SEATWISE_WEBHOOK_INTERVAL": "0.1"}).wait_ready()
    yield running
    running.stop()


class Session:
    """The reader's terminal and GraphiQL tab: exported shell variables (and kept values), the Headers tab."""

    def __init__(self, url: str, workdir: Path, client: httpx.Client, receiver: str = GUIDE_RECEIVER) -> None:
        self.url, self.workdir, self.client, self.receiver = url, workdir, client, receiver
        bin_dir = str(Path(sys.executable).parent)  # `seatwise` of this checkout
        self.env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "DATABASE_URL": database_url()}
        self.headers: dict[str, str] = {}
        self.live: list[tuple[Block, LiveSocket]] = []  # subscriptions waiting for their first event

    def run(self, block: Block) -> None:
        if block.kind == "sh":
            self.shell(block)
        elif block.kind == "graphql" and block.text.lstrip().startswith("subscription"):
            variables = json.loads(self.substitute(block, block.variables)) if block.variables else {}
            self.subscribe(block, [{"type": "subscribe", "id": "1", "payload": {"query": block.text, "variables": variables}}])
        elif block.kind == "graphql":
            self.graphql(block)
            self.first_events()
        elif block.kind == "js":
            frames = [json.loads(self.substitute(block, line)) for line in block.text.splitlines() if line.strip()]
            _require(frames[0]["type"] == "connection_init", block, "the messages start with connection_init")
            self.subscribe(block, frames[1:], frames[0]["payload"])
        elif block.kind == "json":
            headers = json.loads(self.substitute(block, block.text))
            _require("Authorization" in headers, block, "neither the Headers tab nor a graphql block's variables")
            self.headers = headers
        else:
            _require(False, block, f"the test does not know how to run a {block.kind!r} block")

    def subscribe(self, block: Block, frames: list[dict], init: dict | None = None) -> None:
        socket = LiveSocket(self.url, init if init is not None else {"Authorization": self.headers["Authorization"]})
        _require(socket.ack, block, f"no connection_ack: {socket.refusal}")
        for frame in frames:
            socket.send(frame)
        self.live.append((block, socket))
        _require(socket.until_counted(self.client, len(self.live)), block, "/metrics never counted the subscription")

    def first_events(self) -> None:
        for block, socket in self.live:
            message = socket.next_message()
            socket.close()
            ok = message is not None and message["type"] == "next" and not message["payload"].get("errors")
            _require(ok, block, f"the subscription's first message: {message}")
            for expression in block.checks:
                out = _jq(["-e", expression], message["payload"]["data"], self.env)
                _require(out.returncode == 0, block, f"not true of the first event: {expression}\n{out.stderr}{message}")
        self.live = []

    def substitute(self, block: Block, text: str) -> str:
        def value(match: re.Match) -> str:
            _require(match.group(1) in self.env, block, f"${match.group(1)} was not kept by an earlier block")
            return json.dumps(self.env[match.group(1)])[1:-1]

        return VARIABLE.sub(value, text)

    def shell(self, block: Block) -> None:
        state = self.workdir / ".env"
        script = f"set -euo pipefail\n{block.text.replace(GUIDE_URL, self.url).replace(GUIDE_RECEIVER, self.receiver)}\nenv -0 > {state}\n"
        done = subprocess.run(["bash", "-c", script], cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=120)
        _require(done.returncode == 0, block, f"exit {done.returncode}\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        self.env = dict(item.split("=", 1) for item in state.read_text().split("\0") if "=" in item)

    def graphql(self, block: Block) -> None:
        variables = json.loads(self.substitute(block, block.variables)) if block.variables else {}
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            response = self.client.post(
                f"{self.url}/graphql", json={"query": block.text, "variables": variables}, headers=self.headers
            )
            answer = response.json()
            _require(response.status_code == 200 and not answer.get("errors"), block, f"HTTP {response.status_code}: {answer}")
            waiting = [e for e in block.waits if _jq(["-e", e], answer["data"], self.env).returncode != 0]
            if not waiting:
                break
            _require(not block.text.lstrip().startswith("mutation"), block, "a Wait note is for a query (read again)")
            _require(time.monotonic() < deadline, block, f"still not true after {WAIT_SECONDS} s: {waiting}\n{answer}")
            time.sleep(0.1)
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
        running = Session(server.url, tmp_path, client)
        yield running
        for _, socket in running.live:  # a test that failed before their first event
            socket.close()


def test_every_note_of_the_guide_is_one_the_test_reads():
    blocks = parse_guide(GUIDE)
    assert {"sh", "graphql", "json", "js"} == {b.kind for b in blocks}
    text = GUIDE.read_text(encoding="utf-8")
    words = re.findall(r"^\s*> (?:- )?\*\*(\w[\w ]*)\*\*", text, re.MULTILINE)
    assert set(words) <= {"Keep", "Check", "Expect", "Wait"}, "a note the test would not read"
    assert "Not run by the test suite" not in text


async def test_every_block_of_the_admin_guide_runs_in_order_on_a_fresh_demo(session, httpserver: HTTPServer):
    received: list[dict] = []

    def receive(request: Request) -> Response:
        received.append(Webhook(session.env["WEBHOOK_SECRET"]).verify(request.get_data(), dict(request.headers)))
        return Response("ok", 200)

    httpserver.expect_request("/seatwise", method="POST").respond_with_handler(receive)
    session.receiver = httpserver.url_for("/seatwise")
    blocks = parse_guide(GUIDE)
    for block in blocks:
        session.run(block)
    assert not session.live, "a subscription of the guide got no change to show"
    assert len(blocks) >= 80 and sum(len(b.checks) for b in blocks) >= 50
    assert [event["type"] for event in received] == ["webhook.test"]


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
        (lambda text: re.sub(r"> \*\*Check\*\*.*", "> **Keep** `X` = `.nothing`", text), "Keep X = .nothing found"),
    ],
)
async def test_a_block_that_fails_fails_the_test_naming_its_section_and_text(session, tmp_path, change, says):
    guide = tmp_path / "guide.md"
    guide.write_text(change(BROKEN), encoding="utf-8")
    with pytest.raises(AssertionError) as failed:
        for block in parse_guide(guide):
            session.run(block)
    assert 'section "A broken section"' in str(failed.value) and says in str(failed.value)
