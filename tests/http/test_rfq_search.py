"""The open-requests search: public fields only, refreshed by RFQ events, never by bid activity; documents
only while vendors can still act; the index ensured, rebuilt and reconciled like the products index."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from meilisearch_python_sdk import AsyncClient

from marketplace.core.db import Connection
from marketplace.settings import Settings
from search import engine
from search.rfqs import create_rfq_index, ensure_rfq_index, rebuild_rfq_index, reconcile_rfqs, rfq_index_uid
from tests.support.db import SharedConnectionDatabase
from tests.support.rfq import Party, buyer_party, move, pass_deadline, published_rfq, submit, vendor_party
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


async def ask(client: httpx.AsyncClient, vendor: Party, rfq: dict[str, Any]) -> int:
    r = await client.post(
        f"/api/v1/vendor/rfqs/{rfq['id']}/questions", json={"body": "Sealed type?"}, headers=vendor.auth("sales")
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def test_an_extended_deadline_moves_the_document_and_keeps_the_request_findable(
    client: httpx.AsyncClient, conn: Connection, search: AsyncClient, settings: Settings
) -> None:
    await create_rfq_index(search, settings)
    buyer, vendor = await buyer_party(conn), await vendor_party(conn)
    rfq = await published_rfq(client, buyer, [], visibility="public", title="Pneumatic valves, extended")
    await ask(client, vendor, rfq)
    await index_pending(conn, search, settings)

    await pass_deadline(conn, rfq["id"])
    read = await client.get(f"/api/v1/rfqs/{rfq['id']}", headers=buyer.auth("buyer"))  # applies the deadline
    extended = datetime.fromisoformat(read.json()["closes_at"])
    assert extended > datetime.fromisoformat(rfq["closes_at"])
    assert await conn.fetchval(COUNT_RFQ_JOBS) == 1
    await index_pending(conn, search, settings)
    doc = await document(search, settings, rfq["id"])
    assert datetime.fromisoformat(doc["closes_at"]) == extended
    assert abs(doc["closes_at_ts"] - extended.timestamp()) <= 1
    assert [h["id"] for h in (await find(client, vendor, "pneumatic valves"))["hits"]] == [rfq["id"]]


async def test_a_tender_held_open_by_unanswered_questions_leaves_the_index(
    client: httpx.AsyncClient, conn: Connection, search: AsyncClient, settings: Settings
) -> None:
    await create_rfq_index(search, settings)
    buyer, vendor = await buyer_party(conn), await vendor_party(conn)
    tender = await published_rfq(client, buyer, [], kind="tender", visibility="public", title="Gear pumps, held")
    question = await ask(client, vendor, tender)
    await index_pending(conn, search, settings)
    assert (await document(search, settings, tender["id"]))["title"] == "Gear pumps, held"

    await pass_deadline(conn, tender["id"])
    for _ in range(2):  # every reader applies the deadline; the index hears of the hold once
        held = await client.get(f"/api/v1/rfqs/{tender['id']}", headers=buyer.auth("buyer"))
        assert held.json()["status"] == "published"
    assert await conn.fetchval(COUNT_RFQ_JOBS) == 1
    assert await conn.fetchval("SELECT next_check FROM rfq WHERE id = $1", tender["id"]) is None
    await index_pending(conn, search, settings)
    with pytest.raises(engine.EngineError, match="document_not_found"):
        await document(search, settings, tender["id"])
    assert (await find(client, vendor, "gear pumps"))["hits"] == []
    db = SharedConnectionDatabase(conn)
    assert (await reconcile_rfqs(db, search, settings, repair=False)).extra == 0

    # The answer closes it (the clock job no longer needs to come back for it).
    answered = await client.post(
        f"/api/v1/rfqs/{tender['id']}/questions/{question}/answer",
        json={"answer": "Yes."},
        headers=buyer.auth("buyer"),
    )
    assert answered.status_code == 200, answered.text
    closed = await client.get(f"/api/v1/rfqs/{tender['id']}", headers=buyer.auth("buyer"))
    assert closed.json()["status"] == "closed"


async def test_the_index_is_built_when_missing_rebuilt_and_reconciled(
    client: httpx.AsyncClient, conn: Connection, search: AsyncClient, settings: Settings
) -> None:
    db = SharedConnectionDatabase(conn)
    uid = rfq_index_uid(settings)
    await engine.delete_index(search, uid)
    buyer = await buyer_party(conn)
    first = await published_rfq(client, buyer, [], visibility="public", title="Conveyor belts")
    second = await published_rfq(client, buyer, [], visibility="public", title="Conveyor rollers")
    await published_rfq(client, buyer, [], title="Invited only, never indexed")
    await conn.execute("DELETE FROM pgqueuer WHERE entrypoint = 'search.rfq_changed'")  # no job ever ran

    # Start-up: a missing index is created with its settings and filled from PostgreSQL.
    assert await ensure_rfq_index(db, search, settings) is True
    settings_now = await engine.call(search, "GET", f"/indexes/{uid}/settings")
    assert "closes_at_ts" in settings_now["filterableAttributes"]
    assert (await document(search, settings, first["id"]))["title"] == "Conveyor belts"
    assert await ensure_rfq_index(db, search, settings) is False  # present: left as it is
    expected = await conn.fetchval(
        "SELECT count(*) FROM rfq WHERE status = 'published' AND visibility = 'public' AND closes_at > rfq_clock()"
    )
    clean = await reconcile_rfqs(db, search, settings, repair=False)
    assert (clean.database_count, clean.index_count, clean.in_sync) == (expected, expected, True)

    # Drift behind our back: one document deleted, one changed, a stray one added.
    tasks = [
        await engine.call(search, "DELETE", f"/indexes/{uid}/documents/{first['id']}"),
        await engine.call(search, "PUT", f"/indexes/{uid}/documents", [{"id": second["id"], "title": "Tampered"}]),
        await engine.call(search, "POST", f"/indexes/{uid}/documents", [{"id": 999_999_999, "title": "Stray"}]),
    ]
    for task in tasks:
        await engine.wait_for(search, task)
    found = await reconcile_rfqs(db, search, settings, repair=False)
    assert (found.missing, found.extra, found.outdated, found.in_sync, found.repaired) == (1, 1, 1, False, False)
    repaired = await reconcile_rfqs(db, search, settings)
    assert repaired.repaired
    assert (await reconcile_rfqs(db, search, settings, repair=False)).in_sync
    assert (await document(search, settings, second["id"]))["title"] == "Conveyor rollers"

    # A rebuild swaps in a fresh copy with the same documents.
    assert await rebuild_rfq_index(db, search, settings) == expected
    assert (await reconcile_rfqs(db, search, settings, repair=False)).in_sync
    with pytest.raises(engine.EngineError, match="index_not_found"):
        await engine.call(search, "GET", f"/indexes/{uid}_next")
