"""SCIM errors (RFC 7644 section 3.12): an HTTP status, a `scimType` where the RFC defines one, and a detail.

Domain errors of the rest of Seatwise are translated here, in one table, so that every SCIM answer to bad input
is a 4xx with the right `scimType`."""

from __future__ import annotations

from typing import Any

from seatwise.models.core.errors import DomainError, ErrorCode

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(Exception):
    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type

    def body(self) -> dict[str, Any]:
        # A detail that quotes the request can hold a lone surrogate, which no JSON encoder writes as UTF-8.
        detail = self.detail.encode("utf-8", "backslashreplace").decode("utf-8")
        body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(self.status), "detail": detail}
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


def invalid_syntax(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidSyntax")


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidFilter")


def not_found(what: str, raw_id: str) -> ScimError:
    return ScimError(404, f"No {what} has this id.")


# DomainError code -> (HTTP status, scimType)
_DOMAIN: dict[ErrorCode, tuple[int, str | None]] = {
    ErrorCode.INVALID_INPUT: (400, "invalidValue"),
    ErrorCode.ALREADY_EXISTS: (409, "uniqueness"),
    ErrorCode.NOT_FOUND: (400, "invalidValue"),  # an id named inside a request (a member); a missing resource is 404
    ErrorCode.USER_DELETED: (400, "invalidValue"),
    ErrorCode.USER_NOT_DELETED: (400, "invalidValue"),
    ErrorCode.RESTORE_WINDOW_EXPIRED: (400, "invalidValue"),
    ErrorCode.LAST_GLOBAL_ADMIN: (400, "invalidValue"),
    ErrorCode.MANAGED_BY_DIRECTORY: (400, "mutability"),
}


def from_domain(error: DomainError) -> ScimError:
    status, scim_type = _DOMAIN.get(error.code, (400, "invalidValue"))
    return ScimError(status, error.message, scim_type)
