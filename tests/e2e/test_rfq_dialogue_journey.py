"""The dialogue in a real browser, with htmx: the vendor asks on the request page, the buyer answers inline,
amends with a preview and confirms, and the vendor reads what changed and re-confirms its offer."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from marketplace.core.db import Database
from tests.support.accounts import bearer, make_company, make_token
from tests.support.browser import sign_in

pytestmark = pytest.mark.e2e


async def test_questions_answers_amendment_and_reconfirmation(
    browser: Browser, server_url: str, committing_db: Database, artifacts_dir: Path
) -> None:
    title = f"Bearings {uuid.uuid4().hex[:6]}"
    async with committing_db.transaction() as conn:
        buyer = await make_company(conn, kind="buyer", people={"admin": ["admin"]}, name="Dialogue Packaging AG")
        vendor = await make_company(conn, kind="vendor", people={"sales": ["sales"]}, name="Dialogue Bearings GmbH")
        await conn.execute("UPDATE app_user SET time_zone = 'Europe/Berlin' WHERE id = $1", buyer.users["admin"])
        token = await make_token(conn, buyer, "admin", roles=["admin"])
    async with httpx.AsyncClient(base_url=server_url, headers=bearer(token)) as api:
        created = await api.post(
            "/api/v1/rfqs",
            json={
                "title": title,
                "description": "Deep groove ball bearings for the packaging line.",
                "closes_at": (datetime.now(UTC) + timedelta(days=5)).isoformat(),
                "lines": [
                    {"description": "Ball bearing 6204-2RS", "quantity": 100},
                    {"description": "Ball bearing 6205-2RS", "quantity": 40, "target_price_minor": 210},
                ],
            },
        )
        assert created.status_code == 201, created.text
        rfq_id = created.json()["id"]
        assert (await api.post(f"/api/v1/rfqs/{rfq_id}/invitations", json={"vendor_ids": [vendor.id]})).is_success
        assert (await api.post(f"/api/v1/rfqs/{rfq_id}/transitions", json={"to": "published"})).is_success

    vendor_ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    v = await vendor_ctx.new_page()
    await sign_in(v, server_url, vendor.emails["sales"])
    await v.goto(f"{server_url}/vendor/rfqs/{rfq_id}")
    questions = v.locator("#questions")
    await questions.get_by_label("About").select_option(label="Line 2: Ball bearing 6205-2RS")
    await questions.get_by_label("Your question").fill("Is a C3 clearance acceptable for line 2?")
    await questions.get_by_role("button", name="Send question").click()
    await expect(v.locator("#questions .flash.success")).to_contain_text("Question sent")
    assert v.url.endswith(f"/vendor/rfqs/{rfq_id}")  # swapped in place, no page load
    lines = v.locator("fieldset.quote-line")
    await lines.nth(0).get_by_label("Unit price").fill("1.10")
    await lines.nth(0).get_by_label("Lead time (days)").fill("10")
    await lines.nth(1).get_by_label("Unit price").fill("1.95")
    await lines.nth(1).get_by_label("Lead time (days)").fill("14")
    await v.get_by_label("Valid until").fill((datetime.now(UTC) + timedelta(days=60)).date().isoformat())
    await v.get_by_role("button", name="Submit quote").click()
    await expect(v.locator("#receipt")).to_contain_text("version 1")

    buyer_ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    b = await buyer_ctx.new_page()
    await sign_in(b, server_url, buyer.emails["admin"])
    await b.goto(f"{server_url}/buyer/rfqs/{rfq_id}")
    qa = b.locator("#questions")
    await expect(qa).to_contain_text("1 unanswered")
    await expect(qa).to_contain_text("Unanswered questions extend the deadline")
    await expect(qa).not_to_contain_text("Dialogue Bearings")
    await b.locator("#questions").screenshot(path=str(artifacts_dir / "rfq-dialogue-1-buyer-question.png"))
    await qa.get_by_label(re.compile("^Your answer to Bidder")).fill("Yes, C3 is fine for both lines.")
    await qa.get_by_role("button", name="Publish answer").click()
    await expect(b.locator("#questions .flash.success")).to_contain_text("Answer published")
    await expect(b.locator("#questions .answer")).to_contain_text("C3 is fine")
    await b.screenshot(path=str(artifacts_dir / "rfq-dialogue-2-buyer-answered.png"), full_page=True)

    await b.get_by_role("button", name="Amend this request").click()
    await b.wait_for_url(f"**/buyer/rfqs/{rfq_id}/amend")
    await b.get_by_label("Line 1 quantity", exact=True).fill("200")
    await b.get_by_label("New line 1 description").fill("Shaft seal 30x42x7")
    await b.get_by_label("New line 1 quantity").fill("50")
    await b.get_by_label("What changed, for the vendors").fill("Twice the 6204; shaft seals added.")
    await b.get_by_role("button", name="Preview changes").click()
    preview = b.locator("#amend-preview")
    await expect(preview).to_contain_text("Material")
    await expect(b.locator("#preview-changes")).to_contain_text("Line 3 added")
    assert b.url.endswith(f"/buyer/rfqs/{rfq_id}/amend")
    await b.screenshot(path=str(artifacts_dir / "rfq-dialogue-3-amend-preview.png"), full_page=True)
    await preview.get_by_role("button", name="Confirm amendment").click()
    await b.wait_for_url(f"**/buyer/rfqs/{rfq_id}?done=amended")
    await expect(b.locator("#amendment-2")).to_contain_text("Twice the 6204")

    await v.goto(f"{server_url}/vendor/rfqs/{rfq_id}")
    await expect(v.locator("#reconfirm")).to_contain_text("must be confirmed again")
    await expect(v.locator("#changes-2")).to_contain_text("Shaft seal 30x42x7")
    await expect(v.locator("#questions .answer")).to_contain_text("C3 is fine")
    await v.screenshot(path=str(artifacts_dir / "rfq-dialogue-4-vendor-amended.png"), full_page=True)
    await v.locator("#reconfirm").get_by_role("button", name="Re-confirm unchanged").click()
    await expect(v.locator("#receipt")).to_contain_text("version 2")
    await expect(v.locator("#reconfirm")).to_have_count(0)
    await v.set_viewport_size({"width": 390, "height": 844})
    await v.locator("#amendments").screenshot(path=str(artifacts_dir / "rfq-dialogue-5-vendor-mobile.png"))
    await buyer_ctx.close()
    await vendor_ctx.close()
