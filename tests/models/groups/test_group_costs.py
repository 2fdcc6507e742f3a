"""Bounded cost (docs/rules.md section 11): adding 1,000 members, or a purchase serving 1,000 waiting users,
sends as many SQL statements as doing it for 10, and publishes its events in one batch."""

from seatwise.models.billing import purchases as billing
from seatwise.models.core.tables import LicenseAssignment, LicenseWait, User
from seatwise.models.events.live import LicenseEventKind, broker
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members as memberships
from tests.billing_support import add_card
from tests.support import NOW, count_round_trips, give_licenses, make_org


async def _people(fx, count: int, tag: str) -> list[User]:
    await User.bulk_create(
        [
            User(organization_id=fx.org.id, email=f"{tag}{i}@acme.example", display_name=f"{tag} {i}", created_at=NOW)
            for i in range(count)
        ]
    )
    return list(await User.filter(email__startswith=tag).order_by("id"))


async def _add_cost(monkeypatch, fx, size: int, tag: str, sku: str) -> int:
    people = await _people(fx, size, tag)
    group = await groups.create_group(fx.org, tag, [sku], actor=fx.actor, now=NOW)
    _, cost = await count_round_trips(
        monkeypatch, memberships.add_members(fx.org, str(group.id), [str(p.id) for p in people], actor=fx.actor, now=NOW)
    )
    return cost


async def test_adding_1000_members_costs_as_many_statements_as_adding_10(monkeypatch):
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 505)
    await give_licenses(fx, "CRM_ESSENTIAL", 5)
    small = await _add_cost(monkeypatch, fx, 10, "small", "CRM_ESSENTIAL")  # 5 licensed, 5 waiting
    large = await _add_cost(monkeypatch, fx, 1000, "large", "CRM_BASIC")  # 505 licensed, 495 waiting
    assert await LicenseAssignment.filter(product_id="CRM_BASIC").count() == 505
    assert await LicenseWait.filter(product_id="CRM_BASIC").count() == 495
    assert large == small


async def _serve_cost(monkeypatch, fx, size: int, tag: str, sku: str) -> tuple[int, list, list[User]]:
    people = await _people(fx, size, tag)
    group = await groups.create_group(fx.org, tag, [sku], actor=fx.actor, now=NOW)
    await memberships.add_members(fx.org, str(group.id), [str(p.id) for p in people], actor=fx.actor, now=NOW)
    assert await LicenseWait.filter(product_id=sku).count() == size
    batches = []
    original = broker.publish_many

    async def capture(events):
        batches.append(list(events))
        await original(events)

    monkeypatch.setattr(broker, "publish_many", capture)
    _, cost = await count_round_trips(
        monkeypatch, billing.purchase_licenses(fx.org, sku, size, f"buy-{tag}", actor=fx.actor, now=NOW)
    )
    assert await LicenseWait.filter(product_id=sku).count() == 0
    assert await LicenseAssignment.filter(product_id=sku).count() == size
    return cost, batches, people


async def test_a_purchase_serving_1000_waiting_users_costs_as_many_statements_as_serving_10(monkeypatch):
    fx = await make_org()
    await add_card(fx)
    small, _, _ = await _serve_cost(monkeypatch, fx, 10, "small", "CRM_ESSENTIAL")
    large, batches, people = await _serve_cost(monkeypatch, fx, 1000, "large", "CRM_BASIC")
    assert large == small
    assert len(batches) == 1  # one batch: PURCHASED, then an ASSIGNED per user served in queue order
    assert [(e.kind, e.user_id) for e in batches[0]] == [(LicenseEventKind.PURCHASED, None)] + [
        (LicenseEventKind.ASSIGNED, p.id) for p in people
    ]
