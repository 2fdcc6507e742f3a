"""The demo organization: a sandbox with admins and users to explore the API with."""

from __future__ import annotations

import secrets

from models import users
from models.audit import Actor
from models.clock import org_now, utcnow
from models.organizations import NewOrganization, create_organization
from models.tables import AdminRole, CredentialKind, User
from models import auth

DEMO_DOMAIN = "demo.seatwise.example"
PEOPLE = [
    ("ada", "Ada Lovelace"), ("grace", "Grace Hopper"), ("alan", "Alan Turing"),
    ("edsger", "Edsger Dijkstra"), ("barbara", "Barbara Liskov"), ("ken", "Ken Thompson"),
]


async def build_demo(tag: str | None = None) -> NewOrganization:
    """A new sandbox organization; emails carry a tag so that several demos can coexist."""
    tag = tag or secrets.token_hex(3)
    domain = f"{tag}.{DEMO_DOMAIN}"
    created = await create_organization(f"Seatwise Demo {tag}", f"admin@{domain}", sandbox=True, now=utcnow())
    org, admin = created.organization, created.admin
    actor = Actor(email=admin.email, role=AdminRole.GLOBAL_ADMIN, user_id=admin.id)
    now = org_now(org)
    await users.create_user(org, f"billing@{domain}", "Bill Payer", admin_role=AdminRole.BILLING_ADMIN, actor=actor, now=now)
    for handle, name in PEOPLE:
        await users.create_user(org, f"{handle}@{domain}", name, actor=actor, now=now)
    return created


async def ensure_demo() -> NewOrganization:
    """The demo that `make run` serves: reuse the first one (with a new token), or build it."""
    admin = await User.filter(email=f"admin@main.{DEMO_DOMAIN}").select_related("organization").first()
    if admin is None:
        return await build_demo("main")
    token, _ = await auth.issue_credential(admin, CredentialKind.API_TOKEN, AdminRole.GLOBAL_ADMIN, now=utcnow(), name="make run")
    return NewOrganization(admin.organization, admin, token)
