"""RFQ lifecycle rules through the JSON API: roles, approval, tenancy, competition, award, negotiation, BAFO."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import httpx

from marketplace.accounts.models import CompanyStatus
from marketplace.core.db import Connection
from tests.support.rfq import (
    bid_body,
    buyer_party,
    create_rfq,
    freeze_clock,
    move,
    pass_deadline,
    published_rfq,
    submit,
    vendor_party,
)


async def test_roles_of_the_buying_center_and_the_approval_step(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer = await buyer_party(conn)
    await conn.execute("UPDATE company SET rfq_approval_required = true WHERE id = $1", buyer.id)
    viewer = await client.post("/api/v1/rfqs", json={"title": "x"}, headers=buyer.auth("viewer"))
    assert viewer.status_code in (400, 403)
    draft = await create_rfq(client, buyer, "requester")
    rid = draft["id"]
    assert (await move(client, buyer, rid, "published", "requester")).status_code == 403
    direct = await move(client, buyer, rid, "published", "buyer")
    assert direct.status_code == 409
    assert direct.json()["code"] == "rfq.approval_required"
    assert (await move(client, buyer, rid, "pending_approval", "requester")).status_code == 200
    assert (await move(client, buyer, rid, "approved", "buyer")).status_code == 403
    assert (await move(client, buyer, rid, "approved", "approver")).status_code == 200
    published = await move(client, buyer, rid, "published", "buyer")
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    history = (await client.get(f"/api/v1/rfqs/{rid}/history", headers=buyer.auth("admin"))).json()["history"]
    assert [(h["from_status"], h["to_status"], h["actor_role"]) for h in history] == [
        (None, "draft", "requester"),
        ("draft", "pending_approval", "requester"),
        ("pending_approval", "approved", "approver"),
        ("approved", "published", "buyer"),
    ]
    # Nobody closes by hand: only the clock does.
    assert (await move(client, buyer, rid, "closed", "admin")).status_code == 403


async def test_other_companies_get_404_for_everything(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer, other_buyer = await buyer_party(conn), await buyer_party(conn)
    invited, outsider = await vendor_party(conn), await vendor_party(conn)
    rfq = await published_rfq(client, buyer, [invited])
    receipt = (await submit(client, invited, rfq)).json()
    rid = rfq["id"]
    for path in (
        f"/api/v1/rfqs/{rid}",
        f"/api/v1/rfqs/{rid}/bids",
        f"/api/v1/rfqs/{rid}/history",
        f"/api/v1/rfqs/{rid}/award",
    ):
        assert (await client.get(path, headers=other_buyer.auth("admin"))).status_code == 404, path
    # The invited RFQ does not exist for a vendor that was not invited.
    assert (await client.get(f"/api/v1/vendor/rfqs/{rid}", headers=outsider.auth("sales"))).status_code == 404
    assert (await submit(client, outsider, rfq)).status_code == 404
    assert (await client.get(f"/api/v1/vendor/rfqs/{rid}/bid", headers=outsider.auth("sales"))).status_code == 404
    # Guessing a bid id from another buyer company: 404, not 403.
    r = await client.put(
        f"/api/v1/rfqs/{rid}/bids/{receipt['bid_id']}/scores", json={"scores": {}}, headers=other_buyer.auth("buyer")
    )
    assert r.status_code == 404
    # Drafts are invisible to vendors even when invited.
    draft = await create_rfq(client, buyer)
    await client.post(
        f"/api/v1/rfqs/{draft['id']}/invitations", json={"vendor_ids": [invited.id]}, headers=buyer.auth("buyer")
    )
    assert (await client.get(f"/api/v1/vendor/rfqs/{draft['id']}", headers=invited.auth("sales"))).status_code == 404


async def test_only_verified_companies_take_part(client: httpx.AsyncClient, conn: Connection) -> None:
    pending_buyer = await buyer_party(conn, status=CompanyStatus.PENDING)
    draft = await create_rfq(client, pending_buyer)
    r = await move(client, pending_buyer, draft["id"], "published")
    assert r.status_code == 403
    assert r.json()["code"] == "rfq.company_not_verified"
    buyer = await buyer_party(conn)
    pending_vendor = await vendor_party(conn, status=CompanyStatus.PENDING)
    rfq = await published_rfq(client, buyer, [], visibility="public")
    invited = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/invitations", json={"vendor_ids": [pending_vendor.id]}, headers=buyer.auth("buyer")
    )
    assert invited.status_code == 422
    # A public request is not even visible to an unverified vendor, let alone open to its bids.
    assert (await submit(client, pending_vendor, rfq)).status_code == 404
    # A vendor suspended after it was invited can no longer act at all.
    suspended = await vendor_party(conn)
    rfq = await published_rfq(client, buyer, [suspended])
    await conn.execute("UPDATE company SET status = 'suspended' WHERE id = $1", suspended.id)
    r = await submit(client, suspended, rfq)
    assert r.status_code in (401, 403), r.text
    assert await conn.fetchval("SELECT count(*) FROM bid WHERE vendor_id = $1", suspended.id) == 0


async def test_publication_checks_the_schedule(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer = await buyer_party(conn)
    draft = await create_rfq(client, buyer, kind="tender", closes_in=timedelta(hours=5))
    r = await move(client, buyer, draft["id"], "published")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "closes_at"
    naive = await client.post(
        "/api/v1/rfqs",
        json={
            "title": "Naive deadline",
            "closes_at": "2030-01-01T10:00:00",
            "lines": [{"description": "x", "quantity": 1}],
        },
        headers=buyer.auth("buyer"),
    )
    assert naive.status_code == 400
    assert "closes_at" in naive.text


async def test_cancel_needs_a_reason_and_keeps_the_bids(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer, vendor = await buyer_party(conn), await vendor_party(conn)
    rfq = await published_rfq(client, buyer, [vendor])
    await submit(client, vendor, rfq)
    assert (await move(client, buyer, rfq["id"], "cancelled")).status_code == 422
    r = await move(client, buyer, rfq["id"], "cancelled", reason="Budget withdrawn")
    assert r.status_code == 200
    assert r.json()["status"] == "cancelled"
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM bid_version v JOIN bid b ON b.id = v.bid_id WHERE b.rfq_id = $1", rfq["id"]
        )
        == 1
    )
    assert (await move(client, buyer, rfq["id"], "published")).status_code == 409
    told = await conn.fetchval(
        "SELECT count(*) FROM notification WHERE company_id = $1 AND kind = 'rfq.cancelled'", vendor.id
    )
    assert told >= 1


async def test_minimum_competition_makes_a_tender_unsuccessful_unless_the_buyer_proceeds(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer, vendor = await buyer_party(conn), await vendor_party(conn)
    tender = await published_rfq(client, buyer, [vendor], kind="tender")
    await submit(client, vendor, tender)
    await pass_deadline(conn, tender["id"])
    refused = await move(client, buyer, tender["id"], "evaluated")
    assert refused.status_code == 422
    assert refused.json()["code"] == "rfq.below_minimum_competition"
    proceeded = await move(client, buyer, tender["id"], "evaluated", reason="We proceed: only one supplier exists")
    assert proceeded.status_code == 200
    logged = await conn.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'rfq.proceed_below_minimum' AND target_id = $1",
        str(tender["id"]),
    )
    assert logged == 1


async def test_award_rules(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer, v1, v2 = await buyer_party(conn), await vendor_party(conn), await vendor_party(conn)
    rfq = await published_rfq(client, buyer, [v1, v2])
    b1 = (await submit(client, v1, rfq, valid_days=1)).json()
    b2 = (await submit(client, v2, rfq, valid_days=30)).json()
    line = rfq["lines"][0]
    award = {
        "justification": "Best price",
        "lines": [{"line_id": line["id"], "bid_id": b2["bid_id"], "quantity": line["quantity"]}],
    }
    early = await client.post(f"/api/v1/rfqs/{rfq['id']}/award", json=award, headers=buyer.auth("approver"))
    assert early.status_code == 422
    assert early.json()["code"] == "rfq.not_evaluated"
    await pass_deadline(conn, rfq["id"])
    await client.get(f"/api/v1/rfqs/{rfq['id']}", headers=buyer.auth("buyer"))
    assert (await move(client, buyer, rfq["id"], "evaluated")).status_code == 200
    assert (
        await client.post(f"/api/v1/rfqs/{rfq['id']}/award", json=award, headers=buyer.auth("buyer"))
    ).status_code == 403
    # v1's quote lapses two days after the deadline: it can no longer be accepted.
    closes_at = datetime.fromisoformat(rfq["closes_at"])
    await freeze_clock(conn, closes_at + timedelta(days=3))
    lapsed = dict(award, lines=[{"line_id": line["id"], "bid_id": b1["bid_id"], "quantity": 1}])
    r = await client.post(f"/api/v1/rfqs/{rfq['id']}/award", json=lapsed, headers=buyer.auth("approver"))
    assert r.status_code == 422
    assert "valid until" in r.text
    too_many = dict(award, lines=[{"line_id": line["id"], "bid_id": b2["bid_id"], "quantity": line["quantity"] + 1}])
    assert (
        await client.post(f"/api/v1/rfqs/{rfq['id']}/award", json=too_many, headers=buyer.auth("approver"))
    ).status_code == 422
    ok = await client.post(f"/api/v1/rfqs/{rfq['id']}/award", json=award, headers=buyer.auth("approver"))
    assert ok.status_code == 201, ok.text
    assert ok.json()["lines"][0]["unit_price_minor"] == 1000 + line["position"]
    again = await client.post(f"/api/v1/rfqs/{rfq['id']}/award", json=award, headers=buyer.auth("approver"))
    assert again.status_code == 409
    outcome = {
        r["kind"]
        for r in await conn.fetch("SELECT kind FROM notification WHERE company_id = any($1::bigint[])", [v1.id, v2.id])
    }
    assert {"rfq.awarded", "rfq.lost"} <= outcome


async def test_resubmission_makes_versions_and_an_idempotency_key_makes_one(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer, vendor = await buyer_party(conn), await vendor_party(conn)
    rfq = await published_rfq(client, buyer, [vendor])
    first = (await submit(client, vendor, rfq, key="form-1")).json()
    again = (await submit(client, vendor, rfq, key="form-1")).json()
    assert first == again
    second = (await submit(client, vendor, rfq, price=800, key="form-2")).json()
    assert second["version"] == 2
    assert second["bid_id"] == first["bid_id"]
    own = (await client.get(f"/api/v1/vendor/rfqs/{rfq['id']}/bid", headers=vendor.auth("sales"))).json()
    assert [v["version"] for v in own["versions"]] == [1, 2]
    assert own["versions"][0]["content"]["lines"][0]["unit_price_minor"] == 1001  # version 1 is unchanged
    bad = await client.put(
        f"/api/v1/vendor/rfqs/{rfq['id']}/bid",
        json=bid_body(rfq) | {"lines": [{"line_id": 1, "unit_price_minor": 1, "lead_time_days": 1}]},
        headers=vendor.auth("sales"),
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"].startswith("lines[0]")
    catalog_only = await submit(client, vendor, rfq, label="catalog")
    assert catalog_only.status_code == 403


async def test_negotiation_takes_turns(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer, vendor = await buyer_party(conn), await vendor_party(conn)
    rfq = await published_rfq(client, buyer, [vendor])
    bid = (await submit(client, vendor, rfq, price=1000)).json()
    early = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/bids/{bid['bid_id']}/revision-request",
        json={
            "message": "Too high",
            "respond_by": (datetime.fromisoformat(rfq["closes_at"]) + timedelta(days=2)).isoformat(),
        },
        headers=buyer.auth("buyer"),
    )
    assert early.status_code == 422
    await pass_deadline(conn, rfq["id"])
    # After the deadline the vendor cannot change its quote: the buyer holds the turn.
    assert (await submit(client, vendor, rfq, price=900)).status_code == 422
    respond_by = (datetime.fromisoformat(rfq["closes_at"]) + timedelta(days=2)).isoformat()
    asked = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/bids/{bid['bid_id']}/revision-request",
        json={
            "message": "Can you do 9.00?",
            "respond_by": respond_by,
            "target_prices": {str(rfq["lines"][0]["id"]): 900},
        },
        headers=buyer.auth("buyer"),
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["turn"] == "vendor"
    twice = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/bids/{bid['bid_id']}/revision-request",
        json={"message": "Again?", "respond_by": respond_by},
        headers=buyer.auth("buyer"),
    )
    assert twice.status_code == 409
    assert twice.json()["code"] == "rfq.not_your_turn"
    revised = await submit(client, vendor, rfq, price=905)
    assert revised.status_code == 201, revised.text
    offers = (await client.get(f"/api/v1/rfqs/{rfq['id']}/bids", headers=buyer.auth("buyer"))).json()
    assert offers[0]["content"]["lines"][0]["unit_price_minor"] == 906
    assert offers[0]["turn"] == "buyer"
    own = (await client.get(f"/api/v1/vendor/rfqs/{rfq['id']}/bid", headers=vendor.auth("sales"))).json()
    assert [v["author"] for v in own["versions"]] == ["vendor", "buyer", "vendor"]
    assert own["versions"][1]["target_prices"] == {str(rfq["lines"][0]["id"]): 900}


async def test_bafo_round_is_sealed_until_its_own_deadline(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer, v1, v2 = await buyer_party(conn), await vendor_party(conn), await vendor_party(conn)
    tender = await published_rfq(client, buyer, [v1, v2], kind="tender")
    b1 = (await submit(client, v1, tender, price=1000)).json()
    await submit(client, v2, tender, price=1100)
    await pass_deadline(conn, tender["id"])
    await client.get(f"/api/v1/rfqs/{tender['id']}", headers=buyer.auth("buyer"))
    bafo_closes = datetime.fromisoformat(tender["closes_at"]) + timedelta(days=3)
    r = await client.post(
        f"/api/v1/rfqs/{tender['id']}/bafo",
        json={"bid_ids": [b1["bid_id"]], "closes_at": bafo_closes.isoformat()},
        headers=buyer.auth("buyer"),
    )
    assert r.status_code == 200, r.text
    assert (await submit(client, v2, tender, price=500)).status_code == 422  # not shortlisted
    final = await submit(client, v1, tender, price=700)
    assert final.status_code == 201, final.text
    offers = {
        o["bid_id"]: o
        for o in (await client.get(f"/api/v1/rfqs/{tender['id']}/bids", headers=buyer.auth("buyer"))).json()
    }
    assert offers[b1["bid_id"]]["version"] == 1  # the final offer is sealed until the BAFO deadline
    await freeze_clock(conn, bafo_closes)
    offers = {
        o["bid_id"]: o
        for o in (await client.get(f"/api/v1/rfqs/{tender['id']}/bids", headers=buyer.auth("buyer"))).json()
    }
    assert offers[b1["bid_id"]]["version"] == 2
    assert offers[b1["bid_id"]]["content"]["lines"][0]["unit_price_minor"] == 701


async def test_rate_limit_on_bids_per_vendor(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer, vendor = await buyer_party(conn), await vendor_party(conn)
    rfq = await published_rfq(client, buyer, [vendor])
    limit = 60
    for i in range(limit):
        assert (await submit(client, vendor, rfq, price=1000 + i)).status_code == 201
    r = await submit(client, vendor, rfq)
    assert r.status_code == 429


async def test_deadlines_do_not_move_when_the_buyer_changes_time_zone(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    draft = await create_rfq(client, buyer)
    await conn.execute("UPDATE app_user SET time_zone = 'America/New_York' WHERE id = $1", buyer.company.users["buyer"])
    again = (await client.get(f"/api/v1/rfqs/{draft['id']}", headers=buyer.auth("buyer"))).json()
    assert again["closes_at"] == draft["closes_at"]
    assert date.fromisoformat(again["closes_at"][:10])
