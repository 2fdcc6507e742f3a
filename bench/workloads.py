"""What the benchmark asks: the GraphQL documents of each operation, as request units per connection."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from bench import load
from bench.seed import SeededOrg

SEATS = "{ seats { product { sku } purchased assigned available overage inConflict waiting } }"
ACCESS = "query($e: String!, $p: String!) { accessCheck(email: $e, productSku: $p) { allowed reason } }"
# The sign-in answer with the user's security roles and their sources (docs/rules.md section 14).
ACCESS_ROLES = (
    "query($e: String!, $p: String!) { accessCheck(email: $e, productSku: $p) { allowed reason"
    " roles { role { key name } direct viaAdminRole groups { displayName } } } }"
)
ALERTS = "{ alerts { kind message dueAt product { sku } subscription { id } } }"
CONFLICTS = (
    "{ licenseConflicts { product { sku } purchased assigned overage causes remedies { kind description }"
    " affectedUsers(first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { node { id email } } } } }"
)
SUBSCRIPTIONS = "{ subscriptions { id quantity status statusReason currentPeriodEnd cancelAtPeriodEnd product { sku } } }"
USERS_PAGE = (
    "{ users(first: 100) { totalCount pageInfo { hasNextPage endCursor }"
    " edges { node { id email displayName status licenses { product { sku } state assignedAt } } } } }"
)
# Section 17: the users page in other orders (each from its index), backward, and filtered.
USERS_FIELDS = "pageInfo { hasNextPage endCursor } nodes { id email displayName status licenses { product { sku } state } }"


def _users(arguments: str) -> str:
    return "{ users(" + arguments + ") { " + USERS_FIELDS + " } }"


USERS_BY_LAST_USE = _users("first: 100, orderBy: {field: LAST_USED_AT, direction: DESC}")
USERS_BY_NAME = _users("first: 100, orderBy: {field: DISPLAY_NAME}")
USERS_BY_NAME_BACKWARD = _users("last: 100, orderBy: {field: DISPLAY_NAME}")
USERS_FILTERED = _users(
    "first: 100, orderBy: {field: CREATED_AT, direction: DESC}, filter: {licenseState: ACTIVE, adminRole: null}"
)
ASSIGN = 'mutation($u: ID!) { assignLicense(input: {userId: $u, productSku: "CRM_BASIC"}) { seats { assigned available } userErrors { code message } } }'
REVOKE = 'mutation($u: ID!) { revokeLicense(input: {userId: $u, productSku: "CRM_BASIC"}) { seats { assigned available } userErrors { code message } } }'
VIEWER = "{ viewer { role } }"
IDLE = (
    '{ idleLicenses(productSku: "CRM_BASIC", idleDays: 30, first: 50) { totalCount'
    " edges { node { id assignedAt lastUsedAt user { email } } } pageInfo { hasNextPage endCursor } } }"
)
SEATS_IDLE = "{ seats { product { sku } assigned idle(days: 30) reclaimPolicy { idleDays } } }"
PING = "{ ping }"
EXPORT = (
    "mutation($f: ExportFormat!) { exportData(input: {format: $f}) { dataExport { id sizeBytes } userErrors { code message } } }"
)
EXPORTS = "{ dataExports { id sizeBytes sha256 } }"

# The peer comparison: the same data asked of Seatwise and of PostGraphile.
PEER_USERS = "{ users(first: 100) { totalCount edges { node { id email licenses { product { sku } assignedAt } } } } }"
PEER_USERS_NO_TOTAL = "{ users(first: 100) { edges { node { id email licenses { product { sku } assignedAt } } } } }"
PEER_SEATS = "{ seats { product { sku } purchased assigned waiting } }"
PG_USERS = (
    "query($org: BigInt!) { allAppUsers(first: 100, condition: {organizationId: $org}, orderBy: EMAIL_ASC) { totalCount"
    " nodes { id email licenseAssignmentsByUserId(orderBy: PRODUCT_ID_ASC) { nodes { productId assignedAt } } } } }"
)
PG_USERS_NO_TOTAL = (
    "query($org: BigInt!) { allAppUsers(first: 100, condition: {organizationId: $org}, orderBy: EMAIL_ASC) {"
    " nodes { id email licenseAssignmentsByUserId(orderBy: PRODUCT_ID_ASC) { nodes { productId assignedAt } } } } }"
)
PG_SEATS = (
    "query($org: BigInt!) { allSeatPools(condition: {organizationId: $org}) { nodes { productId purchased assigned waiting } } }"
)

# The operations of the main table, in the order they are shown.
OPERATIONS = [
    "seats",
    "accessCheck",
    "accessCheckNoUses",
    "accessCheckRoles",
    "alerts",
    "licenseConflicts",
    "subscriptions",
    "usersPage",
    "usersByLastUse",
    "usersByName",
    "usersByNameBackward",
    "usersFiltered",
    "assignRevoke",
    "viewer",
    "idleLicenses",
    "seatsIdle",
]
PEER_OPERATIONS = ["peerUsers", "peerUsersNoTotal", "peerSeats", "peerAccessCheck"]
# Asked of Seatwise alone in `make bench-peer` (PostGraphile has no such call): the product's sign-in, absolute req/s.
SEATWISE_ONLY = ["peerAccessCheck"]
LABELS = {
    "seats": "`seats`",
    "accessCheck": "`accessCheck`",
    "accessCheckNoUses": "`accessCheck` without use recording (bench/no_uses.py)",
    "accessCheckRoles": "`accessCheck` with roles",
    "alerts": "`alerts`",
    "licenseConflicts": "`licenseConflicts` (+ affectedUsers 100)",
    "subscriptions": "`subscriptions`",
    "usersPage": "users page (100, licenses, totalCount)",
    "usersByLastUse": "users page by LAST_USED_AT DESC (100, licenses)",
    "usersByName": "users page by DISPLAY_NAME (100, licenses)",
    "usersByNameBackward": "users page by DISPLAY_NAME, `last: 100` (licenses)",
    "usersFiltered": "users page, licenseState ACTIVE, by CREATED_AT DESC (100, licenses)",
    "assignRevoke": "`assignLicense` + `revokeLicense`",
    "viewer": "`{ viewer { role } }`",
    "idleLicenses": "`idleLicenses` (50, totalCount; 200 idle at both sizes)",
    "seatsIdle": "`seats` with `idle(days: 30)` and `reclaimPolicy`",
    "ping": "floor: Strawberry `{ ping }`",
    "json": "floor: plain Starlette JSON",
    "peerUsers": "users page (100, licenses, totalCount)",
    "peerUsersNoTotal": "users page (100, licenses, no totalCount)",
    "peerSeats": "seat counts",
    "peerAccessCheck": "`accessCheck` with use recording and roles",
}

Units = Callable[[int], list[load.Labeled]]


@dataclass
class Workload:
    units: Units
    check: Callable[[int, bytes], bool] = load.default_check


def _fixed(label: str, request: bytes) -> Units:
    return lambda k: [(label, [request])]


def _peer_check(status: int, body: bytes) -> bool:
    return status == 200 and b'"errors"' not in body


def seatwise(op: str, port: int, org: SeededOrg, concurrency: int) -> Workload:
    """The units of `op` against a Seatwise server, as the organization's admin token, labelled with its tag."""

    def gql(query: str, variables: dict | None = None) -> bytes:
        return load.graphql_request(load_host(), port, query, variables, org.token)

    label = org.tag
    if op in ("accessCheck", "accessCheckNoUses", "accessCheckRoles", "peerAccessCheck"):
        # Users holding CRM_PROFESSIONAL, spread over the organization: the later ones are in conflict. Each holds
        # SALESPERSON directly, every tenth SALES_MANAGER through a group too.
        emails = org.professional_emails
        step = max(1, len(emails) // 200)
        document = ACCESS_ROLES if op in ("accessCheckRoles", "peerAccessCheck") else ACCESS
        requests = [gql(document, {"e": e, "p": "CRM_PROFESSIONAL"}) for e in emails[::step]]
        return Workload(lambda k: [(label, [r]) for r in requests[k:] + requests[:k]])
    if op == "assignRevoke":
        # Each connection cycles through its own users without CRM_BASIC: assign, then revoke, as one unit.
        users = org.free_user_ids

        def units(k: int) -> list[load.Labeled]:
            mine = users[k::concurrency][:50] or users[:1]
            return [(label, [gql(ASSIGN, {"u": str(u)}), gql(REVOKE, {"u": str(u)})]) for u in mine]

        return Workload(units)
    documents = {
        "seats": SEATS,
        "alerts": ALERTS,
        "licenseConflicts": CONFLICTS,
        "subscriptions": SUBSCRIPTIONS,
        "usersPage": USERS_PAGE,
        "usersByLastUse": USERS_BY_LAST_USE,
        "usersByName": USERS_BY_NAME,
        "usersByNameBackward": USERS_BY_NAME_BACKWARD,
        "usersFiltered": USERS_FILTERED,
        "viewer": VIEWER,
        "idleLicenses": IDLE,
        "seatsIdle": SEATS_IDLE,
        "peerUsers": PEER_USERS,
        "peerUsersNoTotal": PEER_USERS_NO_TOTAL,
        "peerSeats": PEER_SEATS,
    }
    return Workload(_fixed(label, gql(documents[op])))


def mixed(first: Workload, second: Workload) -> Workload:
    """Both workloads on the same connections, unit by unit (first, second, first, ...): their latencies are
    measured at the same moments. The checks must be the same."""

    def units(k: int) -> list[load.Labeled]:
        a, b = first.units(k), second.units(k)
        return [unit for i in range(max(len(a), len(b))) for unit in (a[i % len(a)], b[i % len(b)])]

    return Workload(units, first.check)


def postgraphile(op: str, port: int, org: SeededOrg) -> Workload:
    documents = {"peerUsers": PG_USERS, "peerUsersNoTotal": PG_USERS_NO_TOTAL, "peerSeats": PG_SEATS}
    request = load.graphql_request(load_host(), port, documents[op], {"org": str(org.org_id)})
    return Workload(_fixed(org.tag, request), _peer_check)


def floor(op: str, port: int) -> Workload:
    if op == "ping":
        return Workload(_fixed("-", load.graphql_request(load_host(), port, PING)), _peer_check)
    return Workload(_fixed("-", load.get(load_host(), port, "/json")), lambda status, body: status == 200)


def export_request(port: int, org: SeededOrg, fmt: str) -> bytes:
    return load.graphql_request(load_host(), port, EXPORT, {"f": fmt}, org.token)


def load_host() -> str:
    return load.HOST


def rows_in(body: bytes) -> int:
    """How many user rows a users page answered (a sanity check of the peer comparison)."""
    data = json.loads(body)["data"]
    if "users" in data:
        return len(data["users"]["edges"])
    return len(data["allAppUsers"]["nodes"])
