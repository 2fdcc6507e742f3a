"""Seatwise benchmark: `make bench` (or `python -m bench [--users N] [--database-url URL]`) prints a table.

Measures, on a fresh database: seat assignment, a page of 100 users with their licenses, the seat pools,
accessCheck, the license-conflict list, and a data export with its peak Python memory (tracemalloc).
Timings are wall-clock on this machine; nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime

from tortoise import Tortoise

from seatwise.models.settings import settings

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def _row(name: str, samples: list[float], note: str = "") -> tuple[str, str, str, str, str]:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return (name, str(len(ms)), f"{statistics.median(ms):.2f}", f"{p95:.2f}", note)


async def _timed(samples: list[float], coro) -> object:
    started = time.perf_counter()
    result = await coro
    samples.append(time.perf_counter() - started)
    return result


async def run(users: int, database_url: str, export_users: int) -> list[tuple[str, ...]]:
    from seatwise.gql.context import Context
    from seatwise.gql.schema import schema
    from seatwise.models import auth, db, ledger, organizations, seats
    from seatwise.models.audit import BILLING_CLOCK
    from seatwise.models.clock import add_months, utcnow
    from seatwise.models.tables import Subscription, SubscriptionStatus, User

    await db.migrate(database_url)
    await Tortoise.init(config=db.tortoise_config(database_url))
    rows: list[tuple[str, ...]] = []
    try:
        made = await organizations.create_organization("Bench", f"admin@bench-{os.getpid()}.test", now=NOW)
        org = made.organization
        viewer = await auth.authenticate(f"Bearer {made.token}", now=utcnow())
        await Subscription.create(
            organization=org,
            product_id="CRM_BASIC",
            quantity=users + 1000,
            status=SubscriptionStatus.ACTIVE,
            period_anchor=NOW,
            current_period_start=NOW,
            current_period_end=add_months(NOW, 1),
            created_at=NOW,
        )
        async with ledger.change(org, actor=BILLING_CLOCK, now=NOW) as change:  # what counts, recounted by the seat ledger
            await change.recount("CRM_BASIC", event=None)
        started = time.perf_counter()
        batch = 1000
        for start in range(0, users, batch):
            await User.bulk_create(
                [
                    User(organization=org, email=f"u{i:07d}@bench-{os.getpid()}.test", display_name=f"User {i}", created_at=NOW)
                    for i in range(start, min(users, start + batch))
                ]
            )
        ids = list(await User.filter(organization=org, admin_role=None).order_by("id").values_list("id", flat=True))
        rows.append(
            (
                "create users (bulk, setup)",
                str(users),
                f"{(time.perf_counter() - started) * 1000 / max(users, 1):.3f}",
                "-",
                "per user",
            )
        )

        async def gql(query: str, variables: dict | None = None):
            result = await schema.execute(query, variable_values=variables, context_value=Context(viewer))
            assert result.errors is None, result.errors
            return result.data

        assign = 'mutation($u: ID!) { assignLicense(input: {userId: $u, productSku: "CRM_BASIC"}) { seats { assigned } userErrors { code } } }'
        samples: list[float] = []
        for uid in ids[:500]:
            await _timed(samples, gql(assign, {"u": str(uid)}))
        rows.append(_row("assignLicense (GraphQL, sequential)", samples, f"{len(samples) / sum(samples):.0f} ops/s"))

        samples = []
        started = time.perf_counter()
        await asyncio.gather(*(_timed(samples, gql(assign, {"u": str(uid)})) for uid in ids[500:1000]))
        elapsed = time.perf_counter() - started
        rows.append(_row("assignLicense (500 concurrent)", samples, f"{len(samples) / elapsed:.0f} ops/s"))

        for start in range(1000, len(ids), 1000):  # the rest through the seat ledger, 1,000 per bulk assignment
            await seats.assign_licenses(
                org, [str(u) for u in ids[start : start + 1000]], "CRM_BASIC", actor=viewer.actor, now=NOW
            )

        page = "{ users(first: 100) { totalCount edges { node { email status licenses { product { sku } state } } } } }"
        samples = []
        for _ in range(30):
            await _timed(samples, gql(page))
        rows.append(_row(f"users page of 100 with licenses ({users} users)", samples))

        samples = []
        for _ in range(30):
            await _timed(samples, gql("{ seats { product { sku } purchased assigned available overage inConflict } }"))
        rows.append(_row(f"seats ({users} assignments)", samples))

        samples = []
        for i in range(200):
            await _timed(
                samples,
                gql(
                    'query($e: String!) { accessCheck(email: $e, productSku: "CRM_BASIC") { allowed reason } }',
                    {"e": f"u{i * 7 % users:07d}@bench-{os.getpid()}.test"},
                ),
            )
        rows.append(_row("accessCheck", samples))

        # A conflict: the subscription shrinks below the assignments.
        await Subscription.filter(organization=org).update(quantity=users - 100)
        async with ledger.change(org, actor=BILLING_CLOCK, now=NOW) as change:  # what counts, recounted by the seat ledger
            await change.recount("CRM_BASIC", event=None)
        try:
            conflicts = "{ licenseConflicts { overage affectedUsers(first: 100) { totalCount edges { node { email } } } } }"
            samples = []
            for _ in range(20):
                await _timed(samples, gql(conflicts))
            rows.append(_row("licenseConflicts with 100 affected users", samples))
        except Exception as error:  # the field may not exist in older trees
            rows.append(("licenseConflicts", "0", "-", "-", f"skipped: {type(error).__name__}"))

        try:
            from seatwise.models import exports
            from seatwise.models.tables import ExportFormat
        except ImportError:
            rows.append(("export", "0", "-", "-", "skipped: no models.exports"))
        else:
            if export_users > users:
                for start in range(users, export_users, 1000):
                    await User.bulk_create(
                        [
                            User(
                                organization=org,
                                email=f"u{i:07d}@bench-{os.getpid()}.test",
                                display_name=f"User {i}",
                                created_at=NOW,
                            )
                            for i in range(start, min(export_users, start + 1000))
                        ]
                    )
            for fmt in (ExportFormat.CSV, ExportFormat.JSON):
                # Timed without tracing (tracemalloc slows Python down several times), then once more traced.
                started = time.perf_counter()
                export = await exports.create_export(org, fmt, actor=viewer.actor, now=NOW)
                elapsed = time.perf_counter() - started
                tracemalloc.start()
                await exports.create_export(org, fmt, actor=viewer.actor, now=NOW)
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                rows.append(
                    (
                        f"export {fmt.value} ({export_users} users)",
                        "1",
                        f"{elapsed * 1000:.0f}",
                        "-",
                        f"{export.size_bytes / 1e6:.1f} MB file, peak {peak / 1e6:.1f} MB Python memory",
                    )
                )
    finally:
        await Tortoise.close_connections()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--export-users", type=int, default=100_000)
    parser.add_argument("--database-url", default=settings().bench_database_url)
    args = parser.parse_args()
    url = args.database_url or f"sqlite://{tempfile.mkdtemp(prefix='seatwise-bench-')}/bench.sqlite3"
    rows = asyncio.run(run(args.users, url, args.export_users))
    header = ("measure", "n", "median ms", "p95 ms", "note")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"database: {url.split('?')[0]}")
    for index, row in enumerate([header, *rows]):
        print(" | ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)))
        if index == 0:
            print("-+-".join("-" * w for w in widths))


if __name__ == "__main__":
    main()
