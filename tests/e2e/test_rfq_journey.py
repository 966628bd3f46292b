"""An RFQ in a real browser: the buyer drafts, invites and publishes; the vendor quotes and keeps the receipt;
after the deadline the buyer evaluates and awards both lines."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from marketplace.core.db import Database
from tests.support.accounts import make_company
from tests.support.browser import sign_in

pytestmark = pytest.mark.e2e


async def test_buyer_publishes_vendor_quotes_buyer_awards(
    browser: Browser, server_url: str, committing_db: Database, artifacts_dir: Path
) -> None:
    title = f"Bearings {uuid.uuid4().hex[:6]}"
    async with committing_db.transaction() as conn:
        buyer = await make_company(conn, kind="buyer", people={"admin": ["admin"]}, name="Journey Packaging AG")
        vendor = await make_company(conn, kind="vendor", people={"sales": ["sales"]}, name="Journey Bearings GmbH")
        await conn.execute("UPDATE app_user SET time_zone = 'Europe/Berlin' WHERE id = $1", buyer.users["admin"])

    buyer_ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    b = await buyer_ctx.new_page()
    await sign_in(b, server_url, buyer.emails["admin"])
    await b.get_by_role("link", name="Requests").click()
    await b.get_by_role("button", name="New request").click()
    await b.get_by_label("Title").fill(title)
    deadline = (datetime.now(UTC) + timedelta(days=5)).strftime("%Y-%m-%dT10:00")
    await b.get_by_label(re.compile("^Deadline")).fill(deadline)
    await expect(b.locator("#deadline-utc")).to_contain_text("UTC")
    await b.get_by_label("Line 1 description").fill("Ball bearing 6204-2RS")
    await b.get_by_label("Line 1 quantity").fill("100")
    await b.get_by_label("Line 2 description").fill("Ball bearing 6205-2RS")
    await b.get_by_label("Line 2 quantity").fill("40")
    await b.get_by_label("Line 2 target unit price").fill("2.10")
    await b.get_by_label("Vendor company ids").fill(str(vendor.id))
    await b.screenshot(path=str(artifacts_dir / "rfq-1-new.png"), full_page=True)
    await b.get_by_role("button", name="Save draft").click()
    await b.wait_for_url(re.compile(r"/buyer/rfqs/\d+"))
    rfq_id = int(b.url.split("/buyer/rfqs/")[1].split("?")[0])
    await b.get_by_role("button", name="Publish").click()
    await expect(b.locator(".rfq-status")).to_have_text("published")
    await expect(b.locator("#invitations")).to_contain_text("Journey Bearings GmbH")
    await b.screenshot(path=str(artifacts_dir / "rfq-2-published.png"), full_page=True)

    vendor_ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    v = await vendor_ctx.new_page()
    await sign_in(v, server_url, vendor.emails["sales"])
    await v.get_by_role("link", name="Requests").click()
    await v.get_by_role("link", name=title).click()
    await v.get_by_role("button", name="Accept invitation").click()
    await expect(v.locator(".flash.success")).to_contain_text("accepted")
    lines = v.locator("fieldset.quote-line")
    await expect(lines).to_have_count(2)
    await lines.nth(0).get_by_label("Unit price").fill("112.50")
    await lines.nth(0).get_by_label("per", exact=True).select_option("100")
    await lines.nth(0).get_by_label("Lead time (days)").fill("10")
    await lines.nth(1).get_by_label("Unit price").fill("1.95")
    await lines.nth(1).get_by_label("Lead time (days)").fill("14")
    await lines.nth(1).get_by_label("Pack size").fill("10")
    await v.get_by_label("Valid until").fill((datetime.now(UTC) + timedelta(days=60)).date().isoformat())
    await v.get_by_label(re.compile("^Delivery cost")).fill("25")
    await v.get_by_role("button", name="Submit quote").click()
    receipt = v.locator("#receipt")
    await expect(receipt).to_contain_text("version 1")
    await expect(receipt.locator("code").first).to_have_text(re.compile("^[0-9a-f]{64}$"))
    await v.screenshot(path=str(artifacts_dir / "rfq-3-receipt.png"), full_page=True)

    # The deadline passes: the live server has its own connections, so move the instants, not a frozen clock.
    async with committing_db.transaction() as conn:
        await conn.execute(
            "UPDATE rfq SET questions_close_at = now() - interval '2 hours', closes_at = now() - interval '1 hour',"
            " next_check = now() - interval '1 hour' WHERE id = $1",
            rfq_id,
        )

    await b.goto(f"{server_url}/buyer/rfqs/{rfq_id}")
    await expect(b.locator(".rfq-status")).to_have_text("closed")
    await expect(b.locator("#offers")).to_contain_text("Journey Bearings GmbH")
    await expect(b.get_by_role("link", name="Compare offers side by side")).to_be_visible()
    await b.get_by_role("button", name="Evaluate offers").click()
    await expect(b.locator(".rfq-status")).to_have_text("evaluated")
    await b.get_by_role("button", name="Award offers").click()
    award = b.locator("#award-form")
    await expect(award.locator("fieldset.award-line")).to_have_count(2)
    await expect(b.locator("#award-status")).to_contain_text("every line fully allocated")  # the best (only) offer
    await award.get_by_label("Justification").fill("Only complete offer, within target prices.")
    await b.screenshot(path=str(artifacts_dir / "rfq-4-award-form.png"), full_page=True)
    await award.get_by_role("button", name="Review the award").click()
    await expect(b.locator("#award-plan tbody tr")).to_have_count(2)
    await b.get_by_role("button", name="Confirm the award").click()
    await expect(b.locator(".rfq-status")).to_have_text("awarded")
    await expect(b.locator("#award-lines tbody tr")).to_have_count(2)
    await expect(b.locator("#award-lines")).to_contain_text("Journey Bearings GmbH")
    await b.screenshot(path=str(artifacts_dir / "rfq-5-awarded.png"), full_page=True)
    await b.set_viewport_size({"width": 390, "height": 844})
    await v.set_viewport_size({"width": 390, "height": 844})
    await v.goto(f"{server_url}/vendor/rfqs/{rfq_id}")
    await v.screenshot(path=str(artifacts_dir / "rfq-6-vendor-mobile.png"), full_page=True)
    await buyer_ctx.close()
    await vendor_ctx.close()
