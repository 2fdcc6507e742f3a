"""Two builds of Seatwise against each other in one run: `python -m bench.ab --base main` (the before figures of a
speed change, measured beside the after figures on the same machine at the same moment).

The base ref is checked out into a temporary git worktree (detached) and served from a source root of symlinks
(`seatwise/{gql,models,migrations}` -> that checkout), this tree from its own; both servers run `seatwise serve` on ONE
seeded database (the two builds must share the schema: no migration between them). Rounds alternate A B, B A, ...;
each prints both builds' req/s, p50 and p99 at the given concurrency, then the medians and the ratio B/A pair by pair
(median, min, max). Optionally `--env-b NAME=VALUE` changes a setting of B only (then `--base HEAD` measures a
setting against itself). Nothing here is asserted by the tests; timings are wall-clock on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import load, servers, workloads
from bench.__main__ import DEFAULT_POSTGRES, _seed

ROOT = Path(__file__).resolve().parent.parent


def _source_root(ref: str, into: Path) -> Path:
    """A checkout of `ref` and a source root whose `seatwise` package is that checkout."""
    checkout = into / "checkout"
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(checkout), ref], cwd=ROOT, check=True)
    package = into / "root" / "seatwise"
    package.mkdir(parents=True)
    shutil.copy(checkout / "seatwise" / "__init__.py", package / "__init__.py")
    for name in ("gql", "models", "migrations"):
        (package / name).symlink_to(checkout / name)
    return into / "root"


def _server(name: str, url: str, source: Path | None, log_dir: Path, workers: int, extra: dict[str, str]) -> servers.Server:
    server = servers.seatwise(name, url, log_dir, workers=workers, log_level="WARNING")
    if source is not None:  # the base build first on the path (`-m` puts the working directory first), ahead of this tree
        server.env["PYTHONPATH"] = os.pathsep.join([str(source), server.env["PYTHONPATH"]])
        server.cwd = source
    server.env |= extra
    return server


async def _round(name: str, server: servers.Server, op: str, org, args: argparse.Namespace) -> load.Measurement:
    work = workloads.seatwise(op, server.port, org, args.concurrency)
    result = await load.measure(
        load.HOST,
        server.port,
        work.units,
        concurrency=args.concurrency,
        duration=args.duration,
        warmup=args.warmup,
        check=work.check,
    )
    if result.first_error:
        raise RuntimeError(f"{name} {op}: {result.first_error}")
    return result


def _line(label: str, m: load.Measurement, tag: str) -> str:
    lat = m.latencies.get(tag, [])
    p50, p99 = load.percentile(lat, 0.5) * 1000, load.percentile(lat, 0.99) * 1000
    return f"{label} {m.rps(tag):8.1f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"


async def run(args: argparse.Namespace, work_dir: Path, base: Path) -> None:
    url = f"sqlite://{work_dir}/ab.sqlite3" if args.database == "sqlite" else args.postgres_url
    if args.database == "postgres":
        await servers.fresh_postgres(url)
    extra_b = dict(item.split("=", 1) for item in args.env_b)
    (org,) = _seed(url, [("ab", args.size)])
    a = _server("A", url, base, work_dir, args.workers, {}).start()
    b = _server("B", url, None, work_dir, args.workers, extra_b).start()
    try:
        await asyncio.gather(a.ready(), b.ready())
        for op in args.operations:
            figures: dict[str, list[float]] = {"A": [], "B": []}
            for index in range(args.rounds):
                order = [("A", a), ("B", b)] if index % 2 == 0 else [("B", b), ("A", a)]
                for name, server in order:
                    m = await _round(name, server, op, org, args)
                    figures[name].append(m.rps(org.tag))
                    print(f"{op} round {index + 1} {_line(name, m, org.tag)}", flush=True)
            ratios = [rb / ra for ra, rb in zip(figures["A"], figures["B"], strict=True)]
            print(
                f"== {op} c={args.concurrency} {args.database} {args.size} users: A ({args.base}) "
                f"{statistics.median(figures['A']):.1f} req/s, B (this tree{' ' + ' '.join(args.env_b) if args.env_b else ''}) "
                f"{statistics.median(figures['B']):.1f} req/s; B/A median {statistics.median(ratios):.2f} "
                f"(min {min(ratios):.2f}, max {max(ratios):.2f}, {len(ratios)} pairs)",
                flush=True,
            )
    finally:
        a.stop()
        b.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="main", help="git ref of build A [default: main]")
    parser.add_argument("--operations", default="accessCheck", help="comma-separated operations of bench/workloads.py")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES.replace("seatwise_bench", "seatwise_bench_ab"))
    parser.add_argument("--size", type=int, default=1000, help="users of the one organization")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--duration", type=float, default=2.0)
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--env-b", action="append", default=[], help="NAME=VALUE set for build B only (repeatable)")
    args = parser.parse_args(argv)
    args.operations = args.operations.split(",")
    work_dir = Path(tempfile.mkdtemp(prefix="seatwise-ab-"))
    try:
        asyncio.run(run(args, work_dir, _source_root(args.base, work_dir / "base")))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(work_dir / "base" / "checkout")], cwd=ROOT, check=False)
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
