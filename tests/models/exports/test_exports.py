import csv
import hashlib
import io
import json
import logging
import time
import tracemalloc
from datetime import timedelta

import pytest

from seatwise.models.billing import charges
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import (
    AuditEvent,
    CardBrand,
    DataExport,
    DataExportChunk,
    ExportFormat,
    PaymentCard,
    ServiceRequestCategory,
    User,
)
from seatwise.models.exports import documents, formats, writer
from seatwise.models.exports import files as exports
from seatwise.models.exports import rows as export_rows
from seatwise.models.people import deletion, users
from seatwise.models.support import requests as support
from tests.events_support import suspend
from tests.support import NOW, give_licenses, make_org, make_user
from tests.support_helpers import bulk_users, export_now, read_export

log = logging.getLogger("seatwise.tests.exports")
SECRET_TOKEN = "tok_sandbox_decline_0123456789abcdef"


async def _org_with_everything():
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_BASIC", 3)
    await give_licenses(fx, "CRM_PROFESSIONAL", 2)
    keeper = await make_user(fx, skus=["CRM_PROFESSIONAL", "CRM_BASIC"], email="keeper@acme.test")
    gone = await make_user(fx, skus=["CRM_BASIC"], email="gone@acme.test")
    await deletion.delete_user(fx.org, str(gone.id), actor=fx.actor, now=NOW)
    card = await PaymentCard.create(
        organization_id=fx.org.id,
        brand=CardBrand.VISA,
        last4="0341",
        exp_month=12,
        exp_year=2030,
        gateway_token=SECRET_TOKEN,
        is_default=True,
        created_at=NOW,
    )
    attempt = await charges.open_attempt(
        fx.org, card, 3000, "CRM_BASIC renewal", key="k1", subscription_id=sub.id, now=NOW, wall=NOW
    )
    await charges.settle(fx.org, attempt, await charges.send(attempt, now=NOW), actor=fx.actor, now=NOW)
    await support.submit_service_request(fx.org, ServiceRequestCategory.OTHER, 'Hello, "support"', actor=fx.actor, now=NOW)
    return fx, sub, keeper, gone, card


async def test_json_export_holds_every_section_with_contract_names_and_matches_size_and_hash():
    fx, sub, keeper, _gone, card = await _org_with_everything()
    export = await export_now(fx, ExportFormat.JSON, now=NOW + timedelta(minutes=5))
    body = await read_export(export)
    assert (len(body), hashlib.sha256(body).hexdigest()) == (export.size_bytes, export.sha256)
    assert export.sha256 == export.sha256.lower() and len(export.sha256) == 64
    doc = json.loads(body.decode("utf-8"))
    assert list(doc) == [
        "organization",
        "products",
        "subscriptions",
        "users",
        "paymentCards",
        "charges",
        "serviceRequests",
        "auditEvents",
    ]
    assert doc["organization"]["id"] == str(fx.org.id) and doc["organization"]["createdAt"] == "2026-11-29T09:00:00Z"
    assert {p["sku"] for p in doc["products"]} == {"CRM_PROFESSIONAL", "CRM_BASIC", "CRM_ESSENTIAL"}
    by_email = {u["email"]: u for u in doc["users"]}
    assert set(by_email) == {fx.admin.email, "keeper@acme.test", "gone@acme.test"}
    assert sorted(lic["product"]["sku"] for lic in by_email["keeper@acme.test"]["licenses"]) == ["CRM_BASIC", "CRM_PROFESSIONAL"]
    assert by_email["keeper@acme.test"]["status"] == "ACTIVE" and by_email["keeper@acme.test"]["id"] == str(keeper.id)
    assert by_email["gone@acme.test"]["status"] == "DELETED" and by_email["gone@acme.test"]["deletedAt"] == "2026-11-29T09:00:00Z"
    assert by_email["gone@acme.test"]["licensesAtDeletion"] == ["CRM_BASIC"]
    assert by_email[fx.admin.email]["adminRole"] == "GLOBAL_ADMIN" and by_email[fx.admin.email]["status"] == "DISABLED"
    assert doc["subscriptions"][0]["id"] == str(sub.id) and doc["subscriptions"][0]["cancelAtPeriodEnd"] is False
    assert doc["paymentCards"] == [
        {
            "id": str(card.id),
            "brand": "VISA",
            "last4": "0341",
            "expMonth": 12,
            "expYear": 2030,
            "isDefault": True,
            "expired": False,
            "createdAt": "2026-11-29T09:00:00Z",
        }
    ]
    assert doc["charges"][0]["failureCode"] == "CARD_DECLINED" and doc["charges"][0]["subscription"] == {"id": str(sub.id)}
    assert doc["serviceRequests"][0]["description"] == 'Hello, "support"'
    assert "charge.failed" in {e["action"] for e in doc["auditEvents"]}
    assert SECRET_TOKEN.encode() not in body and b"gatewayToken" not in body and b"password" not in body.lower()


async def test_json_export_prints_every_user_and_event_as_json_dumps_would_with_api_times():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    lapsing = await give_licenses(fx, "CRM_BASIC", 1)
    odd = await make_user(fx, skus=["CRM_BASIC"], email="odd@acme.test", now=NOW + timedelta(microseconds=42))
    await make_user(fx, skus=["CRM_BASIC"], email="junior@acme.test", now=NOW + timedelta(minutes=1))
    gone = await make_user(fx, email="gone@acme.test")
    await deletion.delete_user(fx.org, str(gone.id), actor=fx.actor, now=NOW + timedelta(hours=1))
    # Text that the API refuses today but older rows may hold: every character JSON escapes, and some it keeps.
    strange = 'Zoë "Z" \\ back\nslash\t\x01\x7f 😀 \u2028 </script>'
    await User.filter(id=odd.id).update(display_name=strange)
    await suspend(lapsing)  # one license too many: the junior's is in CONFLICT

    body = await read_export(await export_now(fx, ExportFormat.JSON, now=NOW + timedelta(days=1)))

    doc = json.loads(body)
    by_email = {u["email"]: u for u in doc["users"]}
    assert by_email["odd@acme.test"]["displayName"] == strange
    assert by_email["odd@acme.test"]["createdAt"] == "2026-11-29T09:00:00.000042Z"
    assert by_email["odd@acme.test"]["licenses"][0]["assignedAt"] == "2026-11-29T09:00:00.000042Z"
    assert [by_email[e]["licenses"][0]["state"] for e in ("odd@acme.test", "junior@acme.test")] == ["ACTIVE", "CONFLICT"]
    assert by_email["junior@acme.test"]["createdAt"] == "2026-11-29T09:01:00Z"
    assert {k: by_email["gone@acme.test"][k] for k in ("status", "deletedAt", "restorableUntil", "licensesAtDeletion")} == {
        "status": "DELETED",
        "deletedAt": "2026-11-29T10:00:00Z",
        "restorableUntil": "2026-12-29T10:00:00Z",
        "licensesAtDeletion": [],
    }
    assert by_email["junior@acme.test"]["adminRole"] is None and by_email[fx.admin.email]["adminRole"] == "GLOBAL_ADMIN"
    assert {e["action"] for e in doc["auditEvents"]} >= {"user.created", "license.assigned", "user.deleted"}
    for item in doc["users"] + doc["auditEvents"]:  # one line each, the exact text of json.dumps
        assert b"\n" + json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode() in body


async def test_export_is_stored_in_ordered_chunks(monkeypatch):
    fx = await make_org()
    for _ in range(30):
        await make_user(fx)
    monkeypatch.setattr(writer, "CHUNK_SIZE", 1024)
    monkeypatch.setattr(export_rows, "BATCH_SIZE", 7)
    export = await export_now(fx, ExportFormat.JSON)
    chunks = await DataExportChunk.filter(export_id=export.id).order_by("seq")
    assert len(chunks) > 3 and [c.seq for c in chunks] == list(range(len(chunks)))
    assert all(len(c.data) == 1024 for c in chunks[:-1])
    body = await read_export(export)
    assert hashlib.sha256(body).hexdigest() == export.sha256
    assert len(json.loads(body)["users"]) == 31


async def test_csv_export_is_rfc4180_utf8_one_row_per_user():
    fx, _, _keeper, _gone, _ = await _org_with_everything()
    quoted = await make_user(fx, email="quote@acme.test")
    await users.create_user(fx.org, "zoe@acme.test", 'Zoë "Z", Jr.', actor=fx.actor, now=NOW)
    export = await export_now(fx, ExportFormat.CSV)
    body = await read_export(export)
    assert (len(body), hashlib.sha256(body).hexdigest()) == (export.size_bytes, export.sha256)
    assert not body.startswith(b"\xef\xbb\xbf")
    assert body.startswith(b"email,displayName,status,adminRole,licenses,createdAt,deletedAt,roles\r\n") and body.endswith(
        b"\r\n"
    )
    assert b'"Zo\xc3\xab ""Z"", Jr."' in body
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    table = {row[0]: row for row in rows[1:]}
    assert len(rows) == 1 + 5 and quoted.email in table
    assert table["keeper@acme.test"] == [
        "keeper@acme.test",
        "keeper",
        "ACTIVE",
        "",
        "CRM_BASIC;CRM_PROFESSIONAL",
        "2026-11-29T09:00:00Z",
        "",
        "",
    ]
    assert table["gone@acme.test"][2:] == ["DELETED", "", "", "2026-11-29T09:00:00Z", "2026-11-29T09:00:00Z", ""]
    assert table[fx.admin.email][3] == "GLOBAL_ADMIN"


async def test_export_is_audited_and_listed_newest_first():
    fx = await make_org()
    first = await export_now(fx, ExportFormat.CSV)
    second = await export_now(fx, ExportFormat.JSON, now=NOW + timedelta(hours=1))
    assert [e.id for e in await exports.list_exports(fx.org)] == [second.id, first.id]
    event = await AuditEvent.get(action="data.exported", target_id=str(second.id))
    assert (event.actor, event.target_type, event.details["format"], event.details["sha256"]) == (
        fx.admin.email,
        "DATA_EXPORT",
        "JSON",
        second.sha256,
    )


async def test_failed_export_leaves_nothing_behind(monkeypatch):
    fx = await make_org()

    async def broken(org, out, now):
        await out.write(b"x" * 10)
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(formats.WRITERS, ExportFormat.JSON, broken)
    with pytest.raises(RuntimeError):
        await export_now(fx, ExportFormat.JSON)
    assert await DataExport.all().count() == 0 and await DataExportChunk.all().count() == 0
    assert not await AuditEvent.filter(action="data.exported").exists()


@pytest.mark.parametrize("fmt", list(ExportFormat))
async def test_export_failing_midway_leaves_no_chunk_behind(monkeypatch, fmt):
    fx = await make_org()
    for _ in range(12):
        await make_user(fx)
    monkeypatch.setattr(writer, "CHUNK_SIZE", 64)  # chunks stored (and one in flight) before the failure
    monkeypatch.setattr(export_rows, "BATCH_SIZE", 2)  # the next batch is being read when it fails
    seen = []

    def failing(cell):
        seen.append(cell)
        if len(seen) > 12:
            raise RuntimeError("encoder on fire")
        return cell

    if fmt is ExportFormat.CSV:
        monkeypatch.setattr(formats, "csv_cell", failing)
    else:
        monkeypatch.setattr(documents, "_quoted", failing)
    with pytest.raises(RuntimeError):
        await export_now(fx, fmt)
    assert await DataExport.all().count() == 0 and await DataExportChunk.all().count() == 0
    assert not await AuditEvent.filter(action="data.exported").exists()


async def test_another_organizations_export_is_not_found():
    acme, other = await make_org("Acme"), await make_org("Other")
    export = await export_now(acme, ExportFormat.CSV)
    for raw in (str(export.id), "nope", "0"):
        with pytest.raises(DomainError) as failed:
            await exports.get_export(other.org, raw)
        assert failed.value.code is ErrorCode.NOT_FOUND
    assert (await exports.get_export(acme.org, str(export.id))).id == export.id


async def _size_hash_and_count(export, needle: bytes) -> tuple[int, str, int]:
    """Read an export chunk by chunk: its size, SHA-256 and how often `needle` occurs (across chunk edges too)."""
    digest, size, count, tail = hashlib.sha256(), 0, 0, b""
    async for part in exports.export_bytes(export):
        digest.update(part)
        size += len(part)
        window = tail + part
        count += window.count(needle)
        tail = window[-(len(needle) - 1) :]
    return size, digest.hexdigest(), count


async def test_export_of_100000_users_streams_with_bounded_memory(record_property):
    fx = await make_org("Big")
    await give_licenses(fx, "CRM_BASIC", 5)
    await bulk_users(fx, 100_000, deleted_every=10)
    started = time.perf_counter()
    tracemalloc.start()
    try:
        export = await export_now(fx, ExportFormat.JSON)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    record_property("export_json_size_bytes", export.size_bytes)
    record_property("export_json_tracemalloc_peak_bytes", peak)
    log.warning(
        "100,000-user JSON export: %d bytes, tracemalloc peak %.2f MiB, %.1f s with tracemalloc on",
        export.size_bytes,
        peak / 2**20,
        elapsed,
    )
    assert export.size_bytes > 10_000_000
    assert peak < export.size_bytes / 4, "the export must not hold the organization in memory"
    assert await _size_hash_and_count(export, b'"email":"bulk') == (export.size_bytes, export.sha256, 100_000)

    started = time.perf_counter()
    csv_export = await export_now(fx, ExportFormat.CSV)
    record_property("export_csv_size_bytes", csv_export.size_bytes)
    log.warning("100,000-user CSV export: %d bytes, %.1f s", csv_export.size_bytes, time.perf_counter() - started)
    # header + the admin + 100,000 users; display names hold no line breaks
    assert await _size_hash_and_count(csv_export, b"\r\n") == (csv_export.size_bytes, csv_export.sha256, 100_002)


async def _traced_peak(fx, fmt: ExportFormat) -> int:
    tracemalloc.start()
    try:
        await export_now(fx, fmt)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
async def test_export_memory_stays_flat_from_2000_to_20000_users(monkeypatch, record_property):
    monkeypatch.setattr(writer, "CHUNK_SIZE", 64 * 1024)  # chunks smaller than a batch: what grows is what is held
    fx = await make_org("Big")
    await bulk_users(fx, 2_000, deleted_every=10)
    small = {fmt: await _traced_peak(fx, fmt) for fmt in ExportFormat}
    await bulk_users(fx, 18_000, deleted_every=10, first=2_000)
    large = {fmt: await _traced_peak(fx, fmt) for fmt in ExportFormat}
    for fmt in ExportFormat:
        record_property(f"export_{fmt.value.lower()}_peak_2000_users", small[fmt])
        record_property(f"export_{fmt.value.lower()}_peak_20000_users", large[fmt])
        # Holding the organization would take 10 times as much; streaming takes about the same.
        assert large[fmt] < 2 * small[fmt], (fmt, small[fmt], large[fmt])


async def test_csv_export_neutralizes_cells_a_spreadsheet_would_run_as_formulas():
    fx = await make_org()
    await users.create_user(fx.org, "=1+cmd@x.test", '=HYPERLINK("http://evil.test","click")', actor=fx.actor, now=NOW)
    await users.create_user(fx.org, "plain@x.test", "+33 1 23", actor=fx.actor, now=NOW)
    await users.create_user(fx.org, "minus@x.test", "-2+3", actor=fx.actor, now=NOW)
    await users.create_user(fx.org, "at@x.test", "@SUM(A1)", actor=fx.actor, now=NOW)
    export = await export_now(fx, ExportFormat.CSV)
    rows = list(csv.reader(io.StringIO((await read_export(export)).decode("utf-8"), newline="")))
    table = {row[0]: row for row in rows[1:]}
    assert table["'=1+cmd@x.test"][1] == '\'=HYPERLINK("http://evil.test","click")'
    assert [table[e][1] for e in ("plain@x.test", "minus@x.test", "at@x.test")] == ["'+33 1 23", "'-2+3", "'@SUM(A1)"]
    assert not any(cell.startswith(formats.FORMULA_STARTS) for row in rows for cell in row)
    json_export = await export_now(fx, ExportFormat.JSON)  # JSON is data, not a spreadsheet: values stay as they are
    doc = json.loads(await read_export(json_export))
    assert {u["email"] for u in doc["users"]} >= {"=1+cmd@x.test"}


@pytest.mark.parametrize(
    "value, cell", [("\tx", "'\tx"), ("\rx", "'\rx"), ("a=b", "a=b"), ("", ""), ("2026-11-29T09:00:00Z", "2026-11-29T09:00:00Z")]
)
def test_csv_cell_prefixes_only_formula_starts(value, cell):
    assert formats.csv_cell(value) == cell


async def _killed_export(fx, *, at):
    """An export whose writer died: its row and a chunk, no hash (what a killed process leaves)."""
    export = await DataExport.create(organization_id=fx.org.id, format=ExportFormat.JSON, created_at=at)
    await DataExportChunk.create(export_id=export.id, seq=0, data=b"partial")
    return export


async def test_clock_removes_killed_exports_after_an_hour_and_finished_ones_after_30_days():
    from seatwise.models.clock.run import run_clock

    fx = await make_org()
    now = NOW + timedelta(days=40)
    killed = await _killed_export(fx, at=now - timedelta(hours=2))
    writing = await _killed_export(fx, at=now - timedelta(minutes=10))
    expired = await export_now(fx, ExportFormat.CSV, now=now - timedelta(days=31))
    kept = await export_now(fx, ExportFormat.CSV, now=now - timedelta(days=29))

    await run_clock(now)

    assert set(await DataExport.all().values_list("id", flat=True)) == {writing.id, kept.id}
    assert set(await DataExportChunk.all().values_list("export_id", flat=True)) == {writing.id, kept.id}
    assert {e.id for e in await exports.list_exports(fx.org)} == {kept.id}
    assert killed.id and expired.id  # removed, chunks too
    assert await AuditEvent.filter(action="data.exported", target_id=str(expired.id)).exists()  # the trail stays


async def test_clock_of_a_sandbox_removes_its_exports_on_its_test_clock_only():
    from seatwise.models.clock.run import run_clock

    real, sandbox = await make_org("Real"), await make_org("Sandbox", sandbox=True)
    real_export = await export_now(real, ExportFormat.CSV, now=NOW)
    sandbox_export = await export_now(sandbox, ExportFormat.CSV, now=NOW)

    await run_clock(NOW + timedelta(days=31))  # the real clock leaves sandboxes alone
    assert set(await DataExport.all().values_list("id", flat=True)) == {sandbox_export.id}
    await run_clock(NOW + timedelta(days=31), org=sandbox.org)  # a test-clock advance
    assert await DataExport.all().count() == 0 and await DataExportChunk.all().count() == 0
    assert real_export.id
