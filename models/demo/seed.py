"""The demo organization: a sandbox with admins, licensed users, subscriptions, cards and one conflict.

Its story, built through the domain functions on the sandbox's test clock (so the audit trail,
charges and seat pools are exactly what the real rules produce):

- six months ago the organization started with a card valid to the end of that month and bought
  3 CRM_PROFESSIONAL licenses for three users;
- the card expired, the first renewal failed (CARD_EXPIRED), daily retries failed, the
  subscription was suspended after the 30-day grace period and cancelled after 90 days
  suspended, while the three users kept their licenses: the one live license conflict
  (CRM_PROFESSIONAL, overage 3, cause PAYMENT_FAILED);
- today a new default card was added, valid only to the end of the current month (about to
  expire: a CARD_EXPIRING alert), and CRM_BASIC and CRM_ESSENTIAL were bought and assigned;
- a "Sales" group grants CRM_BASIC: Grace takes the last free license and Alan waits for one.

The organization's `now` ends at the wall-clock time of the build. The demo admin gets a random
password, returned (and printed by the CLI) once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from tortoise.transactions import in_transaction

from seatwise.models.billing import cards
from seatwise.models.billing import purchases as billing
from seatwise.models.clock import testclock
from seatwise.models.core.clock import add_months, org_now, utcnow
from seatwise.models.core.tables import AdminRole, Credential, CredentialKind, Organization, User
from seatwise.models.events.audit import Actor
from seatwise.models.events.live import broker
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members as memberships
from seatwise.models.people import credentials, users
from seatwise.models.people.organizations import create_organization
from seatwise.models.seats import licenses as seats

DEMO_DOMAIN = "demo.seatwise.example"
PEOPLE = [
    ("ada", "Ada Lovelace"),
    ("grace", "Grace Hopper"),
    ("alan", "Alan Turing"),
    ("edsger", "Edsger Dijkstra"),
    ("barbara", "Barbara Liskov"),
    ("ken", "Ken Thompson"),
]
# Who holds what (the first three hold the CRM_PROFESSIONAL licenses that are in conflict).
PROFESSIONAL = ["ada", "grace", "alan"]
BASIC = ["ada", "edsger", "barbara", "ken"]
ESSENTIAL = ["grace"]
# `make run` starts with a token of this name; each start revokes the previous one.
MAKE_RUN_TOKEN = "make run"
MAKE_RUN_TOKEN_LIFETIME = DEMO_TOKEN_LIFETIME = timedelta(days=30)
SALES = ["ken", "barbara", "grace", "alan"]


@dataclass
class Demo:
    organization: Organization
    admin: User
    token: str | None  # None: build_demo(with_token=False)
    password: str | None = None  # only when the demo was just built


async def build_demo(tag: str | None = None, *, with_token: bool = True) -> Demo:
    """A new sandbox organization; emails carry a tag so that several demos can coexist. Its admin's API token
    (30 days) is for the caller to show; `with_token` False: none is made (ensure_demo makes its own)."""
    tag = tag or secrets.token_hex(3)
    domain = f"{tag}.{DEMO_DOMAIN}"
    today = utcnow().replace(microsecond=0)
    start = add_months(today, -6)
    password = secrets.token_urlsafe(12)
    created = await create_organization(
        f"Seatwise Demo {tag}", f"admin@{domain}", admin_password=password, sandbox=True, now=start, with_token=False
    )
    org, admin = created.organization, created.admin
    actor = Actor(email=admin.email, role=AdminRole.GLOBAL_ADMIN, user_id=admin.id)

    # Six months ago: a card that expired at the end of that month, and the first purchase.
    await cards.add_card(org, "4242 4242 4242 4242", start.month, start.year, "123", True, actor=actor, now=start)
    await billing.purchase_licenses(org, "CRM_PROFESSIONAL", 3, f"demo-{tag}-professional", actor=actor, now=start)
    await users.create_user(org, f"billing@{domain}", "Bill Payer", admin_role=AdminRole.BILLING_ADMIN, actor=actor, now=start)
    people: dict[str, User] = {}
    for handle, name in PEOPLE:
        people[handle] = await users.create_user(org, f"{handle}@{domain}", name, actor=actor, now=start)
    await seats.assign_licenses(org, [str(people[h].id) for h in PROFESSIONAL], "CRM_PROFESSIONAL", actor=actor, now=start)

    # The renewals fail on the expired card: grace, suspension, cancellation; the licenses stay assigned.
    org = await testclock.advance_test_clock(org, today, actor=actor, wall=utcnow())

    # Today: a new default card valid to the end of this month, and two more subscriptions.
    await cards.add_card(org, "5555 5555 5555 4444", today.month, today.year, "456", True, actor=actor, now=today)
    for sku, quantity, holders in (("CRM_BASIC", 5, BASIC), ("CRM_ESSENTIAL", 2, ESSENTIAL)):
        await billing.purchase_licenses(org, sku, quantity, f"demo-{tag}-{sku.lower()}", actor=actor, now=today)
        await seats.assign_licenses(org, [str(people[h].id) for h in holders], sku, actor=actor, now=today)
    # A "Sales" group granting CRM_BASIC: two members already hold it, one takes the last license, one waits.
    sales = await groups.create_group(org, "Sales", ["CRM_BASIC"], actor=actor, now=today)
    await memberships.add_members(org, str(sales.id), [str(people[h].id) for h in SALES], actor=actor, now=today)
    token = None
    if with_token:  # made now, not at the demo's start six months back: it expires 30 days from today
        wall = utcnow()
        token, _ = await credentials.issue_credential(
            admin, CredentialKind.API_TOKEN, AdminRole.GLOBAL_ADMIN, now=wall, name="cli", expires_at=wall + DEMO_TOKEN_LIFETIME
        )
    return Demo(await Organization.get(id=org.id), admin, token, password)


async def ensure_demo() -> Demo:
    """The demo that `make run` serves: reuse the first one, or build it. Either way the admin gets a
    `make run` token valid for 30 days, and the previous `make run` tokens are revoked (one live at a time)."""
    admin = await User.filter(email=f"admin@main.{DEMO_DOMAIN}", deleted_at=None).select_related("organization").first()
    built = None
    if admin is None:
        built = await build_demo("main", with_token=False)  # no token nobody is shown: the `make run` one below
        admin = await User.get(id=built.admin.id).select_related("organization")
    org, now = admin.organization, utcnow()
    actor = Actor(email=None)
    async with in_transaction():
        previous = Credential.filter(user_id=admin.id, kind=CredentialKind.API_TOKEN, name=MAKE_RUN_TOKEN)
        ended = await credentials.revoke_credentials(
            previous, org, actor, now=now, at=org_now(org, now), details={"name": MAKE_RUN_TOKEN, "reason": "replaced"}
        )
        token, _ = await credentials.issue_credential(
            admin,
            CredentialKind.API_TOKEN,
            AdminRole.GLOBAL_ADMIN,
            now=now,
            name=MAKE_RUN_TOKEN,
            expires_at=now + MAKE_RUN_TOKEN_LIFETIME,
        )
    await broker.end_credentials(org.id, ended)  # after commit: live subscriptions on the old token end
    return Demo(org, admin, token, built.password if built else None)
