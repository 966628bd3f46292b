"""Sealed means sealed, and the database clock is the referee (issue 6, "Rules that must hold")."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import asyncpg
import httpx
import msgspec
import pytest

from marketplace.core.db import Connection
from marketplace.settings import Settings
from rfq import sealing
from tests.support.accounts import make_operator, sign_in
from tests.support.rfq import (
    buyer_party,
    freeze_clock,
    pass_deadline,
    published_rfq,
    submit,
    vendor_party,
)

PRICE = 7_314_159  # a distinctive amount to look for in the database and in every response


async def _tender(client: httpx.AsyncClient, conn: Connection, vendors: int = 2):  # type: ignore[no-untyped-def]
    buyer = await buyer_party(conn)
    parties = [await vendor_party(conn, name=f"Sealed Vendor {i}") for i in range(vendors)]
    tender = await published_rfq(client, buyer, parties, kind="tender")
    return buyer, parties, tender


async def test_database_holds_no_plaintext_bid_before_opening(client: httpx.AsyncClient, conn: Connection) -> None:
    _buyer, (v1, v2), tender = await _tender(client, conn)
    assert (await submit(client, v1, tender, price=PRICE)).status_code == 201
    assert (await submit(client, v2, tender, price=PRICE + 10)).status_code == 201

    rows = await conn.fetch(
        "SELECT v.content, v.sealed FROM bid_version v JOIN bid b ON b.id = v.bid_id WHERE b.rfq_id = $1", tender["id"]
    )
    assert len(rows) == 2
    assert all(r["content"] is None and r["sealed"] for r in rows)
    # Nothing anywhere in the database spells the amount: not the versions, not jobs, not notifications.
    dump = await conn.fetchval(
        """SELECT string_agg(t::text, ' ') FROM (
             SELECT v::text AS t FROM bid_version v UNION ALL SELECT b::text FROM bid b
             UNION ALL SELECT n::text FROM notification n UNION ALL SELECT q::text FROM pgqueuer q
             UNION ALL SELECT a::text FROM audit_log a UNION ALL SELECT h::text FROM bid_status_history h) x"""
    )
    assert str(PRICE) not in dump
    assert str(PRICE + 1) not in dump
    # The per-tender key is stored only wrapped: it does not decrypt a bid by itself.
    wrapped = await conn.fetchval("SELECT sealing_key FROM rfq WHERE id = $1", tender["id"])
    assert wrapped
    assert len(wrapped) > 32


async def test_before_opening_nobody_but_the_bidder_reads_anything(
    client: httpx.AsyncClient, conn: Connection, settings: Settings
) -> None:
    buyer, (v1, v2), tender = await _tender(client, conn)
    receipt = (await submit(client, v1, tender, price=PRICE)).json()
    before = await client.get(f"/api/v1/rfqs/{tender['id']}", headers=buyer.auth("admin"))

    # The bidder reads its own bid, decrypted.
    own = await client.get(f"/api/v1/vendor/rfqs/{tender['id']}/bid", headers=v1.auth("sales"))
    assert own.status_code == 200
    assert own.json()["versions"][0]["content"]["lines"][0]["unit_price_minor"] == PRICE + 1
    # The competitor has no bid; the buyer (every role) sees no offers and no count.
    assert (await client.get(f"/api/v1/vendor/rfqs/{tender['id']}/bid", headers=v2.auth("sales"))).status_code == 404
    for label in ("admin", "buyer", "approver"):
        offers = await client.get(f"/api/v1/rfqs/{tender['id']}/bids", headers=buyer.auth(label))
        assert offers.status_code == 200
        assert offers.json() == []
    # The buyer cannot award or score a bid it guesses either.
    scored = await client.put(
        f"/api/v1/rfqs/{tender['id']}/bids/{receipt['bid_id']}/scores", json={"scores": {}}, headers=buyer.auth("buyer")
    )
    assert scored.status_code == 422
    assert str(PRICE) not in scored.text
    # The database itself refuses the key before the deadline to anyone but the bidder.
    assert (
        await conn.fetchval("SELECT sealing_key FROM rfq r WHERE id = $1 AND rfq_clock() >= r.closes_at", tender["id"])
        is None
    )
    # Placing the bid changed no public attribute of the RFQ (updated_at, version, ETag).
    after = await client.get(f"/api/v1/rfqs/{tender['id']}", headers=buyer.auth("admin"))
    assert before.headers["etag"] == after.headers["etag"]
    assert before.json()["version"] == after.json()["version"]
    vendor_view = await client.get(f"/api/v1/vendor/rfqs/{tender['id']}", headers=v2.auth("sales"))
    assert str(PRICE) not in vendor_view.text
    assert "bid" not in vendor_view.json()
    # Emails queued so far (invitations, the receipt) carry no amounts.
    payloads = [
        r["payload"] for r in await conn.fetch("SELECT payload FROM pgqueuer WHERE entrypoint = 'core.send_email'")
    ]
    assert payloads
    assert not any(str(PRICE).encode() in bytes(p) for p in payloads)
    # Withdrawing changes nothing public either.
    assert (
        await client.post(f"/api/v1/vendor/rfqs/{tender['id']}/bid/withdraw", headers=v1.auth("sales"))
    ).status_code == 200
    again = await client.get(f"/api/v1/rfqs/{tender['id']}", headers=buyer.auth("admin"))
    assert again.headers["etag"] == before.headers["etag"]


async def test_operators_cannot_read_sealed_bids(client: httpx.AsyncClient, conn: Connection) -> None:
    _buyer, (v1, _), tender = await _tender(client, conn)
    assert (await submit(client, v1, tender, price=PRICE)).status_code == 201
    await sign_in(client, await make_operator(conn))
    for path in ("/operator/audit", f"/api/v1/rfqs/{tender['id']}/bids", f"/api/v1/vendor/rfqs/{tender['id']}/bid"):
        r = await client.get(path)
        assert str(PRICE) not in r.text


async def test_after_the_deadline_the_buyer_reads_the_bids(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer, (v1, v2), tender = await _tender(client, conn)
    await submit(client, v1, tender, price=PRICE)
    await submit(client, v2, tender, price=PRICE + 10)
    await pass_deadline(conn, tender["id"])
    offers = (await client.get(f"/api/v1/rfqs/{tender['id']}/bids", headers=buyer.auth("buyer"))).json()
    assert sorted(o["content"]["lines"][0]["unit_price_minor"] for o in offers) == [PRICE + 1, PRICE + 11]
    assert (await client.get(f"/api/v1/rfqs/{tender['id']}", headers=buyer.auth("buyer"))).json()["status"] == "closed"


async def test_receipt_is_signed_over_the_server_time_and_content_hash(
    client: httpx.AsyncClient, conn: Connection, settings: Settings
) -> None:
    _buyer, (v1, _), tender = await _tender(client, conn)
    receipt = (await submit(client, v1, tender, price=PRICE)).json()
    stored = await conn.fetchrow(
        "SELECT submitted_at, content_sha256, sealed FROM bid_version WHERE bid_id = $1", receipt["bid_id"]
    )
    assert receipt["content_sha256"] == stored["content_sha256"]
    # The hash is over the exact plaintext that was sealed (salted, so it cannot be used to guess prices).
    own = (await client.get(f"/api/v1/vendor/rfqs/{tender['id']}/bid", headers=v1.auth("sales"))).json()
    content = msgspec.convert(own["versions"][0]["content"], sealing.BidContent)
    assert hashlib.sha256(sealing.canonical(content)).hexdigest() == receipt["content_sha256"]
    assert content.salt
    key = sealing.receipt_key(settings)
    args = (tender["id"], receipt["bid_id"], 1, stored["submitted_at"], receipt["content_sha256"])
    assert sealing.receipt_is_genuine(key, *args, receipt["signature"])
    assert not sealing.receipt_is_genuine(key, *args[:-1], "0" * 64, receipt["signature"])


async def test_a_bid_at_the_deadline_instant_is_late_one_microsecond_before_is_in_time(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    _buyer, (v1, v2), tender = await _tender(client, conn)
    closes_at = await conn.fetchval("SELECT closes_at FROM rfq WHERE id = $1", tender["id"])
    await freeze_clock(conn, closes_at - timedelta(microseconds=1))
    in_time = await submit(client, v1, tender)
    assert in_time.status_code == 201, in_time.text
    await freeze_clock(conn, closes_at)
    late = await submit(client, v2, tender)
    assert late.status_code == 422
    problem = late.json()
    assert problem["code"] == "rfq.deadline_passed"
    assert "UTC" in problem["detail"]
    # No job has closed anything: the status column still says published, and the rejection stood anyway.
    assert await conn.fetchval("SELECT status FROM rfq WHERE id = $1", tender["id"]) == "published"
    assert await conn.fetchval("SELECT count(*) FROM bid WHERE rfq_id = $1 AND current_version > 0", tender["id"]) == 1


async def test_the_deadline_is_checked_again_when_the_bid_commits(client: httpx.AsyncClient, conn: Connection) -> None:
    """A bid stored in time whose transaction commits at or after the deadline is refused at commit.

    ``SET CONSTRAINTS ... IMMEDIATE`` runs the deferred commit-time check at that point, as COMMIT would.
    """
    _buyer, (v1, _), tender = await _tender(client, conn)
    receipt = (await submit(client, v1, tender)).json()
    insert = """INSERT INTO bid_version (bid_id, version, author, rfq_revision, submitted_by, submitted_at, opens_at,
                                        content, content_sha256)
                SELECT $1, $2, 'vendor', 1, submitted_by, rfq_clock(), $3, '{}'::jsonb, 'x'
                FROM bid_version WHERE bid_id = $1 AND version = 1"""
    deadline = await conn.fetchval("SELECT closes_at FROM rfq WHERE id = $1", tender["id"])
    async with conn.transaction():  # in time at insert and at "commit"
        await conn.execute(insert, receipt["bid_id"], 2, deadline)
        await conn.execute("SET CONSTRAINTS bid_version_on_time IMMEDIATE")
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        async with conn.transaction():
            await conn.execute("SET CONSTRAINTS bid_version_on_time DEFERRED")  # as in a fresh transaction
            await conn.execute(insert, receipt["bid_id"], 3, deadline)
            await freeze_clock(conn, deadline)  # the deadline instant arrives before the commit
            await conn.execute("SET CONSTRAINTS bid_version_on_time IMMEDIATE")
    assert caught.value.constraint_name == "bid_version_on_time"
