"""The load client: HTTP/1.1 keep-alive connections on asyncio streams (uvloop), requests encoded once.

Why not httpx or aiohttp: their per-request Python work (headers objects, cookie jars, URL parsing, response
models) costs a few hundred microseconds, which is the floor itself on this stack. Here a request is a bytes
object written to a socket and a response is read by Content-Length (chunked is understood too): a few tens of
microseconds of the client's CPU per request. The client runs in the bench's own process, the servers each in
their own; every measurement records the client's CPU share (`clientCpu`: process CPU seconds over wall seconds),
so a client at 100% of a core would show itself as the bottleneck.

A measurement opens `concurrency` connections, each running units (one request, or an assign+revoke pair) back to
back for `warmup` seconds, then for `duration` seconds more (at least one request per connection); a unit is never
cut in half. Units carry a label (the organization): a mixed measurement alternates the units of two organizations
on each connection, so both see the same moment of a shared machine. Latencies are those of the requests started after the warm-up; throughput counts the requests
completed after the warm-up, over the time from its end to the last completion. Every recorded response is checked:
a status other than 200, an `"errors"` key or a non-empty `userErrors` counts as an error (and not as a latency).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

HOST = "127.0.0.1"  # every server of the benchmark listens on loopback
Unit = Sequence[bytes]  # requests sent one after the other on one connection, as one unit of work


def graphql_request(host: str, port: int, query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> bytes:
    body: dict[str, Any] = {"query": query}
    if variables:
        body["variables"] = variables
    return post(host, port, "/graphql", json.dumps(body, separators=(",", ":")).encode(), token)


def post(host: str, port: int, path: str, body: bytes, token: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{auth}"
        f"Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def get(host: str, port: int, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n\r\n".encode()


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 22)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
            self.writer = self.reader = None

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """One request and its whole response: (status, body)."""
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        length_at = lower.find(b"\r\ncontent-length:")
        if length_at >= 0:
            end = lower.find(b"\r\n", length_at + 2)
            body = await self.reader.readexactly(int(lower[length_at + 17 : end]))
        elif b"transfer-encoding: chunked" in lower:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(p[:-2] for p in parts)
        else:
            body = await self.reader.read()
        if b"\r\nconnection: close" in lower:
            await self.close()
        return status, body


def default_check(status: int, body: bytes) -> bool:
    """A 200 without GraphQL errors and without userErrors."""
    return status == 200 and b'"errors"' not in body and b'"userErrors":[{' not in body


@dataclass
class Measurement:
    """One cell of one round, per label (an organization): latencies in seconds, errors, time spent in requests;
    and for the whole cell the requests completed over `elapsed` wall seconds."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    busy: dict[str, float] = field(default_factory=dict)
    completions: int = 0
    elapsed: float = 0.0
    client_cpu: float = 0.0
    first_error: str | None = None

    def rps(self, label: str) -> float:
        """Requests per second: of the cell (completed from the end of the warm-up to the last completion, per second
        of that time) when it has one label; of one label of a mixed cell at concurrency 1 (its requests over the
        time spent in them: the connection is busy with one request at a time)."""
        if len(self.latencies) <= 1:
            return self.completions / self.elapsed if self.elapsed else 0.0
        done = len(self.latencies.get(label, [])) + self.errors.get(label, 0)
        return done / self.busy[label] if self.busy.get(label) else 0.0


Labeled = tuple[str, Unit]


async def measure(
    host: str,
    port: int,
    units: Callable[[int], list[Labeled]],
    *,
    concurrency: int,
    duration: float,
    warmup: float,
    check: Callable[[int, bytes], bool] = default_check,
) -> Measurement:
    """Run the labelled units of each connection (`units(k)` for connection k, cycled) for warmup + duration seconds."""
    result = Measurement()
    connections = [Connection(host, port) for _ in range(concurrency)]
    await asyncio.gather(*(c.open() for c in connections))
    start = time.perf_counter()
    record_from = start + warmup
    stop_at = record_from + duration
    cpu_start = time.process_time()
    cpu_mark: list[float] = []
    completions = 0
    last_end = record_from

    async def worker(k: int) -> None:
        nonlocal completions, last_end
        conn = connections[k]
        mine = units(k)
        index = 0
        recorded = 0
        while True:
            # No unit starts after the window once this connection has recorded a whole round of its labels (a slow
            # operation at high concurrency would otherwise record nothing).
            if time.perf_counter() >= stop_at and recorded >= 1 and index % max(1, len({lb for lb, _ in mine})) == 0:
                return
            label, unit = mine[index % len(mine)]
            index += 1
            for request in unit:
                began = time.perf_counter()
                status, body = await conn.send(request)
                ended = time.perf_counter()
                if ended >= record_from:
                    completions += 1
                    last_end = max(last_end, ended)
                if began < record_from:
                    continue
                recorded += 1
                result.busy[label] = result.busy.get(label, 0.0) + ended - began
                if check(status, body):
                    result.latencies.setdefault(label, []).append(ended - began)
                else:
                    result.errors[label] = result.errors.get(label, 0) + 1
                    result.latencies.setdefault(label, [])
                    if result.first_error is None:
                        result.first_error = f"{status} {body[:300]!r}"

    async def mark_cpu() -> None:
        await asyncio.sleep(max(0.0, record_from - time.perf_counter()))
        cpu_mark.append(time.process_time())

    marker = asyncio.create_task(mark_cpu())
    try:
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
    finally:
        await asyncio.gather(*(c.close() for c in connections))
    await marker
    result.elapsed = last_end - record_from
    result.completions = completions
    cpu_recorded = time.process_time() - (cpu_mark[0] if cpu_mark else cpu_start)
    result.client_cpu = cpu_recorded / result.elapsed if result.elapsed else 0.0
    return result


async def once(host: str, port: int, request: bytes) -> tuple[int, bytes, float]:
    """One request on a new connection: (status, body, seconds)."""
    conn = Connection(host, port)
    try:
        began = time.perf_counter()
        status, body = await conn.send(request)
        return status, body, time.perf_counter() - began
    finally:
        await conn.close()


def percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]
