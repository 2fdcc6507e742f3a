"""Two server processes writing to one database: the event log stays gap-free in commit order. A reader that pages
`events(after: last)` while the writes go on only ever sees the next numbers (never n+1 before n), and at the end the
numbers are 1..N, one per audit event."""

import asyncio

import httpx

from seatwise.models.core.tables import AuditEvent, Event
from tests.support import Server, give_licenses, make_org, make_user, post

ASSIGN = 'mutation($u: ID!) { assignLicense(input: {userId: $u, productSku: "CRM_BASIC"}) { userErrors { code } } }'
REVOKE = 'mutation($u: ID!) { revokeLicense(input: {userId: $u, productSku: "CRM_BASIC"}) { userErrors { code } } }'
EVENTS = "query($after: Int) { events(after: $after, first: 100) { edges { node { sequence type } } } }"


async def test_two_processes_write_events_gap_free_in_commit_order_while_a_reader_follows():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 40)
    people = [await make_user(fx) for _ in range(40)]
    server = Server(args=["--workers", "2"]).wait_ready()
    seen: list[int] = []
    done = asyncio.Event()
    try:
        async with httpx.AsyncClient(timeout=60) as client:

            async def follow() -> None:
                while True:
                    finished = done.is_set()
                    body = await post(client, server.url, EVENTS, {"after": seen[-1] if seen else 0}, token=fx.token)
                    page = [e["node"]["sequence"] for e in body["data"]["events"]["edges"]]
                    seen.extend(page)
                    if finished and len(page) < 100:
                        return

            async def write() -> None:
                for query in (ASSIGN, REVOKE):
                    await asyncio.gather(*(post(client, server.url, query, {"u": str(p.id)}, token=fx.token) for p in people))
                done.set()

            await asyncio.gather(follow(), write())
    finally:
        server.stop()
    audited = await AuditEvent.filter(organization_id=fx.org.id).count()
    written = await Event.filter(organization_id=fx.org.id).count()
    assert audited >= 80 + 41 and written >= audited  # 40 assigned, 40 revoked, the users, the admin; and notices
    assert seen == list(range(1, written + 1))  # each page continued exactly where the last one ended
