"""Checks of the group-licensing invariants (docs/rules.md section 11), shared by the race and property tests."""

from seatwise.models.core.tables import GroupMember, GroupProduct, LicenseAssignment, LicenseWait, SeatPool, User


async def check_group_invariants(org_id: int) -> None:
    """Never oversold; counters equal the rows; every live member of a group granting a product holds it or
    waits for it, exactly once; nobody waits without a group asking; nobody waits while a license is free."""
    live = set(await User.filter(organization_id=org_id, deleted_at=None).values_list("id", flat=True))
    for pool in await SeatPool.filter(organization_id=org_id):
        sku = pool.product_id
        holders = list(await LicenseAssignment.filter(organization_id=org_id, product_id=sku).values_list("user_id", "direct"))
        waiters = list(await LicenseWait.filter(organization_id=org_id, product_id=sku).values_list("user_id", flat=True))
        granting = await GroupProduct.filter(product_id=sku, group__organization_id=org_id).values_list("group_id", flat=True)
        wanted = (
            set(await GroupMember.filter(group_id__in=list(granting)).values_list("user_id", flat=True)) & live
            if granting
            else set()
        )
        holder_ids = {uid for uid, _ in holders}
        assert pool.assigned == len(holders) and pool.waiting == len(waiters), (sku, pool.assigned, pool.waiting)
        assert len(set(waiters)) == len(waiters) and not holder_ids & set(waiters), sku
        assert set(waiters) <= wanted, sku  # a wait with no group asking has ended
        assert wanted <= holder_ids | set(waiters), sku  # every member licensed or waiting
        assert all(direct or uid in wanted for uid, direct in holders), sku  # a license has a source
        assert holder_ids <= live, sku
        if pool.waiting:
            assert pool.assigned >= pool.purchased, sku  # served: nobody waits while a license is free
