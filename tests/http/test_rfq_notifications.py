"""Notifications: the API and page, the 24-hour deadline reminder and the daily digest (jobs run directly)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from marketplace.core.db import Connection
from marketplace.settings import Settings
from rfq.jobs import remind_deadlines, send_daily_digest
from tests.support.accounts import sign_in
from tests.support.notices import deliver_emails, notifications_of
from tests.support.rfq import buyer_party, db_now, freeze_clock, published_rfq, submit, vendor_party
from tests.support.smtp import SmtpSink


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


async def test_deadline_reminder_reaches_participants_without_a_live_bid_once(
    client: httpx.AsyncClient, conn: Connection, settings: Settings, smtp: SmtpSink
) -> None:
    buyer = await buyer_party(conn)
    bidding, idle = await vendor_party(conn, name="Bidding"), await vendor_party(conn, name="Idle")
    now = await db_now(conn)
    rfq = await published_rfq(client, buyer, [bidding, idle], now=now, closes_in=timedelta(hours=30))
    assert (await submit(client, bidding, rfq)).status_code == 201
    await deliver_emails(conn, settings, smtp)  # invitations and receipts out of the way

    assert await remind_deadlines(conn, settings=settings) == 0  # 30 h left
    await freeze_clock(conn, now + timedelta(hours=7))
    assert await remind_deadlines(conn, settings=settings) == 2  # Idle's admin and sales
    assert await remind_deadlines(conn, settings=settings) == 0  # idempotent
    assert await notifications_of(conn, bidding.id, "rfq.deadline_soon") == []
    assert len(await notifications_of(conn, idle.id, "rfq.deadline_soon")) == 2

    sent = await deliver_emails(conn, settings, smtp)
    assert sorted(m["To"] for m in sent) == sorted([idle.company.emails["admin"], idle.company.emails["sales"]])
    assert all(m["Subject"] == f"Deadline in 24 hours: {rfq['title']}" for m in sent)
    assert all("1000" not in m.get_content() for m in sent)  # no bid data


async def test_daily_digest_lists_new_public_requests_in_the_vendors_categories(
    client: httpx.AsyncClient, conn: Connection, settings: Settings, smtp: SmtpSink
) -> None:
    category = await conn.fetchval(
        "INSERT INTO category (name, slug) VALUES ('Hydraulics', 'hydraulics-' || md5(random()::text)) RETURNING id"
    )
    other = await conn.fetchval(
        "INSERT INTO category (name, slug) VALUES ('Textiles', 'textiles-' || md5(random()::text)) RETURNING id"
    )
    buyer = await buyer_party(conn)
    seller, stranger = await vendor_party(conn), await vendor_party(conn)
    await conn.execute(
        "INSERT INTO product (vendor_id, sku, title, category_id) VALUES ($1, 'CYL-1', 'Cylinder', $2)",
        seller.id,
        category,
    )
    await conn.execute(
        "INSERT INTO product (vendor_id, sku, title, category_id) VALUES ($1, 'TEX-1', 'Cloth', $2)", stranger.id, other
    )
    wanted = await published_rfq(
        client, buyer, [], visibility="public", category_ids=[category], title="Hydraulic cylinders"
    )
    await published_rfq(client, buyer, [], visibility="invited", category_ids=[category], title="Private cylinders")
    await deliver_emails(conn, settings, smtp)

    assert await send_daily_digest(conn, settings=settings) >= 2
    assert await send_daily_digest(conn, settings=settings) == 0  # once a day
    (note, _) = await notifications_of(conn, seller.id, "rfq.digest")
    assert "Hydraulic cylinders" in str(note["body"])
    assert "Private cylinders" not in str(note["body"])
    assert await notifications_of(conn, stranger.id, "rfq.digest") == []
    sent = [m for m in await deliver_emails(conn, settings, smtp) if m["To"] == seller.company.emails["sales"]]
    assert wanted["title"] in sent[0].get_content()


async def test_notifications_api_and_page(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer = await buyer_party(conn)
    vendor = await vendor_party(conn)
    await published_rfq(client, buyer, [vendor])  # an invitation

    r = await client.get("/api/v1/notifications", headers=vendor.auth("sales"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["total"], body["unread"]) == (1, 1)
    (item,) = body["items"]
    assert item["kind"] == "rfq.invitation"

    # Someone else's id is not found and changes nothing; one's own is marked read.
    other = await client.post(f"/api/v1/notifications/{item['id']}/read", headers=buyer.auth("buyer"))
    assert other.status_code == 404
    assert (await client.get("/api/v1/notifications", headers=vendor.auth("sales"))).json()["unread"] == 1
    assert (
        await client.post(f"/api/v1/notifications/{item['id']}/read", headers=vendor.auth("sales"))
    ).status_code == 204
    assert (await client.get("/api/v1/notifications", headers=vendor.auth("sales"))).json()["unread"] == 0

    await sign_in(client, vendor.company.emails["admin"])
    page = await client.get("/notifications")
    assert page.status_code == 200
    assert "1 unread of 1" in page.text
    assert 'href="/notifications"' in page.text
