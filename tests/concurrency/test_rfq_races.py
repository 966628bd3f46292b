"""RFQ races on real, separate connections (each request its own committed transaction).

Concurrent awards produce exactly one winner, concurrent first submissions one bid, two closing jobs one
transition, and a burst of bids across the real deadline never lets one in at or after it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from meilisearch_python_sdk import AsyncClient

from marketplace.app import Resources, create_app
from marketplace.core.db import Database
from marketplace.settings import Settings
from rfq.service import close_due_rfqs
from tests.support.rfq import Party, bid_body, buyer_party, move, published_rfq, submit, vendor_party


@pytest.fixture
async def live(settings: Settings, committing_db: Database, search: AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, resources=Resources(db=committing_db, search=search))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


async def _parties(db: Database, vendors: int) -> tuple[Party, list[Party]]:
    async with db.transaction() as conn:
        buyer = await buyer_party(conn)
        return buyer, [await vendor_party(conn) for _ in range(vendors)]


async def _forget(db: Database, rfq_id: int) -> None:
    """Remove what these tests committed to the worker's database (companies stay; they are unique)."""
    async with db.transaction() as conn:
        for statement in (
            "DELETE FROM award_line WHERE rfq_id = $1",
            "DELETE FROM award WHERE rfq_id = $1",
            "DELETE FROM bid_status_history WHERE bid_id IN (SELECT id FROM bid WHERE rfq_id = $1)",
            "DELETE FROM bid_version WHERE bid_id IN (SELECT id FROM bid WHERE rfq_id = $1)",
            "DELETE FROM bid_score WHERE bid_id IN (SELECT id FROM bid WHERE rfq_id = $1)",
            "DELETE FROM bid WHERE rfq_id = $1",
            "DELETE FROM rfq_status_history WHERE rfq_id = $1",
            "DELETE FROM rfq_invitation WHERE rfq_id = $1",
            "DELETE FROM rfq WHERE id = $1",
        ):
            await conn.execute(statement, rfq_id)
        await conn.execute("DELETE FROM pgqueuer WHERE entrypoint IN ('core.send_email', 'search.rfq_changed')")


async def _set_deadline(db: Database, rfq_id: int, delta: str) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            f"UPDATE rfq SET closes_at = clock_timestamp() + interval '{delta}', "
            f"questions_close_at = clock_timestamp() + interval '{delta}' - interval '1 millisecond', "
            "next_check = clock_timestamp() + interval '" + delta + "' WHERE id = $1",
            rfq_id,
        )


async def test_concurrent_awards_produce_exactly_one_winner(live: httpx.AsyncClient, committing_db: Database) -> None:
    buyer, (v1, v2) = await _parties(committing_db, 2)
    rfq = await published_rfq(live, buyer, [v1, v2])
    try:
        b1 = (await submit(live, v1, rfq)).json()
        b2 = (await submit(live, v2, rfq)).json()
        await _set_deadline(committing_db, rfq["id"], "-1 second")
        assert (await move(live, buyer, rfq["id"], "evaluated")).status_code == 200
        line = rfq["lines"][0]

        def award(bid_id: int) -> dict[str, object]:
            return {"justification": "race", "lines": [{"line_id": line["id"], "bid_id": bid_id, "quantity": 10}]}

        results = await asyncio.gather(
            *(
                live.post(f"/api/v1/rfqs/{rfq['id']}/award", json=award(b), headers=buyer.auth(who))
                for b, who in ((b1["bid_id"], "approver"), (b2["bid_id"], "admin")) * 3
            )
        )
        codes = sorted(r.status_code for r in results)
        assert codes.count(201) == 1, [r.text for r in results]
        assert set(codes) <= {201, 409}
        async with committing_db.connection() as conn:
            assert await conn.fetchval("SELECT count(*) FROM award WHERE rfq_id = $1", rfq["id"]) == 1
            assert await conn.fetchval("SELECT count(*) FROM award_line WHERE rfq_id = $1", rfq["id"]) == 1
    finally:
        await _forget(committing_db, rfq["id"])


async def test_concurrent_first_submissions_create_one_bid(live: httpx.AsyncClient, committing_db: Database) -> None:
    buyer, (vendor,) = await _parties(committing_db, 1)
    rfq = await published_rfq(live, buyer, [vendor], kind="tender")
    try:
        results = await asyncio.gather(*(submit(live, vendor, rfq, key="double-click") for _ in range(6)))
        assert {r.status_code for r in results} == {201}
        assert len({(r.json()["bid_id"], r.json()["version"]) for r in results}) == 1
        async with committing_db.connection() as conn:
            assert await conn.fetchval("SELECT count(*) FROM bid WHERE rfq_id = $1", rfq["id"]) == 1
            assert (
                await conn.fetchval(
                    "SELECT count(*) FROM bid_version v JOIN bid b ON b.id = v.bid_id WHERE b.rfq_id = $1", rfq["id"]
                )
                == 1
            )
    finally:
        await _forget(committing_db, rfq["id"])


async def test_two_closing_jobs_at_once_close_once(
    live: httpx.AsyncClient, committing_db: Database, settings: Settings
) -> None:
    buyer, (vendor,) = await _parties(committing_db, 1)
    rfq = await published_rfq(live, buyer, [vendor])
    try:
        await submit(live, vendor, rfq)
        await _set_deadline(committing_db, rfq["id"], "-1 second")

        async def job() -> int:
            async with committing_db.transaction() as conn:
                return await close_due_rfqs(conn, settings=settings)

        await asyncio.gather(job(), job())
        await job()  # and a late third run changes nothing
        async with committing_db.connection() as conn:
            assert await conn.fetchval("SELECT status FROM rfq WHERE id = $1", rfq["id"]) == "closed"
            assert (
                await conn.fetchval(
                    "SELECT count(*) FROM rfq_status_history WHERE rfq_id = $1 AND to_status = 'closed'", rfq["id"]
                )
                == 1
            )
            assert (
                await conn.fetchval(
                    "SELECT count(*) FROM notification WHERE company_id = $1 AND kind = 'rfq.opened'", vendor.id
                )
                == 2
            )  # the vendor's two people (admin, sales), once each
    finally:
        await _forget(committing_db, rfq["id"])


async def test_a_burst_of_bids_across_the_real_deadline_admits_none_late(
    live: httpx.AsyncClient, committing_db: Database
) -> None:
    buyer, vendors = await _parties(committing_db, 8)
    rfq = await published_rfq(live, buyer, vendors, kind="tender")
    try:
        await _set_deadline(committing_db, rfq["id"], "400 milliseconds")
        accepted = rejected = 0
        # Rounds of concurrent bids until the deadline has certainly passed: the first rejection, then two more.
        rounds_after_first_rejection = 0
        while rounds_after_first_rejection < 2:
            results = await asyncio.gather(
                *(
                    live.put(f"/api/v1/vendor/rfqs/{rfq['id']}/bid", json=bid_body(rfq), headers=v.auth("sales"))
                    for v in vendors
                )
            )
            for r in results:
                assert r.status_code in (201, 422), r.text
                if r.status_code == 422:
                    assert r.json()["code"] == "rfq.deadline_passed"
            accepted += sum(r.status_code == 201 for r in results)
            rejected += sum(r.status_code == 422 for r in results)
            if rejected:
                rounds_after_first_rejection += 1
        async with committing_db.connection() as conn:
            late = await conn.fetchval(
                """SELECT count(*) FROM bid_version v JOIN bid b ON b.id = v.bid_id JOIN rfq r ON r.id = b.rfq_id
                   WHERE b.rfq_id = $1 AND v.submitted_at >= r.closes_at""",
                rfq["id"],
            )
            stored = await conn.fetchval(
                "SELECT count(*) FROM bid_version v JOIN bid b ON b.id = v.bid_id WHERE b.rfq_id = $1", rfq["id"]
            )
        assert late == 0
        assert stored == accepted
        assert rejected >= len(vendors)

    finally:
        await _forget(committing_db, rfq["id"])
