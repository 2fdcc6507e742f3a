"""The one-shot rows of section 12 and 13 (`python -m bench.plans`, run by `make bench`): what one big change
costs, in time and statements, and how long concurrent real changes wait behind it.

- **reclaim**: one clock run of an organization whose 10,000 CRM_BASIC licenses are all idle, with a policy of
  `noticeDays: 0` (schedule and reclaim in the same run): its time, statements and licenses reclaimed;
- **deleteUsers dry run**: a preview of deleting 1,000 license holders (`dryRun: true`) against the real deletion,
  each on an organization of its own seeded alike: time and statements;
- **blocking**: the same two changes again, each while 4 concurrent connections assign and revoke a free
  CRM_BASIC license back to back (the pool the change locks); the longest wait of one of those changes during the
  big one, and their median: a dry run must not block them longer than the real change does.

Each database is made fresh (SQLite in a temporary directory; PostgreSQL `seatwise_bench_plans`, dropped and
created). Times are wall-clock on this machine: compare the ratios of one run. Nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from tortoise.expressions import F

from bench import seed, servers
from seatwise.models.clock.run import run_clock
from seatwise.models.core import db
from seatwise.models.core.clock import utcnow
from seatwise.models.core.tables import AdminRole, LicenseAssignment, Organization, User
from seatwise.models.events.audit import Actor
from seatwise.models.people import bulk as people_bulk
from seatwise.models.seats import licenses
from seatwise.models.usage import policies

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "plans-results.json"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/seatwise_bench_plans"
PROBES = 4  # concurrent connections making small real changes during the big one


class _Statements(logging.Handler):
    """Counts the statements Tortoise sends (it logs each at DEBUG on `tortoise.db_client` before running it)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def _measured(work: Callable[[], Awaitable[Any]]) -> tuple[Any, float, int]:
    """(result, seconds, statements) of `work`, run alone."""
    logger = logging.getLogger("tortoise.db_client")
    handler, level, propagate = _Statements(), logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    started = time.perf_counter()
    try:
        result = await work()
    finally:
        seconds = time.perf_counter() - started
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
    return result, seconds, handler.count


async def _admin(org_id: int) -> tuple[Organization, Actor]:
    org = await Organization.get(id=org_id)
    admin = await User.filter(organization_id=org_id, admin_role=AdminRole.GLOBAL_ADMIN).order_by("id").first()
    assert admin is not None
    return org, Actor(email=admin.email, role=AdminRole.GLOBAL_ADMIN, user_id=admin.id)


async def _reclaim_row(licenses_idle: int) -> dict[str, Any]:
    size = licenses_idle * 10 // 8  # 80% hold CRM_BASIC
    seeded = await seed.seed_org(size, "reclaim")
    org, actor = await _admin(seeded.org_id)
    now = utcnow()
    basic = LicenseAssignment.filter(organization_id=org.id, product_id=seed.BASIC)
    await basic.update(last_used_at=None, idle_since=F("assigned_at"))  # never used: idle since given
    idle = await basic.count()
    await policies.set_reclaim_policy(org, seed.BASIC, enabled=True, idle_days=14, notice_days=0, actor=actor, now=now)
    report, seconds, statements = await _measured(lambda: run_clock(now + timedelta(minutes=1), org=org))
    return {"idleLicenses": idle, "reclaimed": report.reclaimed, "seconds": round(seconds, 3), "statements": statements}


async def _holders(org_id: int, count: int) -> list[str]:
    rows = await LicenseAssignment.filter(organization_id=org_id, product_id=seed.BASIC).order_by("id").limit(count)
    return [str(r.user_id) for r in rows]


async def _probe(org: Organization, actor: Actor, user_id: str, stop: asyncio.Event, waits: list[float]) -> None:
    """Assign and revoke a free CRM_BASIC license back to back until `stop`: the time of each change."""
    while not stop.is_set():
        for change in (licenses.assign_license, licenses.revoke_license):
            started = time.perf_counter()
            await change(org, user_id, seed.BASIC, actor=actor, now=utcnow())
            waits.append(time.perf_counter() - started)


async def _delete_row(users: int, dry_run: bool, probes: int) -> dict[str, Any]:
    seeded = await seed.seed_org(users * 10 // 8 + 50, f"delete{'dry' if dry_run else 'real'}{probes}")
    org, actor = await _admin(seeded.org_id)
    ids = await _holders(org.id, users)

    def delete() -> Awaitable[Any]:
        return people_bulk.delete_users(org, ids, actor=actor, now=utcnow(), dry_run=dry_run)

    if not probes:
        (_, preview), seconds, statements = await _measured(delete)
        assert (preview is not None) is dry_run
        return {"users": len(ids), "seconds": round(seconds, 3), "statements": statements}
    stop, waits, alone = asyncio.Event(), [], []
    free = [str(u) for u in seeded.free_user_ids[:probes]]
    await _probe_once(org, actor, free[0], alone)
    tasks = [asyncio.create_task(_probe(org, actor, uid, stop, waits)) for uid in free]
    await asyncio.sleep(0.2)  # the probes run
    waits.clear()
    started = time.perf_counter()
    await delete()
    seconds = time.perf_counter() - started
    stop.set()
    await asyncio.gather(*tasks)
    return {
        "users": len(ids),
        "seconds": round(seconds, 3),
        "probeChanges": len(waits),
        "longestWait": round(max(waits), 3),
        "medianWait": round(statistics.median(waits), 4),
        "aloneWait": round(min(alone), 4),
    }


async def _probe_once(org: Organization, actor: Actor, user_id: str, waits: list[float]) -> None:
    for _ in range(3):
        for change in (licenses.assign_license, licenses.revoke_license):
            started = time.perf_counter()
            await change(org, user_id, seed.BASIC, actor=actor, now=utcnow())
            waits.append(time.perf_counter() - started)


async def _run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    await db.migrate(url)
    async with db.connected(url, migrate_first=False):
        rows: dict[str, Any] = {"reclaim": await _reclaim_row(args.idle)}
        await seed.analyze()
        rows["deleteUsersDryRun"] = await _delete_row(args.users, True, 0)
        rows["deleteUsers"] = await _delete_row(args.users, False, 0)
        rows["blockedByDryRun"] = await _delete_row(args.users, True, PROBES)
        rows["blockedByRealChange"] = await _delete_row(args.users, False, PROBES)
    return rows


def _table(results: dict[str, dict[str, Any]]) -> str:
    lines = ["| database | row | figures |", "|---|---|---|"]
    for database, rows in results.items():
        for name, row in rows.items():
            lines.append(f"| {database} | {name} | {', '.join(f'{k} {v}' for k, v in row.items())} |")
        dry, real = rows["blockedByDryRun"], rows["blockedByRealChange"]
        lines.append(
            f"| {database} | ratios | dry run / real deletion: time {rows['deleteUsersDryRun']['seconds'] / rows['deleteUsers']['seconds']:.2f}x, "
            f"longest wait of a concurrent change {dry['longestWait'] / real['longestWait']:.2f}x |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.plans", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--databases", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES, help="PostgreSQL database to (re)create")
    parser.add_argument("--idle", type=int, default=10000, help="idle licenses the clock run reclaims")
    parser.add_argument("--users", type=int, default=1000, help="users the deleteUsers rows delete")
    parser.add_argument("--output", type=Path, default=RESULTS, help="results file (JSON)")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # one database, in a process of its own
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(asyncio.run(_run(args.child, args))))
        return
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as run_dir:
        for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
            url = f"sqlite://{run_dir}/plans.sqlite3" if database == "sqlite" else args.postgres_url
            if database == "postgres":
                asyncio.run(servers.fresh_postgres(url))
            # The ORM's global state is per process: each database is measured in a child process.
            command = [sys.executable, "-m", "bench.plans", "--child", url, "--idle", str(args.idle), "--users", str(args.users)]
            done = subprocess.run(command, cwd=ROOT, env=servers.base_env(url, "WARNING"), capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"bench.plans on {database} failed:\n{done.stderr[-3000:]}")
            results[database] = json.loads(done.stdout.strip().splitlines()[-1])
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(_table(results))


if __name__ == "__main__":
    main()
