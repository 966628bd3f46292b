"""Amendments: versioned, shown field by field, material ones force re-confirmation and a fair deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from marketplace.core.db import Connection
from tests.support.notices import notifications_of, queued_emails
from tests.support.rfq import (
    Party,
    buyer_party,
    db_now,
    freeze_clock,
    move,
    pass_deadline,
    published_rfq,
    submit,
    vendor_party,
)


async def amend(client: httpx.AsyncClient, buyer: Party, rfq: dict[str, Any], body: dict[str, Any]) -> httpx.Response:
    return await client.post(f"/api/v1/rfqs/{rfq['id']}/amendments", json=body, headers=buyer.auth("buyer"))


async def bid_status(client: httpx.AsyncClient, vendor: Party, rfq: dict[str, Any]) -> str:
    r = await client.get(f"/api/v1/vendor/rfqs/{rfq['id']}/bid", headers=vendor.auth("sales"))
    assert r.status_code == 200, r.text
    return str(r.json()["status"])


async def test_material_amendment_requires_reconfirmation_and_extends_the_deadline(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    v1, v2 = await vendor_party(conn, name="Alpha"), await vendor_party(conn, name="Beta")
    now = await db_now(conn)
    rfq = await published_rfq(client, buyer, [v1, v2], now=now, closes_in=timedelta(hours=30))
    assert (await submit(client, v1, rfq)).status_code == 201
    assert (await submit(client, v2, rfq)).status_code == 201

    # 20 hours later only 10 remain: a material change must leave at least 24.
    later = now + timedelta(hours=20)
    await freeze_clock(conn, later)
    line1, line2 = rfq["lines"]
    r = await amend(
        client,
        buyer,
        rfq,
        {
            "summary": "Twice the bearings on line 1; line 2 dropped; a seal line added.",
            "lines": [
                {"action": "change", "line_id": line1["id"], "quantity": 200},
                {"action": "remove", "line_id": line2["id"]},
                {"action": "add", "description": "Shaft seal 30x42x7", "quantity": 50},
            ],
        },
    )
    assert r.status_code == 201, r.text
    amendment = r.json()
    assert (amendment["revision"], amendment["material"]) == (2, True)
    assert datetime.fromisoformat(amendment["closes_at_after"]) == later + timedelta(hours=24)

    seen = await client.get(f"/api/v1/vendor/rfqs/{rfq['id']}/amendments", headers=v1.auth("sales"))
    (shown,) = seen.json()
    changes = {c["change"]: c for c in shown["changes"]["lines"]}
    assert changes["changed"]["fields"] == {"quantity": {"from": 100, "to": 200}}
    assert changes["removed"]["line_id"] == line2["id"]
    assert changes["added"]["fields"]["description"]["to"] == "Shaft seal 30x42x7"
    assert datetime.fromisoformat(shown["changes"]["closes_at"]["to"]) == later + timedelta(hours=24)

    current = (await client.get(f"/api/v1/vendor/rfqs/{rfq['id']}", headers=v1.auth("sales"))).json()
    assert current["revision"] == 2
    assert [(ln["id"], ln["quantity"]) for ln in current["lines"]] == [
        (line1["id"], 200),
        (changes["added"]["line_id"], 50),
    ]
    assert await bid_status(client, v1, rfq) == "needs_reconfirmation"
    assert await bid_status(client, v2, rfq) == "needs_reconfirmation"
    assert await notifications_of(conn, v1.id, "rfq.amended")

    # One click restores v1's offer (for the lines still requested); v2 stays on the old revision.
    assert (
        await client.post(f"/api/v1/vendor/rfqs/{rfq['id']}/bid/reconfirm", headers=v1.auth("sales"))
    ).status_code == 201
    assert await bid_status(client, v1, rfq) == "submitted"

    await pass_deadline(conn, rfq["id"])
    assert (await move(client, buyer, rfq["id"], "evaluated")).status_code == 200
    offers = {
        o["vendor_name"]: o for o in (await client.get(f"/api/v1/rfqs/{rfq['id']}/bids", headers=buyer.auth())).json()
    }
    assert (offers["Alpha"]["valid_for_revision"], offers["Beta"]["valid_for_revision"]) == (True, False)
    stale = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/award",
        json={
            "justification": "Cheapest",
            "lines": [{"line_id": line1["id"], "bid_id": offers["Beta"]["bid_id"], "quantity": 200}],
        },
        headers=buyer.auth("approver"),
    )
    assert stale.status_code == 422
    assert stale.json()["errors"][0]["field"] == "lines[0].bid_id"
    fresh = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/award",
        json={
            "justification": "Re-confirmed",
            "lines": [{"line_id": line1["id"], "bid_id": offers["Alpha"]["bid_id"], "quantity": 200}],
        },
        headers=buyer.auth("approver"),
    )
    assert fresh.status_code == 201, fresh.text


async def test_non_material_amendment_leaves_bids_valid(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer = await buyer_party(conn)
    v1 = await vendor_party(conn)
    rfq = await published_rfq(client, buyer, [v1])
    assert (await submit(client, v1, rfq)).status_code == 201

    r = await amend(client, buyer, rfq, {"summary": "Typo", "title": "Bearings for line two"})
    assert r.status_code == 201, r.text
    assert (r.json()["material"], r.json()["closes_at_after"]) == (False, r.json()["closes_at_before"])
    assert r.json()["changes"] == {"title": {"from": rfq["title"], "to": "Bearings for line two"}}
    assert await bid_status(client, v1, rfq) == "submitted"
    # Optional one-click re-confirmation still works and keeps the offer valid.
    assert (
        await client.post(f"/api/v1/vendor/rfqs/{rfq['id']}/bid/reconfirm", headers=v1.auth("sales"))
    ).status_code == 201
    assert await bid_status(client, v1, rfq) == "submitted"


async def test_frozen_fields_and_roles_and_tenancy(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer, other = await buyer_party(conn), await buyer_party(conn)
    rfq = await published_rfq(client, buyer, [])
    for field, value in (("currency", "USD"), ("kind", "tender"), ("criteria", [])):
        r = await amend(client, buyer, rfq, {"summary": "x", field: value})
        assert r.status_code == 422
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "rfq.frozen_field"
        assert r.json()["errors"] == [
            {"field": field, "reason": f"The {field} of a request is fixed when it is published."}
        ]
    assert (await amend(client, buyer, rfq, {"summary": "nothing"})).json()["code"] == "rfq.amendment_empty"
    assert (await amend(client, other, rfq, {"summary": "x", "title": "Hijacked title"})).status_code == 404
    viewer = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/amendments", json={"summary": "x", "title": "New"}, headers=buyer.auth("viewer")
    )
    assert viewer.status_code == 403
    shorter = await amend(client, buyer, rfq, {"summary": "x", "closes_at": "2001-01-01T00:00:00Z"})
    assert shorter.status_code == 422
    assert shorter.json()["errors"][0]["field"] == "closes_at"


async def test_deadline_is_an_instant_across_time_zones_and_dst(client: httpx.AsyncClient, conn: Connection) -> None:
    """Berlin leaves summer time on 2026-10-25 (03:00 CEST → 02:00 CET); the arithmetic stays exact in UTC."""
    buyer = await buyer_party(conn)
    v1 = await vendor_party(conn)
    start = datetime(2026, 10, 23, 12, 0, tzinfo=UTC)
    await freeze_clock(conn, start)
    rfq = await published_rfq(client, buyer, [v1], now=start, closes_in=timedelta(days=2))
    closes_at = datetime.fromisoformat(rfq["closes_at"])
    assert closes_at == datetime(2026, 10, 25, 12, 0, tzinfo=UTC)

    # The buyer moves to another zone: the stored instant does not move.
    await conn.execute("UPDATE app_user SET time_zone = 'Europe/Berlin' WHERE id = $1", buyer.company.users["buyer"])
    await conn.execute("UPDATE rfq SET buyer_time_zone = 'Europe/Berlin' WHERE id = $1", rfq["id"])
    await conn.execute("UPDATE app_user SET time_zone = 'America/New_York' WHERE id = $1", buyer.company.users["buyer"])
    got = (await client.get(f"/api/v1/rfqs/{rfq['id']}", headers=buyer.auth("buyer"))).json()
    assert datetime.fromisoformat(got["closes_at"]) == closes_at

    # At 22:00 CEST the day before the switch, a material amendment needs 24 h to remain: 21:00 CET next day,
    # 23 hours later on the wall clock but exactly 24 hours later in UTC.
    at = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)
    await freeze_clock(conn, at)
    r = await amend(
        client,
        buyer,
        rfq,
        {"summary": "More", "lines": [{"action": "change", "line_id": rfq["lines"][0]["id"], "quantity": 7}]},
    )
    assert r.status_code == 201, r.text
    after = datetime.fromisoformat(r.json()["closes_at_after"])
    assert after == datetime(2026, 10, 25, 20, 0, tzinfo=UTC)
    assert after - at == timedelta(hours=24)
    berlin = ZoneInfo("Europe/Berlin")
    assert (at.astimezone(berlin).hour, after.astimezone(berlin).hour) == (22, 21)
    assert after.astimezone(berlin).utcoffset() == timedelta(hours=1)
    (email, *_) = [e for e in await queued_emails(conn) if e.subject.startswith("Request amended")]
    assert "2026-10-25 21:00 CET (2026-10-25 20:00 UTC)" in email.text
