"""SCIM Users (docs/rules.md section 11.2): Seatwise users as RFC 7643 User resources.

A user's SCIM attributes are kept as written (userName, name, displayName, emails, externalId); its Seatwise email
is the primary email (else the first, else userName when it is an email). `active: false` is deleteUser and
`active: true` restoreUser (without the admin role or password); DELETE deletes and hides the resource. Every change
goes through models/users.py and the seat ledger, audited with the token's owner as actor and `details.via`."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import parse_id
from seatwise.models.core.tables import Organization, User
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.people import users
from seatwise.models.scim.errors import ScimError, from_domain, invalid_value, not_found
from seatwise.models.scim.filter import user_filter
from seatwise.models.scim.patch import COMPLEX, MULTI, Attribute, apply, boolean, spec
from seatwise.models.scim.schema import USER_SCHEMA, timestamp

MAX_TEXT = 256
_BAD_TEXT = re.compile("[\x00-\x1f\ud800-\udfff]")

USER_SPEC = spec(
    USER_SCHEMA,
    Attribute("userName"),
    Attribute("externalId"),
    Attribute("displayName"),
    Attribute("active"),
    Attribute("name", COMPLEX, ("formatted", "familyName", "givenName")),
    Attribute("emails", MULTI, ("value", "display", "type", "primary")),
)


MAX_EMAILS = 100  # emails kept per user


def text(value: Any, what: str, *, required: bool = False) -> str | None:
    """A kept string: at most 256 characters, no control character (U+0000 to U+001F) nor lone surrogate."""
    if value is None:
        if required:
            raise invalid_value(f"{what} is required.")
        return None
    if not isinstance(value, str):
        raise invalid_value(f"{what} is a string.")
    if _BAD_TEXT.search(value):
        raise invalid_value(f"{what} contains a control character.")
    if len(value) > MAX_TEXT or len(value.lower()) > MAX_TEXT:  # "İ".lower() is two characters: keys are lower-cased
        raise invalid_value(f"{what} has at most {MAX_TEXT} characters.")
    if required and not value.strip():
        raise invalid_value(f"{what} is required.")
    return value


@dataclass(frozen=True)
class UserState:
    """The kept attributes of a SCIM User, as written."""

    user_name: str
    external_id: str | None = None
    display_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    formatted_name: str | None = None
    emails: tuple[tuple[tuple[str, Any], ...], ...] | None = None
    active: bool = True

    @property
    def email_list(self) -> list[dict[str, Any]] | None:
        return [dict(item) for item in self.emails] if self.emails is not None else None

    def derived_display_name(self) -> str:
        """displayName, else name.formatted, else "givenName familyName", else userName (trimmed, 1 to 256)."""
        joined = " ".join(p.strip() for p in (self.given_name, self.family_name) if p and p.strip())
        for candidate in (self.display_name, self.formatted_name, joined, self.user_name):
            if candidate and candidate.strip():
                return candidate.strip()[:MAX_TEXT]
        return self.user_name

    def seatwise_email(self) -> str:
        """The primary email, else the first, else userName when it is an email (section 4 rules)."""
        emails = self.email_list or []
        chosen = next((e for e in emails if e.get("primary") is True), emails[0] if emails else None)
        raw = chosen.get("value") if chosen else self.user_name
        if not isinstance(raw, str) or not raw.strip():
            raise invalid_value("A user needs an email: a primary email, an email, or a userName that is an email.")
        try:
            return users.normalize_email(raw, "email")
        except DomainError:
            raise invalid_value(
                "The user's email (the primary one, else the first, else userName) is not a valid email address."
            ) from None


def attribute(body: dict[str, Any], name: str) -> Any:
    """The value of an attribute of a request body, its name matched ignoring case (RFC 7643 2.1); None when absent."""
    for key, value in body.items():
        if key.lower() == name.lower():
            return value
    return None


def has_attribute(body: dict[str, Any], name: str) -> bool:
    return any(key.lower() == name.lower() for key in body)


def _emails(value: Any) -> tuple[tuple[tuple[str, Any], ...], ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise invalid_value("emails is a list.")
    if len(value) > MAX_EMAILS:
        raise invalid_value(f"A user has at most {MAX_EMAILS} emails.")
    kept = []
    subs = USER_SPEC.attributes["emails"]
    for item in value:
        if not isinstance(item, dict):
            raise invalid_value("Each email is an object.")
        entry: dict[str, Any] = {}
        for key, raw in item.items():
            name = subs.sub(key)
            if name is None or raw is None:
                continue
            entry[name] = boolean(raw, "emails.primary") if name == "primary" else text(raw, f"emails.{name}")
        kept.append(tuple(sorted(entry.items(), key=lambda kv: subs.subs.index(kv[0]))))
    return tuple(kept)


def state_of(body: Any, *, active_by_default: bool = True) -> UserState:
    """A User body (POST, PUT, or a document after PATCH) -> its kept attributes; invalidValue when one is wrong.
    Read-only and unknown attributes, and extension schemas, are ignored. Without `active`, `active_by_default`
    (true for a new user; a PUT keeps the user's state)."""
    if not isinstance(body, dict):
        raise invalid_value("A User is a JSON object.")
    core = attribute(body, USER_SCHEMA)
    if isinstance(core, dict):  # attributes nested under the core schema's URN
        body = {**body, **core}
    name = attribute(body, "name")
    if name is not None and not isinstance(name, dict):
        raise invalid_value("name is an object.")
    name = name or {}
    active = attribute(body, "active")
    return UserState(
        user_name=text(attribute(body, "userName"), "userName", required=True) or "",
        external_id=text(attribute(body, "externalId"), "externalId"),
        display_name=text(attribute(body, "displayName"), "displayName"),
        given_name=text(attribute(name, "givenName"), "name.givenName"),
        family_name=text(attribute(name, "familyName"), "name.familyName"),
        formatted_name=text(attribute(name, "formatted"), "name.formatted"),
        emails=_emails(attribute(body, "emails")),
        active=active_by_default if active is None else boolean(active, "active"),
    )


def current_state(user: User) -> UserState:
    """The kept attributes of a stored user (a user created in Seatwise reads its email as userName)."""
    emails = user.emails
    if emails is None and user.user_name is None:
        emails = [{"value": user.email, "primary": True}]
    return UserState(
        user_name=user.user_name or user.email,
        external_id=user.external_id,
        display_name=user.display_name if user.display_name_set else None,
        given_name=user.given_name,
        family_name=user.family_name,
        formatted_name=user.formatted_name,
        emails=_emails(emails),
        active=user.deleted_at is None,
    )


def document(user: User) -> dict[str, Any]:
    """The kept attributes as a PATCH applies to them."""
    state = current_state(user)
    doc: dict[str, Any] = {"userName": state.user_name, "active": state.active}
    if state.external_id is not None:
        doc["externalId"] = state.external_id
    if state.display_name is not None:
        doc["displayName"] = state.display_name
    name = {
        k: v
        for k, v in (("givenName", state.given_name), ("familyName", state.family_name), ("formatted", state.formatted_name))
        if v is not None
    }
    if name:
        doc["name"] = name
    if state.emails is not None:
        doc["emails"] = state.email_list
    return doc


def resource(user: User, base: str) -> dict[str, Any]:
    """The SCIM User resource (attributes never written are left out)."""
    doc = document(user)
    found: dict[str, Any] = {"schemas": [USER_SCHEMA], "id": str(user.id)}
    for key in ("externalId", "userName", "name", "displayName", "emails"):
        if doc.get(key):
            found[key] = doc[key]
    found["active"] = doc["active"]
    found["meta"] = {
        "resourceType": "User",
        "created": timestamp(user.created_at),
        "lastModified": timestamp(user.last_modified or user.created_at),
        "location": f"{base}/Users/{user.id}",
    }
    return found


def _columns(state: UserState) -> dict[str, Any]:
    return {
        "user_name": state.user_name,
        "user_name_key": state.user_name.lower(),
        "external_id": state.external_id,
        "given_name": state.given_name,
        "family_name": state.family_name,
        "formatted_name": state.formatted_name,
        "emails": state.email_list,
        "display_name": state.derived_display_name(),
        "display_name_set": state.display_name is not None and bool(state.display_name.strip()),
    }


async def _check_unique(org: Organization, state: UserState, email: str, user: User | None) -> None:
    key = state.user_name.lower()
    same_name = User.filter(organization_id=org.id).filter(Q(user_name_key=key) | Q(user_name_key__isnull=True, email=key))
    same_email = User.filter(email=email)
    if user is not None:
        same_name, same_email = same_name.exclude(id=user.id), same_email.exclude(id=user.id)
    if await same_name.exists():
        raise ScimError(409, "A user with this userName already exists.", "uniqueness")
    if await same_email.exists():
        raise ScimError(409, "A user with this email already exists.", "uniqueness")


# ---------------------------------------------------------------- reading


async def get(org: Organization, raw_id: str) -> User:
    """A user of the organization that a SCIM DELETE has not removed; 404 otherwise (a malformed id too)."""
    pk = parse_id(raw_id)
    user = await User.get_or_none(id=pk, organization_id=org.id, scim_deleted_at=None) if pk is not None else None
    if user is None:
        raise not_found("user", raw_id)
    return user


async def page(org: Organization, filter_text: str | None, start_index: int, count: int) -> tuple[list[User], int]:
    """A page of users by id (1-based `start_index`), and how many match: two statements at any size."""
    query = User.filter(organization_id=org.id, scim_deleted_at=None)
    if filter_text is not None and filter_text.strip():
        query = query.filter(user_filter(filter_text))
    total = await query.count()
    rows = await query.order_by("id").offset(start_index - 1).limit(count) if count > 0 else []
    return list(rows), total


# ---------------------------------------------------------------- changing


async def create(org: Organization, body: Any, *, actor: Actor, now: datetime, wall: datetime) -> User:
    """POST /Users: a new user (deactivated at once when `active` is false)."""
    state = state_of(body)
    email = state.seatwise_email()
    await _check_unique(org, state, email, None)
    try:
        user = await users.create_user(
            org,
            email,
            state.derived_display_name(),
            directory={**{k: v for k, v in _columns(state).items() if k != "display_name"}, "last_modified": now},
            actor=actor,
            now=now,
        )
    except DomainError as error:
        raise from_domain(error) from None
    if not state.active:
        user = await _deactivate(org, user, actor=actor, now=now, wall=wall)
    return user


async def replace(org: Organization, raw_id: str, body: Any, *, actor: Actor, now: datetime, wall: datetime) -> User:
    """PUT /Users/{id}: the whole resource (Okta's PUT with `active: false` deactivates)."""
    user = await get(org, raw_id)
    state = state_of(body, active_by_default=user.deleted_at is None)
    return await _write(org, user, state, actor=actor, now=now, wall=wall)


async def patch(org: Organization, raw_id: str, body: Any, *, actor: Actor, now: datetime, wall: datetime) -> User:
    """PATCH /Users/{id}: the operations on the kept attributes; a PATCH that changes nothing writes nothing."""
    user = await get(org, raw_id)
    # `remove` of `active` keeps the user's state, as a PUT without `active` does.
    state = state_of(apply(document(user), body, USER_SPEC), active_by_default=user.deleted_at is None)
    return await _write(org, user, state, actor=actor, now=now, wall=wall)


async def delete(org: Organization, raw_id: str, *, actor: Actor, now: datetime, wall: datetime) -> None:
    """DELETE /Users/{id}: deleteUser, and the resource answers 404 from then on (restorable through GraphQL)."""
    user = await get(org, raw_id)
    try:
        if user.deleted_at is None:
            await users.delete_user(org, str(user.id), actor=actor, now=now, wall=wall, scim_delete=True)
            return
    except DomainError as error:
        if error.code is not ErrorCode.USER_DELETED:
            raise from_domain(error) from None
    async with in_transaction():  # deactivated before: nothing more to free, only hidden from SCIM
        await User.filter(id=user.id).update(scim_deleted_at=now, last_modified=now)
        await _audit_update(org, user, {"removed": True}, actor=actor, now=now)


async def _audit_update(org: Organization, user: User, details: dict[str, Any], *, actor: Actor, now: datetime) -> None:
    await audit.record(
        org, actor, AuditAction.USER_UPDATED, target_type=AuditTarget.USER, target_id=user.id, at=now, details=details
    )


async def _deactivate(org: Organization, user: User, *, actor: Actor, now: datetime, wall: datetime) -> User:
    try:
        return await users.delete_user(org, str(user.id), actor=actor, now=now, wall=wall)
    except DomainError as error:
        raise from_domain(error) from None


async def _write(org: Organization, user: User, state: UserState, *, actor: Actor, now: datetime, wall: datetime) -> User:
    before = current_state(user)
    if state == before:
        return user
    changed = [f.name for f in fields(state) if f.name != "active" and getattr(state, f.name) != getattr(before, f.name)]
    email = state.seatwise_email() if changed else user.email
    if changed:  # checked before anything changes: a refused request changes nothing
        await _check_unique(org, state, email, user)
    if not state.active and before.active and await users.is_last_global_admin(org, user):
        raise from_domain(DomainError(ErrorCode.LAST_GLOBAL_ADMIN, "The last global admin cannot be deleted.", "active"))
    if state.active and not before.active:
        try:  # restoreUser, never with the admin role or password the person had
            await users.restore_user(org, str(user.id), actor=actor, now=now, without_admin_role=True)
        except DomainError as error:
            raise from_domain(error) from None
    if changed:
        values = _columns(state)
        if email != user.email:
            values["email"] = email
        try:
            async with in_transaction():
                await User.filter(id=user.id).update(**values, last_modified=now)
                await _audit_update(
                    org, user, {"changed": [_API_NAMES[name] for name in changed], "email": email}, actor=actor, now=now
                )
        except IntegrityError:
            raise ScimError(409, "A user with this userName or email already exists.", "uniqueness") from None
    fresh = await User.get(id=user.id)
    if not state.active and before.active:
        fresh = await _deactivate(org, fresh, actor=actor, now=now, wall=wall)
    return fresh


_API_NAMES = {
    "user_name": "userName",
    "external_id": "externalId",
    "display_name": "displayName",
    "given_name": "name.givenName",
    "family_name": "name.familyName",
    "formatted_name": "name.formatted",
    "emails": "emails",
}
