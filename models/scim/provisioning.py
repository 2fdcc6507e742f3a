"""What SCIM adds to the people's rules when it creates or deletes a user (docs/rules.md section 11.2).

A provisioned user is created with the directory's columns (userName, externalId, names, emails), and a userName
taken is told apart from an email taken; a SCIM DELETE deletes the user and marks the row `scim_deleted_at`, after
which the SCIM resource answers 404 (a deactivation by `active: false` stays readable; a restore clears the mark)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import Organization, User
from seatwise.models.events.audit import Actor
from seatwise.models.people import deletion, users


async def create_user(
    org: Organization, email: str, display_name: str, columns: Mapping[str, Any], *, actor: Actor, now: datetime
) -> User:
    """models/people/users.py's create_user with the directory's `columns`; a userName taken (by a user created
    meanwhile) is ALREADY_EXISTS with the subject "user_name"."""
    try:
        return await users.create_user(org, email, display_name, columns=columns, actor=actor, now=now)
    except DomainError as error:
        # Read after the change rolled back (on PostgreSQL, nothing runs in a transaction after a failed statement).
        key = columns.get("user_name_key")
        if error.code is ErrorCode.ALREADY_EXISTS and key and await User.exists(organization_id=org.id, user_name_key=key):
            raise DomainError(ErrorCode.ALREADY_EXISTS, "A user with this userName already exists.", "user_name") from None
        raise


async def delete_user(org: Organization, user_id: str, *, actor: Actor, now: datetime, wall: datetime) -> User:
    """A SCIM DELETE of a user not deleted yet: deleteUser, and the row marked `scim_deleted_at`."""
    return await deletion.delete_user(org, user_id, actor=actor, now=now, wall=wall, columns={"scim_deleted_at": now})
