from models import renewals, support, seats
from models.testclock import advance_test_clock
from models.tables import Subscription, SubscriptionStatus, StatusReason, Organization
from tests.support import NOW, make_org, make_user
from tests.clock_support import add_card as raw_card, subscribe, reload, charges_of, days, PERIOD_END


async def test_sandbox_past_due_cancel_is_stamped_at_advance_target():
    fx = await make_org(sandbox=True)
    await raw_card(fx, declines=True)
    sub = await subscribe(fx, "CRM_BASIC", 2, holders=2)
    org = await advance_test_clock(fx.org, PERIOD_END + days(2), actor=fx.actor)   # renewal failed, GRACE
    sub = await reload(sub)
    assert sub.status is SubscriptionStatus.GRACE_PERIOD
    t0 = org.test_clock_now
    await support.cancel_subscription(org, str(sub.id), "bye", acknowledge_data_loss=True, actor=fx.actor, now=t0)
    org = await advance_test_clock(org, t0 + days(300), actor=fx.actor)
    sub = await reload(sub)
    print(sub.status, sub.status_reason, "cancelled_at", sub.cancelled_at, "t0", t0)
    assert sub.status is SubscriptionStatus.CANCELLED
    assert sub.cancelled_at < t0 + days(1), "cancelled only at the advance target; licenses kept counting ~300 days"
