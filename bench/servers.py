"""The processes the benchmark measures: `seatwise serve`, the floors, PostGraphile; and the bench databases.

Each server runs in its own session (process group) on a free loopback port, its output in a log file under the
run's directory; `stop()` ends that group only.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bench import load
from bench.load import HOST

ROOT = Path(__file__).resolve().parent.parent
PEER_DIR = ROOT / "bench" / "peer"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """A server process on a free loopback port, ready once `probe` answers 200."""

    def __init__(self, name: str, command: list[str], *, env: dict[str, str], log_dir: Path, probe: bytes | None = None):
        self.name = name
        self.port = free_port()
        self.command = [part.replace("{port}", str(self.port)) for part in command]
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.probe = probe
        self.process: subprocess.Popen[bytes] | None = None
        self.cwd = ROOT  # `python -m` puts the working directory first on the path (bench/ab.py serves another tree)

    def start(self) -> Server:
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            self.command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        return self

    async def ready(self, within: float = 90.0) -> None:
        assert self.process is not None
        probe = self.probe or load.get(HOST, self.port, "/healthz")
        deadline = time.monotonic() + within
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            try:
                status, _body, _ = await load.once(HOST, self.port, probe)
                if status == 200:
                    return
            except (OSError, asyncio.IncompleteReadError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready after {within:.0f} s; see {self.log_path}")
            await asyncio.sleep(0.2)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        except ProcessLookupError:
            pass


def base_env(database_url: str, log_level: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "PROMETHEUS_MULTIPROC_DIR", "SEATWISE_PUBLIC_URL")}
    env |= {"DATABASE_URL": database_url, "SEATWISE_CLOCK_INTERVAL": "0", "SEATWISE_LOG_LEVEL": log_level}
    # The rate limiter runs (its cost is part of every measure) with budgets no benchmark spends.
    env |= {"SEATWISE_RATE_LIMIT": "1000000000", "SEATWISE_ACCESS_RATE": "1000000000"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def seatwise(
    name: str, database_url: str, log_dir: Path, *, workers: int = 1, log_level: str = "INFO", record_uses: bool = True
) -> Server:
    """`seatwise serve`, as in production (the billing clock off: its runs would land inside measurements); with
    `record_uses` False, through bench/no_uses.py (one worker: accessCheck records no use)."""
    module = "seatwise.gql" if record_uses else "bench.no_uses"
    command = [sys.executable, "-m", module, "serve", "--host", HOST, "--port", "{port}", "--workers", str(workers)]
    return Server(name, command, env=base_env(database_url, log_level), log_dir=log_dir)


def floor(kind: str, database_url: str, log_dir: Path, *, log_level: str = "INFO") -> Server:
    """A floor (bench/floors.py) on `serve`'s own uvicorn settings."""
    command = [sys.executable, "-m", "bench.floors", kind, "--host", HOST, "--port", "{port}"]
    server = Server(f"floor-{kind}", command, env=base_env(database_url, log_level), log_dir=log_dir)
    if kind == "starlette":
        server.probe = load.get(HOST, server.port, "/json")
    else:
        server.probe = load.graphql_request(HOST, server.port, "{ ping }")
    return server


def postgraphile(database_url: str, log_dir: Path) -> Server:
    """PostGraphile 4 (bench/peer) on the same database: its defaults (a pool of 10), no query log, no GraphiQL."""
    binary = PEER_DIR / "node_modules" / ".bin" / "postgraphile"
    if not binary.exists():
        raise RuntimeError("PostGraphile is not installed: run `make bench-peer` (npm ci in bench/peer)")
    command = [
        str(binary),
        "--connection",
        database_url,
        "--schema",
        "public",
        "--host",
        HOST,
        "--port",
        "{port}",
        "--disable-query-log",
        "--disable-graphiql",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")} | {"NODE_ENV": "production"}
    server = Server("postgraphile", command, env=env, log_dir=log_dir)
    server.probe = load.graphql_request(HOST, server.port, "{ __typename }")
    return server


# ---------------------------------------------------------------- databases


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


async def fresh_postgres(url: str) -> None:
    """Drop and create the database of `url` (connecting to the server's `postgres` database)."""
    name = urlsplit(url).path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain database name: {name!r}")
    admin_url = with_database(url, "postgres").replace("postgres://", "postgresql://", 1)
    conn = await asyncpg.connect(admin_url, timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
