"""The integrator examples in `examples/` run against a live `seatwise serve`.

The Python example uses PyPI's `gql` client, whose import name is that of Seatwise's own `gql` package:
it runs in its own virtual environment (built once per requirements file, kept in the system temp
folder), never in the project's. The Node example gets its packages with `npm ci`; its test is skipped
only when node or npm is missing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

from seatwise.models.demo import seed as demo
from tests.billing_support import add_card
from tests.events_support import Toggle, assign_over_http
from tests.support import PASSWORD, ROOT, Server, gid, give_licenses, make_org, make_user, post

EXAMPLES = ROOT / "examples"
NODE_EXAMPLE = EXAMPLES / "node"


@pytest.fixture(scope="module")
def server():
    running = Server().wait_ready()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def examples_python() -> Path:
    """The interpreter of a virtual environment with examples/requirements.txt, built once per version of
    that file (in the system temp folder, so later runs on this machine reuse it)."""
    requirements = EXAMPLES / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes() + sys.version.encode()).hexdigest()[:16]
    venv = Path(tempfile.gettempdir()) / f"seatwise-examples-venv-{digest}"
    python = venv / "bin" / "python"
    if (venv / ".complete").exists() and subprocess.run(
        [str(python), "-c", "import gql, tqdm"], capture_output=True
    ).returncode == 0:
        return python
    # Not there, or an earlier build was interrupted (no .complete): build it afresh.
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(requirements)],
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, f"pip install -r examples/requirements.txt failed:\n{installed.stderr[-3000:]}"
    (venv / ".complete").touch()
    return python


def run_python_example(python: Path, url: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # cwd examples/: the example imports PyPI's gql, and must never see the repository's gql/ package.
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SEATWISE_") and k != "PYTHONPATH"}
    return subprocess.run(
        [str(python), "seats.py", "--url", f"{url}/graphql", *args],
        cwd=EXAMPLES,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


STATE = """
query { seats(productSku: "CRM_BASIC") { purchased assigned available }
        charges(first: 100) { edges { node { id status } } }
        users(first: 100) { totalCount } }
"""


async def api_state(url: str, token: str) -> dict:
    async with httpx.AsyncClient(timeout=30) as client:
        body = await post(client, url, STATE, token=token)
    assert body.get("errors") is None, body
    return body["data"]


async def test_python_example_signs_in_buys_once_and_licenses_new_users_in_bulk(server, examples_python):
    fx = await make_org("Example Co")
    await add_card(fx)

    done = run_python_example(
        examples_python,
        server.url,
        "--product",
        "CRM_BASIC",
        "--new-users",
        "7",
        "--batch-size",
        "3",
        env={"SEATWISE_EMAIL": fx.admin.email, "SEATWISE_PASSWORD": PASSWORD},
    )

    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert f"Signed in as {fx.admin.email} (GLOBAL_ADMIN) of Example Co" in out
    assert "Quote: 7 x CRM_BASIC = " in out
    assert "Bought 7 CRM_BASIC: charge " in out and " SUCCEEDED " in out
    assert "no second charge" in out and "A SECOND CHARGE" not in out
    assert "Assigned 7 CRM_BASIC licenses: purchased 7, assigned 7, available 0" in out
    assert "No license conflicts." in out
    assert "Assigning CRM_BASIC: 100%" in done.stderr  # the progress bar, on stderr
    state = await api_state(server.url, fx.token)
    assert state["seats"] == [{"purchased": 7, "assigned": 7, "available": 0}]
    assert [c["node"]["status"] for c in state["charges"]["edges"]] == ["SUCCEEDED"]  # one charge for two calls
    assert state["users"]["totalCount"] == 1 + 7


async def test_python_example_with_a_token_lists_the_demo_conflict_and_its_remedies(server, examples_python):
    created = await demo.build_demo()
    before = await api_state(server.url, created.token)

    done = run_python_example(examples_python, server.url, "--new-users", "0", env={"SEATWISE_TOKEN": created.token})

    assert done.returncode == 0, done.stdout + done.stderr
    assert "[sandbox]" in done.stdout
    assert "CRM_PROFESSIONAL   purchased     0  assigned     3  available     0  IN CONFLICT" in done.stdout
    assert "Conflict: CRM_PROFESSIONAL has 3 licensed users for 0 licenses (overage 3, causes PAYMENT_FAILED)" in done.stdout
    for kind in ("PURCHASE_LICENSES", "REVOKE_LICENSES", "DELETE_USERS"):
        assert f"remedy {kind}: " in done.stdout
    assert await api_state(server.url, created.token) == before  # it only looked


async def test_python_example_refused_purchase_exits_1_and_creates_no_user(server, examples_python):
    fx = await make_org("No Card Co")  # no payment card: the purchase is refused before any user is created
    before = await api_state(server.url, fx.token)

    done = run_python_example(examples_python, server.url, "--new-users", "2", env={"SEATWISE_TOKEN": fx.token})

    assert done.returncode == 1
    assert "Refused: NO_PAYMENT_CARD: " in done.stderr
    assert await api_state(server.url, fx.token) == before


def run_sign_in_example(python: Path, url: str, token: str, email: str, sku: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SEATWISE_") and k != "PYTHONPATH"}
    return subprocess.run(
        [str(python), "sign_in_roles.py", "--url", f"{url}/graphql", "--email", email, "--product", sku],
        cwd=EXAMPLES,
        env={**clean, "SEATWISE_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_python_sign_in_example_reads_the_roles_with_the_license(server, examples_python):
    from seatwise.models.groups import lifecycle as groups
    from seatwise.models.groups import members
    from seatwise.models.roles import grants
    from tests.support import NOW

    fx = await make_org("Roles Co")
    await give_licenses(fx, "CRM_BASIC", 1)
    ana = await make_user(fx, email="ana@roles.example", skus=["CRM_BASIC"])
    await make_user(fx, email="bo@roles.example")
    team = await groups.create_group(fx.org, "Sales", [], actor=fx.actor, now=NOW)
    await members.add_members(fx.org, str(team.id), [str(ana.id)], actor=fx.actor, now=NOW)
    await groups.update_group(fx.org, str(team.id), product_roles=[("CRM_BASIC", ["SALESPERSON"])], actor=fx.actor, now=NOW)
    await grants.grant_roles(fx.org, [str(ana.id)], "CRM_BASIC", ["DELEGATE"], actor=fx.actor, now=NOW)

    allowed = run_sign_in_example(examples_python, server.url, fx.token, "ana@roles.example", "CRM_BASIC")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert allowed.stdout.splitlines() == [
        "ana@roles.example may sign in to CRM_BASIC with roles: SALESPERSON, DELEGATE",
        "  SALESPERSON: group Sales",
        "  DELEGATE: direct",
    ]
    denied = run_sign_in_example(examples_python, server.url, fx.token, "bo@roles.example", "CRM_BASIC")
    assert (denied.returncode, denied.stdout.strip()) == (3, "bo@roles.example may not sign in to CRM_BASIC: NO_LICENSE")


# ------------------------------------------------------------------------------------------- Node


@pytest.fixture(scope="session")
def node_example() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (node and npm):
        pytest.skip("node and npm are needed for the Node example (examples/node); install Node.js 20+ to run it")
    installed = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"], cwd=NODE_EXAMPLE, capture_output=True, text=True, timeout=300
    )
    assert installed.returncode == 0, f"npm ci in examples/node failed:\n{installed.stderr[-3000:]}"
    return Path(node)


class NodeExample:
    """`node live-events.mjs` as a child process whose output lines are read with a timeout."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, node: Path, server: Server, token: str, product: str | None = None) -> NodeExample:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SEATWISE_")}
        env |= {"SEATWISE_TOKEN": token, "SEATWISE_WS_URL": server.url.replace("http://", "ws://") + "/graphql"}
        if product:
            env["SEATWISE_PRODUCT"] = product
        process = await asyncio.create_subprocess_exec(
            str(node),
            "live-events.mjs",
            cwd=NODE_EXAMPLE,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def line(self, stream: asyncio.StreamReader, timeout: float) -> str:
        raw = await asyncio.wait_for(stream.readline(), timeout)
        if not raw:
            raise EOFError(f"the example exited ({await self.process.wait()})")
        return raw.decode().rstrip("\n")

    async def stop(self) -> tuple[int, str]:
        if self.process.returncode is None:
            self.process.terminate()
        _, err = await self.process.communicate()
        return self.process.returncode, err.decode()


async def test_node_example_prints_the_seat_event_of_an_assignment(server, node_example):
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    primer, target = await make_user(fx), await make_user(fx)
    example = await NodeExample.start(node_example, server, fx.token, product="CRM_BASIC")
    try:
        assert (await example.line(example.process.stderr, 30)).startswith("Connected to ws://127.0.0.1:")
        async with httpx.AsyncClient(timeout=10) as client:
            # The subscription starts asynchronously after connection_ack: toggle a license until an event shows.
            poke = Toggle(client, server.url, fx.token, primer.id, "CRM_BASIC")
            for _ in range(40):
                await poke()
                try:
                    await example.line(example.process.stdout, 0.5)
                    break
                except TimeoutError:
                    continue
            else:
                pytest.fail("the example never printed an event")

            payload = await assign_over_http(client, server.url, fx.token, target.id, "CRM_BASIC")
            while target.email not in (line := await example.line(example.process.stdout, 10)):
                pass
    finally:
        code, err = await example.stop()
    seats = payload["seats"]
    at, kind, sku, email, counters = line.split(" ", 4)
    assert (kind, sku, email) == ("ASSIGNED", "CRM_BASIC", target.email)
    assert at.endswith("Z")
    assert counters == (
        f"purchased={seats['purchased']} assigned={seats['assigned']} available={seats['available']} overage={seats['overage']}"
    )
    assert code == 0, err  # SIGTERM ends it cleanly


async def test_node_example_with_a_forged_token_is_refused_and_exits_1(server, node_example):
    example = await NodeExample.start(node_example, server, "sw_forged_token_value_that_is_long_enough")
    out, err_bytes = await asyncio.wait_for(example.process.communicate(), 30)
    assert example.process.returncode == 1
    assert out == b""
    assert "Refused (4403)" in err_bytes.decode()


async def test_node_apollo_example_uses_persisted_queries_and_its_cache_takes_the_mutations_seats(server, node_example):
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    user = await make_user(fx)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEATWISE_")}
    env |= {"SEATWISE_TOKEN": fx.token, "SEATWISE_USER_ID": gid("User", user.id), "SEATWISE_URL": f"{server.url}/graphql"}

    done = subprocess.run(
        [str(node_example), "apollo-console.mjs"], cwd=NODE_EXAMPLE, env=env, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr
    steps = [json.loads(line) for line in done.stdout.splitlines()]
    hashed_get, text_post, hashed_post = (
        {"method": "GET", "withText": False, "status": 200},
        {"method": "POST", "withText": True, "status": 200},
        {"method": "POST", "withText": False, "status": 200},
    )
    assert steps == [
        # an unknown hash over GET is answered PERSISTED_QUERY_NOT_FOUND: the link sends the text, once
        {"step": "get", "assigned": 0, "requests": [hashed_get, text_post]},
        {"step": "get-again", "assigned": 0, "requests": [hashed_get]},
        {"step": "post", "assigned": 0, "requests": [hashed_post]},
        # the mutation's answer updated the cached seats query: no refetch was sent
        {"step": "mutation", "errors": [], "assigned": 1, "cachedAssigned": 1, "requests": [hashed_post, text_post]},
    ]
