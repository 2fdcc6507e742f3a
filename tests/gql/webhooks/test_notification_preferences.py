"""Each admin, whatever their role, chooses which notices they get by email; the viewer shows the choice."""

from seatwise.models.core.tables import AdminRole
from tests.support import execute, make_org, make_user, token_for

UPDATE = """mutation($kinds: [NotificationKind!]!) { updateNotificationPreferences(input: {disabled: $kinds}) {
  notificationPreferences { disabled } userErrors { code } } }"""
READ = "{ viewer { notificationPreferences { disabled } } }"


async def test_a_reader_opts_out_of_kinds_and_sees_them_on_the_viewer_and_no_one_else_changes():
    fx = await make_org()
    token = await token_for(fx, await make_user(fx, role=AdminRole.READER), AdminRole.READER)
    assert (await execute(READ, token=token)).data["viewer"]["notificationPreferences"] == {"disabled": []}
    changed = (await execute(UPDATE, {"kinds": ["WEBHOOK_DISABLED", "PAYMENT_FAILED", "PAYMENT_FAILED"]}, token=token)).data
    assert changed["updateNotificationPreferences"] == {
        "notificationPreferences": {"disabled": ["PAYMENT_FAILED", "WEBHOOK_DISABLED"]},
        "userErrors": [],
    }
    assert (await execute(READ, token=token)).data["viewer"]["notificationPreferences"]["disabled"] == [
        "PAYMENT_FAILED",
        "WEBHOOK_DISABLED",
    ]
    assert (await execute(READ, token=fx.token)).data["viewer"]["notificationPreferences"]["disabled"] == []
    await execute(UPDATE, {"kinds": []}, token=token)
    assert (await execute(READ, token=token)).data["viewer"]["notificationPreferences"]["disabled"] == []
