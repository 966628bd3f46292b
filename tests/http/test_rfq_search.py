"""The open-requests search: public fields only, refreshed by RFQ events, never by bid activity."""

from __future__ import annotations

from typing import Any

import httpx
from meilisearch_python_sdk import AsyncClient

from marketplace.core.db import Connection
from marketplace.settings import Settings
from search import engine
from search.rfqs import create_rfq_index, rfq_index_uid
from tests.support.rfq import Party, buyer_party, move, published_rfq, submit, vendor_party
from tests.support.search import index_pending

COUNT_RFQ_JOBS = "SELECT count(*) FROM pgqueuer WHERE entrypoint = 'search.rfq_changed'"


async def find(client: httpx.AsyncClient, vendor: Party, q: str) -> dict[str, Any]:
    r = await client.get("/api/v1/vendor/rfqs/search", params={"q": q}, headers=vendor.auth("sales"))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def document(search: AsyncClient, settings: Settings, rfq_id: int) -> dict[str, Any]:
    doc: dict[str, Any] = await engine.call(search, "GET", f"/indexes/{rfq_index_uid(settings)}/documents/{rfq_id}")
    return doc


async def test_published_public_requests_are_searchable_and_bids_change_nothing(
    client: httpx.AsyncClient, conn: Connection, search: AsyncClient, settings: Settings
) -> None:
    await create_rfq_index(search, settings)
    buyer = await buyer_party(conn)
    v1, v2 = await vendor_party(conn, name="Alpha"), await vendor_party(conn, name="Beta")
    rfq = await published_rfq(
        client, buyer, [], kind="tender", visibility="public", title="Hydraulic cylinders for presses"
    )
    invited_only = await published_rfq(client, buyer, [v1], title="Hydraulic hoses, invited only")
    await index_pending(conn, search, settings)

    hits = (await find(client, v1, "hydraulic cylinder"))["hits"]
    assert [h["id"] for h in hits] == [rfq["id"]]
    assert invited_only["id"] not in [h["id"] for h in (await find(client, v1, "hydraulic"))["hits"]]
    doc = await document(search, settings, rfq["id"])
    assert set(doc) == {
        "id", "kind", "title", "description", "line_descriptions", "category_ids", "category_names",
        "buyer_country", "closes_at", "closes_at_ts", "open_to_all",
    }  # fmt: skip
    assert doc["line_descriptions"] == ["Ball bearing 6200-2RS", "Ball bearing 6201-2RS"]

    # Bidding enqueues no search job and leaves the document as it was.
    assert await conn.fetchval(COUNT_RFQ_JOBS) == 0
    assert (await submit(client, v1, rfq)).status_code == 201
    assert (await submit(client, v2, rfq, price=900)).status_code == 201
    assert (await client.post(f"/api/v1/vendor/rfqs/{rfq['id']}/bid/withdraw", headers=v2.auth("sales"))).is_success
    assert await conn.fetchval(COUNT_RFQ_JOBS) == 0
    assert await document(search, settings, rfq["id"]) == doc

    # An amendment changes the public document; cancelling removes it.
    r = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/amendments",
        json={"summary": "Clearer title", "title": "Hydraulic cylinders for stamping presses"},
        headers=buyer.auth("buyer"),
    )
    assert r.status_code == 201, r.text
    assert await conn.fetchval(COUNT_RFQ_JOBS) == 1
    await index_pending(conn, search, settings)
    assert (await document(search, settings, rfq["id"]))["title"] == "Hydraulic cylinders for stamping presses"

    assert (await move(client, buyer, rfq["id"], "cancelled", reason="Budget withdrawn")).status_code == 200
    await index_pending(conn, search, settings)
    assert (await find(client, v1, "hydraulic"))["hits"] == []


async def test_only_verified_vendors_search(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer = await buyer_party(conn)
    r = await client.get("/api/v1/vendor/rfqs/search", params={"q": "x"}, headers=buyer.auth("buyer"))
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
