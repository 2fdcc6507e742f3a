"""Admin roles and what each may do: the role table, and the check a rule makes before it acts."""

from __future__ import annotations

import enum

from seatwise.models.core.errors import Forbidden
from seatwise.models.core.tables import AdminRole
from seatwise.models.events.audit import Actor


class Capability(enum.Enum):
    MANAGE_USERS = "users and licenses"
    MANAGE_BILLING = "billing"
    SUBMIT_REQUESTS = "service requests"
    ADMINISTER = "admin roles, API tokens and the test clock"


ROLE_CAPABILITIES: dict[AdminRole, frozenset[Capability]] = {
    AdminRole.GLOBAL_ADMIN: frozenset(Capability),
    AdminRole.BILLING_ADMIN: frozenset({Capability.MANAGE_BILLING, Capability.SUBMIT_REQUESTS}),
    AdminRole.USER_ADMIN: frozenset({Capability.MANAGE_USERS, Capability.SUBMIT_REQUESTS}),
    AdminRole.READER: frozenset(),
}


def may(role: AdminRole | None, capability: Capability) -> bool:
    return role is not None and capability in ROLE_CAPABILITIES[role]


def require(actor: Actor, capability: Capability) -> None:
    """Forbidden unless the actor's role has the capability (a domain rule some mutations check inside)."""
    if not may(actor.role, capability):
        role = actor.role.value if actor.role else "billing clock"
        raise Forbidden(f"The {role} role may not manage {capability.value}.")
