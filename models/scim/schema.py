"""SCIM discovery (RFC 7643 sections 5 to 7, RFC 7644 section 4) and the response shapes shared by Users and Groups.

`/Schemas` declares exactly the attributes Seatwise keeps: a directory (and a conformance checker) writes what is
declared and reads it back as written. Everything else a directory sends is accepted and ignored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

MAX_RESULTS = 200  # filter.maxResults: the largest page of a list
DEFAULT_COUNT = 100


def _attr(
    name: str,
    type_: str = "string",
    *,
    description: str,
    required: bool = False,
    multi: bool = False,
    case_exact: bool = False,
    mutability: str = "readWrite",
    returned: str = "default",
    uniqueness: str = "none",
    sub: list[dict[str, Any]] | None = None,
    canonical: list[str] | None = None,
    reference_types: list[str] | None = None,
) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "name": name,
        "type": type_,
        "multiValued": multi,
        "description": description,
        "required": required,
        "mutability": mutability,
        "returned": returned,
    }
    if type_ in ("string", "reference"):
        attribute.update({"caseExact": case_exact, "uniqueness": uniqueness})
    if sub is not None:
        attribute["subAttributes"] = sub
    if canonical is not None:
        attribute["canonicalValues"] = canonical
    if reference_types is not None:
        attribute["referenceTypes"] = reference_types
    return attribute


_EXTERNAL_ID = _attr("externalId", description="The directory's identifier of the resource (kept as written).", case_exact=True)

USER_ATTRIBUTES = [
    _attr(
        "userName",
        description="The directory's unique name of the user (1 to 256 characters, unique in the organization ignoring case).",
        required=True,
        uniqueness="server",
    ),
    _attr(
        "name",
        "complex",
        description="The person's name.",
        sub=[
            _attr("formatted", description="The full name, formatted for display."),
            _attr("familyName", description="The family name."),
            _attr("givenName", description="The given name."),
        ],
    ),
    _attr(
        "displayName", description="The name shown in Seatwise (else name.formatted, else givenName familyName, else userName)."
    ),
    _attr(
        "emails",
        "complex",
        multi=True,
        required=True,
        description="Email addresses; the primary one (else the first) is the user's Seatwise email, unique across Seatwise "
        "(a userName that is an email stands in when there is none).",
        sub=[
            _attr("value", description="The email address.", required=True),
            _attr("display", description="A label for the address."),
            _attr("type", description="The kind of address.", canonical=["work", "home", "other"]),
            _attr("primary", "boolean", description="Whether this is the primary address."),
        ],
    ),
    _attr(
        "active",
        "boolean",
        required=True,
        description="false deactivates the user as deleteUser does (licenses freed); true restores the user (restoreUser). "
        "Absent on creation: true.",
    ),
    _EXTERNAL_ID,
]

GROUP_ATTRIBUTES = [
    _attr(
        "displayName",
        description="The group's name (1 to 256 characters, unique in the organization ignoring case).",
        required=True,
        uniqueness="server",
    ),
    _attr(
        "members",
        "complex",
        multi=True,
        description="The group's members: users of the organization.",
        sub=[
            _attr("value", description="The id of a member user.", mutability="immutable", case_exact=True),
            _attr(
                "$ref", "reference", description="The URI of the member user.", mutability="immutable", reference_types=["User"]
            ),
        ],
    ),
    _EXTERNAL_ID,
]


def _schema(schema_id: str, name: str, description: str, attributes: list[dict[str, Any]], base: str) -> dict[str, Any]:
    return {
        "schemas": [SCHEMA_SCHEMA],
        "id": schema_id,
        "name": name,
        "description": description,
        "attributes": attributes,
        "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{schema_id}"},
    }


def schemas(base: str) -> list[dict[str, Any]]:
    return [
        _schema(USER_SCHEMA, "User", "A person of the organization.", USER_ATTRIBUTES, base),
        _schema(GROUP_SCHEMA, "Group", "A directory group (its products are chosen in Seatwise).", GROUP_ATTRIBUTES, base),
    ]


def resource_types(base: str) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": rid,
            "name": rid,
            "endpoint": endpoint,
            "description": description,
            "schema": schema,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/{rid}"},
        }
        for rid, endpoint, description, schema in (
            ("User", "/Users", "People of the organization", USER_SCHEMA),
            ("Group", "/Groups", "Directory groups", GROUP_SCHEMA),
        )
    ]


def service_provider_config(base: str) -> dict[str, Any]:
    return {
        "schemas": [SPC_SCHEMA],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "A Seatwise API token with scope SCIM, sent as Authorization: Bearer <token>.",
                "primary": True,
            }
        ],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base}/ServiceProviderConfig"},
    }


def list_response(resources: list[dict[str, Any]], total: int, start_index: int) -> dict[str, Any]:
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "itemsPerPage": len(resources),
        "startIndex": start_index,
        "Resources": resources,
    }


def timestamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------- attributes / excludedAttributes

ALWAYS = frozenset({"id", "schemas"})


def _paths(raw: str | None, schema: str) -> list[tuple[str, str | None]]:
    """`a,b.c,urn:...:User:d` -> [("a", None), ("b", "c"), ("d", None)], names lower-cased."""
    found = []
    for item in (raw or "").split(","):
        item = item.strip()
        if not item:
            continue
        if item.lower().startswith(schema.lower() + ":"):
            item = item[len(schema) + 1 :]
        elif item.lower().startswith("urn:"):
            continue  # an extension Seatwise does not keep
        head, _, tail = item.partition(".")
        found.append((head.lower(), tail.lower() or None))
    return found


def _pick(value: Any, sub: str) -> Any:
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k.lower() == sub}
    if isinstance(value, list):
        return [_pick(item, sub) for item in value]
    return value


def _drop(value: Any, sub: str) -> Any:
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k.lower() != sub}
    if isinstance(value, list):
        return [_drop(item, sub) for item in value]
    return value


def project(resource: dict[str, Any], attributes: str | None, excluded: str | None, schema: str) -> dict[str, Any]:
    """Apply `attributes` (only these, plus id and schemas) or `excludedAttributes` (RFC 7644 section 3.4.2.5)."""
    wanted = _paths(attributes, schema)
    if attributes is not None and attributes.strip():
        kept: dict[str, Any] = {}
        for key, value in resource.items():
            if key.lower() in ALWAYS:
                kept[key] = value
                continue
            subs = [sub for head, sub in wanted if head == key.lower()]
            if not subs:
                continue
            if None in subs:
                kept[key] = value
            else:
                merged = [_pick(value, sub) for sub in subs if sub is not None]
                kept[key] = _merge(merged)
        return kept
    result = dict(resource)
    for head, sub in _paths(excluded, schema):
        for key in list(result):
            if key.lower() == head and key.lower() not in ALWAYS:
                if sub is None:
                    del result[key]
                else:
                    result[key] = _drop(result[key], sub)
    return result


def _merge(parts: list[Any]) -> Any:
    if all(isinstance(p, dict) for p in parts):
        merged: dict[str, Any] = {}
        for p in parts:
            merged.update(p)
        return merged
    if all(isinstance(p, list) for p in parts):
        return [_merge([p[i] for p in parts]) for i in range(len(parts[0]))]
    return parts[0]


def wants(name: str, attributes: str | None, excluded: str | None, schema: str) -> bool:
    """Whether a response includes the top-level attribute `name` (to skip loading what nobody reads)."""
    if attributes is not None and attributes.strip():
        return any(head == name.lower() for head, _ in _paths(attributes, schema))
    return not any(head == name.lower() and sub is None for head, sub in _paths(excluded, schema))
