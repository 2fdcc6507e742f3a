"""The billing clock as real processes: `seatwise clock` run three times at once, and `seatwise serve`'s background clock."""

import asyncio
import json
import os
import subprocess
import sys
from datetime import timedelta

import httpx
from prometheus_client.parser import text_string_to_metric_families

from seatwise.models.core.clock import add_months, iso, utcnow
from seatwise.models.core.tables import AuditEvent, Charge, ChargeStatus, Subscription
from tests.clock_support import add_card, subscribe
from tests.support import NOW, ROOT, Server, database_url, make_org


def clock_process(now: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url()}
    return subprocess.Popen(
        [sys.executable, "-m", "gql", "clock", "--now", now, "--json"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_three_clock_processes_at_once_charge_each_renewal_exactly_once():
    fx = await make_org()
    await add_card(fx)
    subs = [await subscribe(fx, sku, 2) for sku in ("CRM_BASIC", "CRM_ESSENTIAL", "CRM_PROFESSIONAL")]
    declined_org = await make_org("Declines")
    await add_card(declined_org, declines=True)
    declined = await subscribe(declined_org, "CRM_BASIC", 1)
    now = iso(add_months(NOW, 2) + timedelta(hours=1))  # two periods owed by each paying subscription

    processes = [clock_process(now) for _ in range(3)]
    outputs = [await asyncio.to_thread(p.communicate, timeout=120) for p in processes]

    reports = []
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr[-2000:]
        lines = stdout.splitlines()
        assert len(lines) == 1  # --json: exactly one line of JSON on stdout, logs on stderr
        reports.append(json.loads(lines[0]))
    assert sum(r["renewed"] for r in reports) == 6
    assert sum(r["graceStarted"] for r in reports) == 1
    assert sum(r["charges"] for r in reports) == 7 and sum(r["failedCharges"] for r in reports) == 1
    assert all(r["organizations"] == 2 for r in reports)
    for sub in subs:
        charges = await Charge.filter(subscription_id=sub.id)
        assert len(charges) == 2 and all(c.status is ChargeStatus.SUCCEEDED for c in charges)
        assert (await Subscription.get(id=sub.id)).period_index == 3
    assert await Charge.filter(subscription_id=declined.id).count() == 1
    assert await AuditEvent.filter(action="subscription.renewed").count() == 6
    assert await AuditEvent.filter(action="subscription.grace_started").count() == 1


async def test_clock_command_prints_one_json_line_even_with_nothing_to_do():
    process = clock_process("2026-11-29T09:00:00Z")
    stdout, stderr = await asyncio.to_thread(process.communicate, timeout=120)
    assert process.returncode == 0, stderr[-2000:]
    assert json.loads(stdout) == {
        "renewed": 0,
        "graceStarted": 0,
        "retried": 0,
        "suspended": 0,
        "cancelled": 0,
        "purged": 0,
        "charges": 0,
        "failedCharges": 0,
        "organizations": 0,
    }
    assert stdout.count("\n") == 1


async def test_clock_command_refuses_a_time_that_is_not_iso_with_one_json_line():
    process = clock_process("next tuesday")
    stdout, stderr = await asyncio.to_thread(process.communicate, timeout=120)
    assert process.returncode == 2 and stdout.count("\n") == 1
    assert json.loads(stdout)["error"]["code"] == "INVALID_INPUT" and "ISO-8601" in stderr


async def wait_for_charges(sub: Subscription, count: int, timeout: float = 30) -> int:
    for _ in range(int(timeout * 10)):
        found = await Charge.filter(subscription_id=sub.id).count()
        if found >= count:
            return found
        await asyncio.sleep(0.1)
    return await Charge.filter(subscription_id=sub.id).count()


async def test_serve_runs_the_billing_clock_periodically():
    wall = utcnow()
    fx = await make_org(now=wall)
    await add_card(fx, exp_year=wall.year + 3)
    sandbox = await make_org("Play", sandbox=True, now=wall)
    await add_card(sandbox, exp_year=wall.year + 3)
    ended = add_months(wall, -1) - timedelta(hours=1)  # its first period ended an hour ago
    first = await subscribe(fx, "CRM_BASIC", 1, start=ended)
    ignored = await subscribe(sandbox, "CRM_BASIC", 1, start=ended)
    server = Server(env={"SEATWISE_CLOCK_INTERVAL": "1"}).wait_ready()
    try:
        assert await wait_for_charges(first, 1) == 1
        # Created while the server runs: a later run of the clock renews it too.
        second = await subscribe(fx, "CRM_ESSENTIAL", 1, start=ended)
        assert await wait_for_charges(second, 1) == 1
        metrics = httpx.get(f"{server.url}/metrics").text
    finally:
        server.stop()
    assert (await Subscription.get(id=first.id)).current_period_start == add_months(ended, 1)
    assert await Charge.filter(subscription_id=first.id).count() == 1  # renewed once, not once a run
    assert await Charge.filter(subscription_id=ignored.id).count() == 0  # the global clock skips sandboxes
    runs = {s.name: s.value for f in text_string_to_metric_families(metrics) for s in f.samples}
    assert runs["seatwise_clock_runs_total"] >= 2 and runs["seatwise_clock_failures_total"] == 0
