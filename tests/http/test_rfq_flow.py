"""RFQs end to end through the JSON API: draft, publish, quote, close, compare, award."""

from __future__ import annotations

import httpx

from marketplace.core.db import Connection
from tests.support.rfq import buyer_party, move, pass_deadline, published_rfq, submit, vendor_party


async def test_rfq_quotes_are_visible_as_they_arrive_and_award_per_line(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    v1, v2 = await vendor_party(conn, name="Alpha Bearings"), await vendor_party(conn, name="Beta Bearings")
    rfq = await published_rfq(client, buyer, [v1, v2])
    assert rfq["status"] == "published"

    r1 = await submit(client, v1, rfq, price=1000)
    assert r1.status_code == 201, r1.text
    r2 = await submit(client, v2, rfq, price=900)
    assert r2.status_code == 201, r2.text

    offers = (await client.get(f"/api/v1/rfqs/{rfq['id']}/bids", headers=buyer.auth("buyer"))).json()
    assert sorted(o["vendor_name"] for o in offers) == ["Alpha Bearings", "Beta Bearings"]

    await pass_deadline(conn, rfq["id"])
    got = await client.get(f"/api/v1/rfqs/{rfq['id']}", headers=buyer.auth("buyer"))
    assert got.json()["status"] == "closed"
    assert (await move(client, buyer, rfq["id"], "evaluated")).status_code == 200

    bid_of = {o["vendor_name"]: o["bid_id"] for o in offers}
    line1, line2 = rfq["lines"]
    award = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/award",
        json={
            "justification": "Cheapest per line",
            "lines": [
                {"line_id": line1["id"], "bid_id": bid_of["Beta Bearings"], "quantity": line1["quantity"]},
                {"line_id": line2["id"], "bid_id": bid_of["Alpha Bearings"], "quantity": 50},
                {"line_id": line2["id"], "bid_id": bid_of["Beta Bearings"], "quantity": line2["quantity"] - 50},
            ],
        },
        headers=buyer.auth("approver"),
    )
    assert award.status_code == 201, award.text
    lines = award.json()["lines"]
    assert {(ln["vendor_name"], ln["quantity"]) for ln in lines} == {
        ("Beta Bearings", 100),
        ("Alpha Bearings", 50),
        ("Beta Bearings", 150),
    }
