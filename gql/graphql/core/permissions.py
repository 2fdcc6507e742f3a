"""Permission classes: the role table of docs/rules.md section 2, as top-level FORBIDDEN errors."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from seatwise.models.people.roles import Capability


class _Requires(BasePermission):
    capability: Capability
    error_extensions = {"code": "FORBIDDEN"}  # noqa: RUF012  (Strawberry reads it; never mutated)

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer  # raises Unauthenticated without a credential
        allowed = viewer.may(self.capability)
        if not allowed:
            self.message = f"The {viewer.role.value} role may not manage {self.capability.value}."
        return allowed


class CanManageUsers(_Requires):
    capability = Capability.MANAGE_USERS


class CanManageBilling(_Requires):
    capability = Capability.MANAGE_BILLING


class CanSubmitRequests(_Requires):
    capability = Capability.SUBMIT_REQUESTS


class CanAdminister(_Requires):
    capability = Capability.ADMINISTER
