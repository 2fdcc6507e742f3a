"""A Seatwise user as an RFC 7643 User resource: the kept attributes (`UserState`) read from a request body or a
stored user, the document a PATCH applies to, and the resource a response shows.

A user's SCIM attributes are kept as written (userName, name, displayName, emails, externalId); its Seatwise email
is the primary email (else the first, else userName when it is an email)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seatwise.models.core.errors import DomainError
from seatwise.models.core.tables import User
from seatwise.models.people.validation import normalize_email
from seatwise.models.scim.errors import invalid_value
from seatwise.models.scim.patch import COMPLEX, MULTI, Attribute, spec
from seatwise.models.scim.schema import USER_SCHEMA, timestamp
from seatwise.models.scim.values import MAX_TEXT, attribute, boolean, text

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
            return normalize_email(raw, "email")
        except DomainError:
            raise invalid_value(
                "The user's email (the primary one, else the first, else userName) is not a valid email address."
            ) from None


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
    if sum(1 for entry in kept if ("primary", True) in entry) > 1:
        raise invalid_value("At most one email is primary (RFC 7643 section 2.4).")
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
