"""Helpers of the product-role tests (docs/rules.md section 14): a user's effective roles as plain sets."""

from seatwise.models.core.tables import Organization, User
from seatwise.models.roles.effective import effective_roles


async def held(org: Organization, user: User, sku: str) -> dict[str, tuple[bool, tuple[int, ...], bool]]:
    """key -> (direct, group ids, via admin role) of the user's effective roles in the product."""
    user = await User.get(id=user.id)
    return {
        e.role.key: (e.direct, tuple(sorted(e.group_ids)), e.via_admin_role)
        for e in (await effective_roles(org, [user], sku))[user.id]
    }
