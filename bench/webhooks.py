"""The webhook benchmark (`make bench` runs it last; alone: `python -m bench.webhooks`).

1. Write throughput of assignLicense + revokeLicense (the domain calls the resolvers make, in one process, one after
   the other) on an organization of 1,000 users, with no webhook endpoint and with one enabled endpoint, in
   interleaved rounds: writes never wait on deliveries, they only write one delivery row per event (target: within
   10% of none).
2. Deliveries per second: the worker (models/webhooks/worker.py) delivering the pending deliveries of part 1 to a
   local receiver (an asyncio HTTP/1.1 server in this process answering 200), 32 at once.

SQLite in a temporary directory; `--database postgres` uses the server of BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432) in the database seatwise_bench_webhooks, dropped and created (the main
benchmark's database is left alone).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from statistics import median

from bench.seed import seed_org
from seatwise.models.core import db
from seatwise.models.core.clock import utcnow
from seatwise.models.core.settings import export_to_workers, settings
from seatwise.models.core.tables import Organization, WebhookDelivery
from seatwise.models.events.audit import Actor
from seatwise.models.seats import licenses
from seatwise.models.webhooks import endpoints
from seatwise.models.webhooks.worker import Worker

PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/seatwise_bench"


async def _receiver() -> tuple[asyncio.Server, int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
                    0,
                )
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def _writes(org: Organization, actor: Actor, user_ids: list[int], seconds: float) -> float:
    """assign + revoke pairs per second for `seconds`."""
    pairs, started, n = 0, time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        user = str(user_ids[n % len(user_ids)])
        n += 1
        await licenses.assign_license(org, user, "CRM_BASIC", actor=actor, now=utcnow())
        await licenses.revoke_license(org, user, "CRM_BASIC", actor=actor, now=utcnow())
        pairs += 1
    return pairs / (time.perf_counter() - started)


async def run(url: str, rounds: int, seconds: float) -> dict[str, float]:
    await db.migrate(url)
    async with db.connected(url, migrate_first=False):
        seeded = await seed_org(1000, "hooks")
        org = await Organization.get(id=seeded.org_id)
        actor = Actor(email=f"admin@{seeded.tag}.bench.test")
        receiver, port = await _receiver()
        endpoint, _ = await endpoints.create(org, f"http://127.0.0.1:{port}/hook", [], "bench", actor=actor, now=utcnow())
        none, one = [], []
        for _ in range(rounds):
            await endpoints.update(org, endpoint.id, {"enabled": False}, actor=actor, now=utcnow())
            none.append(await _writes(org, actor, seeded.free_user_ids, seconds))
            await endpoints.update(org, endpoint.id, {"enabled": True}, actor=actor, now=utcnow())
            one.append(await _writes(org, actor, seeded.free_user_ids, seconds))
        pending = await WebhookDelivery.filter(status="PENDING").count()
        worker = Worker()
        started = time.perf_counter()
        delivered = await worker.run_once(utcnow())
        elapsed = time.perf_counter() - started
        await worker.close()
        receiver.close()
        assert await WebhookDelivery.filter(status="DELIVERED").count() == pending == delivered
    return {
        "writes_none": median(none),
        "writes_one": median(one),
        "deliveries": delivered,
        "deliveries_per_s": delivered / elapsed,
    }


async def _fresh_postgres(url: str) -> None:
    import asyncpg

    base, _, name = url.rpartition("/")
    admin = await asyncpg.connect(f"{base}/postgres".replace("postgres://", "postgresql://", 1))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Webhook benchmark: write throughput with and without an endpoint; deliveries/s."
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0, help="recorded seconds per cell")
    args = parser.parse_args(argv)
    export_to_workers("SEATWISE_WEBHOOK_ALLOW_PRIVATE", "true")  # the receiver is on loopback
    if args.database == "postgres":
        # BENCH_DATABASE_URL's server, in a database of its own (the main benchmark's is left alone).
        url = (settings().bench_database_url or PG_DEFAULT).rpartition("/")[0] + "/seatwise_bench_webhooks"
        asyncio.run(_fresh_postgres(url))
    else:
        url = f"sqlite://{tempfile.mkdtemp(prefix='seatwise-bench-hooks-')}/bench.sqlite3"
    result = asyncio.run(run(url, args.rounds, args.seconds))
    ratio = result["writes_one"] / result["writes_none"]
    print(
        f"webhooks {args.database}: assign+revoke pairs/s none {result['writes_none']:.1f}, one endpoint "
        f"{result['writes_one']:.1f} ({ratio:.2f}x); deliveries/s {result['deliveries_per_s']:.0f} "
        f"({result['deliveries']:.0f} delivered)"
    )


if __name__ == "__main__":
    main()
