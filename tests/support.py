"""Test helpers: the database under test, organizations and users, GraphQL execution, a real server."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from strawberry.relay import GlobalID
from tortoise import Tortoise, connections

from seatwise.models.core.clock import utcnow
from seatwise.models.core.tables import AdminRole, Organization, User
from seatwise.models.events.audit import Actor
from seatwise.models.people import auth, credentials, organizations, users

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


def database_url() -> str:
    url = os.environ.get("SEATWISE_TEST_DB_URL")
    assert url, "tests/conftest.py sets SEATWISE_TEST_DB_URL"
    return url


def is_postgres() -> bool:
    return database_url().startswith("postgres")


async def truncate_all() -> None:
    conn = connections.get("default")
    tables = [m._meta.db_table for m in Tortoise.apps["seatwise"].values() if m._meta.db_table not in ("product", "catalog_role")]
    if is_postgres():
        await conn.execute_script(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        await conn.execute_script("".join(f"DELETE FROM {t};" for t in tables))


@dataclass
class OrgFixture:
    org: Organization
    admin: User
    token: str

    @property
    def actor(self) -> Actor:
        return Actor(email=self.admin.email, role=AdminRole.GLOBAL_ADMIN, user_id=self.admin.id)


async def make_org(
    name: str = "Acme", *, sandbox: bool = False, now: datetime = NOW, password: str | None = PASSWORD
) -> OrgFixture:
    email = f"admin-{uuid.uuid4().hex[:8]}@{name.lower().replace(' ', '')}.test"
    created = await organizations.create_organization(name, email, admin_password=password, sandbox=sandbox, now=now)
    org = await Organization.get(id=created.organization.id)
    return OrgFixture(org, created.admin, created.token)


async def make_user(
    fx: OrgFixture,
    *,
    skus: list[str] | None = None,
    role: AdminRole | None = None,
    email: str | None = None,
    now: datetime = NOW,
    password: str | None = None,
) -> User:
    email = email or f"user-{uuid.uuid4().hex[:8]}@{fx.org.name.lower().replace(' ', '')}.test"
    return await users.create_user(
        fx.org, email, email.split("@")[0], product_skus=skus, admin_role=role, password=password, actor=fx.actor, now=now
    )


async def token_for(fx: OrgFixture, user: User, role: AdminRole) -> str:
    token, _ = await credentials.issue_credential(user, auth.CredentialKind.API_TOKEN, role, now=utcnow(), name="test")
    return token


async def execute(query: str, variables: dict[str, Any] | None = None, *, token: str | None = None):
    """Run an operation through the schema as a request with `token` would."""
    from seatwise.gql.graphql.core.context import Context
    from seatwise.gql.graphql.schema import schema
    from seatwise.models.core.errors import Unauthenticated

    viewer = None
    if token:
        with contextlib.suppress(Unauthenticated):
            viewer = await auth.authenticate(f"Bearer {token}", now=utcnow())
    return await schema.execute(query, variable_values=variables, context_value=Context(viewer))


def gid(type_name: str, key: object) -> str:
    """The global id the API shows for the object of `type_name` with this key (docs/api.md "Global ids")."""
    return str(GlobalID(type_name=type_name, node_id=str(key)))


def key_of(global_id: str) -> str:
    """The key inside a global id (the row id for most types)."""
    return GlobalID.from_id(global_id).node_id


def error_codes(result) -> list[str]:
    return [(e.extensions or {}).get("code") for e in (result.errors or [])]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`seatwise serve` as a real process on a free loopback port."""

    def __init__(self, env: dict[str, str] | None = None, args: list[str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(os.environ.get("SEATWISE_TEST_TMP", "/tmp")) / f"server-{self.port}.log"
        full_env = {**os.environ, "DATABASE_URL": database_url(), "SEATWISE_CLOCK_INTERVAL": "0", **(env or {})}
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gql", "serve", "--host", "127.0.0.1", "--port", str(self.port), *(args or [])],
            cwd=ROOT,
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 90) -> Server:
        """Wait for /healthz; a server that does not come up is stopped (no process or log file left behind
        to fail a later test with a ResourceWarning)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start within {timeout} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, predicate, timeout: float = 15) -> str:
        """The log once a line satisfies `predicate`: some lines (the access line) are written after the response."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.log()
            if any(predicate(line) for line in log.splitlines()):
                return log
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"no matching log line within {timeout} s: {log[-2000:]}")
            time.sleep(0.05)


async def post(client: httpx.AsyncClient, url: str, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(f"{url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    return response.json()


async def give_licenses(fx: OrgFixture, sku: str, quantity: int, *, now: datetime = NOW, status=None):
    """A paid subscription of `quantity` licenses written directly (for tests about seats, not purchases)."""
    from seatwise.models.core.clock import add_months
    from seatwise.models.core.tables import Subscription, SubscriptionStatus

    sub = await Subscription.create(
        organization_id=fx.org.id,
        product_id=sku,
        quantity=quantity,
        status=status or SubscriptionStatus.ACTIVE,
        period_anchor=now,
        period_index=1,
        current_period_start=now,
        current_period_end=add_months(now, 1),
        created_at=now,
    )
    await recount(fx.org.id, sku)
    return sub


async def recount(org_id: int, sku: str) -> None:
    """After a test wrote subscriptions directly: the seat ledger recounts what counts (no seat event but
    a conflict opened or resolved, as the billing clock would raise)."""
    from seatwise.models.events.audit import BILLING_CLOCK
    from seatwise.models.seats import ledger

    async with ledger.change(await Organization.get(id=org_id), actor=BILLING_CLOCK, now=NOW) as change:
        await change.recount(sku, event=None)


async def count_selects(monkeypatch, coro):
    """Run `coro` and count the SELECT statements it sent to the database."""
    conn = connections.get("default")
    calls = []
    for name in ("execute_query", "execute_query_dict"):
        original = getattr(conn, name)

        async def counted(*args, _original=original, **kwargs):
            if str(args[0] if args else "").lstrip().upper().startswith("SELECT"):
                calls.append(args[0])
            return await _original(*args, **kwargs)

        monkeypatch.setattr(conn, name, counted)
    try:
        result = await coro
    finally:
        monkeypatch.undo()
    return result, len(calls)


ROUND_TRIPS = ("execute_query", "execute_query_dict", "execute_insert", "execute_many", "execute_script")


async def count_round_trips(monkeypatch, coro):
    """Run `coro` and count its round trips to the database (every call of the connection, a batch insert is one)."""
    conn = connections.get("default")
    calls = []
    for name in ROUND_TRIPS:
        original = getattr(conn, name)

        async def counted(*args, _original=original, **kwargs):
            calls.append(args[0] if args else None)
            return await _original(*args, **kwargs)

        monkeypatch.setattr(conn, name, counted)
    try:
        result = await coro
    finally:
        monkeypatch.undo()
    return result, len(calls)


class _Statements(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.sql: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.sql.append(str(record.args[0] if record.args else record.msg))


async def count_statements(coro) -> tuple[Any, list[str]]:
    """Run `coro` and list every SQL statement it sent, inside transactions too (Tortoise logs each statement
    at DEBUG on `tortoise.db_client` before running it; BEGIN and COMMIT are not among them)."""
    logger = logging.getLogger("tortoise.db_client")
    handler, level, propagate = _Statements(), logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        result = await coro
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
    return result, handler.sql
