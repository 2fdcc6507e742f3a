"""`python -m bench` runs end to end at tiny sizes: seeds, starts the servers and floors, measures every operation
without errors, times an export and writes its results (no timing is asserted)."""

import asyncio
import json
import os
import subprocess
import sys
import uuid

import pytest

from tests.support import ROOT, is_postgres


async def _drop(url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.rpartition("/")[0].replace("postgres://", "postgresql://", 1) + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.mark.slow
def test_the_benchmark_runs_one_tiny_round_and_writes_its_results(tmp_path):
    output = tmp_path / "results.json"
    args = ["--small", "20", "--large", "60", "--rounds", "1", "--duration", "0.1", "--warmup", "0"]
    args += ["--concurrency", "1,2", "--export-formats", "JSON", "--output", str(output), "--baseline", str(tmp_path / "none")]
    databases = ["sqlite"]
    postgres_url = None
    if is_postgres():
        target = os.environ["TEST_DATABASE_URL"]
        name = f"seatwise_bench_smoke_{uuid.uuid4().hex[:8]}"
        postgres_url = f"{target.rpartition('/')[0]}/{name}"
        databases.append("postgres")
        args += ["--postgres-url", postgres_url]
    args += ["--databases", ",".join(databases)]
    env = {k: v for k, v in os.environ.items() if k != "BENCH_DATABASE_URL"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
    finally:
        if postgres_url:
            asyncio.run(_drop(postgres_url, postgres_url.rpartition("/")[2]))
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(output.read_text())
    cells = results["cells"]
    operations = {c["op"] for c in cells}
    assert {
        "seats",
        "accessCheck",
        "accessCheckNoUses",
        "accessCheckRoles",
        "alerts",
        "licenseConflicts",
        "subscriptions",
        "usersPage",
        "assignRevoke",
    } <= operations
    assert {"viewer", "ping", "json"} <= operations
    assert {c["target"] for c in cells} >= {*databases, "floor-strawberry", "floor-starlette"}
    for cell in cells:
        assert not cell.get("skipped") and cell["errors"] == 0 and cell["requests"] > 0, cell
    assert [e["database"] for e in results["exports"]] == databases
    assert all(e["seconds"] is not None and e["sizeBytes"] > 0 for e in results["exports"])
    assert "| measure | SQLite | PostgreSQL | target | met |" in done.stdout
