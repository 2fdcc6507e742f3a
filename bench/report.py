"""The benchmark's tables: the measurements, and the ratios against the targets of issue 11."""

from __future__ import annotations

from typing import Any

from bench.workloads import LABELS, OPERATIONS, PEER_OPERATIONS

DATABASES = ("sqlite", "postgres")


def is_peer(cell: dict[str, Any]) -> bool:
    return cell["op"] in PEER_OPERATIONS or cell["target"] == "postgraphile"


def _cell(results: dict[str, Any], target: str, op: str, org: str, concurrency: int) -> dict[str, Any] | None:
    for cell in results.get("cells", []):
        if (cell["target"], cell["op"], cell["org"], cell["concurrency"]) == (target, op, org, concurrency):
            return cell if not cell.get("skipped") and cell.get("rps") else None
    return None


def _top(results: dict[str, Any]) -> int:
    return max(results["meta"]["concurrency"])


def ratios(results: dict[str, Any], baseline: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The rows of the ratio table: {measure, target, sqlite: {value, text, met}, postgres: {...}}."""
    meta = results["meta"]
    small, large, top = meta["small"], meta["large"], _top(results)
    low = min(meta["concurrency"])
    rows: list[dict[str, Any]] = []

    for op in OPERATIONS:
        if op == "viewer":
            continue
        row: dict[str, Any] = {"measure": f"{LABELS[op]}: {large} / {small} p50 latency (c={low})", "target": "≤ 1.2x"}
        for db in DATABASES:
            a, b = _cell(results, db, op, small, low), _cell(results, db, op, large, low)
            if a and b and a["p50Ms"]:
                value = b["p50Ms"] / a["p50Ms"]
                row[db] = {"value": round(value, 2), "text": f"{value:.2f}x ({b['p50Ms']:.1f} ms)", "met": value <= 1.2}
        rows.append(row)

    row = {"measure": f"`{{ viewer {{ role }} }}` / bare Strawberry `{{ ping }}` req/s (c={top})", "target": "≥ 0.5x"}
    row_cached = {
        "measure": f"`{{ viewer {{ role }} }}` / Strawberry `{{ ping }}` with parser and validation caches req/s (c={top})",
        "target": "-",
    }
    row_plain = {"measure": f"`{{ viewer {{ role }} }}` / plain Starlette JSON req/s (c={top})", "target": "-"}
    floors = [
        (row, _cell(results, "floor-strawberry", "ping", "-", top), 0.5),
        (row_cached, _cell(results, "floor-strawberry-cached", "ping", "-", top), None),
        (row_plain, _cell(results, "floor-starlette", "json", "-", top), None),
    ]
    for db in DATABASES:
        viewer = _cell(results, db, "viewer", small, top)
        for target_row, floor, at_least in floors:
            if viewer and floor:
                value = viewer["rps"] / floor["rps"]
                target_row[db] = {
                    "value": round(value, 3),
                    "text": f"{value:.2f}x ({viewer['rps']:.0f} / {floor['rps']:.0f})",
                    "met": None if at_least is None else value >= at_least,
                }
    rows += [row, row_cached, row_plain]

    row = {"measure": f"`assignLicense` + `revokeLicense` req/s, {large}, c={top}", "target": "≥ 5x before"}
    for db in DATABASES:
        now = _cell(results, db, "assignRevoke", large, top)
        if not now:
            continue
        before = _cell(baseline, db, "assignRevoke", large, top) if baseline else None
        if before:
            value = now["rps"] / before["rps"]
            text = f"{now['rps']:.0f} req/s ({value:.1f}x before"
            # The same against each run's Starlette floor: what is left of the ratio if the machine was busier in one run.
            floor_now = _cell(results, "floor-starlette", "json", "-", top)
            floor_before = _cell(baseline, "floor-starlette", "json", "-", top) if baseline else None
            if floor_now and floor_before:
                text += f"; {value * floor_before['rps'] / floor_now['rps']:.1f}x on the floor's scale"
            row[db] = {"value": round(value, 2), "text": text + ")", "met": value >= 5}
        else:
            row[db] = {"value": now["rps"], "text": f"{now['rps']:.0f} req/s", "met": None}
    rows.append(row)

    row = {"measure": f"`--workers 2` / 1: assign + revoke req/s, {large}, c={top}", "target": "> 1x"}
    one, two = _cell(results, "postgres", "assignRevoke", large, top), _cell(results, "postgres-w2", "assignRevoke", large, top)
    if one and two:
        value = two["rps"] / one["rps"]
        row["postgres"] = {
            "value": round(value, 2),
            "text": f"{value:.2f}x ({two['rps']:.0f} / {one['rps']:.0f})",
            "met": value > 1,
        }
    rows.append(row)

    peer = results.get("peerMeta") or meta  # a `--peer-only` run keeps its own sizes and concurrency
    peer_large, peer_top = peer["large"], max(peer["concurrency"])
    # Issue 26's targets: at least 0.5x PostGraphile, Seatwise at its better worker count (1 or `--workers 2`).
    for op in ("peerUsers", "peerUsersNoTotal", "peerSeats"):
        candidates = [_cell(results, t, op, peer_large, peer_top) for t in ("postgres", "postgres-w2")]
        ours = max((c for c in candidates if c), key=lambda c: c["rps"], default=None)
        theirs = _cell(results, "postgraphile", op, peer_large, peer_top)
        row = {"measure": f"Seatwise / PostGraphile req/s: {LABELS[op]}, {peer_large}, c={peer_top}", "target": "≥ 0.5x"}
        if ours and theirs:
            value = ours["rps"] / theirs["rps"]
            workers = "2 workers" if ours["target"] == "postgres-w2" else "1 worker"
            row["postgres"] = {
                "value": round(value, 3),
                "text": f"{value:.2f}x ({ours['rps']:.0f} / {theirs['rps']:.0f}, {workers})",
                "met": value >= 0.5,
            }
        rows.append(row)
    cpus = peer.get("cpus", "?")
    row = {
        "measure": f"`accessCheck` with use recording and roles, {peer_large}, c={peer_top}, {cpus} CPUs",
        "target": "≥ 1,000 req/s, p99 < 50 ms",
    }
    candidates = [_cell(results, t, "peerAccessCheck", peer_large, peer_top) for t in ("postgres", "postgres-w2")]
    best = max((c for c in candidates if c), key=lambda c: c["rps"], default=None)
    if best:
        workers = "2 workers" if best["target"] == "postgres-w2" else "1 worker"
        row["postgres"] = {
            "value": round(best["rps"], 1),
            "text": f"{best['rps']:.0f} req/s, p99 {best['p99Ms']:.1f} ms ({workers})",
            "met": best["rps"] >= 1000 and best["p99Ms"] < 50,
        }
    rows.append(row)

    for fmt in ("JSON", "CSV"):
        row = {"measure": f"export of {large} users, {fmt}: seconds to the finished file", "target": "< 5 s"}
        for export in results.get("exports", []):
            if export["format"] == fmt and export.get("seconds") is not None:
                peak = ""
                if export.get("serverRssMbPeak") and export.get("serverRssMbBefore"):
                    peak = f", server RSS +{export['serverRssMbPeak'] - export['serverRssMbBefore']:.0f} MB"
                row[export["database"]] = {
                    "value": export["seconds"],
                    "text": f"{export['seconds']:.1f} s{peak}",
                    "met": export["seconds"] < 5,
                }
        rows.append(row)

    # Use recording (docs/rules.md section 12): the same accessCheck against a server that records no use.
    row = {"measure": f"`accessCheck` with / without use recording p50 latency, {large}, c={low}", "target": "≤ 1.1x"}
    for db in DATABASES:
        used, unused = _cell(results, db, "accessCheck", large, low), _cell(results, db, "accessCheckNoUses", large, low)
        if used and unused and unused["p50Ms"]:
            value = used["p50Ms"] / unused["p50Ms"]
            row[db] = {"value": round(value, 2), "text": f"{value:.2f}x ({unused['p50Ms']:.1f} ms without)", "met": value <= 1.1}
    rows.append(row)

    priced = results.get("rateLimiting")
    row = {"measure": f"cost computation / users page p50 latency, {large}, c={low}", "target": "< 5%"}
    for db in DATABASES:
        page = _cell(results, db, "usersPage", large, low)
        if priced and page and page["p50Ms"]:
            value = priced["costMicroseconds"] / 1000 / page["p50Ms"]
            row[db] = {
                "value": round(value, 4),
                "text": f"{value:.2%} ({priced['costMicroseconds']:.0f} us; charging it {priced['chargeMicroseconds']:.0f} us)",
                "met": value < 0.05,
            }
    rows.append(row)
    return rows


def _met(row: dict[str, Any]) -> str:
    marks = []
    for db in DATABASES:
        if db in row and row[db].get("met") is not None:
            marks.append("yes" if row[db]["met"] else "no")
    return " / ".join(marks) if marks else "-"


def ratio_table(rows: list[dict[str, Any]], results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = [
        f"Ratios ({meta['date']}, commit {meta['commit']}, rounds: {meta['rounds']} of {meta['duration']} s per cell, "
        f"{meta['cpus']} CPUs, load average {meta['loadAverageBefore'][0]} before / {meta['loadAverageAfter'][0]} after)",
    ]
    peer = results.get("peerMeta")
    if peer and peer.get("date") != meta.get("date"):
        lines.append(
            f"PostGraphile rows: `make bench-peer` of {peer['date']}, commit {peer['commit']}, load average "
            f"{peer['loadAverageBefore'][0]} before / {peer['loadAverageAfter'][0]} after"
        )
    lines += [
        "",
        "| measure | SQLite | PostgreSQL | target | met |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [row.get(db, {}).get("text", "-") for db in DATABASES]
        lines.append(f"| {row['measure']} | {cells[0]} | {cells[1]} | {row['target']} | {_met(row)} |")
    return "\n".join(lines)


def details_table(results: dict[str, Any]) -> str:
    lines = [
        "| server | operation | org | c | req/s | p50 ms | p99 ms | requests | errors | client CPU |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for cell in results["cells"]:
        label = LABELS.get(cell["op"], cell["op"])
        if cell.get("skipped"):
            lines.append(
                f"| {cell['target']} | {label} | {cell['org']} | {cell['concurrency']} | skipped: {cell['skipped'][:80]} ||||||"
            )
            continue
        lines.append(
            f"| {cell['target']} | {label} | {cell['org']} | {cell['concurrency']} | {cell['rps']:.0f} | {cell['p50Ms']} | "
            f"{cell['p99Ms']} | {cell['requests']} | {cell['errors']} | {cell['clientCpu']:.0%} |"
        )
    return "\n".join(lines)
