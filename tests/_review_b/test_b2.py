import asyncio, csv, io, json, hashlib
from datetime import timedelta

from models import billing, renewals, support, exports, cards
from models.tables import Subscription, SubscriptionStatus, StatusReason, Charge, ExportFormat, DataExportChunk, ChargeStatus
from tests.billing_support import VISA, add_card, subscription
from tests.support import NOW, execute, make_org, make_user
from tests.clock_support import add_card as raw_card, subscribe, reload, charges_of, days, PERIOD_END


async def test_card_fix_charges_past_due_sub_set_to_cancel():
    fx = await make_org(sandbox=True)
    await raw_card(fx, declines=True)
    sub = await subscribe(fx, "CRM_BASIC", 2)
    await renewals.run_clock(PERIOD_END, org=fx.org)
    sub = await reload(sub)
    assert sub.status is SubscriptionStatus.GRACE_PERIOD
    s2, req = await support.cancel_subscription(fx.org, str(sub.id), "bye", acknowledge_data_loss=True, actor=fx.actor, now=PERIOD_END + days(1))
    print("resolution:", req.resolution)
    # admin adds a working card before the next clock run
    card, renewed = await cards.add_card(fx.org, VISA, 12, 2030, "123", True, actor=fx.actor, now=PERIOD_END + days(1))
    ch = await charges_of(sub)
    print([(c.amount_cents, c.status) for c in ch], [(r.status, r.cancel_at_period_end) for r in renewed])
    paid = [c for c in ch if c.status is ChargeStatus.SUCCEEDED]
    assert not paid, "subscription set to cancel was charged a full month after being told 'without a further charge'"


async def test_idempotent_purchase_concurrent():
    fx = await make_org(sandbox=True)
    await add_card(fx)
    results = await asyncio.gather(*[billing.purchase_licenses(fx.org, "CRM_BASIC", 3, "same", actor=fx.actor, now=NOW) for _ in range(4)], return_exceptions=True)
    print(results)
    assert await Charge.filter(organization_id=fx.org.id).count() == 1
    assert await Subscription.filter(organization_id=fx.org.id).count() == 1


async def test_export_formats():
    fx = await make_org(sandbox=True)
    await add_card(fx)
    await billing.purchase_licenses(fx.org, "CRM_BASIC", 3, "k", actor=fx.actor, now=NOW)
    u = await make_user(fx, skus=["CRM_BASIC"], email='z@x.test')
    from models import users
    await users.create_user(fx.org, "q@x.test", 'He said "hi", ok\nline', product_skus=None, actor=fx.actor, now=NOW)
    e = await exports.create_export(fx.org, ExportFormat.CSV, actor=fx.actor, now=NOW)
    data = b"".join([bytes(c.data) async for c in _chunks(e)])
    assert len(data) == e.size_bytes and hashlib.sha256(data).hexdigest() == e.sha256
    print(data.decode())
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    assert rows[0] == ["email", "displayName", "status", "adminRole", "licenses", "createdAt", "deletedAt"]
    j = await exports.create_export(fx.org, ExportFormat.JSON, actor=fx.actor, now=NOW)
    jd = b"".join([bytes(c.data) async for c in _chunks(j)])
    doc = json.loads(jd)
    print(list(doc), doc["users"][:1], doc["charges"], doc["paymentCards"])
    assert list(doc) == ["organization", "products", "subscriptions", "users", "paymentCards", "charges", "serviceRequests", "auditEvents"]
    assert "tok_" not in jd.decode()


async def _chunks(e):
    async for b in exports.export_bytes(e):
        class C: pass
        c = C(); c.data = b
        yield c
