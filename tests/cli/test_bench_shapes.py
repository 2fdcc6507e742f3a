"""The benchmark's `mixed` data shape (bench/shapes.py) is what it says: 10% of the users in conflict, spread over the
users' pages, 5% deleted with nothing left to them, 20 groups holding every live user; the counters hold."""

from seatwise.models.core.tables import Group, GroupMember, LicenseAssignment, Organization, SeatPool, User
from seatwise.models.seats.licenses import conflict_assignment_ids


async def test_the_mixed_shape_spreads_its_conflicts_and_deletes_one_user_in_twenty():
    from bench import seed

    seeded = await seed.seed_org(400, "mixed", shape="mixed")
    users = await User.filter(organization_id=seeded.org_id, admin_role=None).order_by("email").values_list("id", "deleted_at")
    gone = {uid for uid, deleted_at in users if deleted_at is not None}
    assert len(users) == 400 and len(gone) == 20
    assert not await LicenseAssignment.filter(user_id__in=gone).exists()
    assert not await GroupMember.filter(user_id__in=gone).exists()
    assert await Group.filter(organization_id=seeded.org_id, display_name__startswith="Team ").count() == 20
    assert await GroupMember.filter(group__display_name__startswith="Team ", group__organization_id=seeded.org_id).count() == 380
    pool = await SeatPool.get(organization_id=seeded.org_id, product_id="CRM_PROFESSIONAL")
    assert pool.assigned - pool.purchased == 40  # 10% of the users
    org = await Organization.get(id=seeded.org_id)
    conflicted = await conflict_assignment_ids(org)
    holders = await LicenseAssignment.filter(id__in=conflicted).values_list("user_id", flat=True)
    order = [uid for uid, _ in users]
    assert len(holders) == 40 and min(order.index(uid) for uid in holders) < 100  # on the first page, not only the last
    await seed.check_counters(seeded.org_id)
    assert all(email not in {f"user{i:06d}@mixed.bench.test" for i in range(7, 400, 20)} for email in seeded.professional_emails)
