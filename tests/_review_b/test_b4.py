from models import renewals, support, seats, alerts, conflicts, users
from models.testclock import advance_test_clock
from models.tables import Subscription, SubscriptionStatus, StatusReason, Organization, LicenseAssignment
from tests.support import NOW, make_org, make_user, execute
from tests.clock_support import add_card as raw_card, subscribe, reload, days, PERIOD_END


async def test_alerts_and_conflicts():
    fx = await make_org(sandbox=True)
    await raw_card(fx, declines=True, exp_month=1, exp_year=2027)
    a = await subscribe(fx, "CRM_BASIC", 2, holders=2)
    b = await subscribe(fx, "CRM_ESSENTIAL", 3, holders=1, start=NOW + days(3))
    c = await subscribe(fx, "CRM_PROFESSIONAL", 1, holders=1, start=NOW + days(5))
    await Subscription.filter(id=c.id).update(cancel_at_period_end=True)
    org = await advance_test_clock(fx.org, PERIOD_END + days(31), actor=fx.actor)
    q = """{ alerts { kind dueAt product { sku } subscription { id status } }
      licenseConflicts { product { sku } overage causes remedies { kind quote { amountDue { amountCents } prorated } } affectedUsers { edges { node { email } } } } }"""
    r = await execute(q, token=fx.token)
    print(r.errors)
    import json; print(json.dumps(r.data, indent=1))
