"""`seatwise serve --workers N`: several worker processes behind one port, one database, shared metrics."""

import asyncio

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support import Server, give_licenses, make_org, make_user, post


async def test_two_workers_serve_one_database_and_never_oversell():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    people = [await make_user(fx) for _ in range(20)]
    server = Server(args=["--workers", "2"]).wait_ready()
    try:
        assign = 'mutation($u: ID!) { assignLicense(input: {userId: $u, productSku: "CRM_BASIC"}) { userErrors { code } } }'
        async with httpx.AsyncClient(timeout=60) as client:
            bodies = await asyncio.gather(*(post(client, server.url, assign, {"u": str(p.id)}, token=fx.token) for p in people))
            codes = [
                b["data"]["assignLicense"]["userErrors"][0]["code"] if b["data"]["assignLicense"]["userErrors"] else "OK"
                for b in bodies
            ]
            seats = await post(client, server.url, '{ seats(productSku: "CRM_BASIC") { assigned available } }', token=fx.token)
            text = (await client.get(f"{server.url}/metrics")).text
    finally:
        server.stop()
    assert codes.count("OK") == 5 and codes.count("NO_LICENSES_AVAILABLE") == 15
    assert seats["data"]["seats"] == [{"assigned": 5, "available": 0}]
    families = {f.name: f for f in text_string_to_metric_families(text)}
    total = sum(
        s.value
        for s in families["seatwise_graphql_requests"].samples
        if s.labels.get("operation") == "assignLicense" and s.name.endswith("_total")
    )
    assert total == 20  # the counts of both workers, whichever answered /metrics


def _reaped_pid() -> int:
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


async def test_workers_log_json_with_request_ids_and_redaction_and_remove_their_metrics_dir(tmp_path):
    import json
    import os

    dead = _reaped_pid()
    stale = tmp_path / f"seatwise-metrics-{dead}-abcd1234"  # a run killed before its shutdown
    legacy = tmp_path / "seatwise-metrics-zzzz9999"  # an older run's directory, its worker gone
    alive = tmp_path / f"seatwise-metrics-{os.getpid()}-live0000"  # a run still going (this process)
    for path in (stale, legacy, alive):
        path.mkdir()
    (legacy / f"counter_{dead}.db").write_bytes(b"")
    server = Server(args=["--workers", "2"], env={"TMPDIR": str(tmp_path)}).wait_ready(timeout=120)
    try:
        during = sorted(p.name for p in tmp_path.glob("seatwise-metrics-*"))
        async with httpx.AsyncClient(timeout=30) as client:
            kept = await client.get(f"{server.url}/exports/4242.4242.4242.4242", headers={"X-Request-Id": "lb-trace:0001"})
            replaced = await client.get(
                f"{server.url}/exports/sw_abcdefghijklmnopqrstuvwxyz0123", headers={"X-Request-Id": "x" * 129}
            )
            await client.get(f"{server.url}/healthz", headers={"X-Request-Id": "end-marker"})
    finally:
        server.stop()  # SIGTERM
    assert sorted(p.name for p in tmp_path.glob("seatwise-metrics-*")) == [alive.name]  # its own removed at shutdown
    assert during == sorted([alive.name, next(n for n in during if n.startswith(f"seatwise-metrics-{server.process.pid}-"))])

    assert kept.headers["x-request-id"] == "lb-trace:0001"
    new_id = replaced.headers["x-request-id"]
    assert new_id != "x" * 129 and len(new_id) == 32
    lines = [json.loads(line) for line in server.log().splitlines() if line.strip()]  # every line is JSON
    assert not any("color_message" in line for line in lines)
    started = [line for line in lines if line["message"].startswith("Started server process")]
    assert len(started) >= 2  # each worker logs through the JSON formatter
    by_id = {line["requestId"]: line for line in lines if line.get("requestId")}
    assert by_id["lb-trace:0001"]["message"].startswith("GET /exports/[redacted]") and by_id["lb-trace:0001"]["status"] == 401
    assert by_id[new_id]["message"] == "GET /exports/[redacted] 401"
    # Neither the dotted card number nor the token reached the log (timestamps may hold any digits: check the messages).
    assert "4242.4242" not in server.log() and "sw_abcdefghij" not in server.log()
    assert not any("4242" in line["message"] for line in lines)
