"""Where the users page's time goes, in this process, and what one alternative executor would buy:
`python -m bench.executor [--size 1000] [--repeat 30]`.

Seeds one organization into a temporary SQLite database, then runs the peer users page (no totalCount) and
accessCheck, interleaved, through (A) the product's path, `schema.execute` with every Strawberry extension (rate
limit, cost, text boundary, masking, caches...), and (B) graphql-core's `execute` on the same schema, parsed document
and context without Strawberry's layers (the benchmark's branch only: not the product's path). Prints the mean ms per
request of each and the ratio B/A, then a cProfile of A grouped by package (graphql-core, Strawberry, Tortoise, the
driver, Seatwise). Nothing here is asserted by the tests; timings are wall-clock on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from graphql import execute, parse

from bench import workloads

PACKAGES = ("graphql", "strawberry", "tortoise", "pypika", "aiosqlite", "asyncpg", "asyncio")
ROOT = str(Path(__file__).resolve().parent.parent)


def _package(filename: str) -> str:
    for name in PACKAGES:
        if f"/{name}/" in filename:
            return name
    if filename.startswith(ROOT) and "/.venv/" not in filename:
        return "seatwise"
    return "builtins (C calls)" if filename == "~" else "stdlib and other"


def _shares(profile: cProfile.Profile) -> dict[str, float]:
    """Own time (tottime) per package, as a share of the whole."""
    stats = pstats.Stats(profile)
    own: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        own[_package(filename)] += tottime
    total = sum(own.values()) or 1.0
    return {name: round(100 * t / total, 1) for name, t in sorted(own.items(), key=lambda kv: -kv[1])}


def _top(profile: cProfile.Profile, count: int = 12) -> list[str]:
    """The functions of most own time, with their call counts."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    ranked = sorted(stats.items(), key=lambda kv: -kv[1][2])[:count]
    return [
        f"{Path(f).name}:{line} {name} calls={calls} own={own * 1000:.0f}ms" for (f, line, name), (_, calls, own, _, _) in ranked
    ]


async def _main(size: int, repeat: int) -> None:
    from bench import seed
    from seatwise.gql.graphql.core.context import Context
    from seatwise.gql.graphql.schema import schema
    from seatwise.models.core import db
    from seatwise.models.core.clock import utcnow
    from seatwise.models.people import auth

    url = f"sqlite://{Path(tempfile.mkdtemp()) / 'executor.sqlite3'}"
    await db.migrate(url)
    async with db.connected(url, migrate_first=False):
        org = await seed.seed_org(size, "executor")
        access = {"e": org.professional_emails[0], "p": "CRM_PROFESSIONAL"}
        documents = {"usersPage": (workloads.PEER_USERS_NO_TOTAL, None), "accessCheck": (workloads.ACCESS, access)}

        async def product(document: str, variables: dict | None) -> None:
            viewer = await auth.authenticate(f"Bearer {org.token}", now=utcnow())
            result = await schema.execute(document, variable_values=variables, context_value=Context(viewer))
            assert not result.errors, result.errors

        async def bare(document: str, variables: dict | None) -> None:
            viewer = await auth.authenticate(f"Bearer {org.token}", now=utcnow())
            result = execute(schema._schema, parsed[document], variable_values=variables, context_value=Context(viewer))
            result = await result if asyncio.iscoroutine(result) else result  # type: ignore[misc]
            assert not result.errors, result.errors

        parsed = {document: parse(document) for document, _ in documents.values()}  # as ParserCache does for A
        for name, (document, variables) in documents.items():
            timings: dict[str, list[float]] = {"A strawberry": [], "B graphql-core": []}
            for _ in range(repeat):
                for label, run in (("A strawberry", product), ("B graphql-core", bare)):
                    started = time.perf_counter()
                    await run(document, variables)
                    timings[label].append(1000 * (time.perf_counter() - started))
            a, b = (statistics.median(t) for t in timings.values())
            print(f"{name}: A {a:.2f} ms  B {b:.2f} ms  B/A {b / a:.2f} (median of {repeat}, interleaved)")
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(repeat):
                await product(document, variables)
            profile.disable()
            print(f"  profile of A, own time by package (%): {_shares(profile)}")
            ids = [(n, c, cum) for (_, _, n), (_, c, _, cum, _) in pstats.Stats(profile).stats.items() if "resolve_id" in n]  # type: ignore[attr-defined]
            print(f"  global ids (relay resolve_id): {[(n, c, f'{cum * 1000:.0f}ms') for n, c, cum in ids]}")
            print("  top own time:\n    " + "\n    ".join(_top(profile)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(_main(args.size, args.repeat))


if __name__ == "__main__":
    main()
