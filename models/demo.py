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

The organization's `now` ends at the wall-clock time of the build.
"""

from __future__ import annotations

import secrets

from models import auth, billing, cards, groups, seats, testclock, users
from models.audit import Actor
from models.clock import add_months, utcnow
from models.organizations import NewOrganization, create_organization
from models.tables import AdminRole, CredentialKind, Organization, User

DEMO_DOMAIN = "demo.seatwise.example"
PEOPLE = [
    ("ada", "Ada Lovelace"), ("grace", "Grace Hopper"), ("alan", "Alan Turing"),
    ("edsger", "Edsger Dijkstra"), ("barbara", "Barbara Liskov"), ("ken", "Ken Thompson"),
]
# Who holds what (the first three hold the CRM_PROFESSIONAL licenses that are in conflict).
PROFESSIONAL = ["ada", "grace", "alan"]
BASIC = ["ada", "edsger", "barbara", "ken"]
ESSENTIAL = ["grace"]
SALES = ["ken", "barbara", "grace", "alan"]


async def build_demo(tag: str | None = None) -> NewOrganization:
    """A new sandbox organization; emails carry a tag so that several demos can coexist."""
    tag = tag or secrets.token_hex(3)
    domain = f"{tag}.{DEMO_DOMAIN}"
    today = utcnow().replace(microsecond=0)
    start = add_months(today, -6)
    created = await create_organization(f"Seatwise Demo {tag}", f"admin@{domain}", sandbox=True, now=start)
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
    org = await testclock.advance_test_clock(org, today, actor=actor)

    # Today: a new default card valid to the end of this month, and two more subscriptions.
    await cards.add_card(org, "5555 5555 5555 4444", today.month, today.year, "456", True, actor=actor, now=today)
    for sku, quantity, holders in (("CRM_BASIC", 5, BASIC), ("CRM_ESSENTIAL", 2, ESSENTIAL)):
        await billing.purchase_licenses(org, sku, quantity, f"demo-{tag}-{sku.lower()}", actor=actor, now=today)
        await seats.assign_licenses(org, [str(people[h].id) for h in holders], sku, actor=actor, now=today)
    # A "Sales" group granting CRM_BASIC: two members already hold it, one takes the last license, one waits.
    sales = await groups.create_group(org, "Sales", ["CRM_BASIC"], actor=actor, now=today)
    await groups.add_members(org, str(sales.id), [str(people[h].id) for h in SALES], actor=actor, now=today)
    return NewOrganization(await Organization.get(id=org.id), admin, created.token)


async def ensure_demo() -> NewOrganization:
    """The demo that `make run` serves: reuse the first one (with a new token), or build it."""
    admin = await User.filter(email=f"admin@main.{DEMO_DOMAIN}").select_related("organization").first()
    if admin is None:
        return await build_demo("main")
    token, _ = await auth.issue_credential(admin, CredentialKind.API_TOKEN, AdminRole.GLOBAL_ADMIN, now=utcnow(), name="make run")
    return NewOrganization(admin.organization, admin, token)
