"""Seatwise benchmark: `make bench` (`python -m bench`) and `make bench-peer` (`python -m bench --peer-only`).

Seeds organizations of 1,000 and 100,000 users into ONE fresh database per engine (SQLite in a temporary
directory; PostgreSQL `seatwise_bench`, dropped and created), starts real servers on free loopback ports
(`seatwise serve` on each database, `--workers 2` too on PostgreSQL, and the three floors of bench/floors.py), then
measures in interleaved rounds (each round runs every cell once; odd rounds run them in reverse order) the
throughput and p50/p99 latency at concurrency 1 (both organizations request by request on one connection) and 16
of each operation, and the time of a 100,000-user export.
`--peer` (or `--peer-only`, what `make bench-peer` runs) adds PostGraphile (bench/peer) on the PostgreSQL data.

It prints the measurements, then one table of ratios, and writes bench/results.json (a `--peer-only` run replaces
the peer part of that file and keeps the rest). Timings are wall-clock on this machine: only ratios measured in
one run compare. Nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import cost, load, report, servers, shapes, workloads
from bench.seed import SeededOrg
from seatwise.models.core.settings import settings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
BASELINE = ROOT / "bench" / "baseline.json"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/seatwise_bench"


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=1000, help="users of the small organization")
    parser.add_argument("--large", type=int, default=100000, help="users of the large organization")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--duration", type=float, default=1.0, help="recorded seconds per cell")
    parser.add_argument("--warmup", type=float, default=0.3, help="unrecorded seconds per cell")
    parser.add_argument("--concurrency", default="1,16", help="comma-separated connection counts")
    parser.add_argument("--databases", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument(
        "--postgres-url",
        default=None,
        help=f"PostgreSQL database to (re)create [default: BENCH_DATABASE_URL when it is postgres://, else {DEFAULT_POSTGRES}]",
    )
    parser.add_argument("--operations", default=",".join(workloads.OPERATIONS), help="comma-separated operations")
    parser.add_argument("--no-workers", action="store_true", help="skip --workers 2 on PostgreSQL")
    parser.add_argument("--no-floors", action="store_true", help="skip the floors")
    parser.add_argument("--export-formats", default="JSON,CSV", help="export formats; empty: none")
    parser.add_argument("--peer", action="store_true", help="add PostGraphile (bench/peer, `npm ci` first)")
    parser.add_argument("--peer-only", action="store_true", help="only PostgreSQL: Seatwise against PostGraphile")
    parser.add_argument("--log-level", default="INFO", help="SEATWISE_LOG_LEVEL of the servers (INFO as in production)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="results file (JSON)")
    parser.add_argument("--baseline", type=Path, default=BASELINE, help="results of the 'before' run, for the 'x before' ratios")
    parser.add_argument(
        "--shape", choices=shapes.SHAPES, default="default", help="data shape of the seeding (bench/shapes.py) [default: default]"
    )
    parser.add_argument("--keep", action="store_true", help="keep the run directory (SQLite database, server logs)")
    args = parser.parse_args(argv)
    args.concurrency = [int(c) for c in str(args.concurrency).split(",") if c]
    args.databases = [d for d in str(args.databases).split(",") if d]
    args.operations = [o for o in str(args.operations).split(",") if o]
    args.export_formats = [f for f in str(args.export_formats).split(",") if f]
    if args.peer_only:
        args.peer = True
        args.databases = ["postgres"]
        args.operations = []
        args.no_floors = True  # the --workers 2 server stays: the peer cells are asked of both servers
        args.export_formats = []
    if args.postgres_url is None:
        configured = settings().bench_database_url
        args.postgres_url = configured if configured and not configured.startswith("sqlite") else DEFAULT_POSTGRES
    return args


# ---------------------------------------------------------------- seeding


def _seed(url: str, sizes: list[tuple[str, int]], shape: str = "default") -> list[SeededOrg]:
    """Migrate and seed in a child process: the ORM's global state and its CPU stay out of the load client."""
    script = (
        "import asyncio, json, sys\n"
        "from seatwise.models.core import db\n"
        "from bench import seed\n"
        "async def main(url, sizes, shape):\n"
        "    await db.migrate(url)\n"
        "    out = []\n"
        "    async with db.connected(url, migrate_first=False):\n"
        "        for tag, size in sizes:\n"
        "            s = await seed.seed_org(size, tag, shape=shape)\n"
        "            out.append(s.__dict__)\n"
        "        await seed.analyze()\n"
        "    print(json.dumps(out))\n"
        "asyncio.run(main(sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]))\n"
    )
    env = servers.base_env(url, "WARNING")
    done = subprocess.run(
        [sys.executable, "-c", script, url, json.dumps(sizes), shape],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"seeding {url.split('@')[-1]} failed:\n{done.stderr[-3000:]}")
    return [SeededOrg(**row) for row in json.loads(done.stdout.strip().splitlines()[-1])]


# ---------------------------------------------------------------- cells


class Cell:
    """One thing measured: an operation against one server at one concurrency, for one organization or, mixed
    request by request on the same connections, for two (`orgs`)."""

    def __init__(self, target: str, op: str, orgs: list[str], concurrency: int, port: int, workload: workloads.Workload):
        self.target, self.op, self.orgs, self.concurrency = target, op, orgs, concurrency
        self.port, self.workload = port, workload
        self.rounds: list[load.Measurement] = []
        self.skipped: str | None = None

    @property
    def key(self) -> str:
        return f"{self.target}/{self.op}/{'+'.join(self.orgs)}/c{self.concurrency}"

    def summary(self) -> list[dict[str, Any]]:
        rows = []
        for org in self.orgs:
            row: dict[str, Any] = {"target": self.target, "op": self.op, "org": org, "concurrency": self.concurrency}
            if len(self.orgs) > 1:
                row["mixedWith"] = [o for o in self.orgs if o != org]
            if self.skipped:
                rows.append(row | {"skipped": self.skipped})
                continue
            latencies = [x for m in self.rounds for x in m.latencies.get(org, [])]
            row |= {
                "rps": round(statistics.median(m.rps(org) for m in self.rounds), 1) if self.rounds else None,
                "rpsRounds": [round(m.rps(org), 1) for m in self.rounds],
                "p50Ms": round(load.percentile(latencies, 0.50) * 1000, 2) if latencies else None,
                "p99Ms": round(load.percentile(latencies, 0.99) * 1000, 2) if latencies else None,
                "requests": len(latencies),
                "errors": sum(m.errors.get(org, 0) for m in self.rounds),
                "clientCpu": round(max((m.client_cpu for m in self.rounds), default=0.0), 2),
            }
            first_error = next((m.first_error for m in self.rounds if m.first_error), None)
            if first_error:
                row["firstError"] = first_error
            rows.append(row)
        return rows


async def _validate(cell: Cell) -> None:
    """One unit of each organization of the cell, on its own: a cell whose requests fail is skipped with the reason."""
    seen: set[str] = set()
    for label, unit in cell.workload.units(0):
        if label in seen:
            continue
        seen.add(label)
        for request in unit:
            try:
                status, body, _ = await load.once(load.HOST, cell.port, request)
            except (OSError, asyncio.IncompleteReadError) as error:
                cell.skipped = f"{type(error).__name__}: {error}"
                return
            if not cell.workload.check(status, body):
                cell.skipped = f"{status} {body[:400].decode(errors='replace')}"
                return


async def _export(port: int, org: SeededOrg, fmt: str) -> tuple[int, bytes, float, int | None]:
    """exportData, then (should the mutation answer before the file is finished) `dataExports` every 100 ms until
    the export is listed, which it is once finished: (status, body, seconds to the finished file, size)."""
    began = time.perf_counter()
    status, body, _ = await load.once(load.HOST, port, workloads.export_request(port, org, fmt))
    if not load.default_check(status, body):
        return status, body, time.perf_counter() - began, None
    made = json.loads(body)["data"]["exportData"]["dataExport"]
    listing = load.graphql_request(load.HOST, port, workloads.EXPORTS, None, org.token)
    while True:
        status, body, _ = await load.once(load.HOST, port, listing)
        if not load.default_check(status, body):
            return status, body, time.perf_counter() - began, None
        for row in json.loads(body)["data"]["dataExports"]:
            if row["id"] == made["id"] and row["sha256"]:
                return status, body, time.perf_counter() - began, row["sizeBytes"]
        if time.perf_counter() - began > 600:
            return status, b"export not finished after 600 s", time.perf_counter() - began, None
        await asyncio.sleep(0.1)


def _rss_mb(pid: int) -> float | None:
    """The resident memory of a process (Linux /proc), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def _sample_rss(pid: int, samples: list[float]) -> None:
    """The server's RSS every 50 ms while an export runs (its peak, against the RSS before it)."""
    while True:
        rss = _rss_mb(pid)
        if rss is not None:
            samples.append(rss)
        await asyncio.sleep(0.05)


# ---------------------------------------------------------------- the run


async def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    run_dir = Path(tempfile.mkdtemp(prefix="seatwise-bench-"))
    sizes = [
        ("1k" if args.small == 1000 else f"n{args.small}", args.small),
        ("100k" if args.large == 100_000 else f"n{args.large}", args.large),
    ]
    small_tag, large_tag = sizes[0][0], sizes[1][0]
    urls = {"sqlite": f"sqlite://{run_dir}/bench.sqlite3", "postgres": args.postgres_url}
    print(f"run directory: {run_dir}", flush=True)
    seeded: dict[str, dict[str, SeededOrg]] = {}
    seed_info: dict[str, Any] = {}
    for database in args.databases:
        if database == "postgres":
            await servers.fresh_postgres(urls["postgres"])
        began = time.perf_counter()
        orgs = await asyncio.to_thread(_seed, urls[database], sizes, args.shape)
        seeded[database] = {o.tag: o for o in orgs}
        seed_info[database] = {"seconds": round(time.perf_counter() - began, 1), "orgs": [o.to_json() for o in orgs]}
        print(f"seeded {database}: " + ", ".join(f"{o.size:,} users in {o.seconds:.1f} s" for o in orgs), flush=True)

    started_servers: dict[str, servers.Server] = {}
    for database in args.databases:
        started_servers[database] = servers.seatwise(f"seatwise-{database}", urls[database], run_dir, log_level=args.log_level)
        if "accessCheckNoUses" in args.operations:
            started_servers[f"{database}-nouses"] = servers.seatwise(
                f"seatwise-{database}-nouses", urls[database], run_dir, log_level=args.log_level, record_uses=False
            )
    if "postgres" in args.databases and not args.no_workers:
        started_servers["postgres-w2"] = servers.seatwise(
            "seatwise-postgres-w2", urls["postgres"], run_dir, workers=2, log_level=args.log_level
        )
    any_url = urls[args.databases[0]]
    if not args.no_floors:
        for kind in ("strawberry", "strawberry-cached", "starlette"):
            started_servers[f"floor-{kind}"] = servers.floor(kind, any_url, run_dir, log_level=args.log_level)
    if args.peer:
        started_servers["postgraphile"] = servers.postgraphile(urls["postgres"], run_dir)
    try:
        for server in started_servers.values():  # one at a time: each `serve` migrates first
            server.start()
            await server.ready()
        return await _measure(args, started, run_dir, sizes, small_tag, large_tag, seeded, seed_info, started_servers)
    finally:
        for server in started_servers.values():
            server.stop()
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)


async def _measure(
    args: argparse.Namespace,
    started: float,
    run_dir: Path,
    sizes: list[tuple[str, int]],
    small_tag: str,
    large_tag: str,
    seeded: dict[str, dict[str, SeededOrg]],
    seed_info: dict[str, Any],
    started_servers: dict[str, servers.Server],
) -> dict[str, Any]:
    # Related cells sit next to each other (both organizations, the --workers 2 server after the one-worker one, the
    # floors after `viewer`, PostGraphile after Seatwise), so that they are measured close in time.
    cells: list[Cell] = []
    for op in args.operations:
        for database in args.databases:
            port = started_servers[f"{database}-nouses" if op == "accessCheckNoUses" else database].port
            small, large = seeded[database][small_tag], seeded[database][large_tag]
            for c in args.concurrency:
                if c == 1:  # latency: both organizations request by request on one connection
                    mix = workloads.mixed(workloads.seatwise(op, port, small, c), workloads.seatwise(op, port, large, c))
                    cells.append(Cell(database, op, [small_tag, large_tag], c, port, mix))
                    continue
                for org in (small, large):
                    cells.append(Cell(database, op, [org.tag], c, port, workloads.seatwise(op, port, org, c)))
            if op == "assignRevoke" and database == "postgres" and "postgres-w2" in started_servers:
                w2 = started_servers["postgres-w2"].port
                for c in args.concurrency:
                    if c > 1:
                        workload = workloads.seatwise(op, w2, large, c)
                        cells.append(Cell("postgres-w2", op, [large_tag], c, w2, workload))
        if op == "viewer" or (op == args.operations[-1] and "viewer" not in args.operations):
            for kind, floor_op in (("strawberry", "ping"), ("strawberry-cached", "ping"), ("starlette", "json")):
                if f"floor-{kind}" in started_servers:
                    port = started_servers[f"floor-{kind}"].port
                    for c in args.concurrency:
                        cells.append(Cell(f"floor-{kind}", floor_op, ["-"], c, port, workloads.floor(floor_op, port)))
    if args.peer:
        pg_port, peer_port = started_servers["postgres"].port, started_servers["postgraphile"].port
        org = seeded["postgres"][large_tag]
        ours = [("postgres", pg_port)]
        if "postgres-w2" in started_servers:
            ours.append(("postgres-w2", started_servers["postgres-w2"].port))
        for op in workloads.PEER_OPERATIONS:
            for c in args.concurrency:
                for target, port in ours:
                    cells.append(Cell(target, op, [large_tag], c, port, workloads.seatwise(op, port, org, c)))
                if op not in workloads.SEATWISE_ONLY:
                    workload = workloads.postgraphile(op, peer_port, org)
                    cells.append(Cell("postgraphile", op, [large_tag], c, peer_port, workload))

    for cell in cells:
        await _validate(cell)
        if cell.skipped:
            print(f"skipped {cell.key}: {cell.skipped[:300]}", flush=True)
    live = [c for c in cells if not c.skipped]
    load_avg_before = os.getloadavg()
    for round_index in range(args.rounds):
        began = time.perf_counter()
        order = live if round_index % 2 == 0 else list(reversed(live))
        for cell in order:
            measurement = await load.measure(
                load.HOST,
                cell.port,
                cell.workload.units,
                concurrency=cell.concurrency,
                duration=args.duration * len(cell.orgs),  # a mixed cell: the time of two
                warmup=args.warmup,
                check=cell.workload.check,
            )
            cell.rounds.append(measurement)
        print(
            f"round {round_index + 1}/{args.rounds}: {time.perf_counter() - began:.0f} s, load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )

    exports = []
    for database in args.databases if args.export_formats else []:
        server = started_servers[database]
        org = seeded[database][large_tag]
        for fmt in args.export_formats:
            pid = server.process.pid if server.process else 0
            rss_before = _rss_mb(pid)
            samples: list[float] = []
            sampler = asyncio.create_task(_sample_rss(pid, samples))
            try:
                status, body, seconds, size = await _export(server.port, org, fmt)
            finally:
                sampler.cancel()
            ok = load.default_check(status, body) and size is not None
            exports.append(
                {
                    "database": database,
                    "format": fmt,
                    "users": org.size,
                    "seconds": round(seconds, 2) if ok else None,
                    "sizeBytes": size,
                    "serverRssMbBefore": round(rss_before, 1) if rss_before else None,
                    "serverRssMbPeak": round(max(samples), 1) if samples else None,
                    **({} if ok else {"error": f"{status} {body[:300].decode(errors='replace')}"}),
                }
            )
            print(f"export {database} {fmt} {org.size:,} users: " + (f"{seconds:.2f} s" if ok else "failed"), flush=True)

    return {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "commit": _git("rev-parse", "--short", "HEAD"),
            "branch": _git("rev-parse", "--abbrev-ref", "HEAD"),
            "cpus": os.cpu_count(),
            "loadAverageBefore": [round(x, 2) for x in load_avg_before],
            "loadAverageAfter": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "sizes": dict(sizes),
            "rounds": args.rounds,
            "duration": args.duration,
            "warmup": args.warmup,
            "concurrency": args.concurrency,
            "databases": args.databases,
            "logLevel": args.log_level,
            "seconds": round(time.perf_counter() - started, 1),
            "peer": args.peer,
            "small": small_tag,
            "large": large_tag,
            "shape": args.shape,
        },
        "seed": seed_info,
        "cells": [row for c in cells for row in c.summary()],
        "exports": exports,
        "rateLimiting": await cost.measure(),
    }


def _git(*command: str) -> str | None:
    try:
        return subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _merge(previous: dict[str, Any] | None, new: dict[str, Any], peer_only: bool) -> dict[str, Any]:
    """A --peer-only run replaces the peer cells (and keeps its own meta under `peerMeta`); a full run replaces all but
    the peer cells of an earlier --peer-only run when it measured none itself."""
    previous = previous or {}
    new_cells = new["cells"]
    if peer_only:
        kept = [c for c in previous.get("cells", []) if not report.is_peer(c)]
        merged = {**previous, "cells": kept + new_cells, "peerMeta": new["meta"]}
        merged.setdefault("meta", new["meta"])
        merged.setdefault("exports", [])
        return merged
    if not new["meta"]["peer"]:
        kept_peer = [c for c in previous.get("cells", []) if report.is_peer(c)]
        merged = {**new, "cells": new_cells + kept_peer}
        if kept_peer and "peerMeta" in previous:
            merged["peerMeta"] = previous["peerMeta"]
        elif kept_peer and previous.get("meta", {}).get("peer"):
            merged["peerMeta"] = previous["meta"]
        return merged
    return {**new, "peerMeta": new["meta"]}


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    try:
        import uvloop  # the client's loop: the servers' own, and a few microseconds less per request

        results = uvloop.run(run(args))
    except ImportError:
        results = asyncio.run(run(args))
    previous = json.loads(args.output.read_text()) if args.output.exists() else None
    merged = _merge(previous, results, args.peer_only)
    baseline = json.loads(args.baseline.read_text()) if args.baseline.exists() else None
    merged["ratios"] = report.ratios(merged, baseline)
    args.output.write_text(json.dumps(merged, indent=1) + "\n")
    print()
    print(report.details_table(results))
    print()
    print(report.ratio_table(merged["ratios"], merged))
    print(f"\n{results['meta']['seconds']:.0f} s; results in {args.output}", flush=True)


if __name__ == "__main__":
    main()
