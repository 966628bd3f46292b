"""A tender's evaluation and split award in a real browser: the approver scores the offers on the compare page
(htmx re-ranks in place), evaluates, gives a lot to one vendor, splits a line between two others with the
totals following as they type (keyboard only), reviews and confirms. Screenshots in test-artifacts/."""

from __future__ import annotations

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


async def _closed_tender(server_url: str, db: Database) -> tuple[str, int, str]:
    """A tender with two lots and a quality criterion, three offers, its deadline just passed.
    Returns the approver's email, the tender id and the tag that ends every company name."""
    tag = uuid.uuid4().hex[:6]
    async with db.transaction() as conn:
        buyer = await make_company(
            conn, kind="buyer", people={"approver": ["approver", "buyer"]}, name=f"Pressenwerk {tag} AG"
        )
        await conn.execute("UPDATE app_user SET time_zone = 'Europe/Berlin' WHERE id = $1", buyer.users["approver"])
        vendors = [
            await make_company(conn, kind="vendor", people={"sales": ["sales"]}, name=f"{name} {tag}")
            for name in ("Alpha Wälzlager", "Beta Dichtungen", "Gamma Antriebe")
        ]
        buyer_api = bearer(await make_token(conn, buyer, "approver", roles=["buyer", "approver"]))
        vendor_api = [bearer(await make_token(conn, v, "sales", roles=["sales"])) for v in vendors]
    body = {
        "kind": "tender",
        "title": f"Bearings and seals {tag}",
        "currency": "EUR",
        "closes_at": (datetime.now(UTC) + timedelta(days=5)).isoformat(),
        "criteria": [
            {"code": "price", "label": "Price", "weight": 70},
            {"code": "quality", "label": "Quality", "weight": 30},
        ],
        "lots": [{"title": "Bearings"}, {"title": "Seals"}],
        "lines": [
            {"description": "Ball bearing 6204-2RS", "quantity": 100, "lot": 1},
            {"description": "Ball bearing 6205-2RS", "quantity": 60, "lot": 1},
            {"description": "Shaft seal 30x42x7", "quantity": 200, "lot": 2},
        ],
    }
    prices = [(520, 780, 310), (560, 820, 240), (490, 760, None)]
    async with httpx.AsyncClient(base_url=server_url, timeout=30) as api:
        created = await api.post("/api/v1/rfqs", json=body, headers=buyer_api)
        assert created.status_code == 201, created.text
        tender = created.json()
        rid = tender["id"]
        invite = {"vendor_ids": [v.id for v in vendors]}
        assert (await api.post(f"/api/v1/rfqs/{rid}/invitations", json=invite, headers=buyer_api)).is_success
        published = await api.post(f"/api/v1/rfqs/{rid}/transitions", json={"to": "published"}, headers=buyer_api)
        assert published.status_code == 200, published.text
        for auth, offer in zip(vendor_api, prices, strict=True):
            lines = [
                {
                    "line_id": ln["id"],
                    "unit_price_minor": price,
                    "lead_time_days": 7 + i,
                    "pack_size": 10 if i == 2 else 1,
                }
                for i, (ln, price) in enumerate(zip(tender["lines"], offer, strict=True))
                if price is not None
            ]
            valid_until = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()
            bid = await api.put(
                f"/api/v1/vendor/rfqs/{rid}/bid",
                json={"lines": lines, "valid_until": valid_until, "delivery_cost_minor": 1500},
                headers=auth,
            )
            assert bid.status_code == 201, bid.text
    # The deadline passes: the live server has its own connections, so move the instants, not a frozen clock.
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE rfq SET questions_close_at = now() - interval '2 hours', closes_at = now() - interval '1 hour',"
            " next_check = now() - interval '1 hour' WHERE id = $1",
            rid,
        )
        await conn.execute(
            "UPDATE bid_version SET opens_at = now() - interval '1 hour'"
            " WHERE bid_id IN (SELECT id FROM bid WHERE rfq_id = $1)",
            rid,
        )
    return buyer.emails["approver"], rid, tag


async def test_approver_scores_evaluates_and_splits_the_award(
    browser: Browser, server_url: str, committing_db: Database, artifacts_dir: Path
) -> None:
    email, rid, tag = await _closed_tender(server_url, committing_db)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    b = await context.new_page()
    await sign_in(b, server_url, email)

    # Scoring, with the keyboard: htmx swaps the re-ranked evaluation in; focus stays on the form just saved.
    await b.goto(f"{server_url}/buyer/rfqs/{rid}/compare")
    forms = b.locator("form.score-form")
    await expect(forms).to_have_count(3)
    beta, alpha = forms.filter(has_text="Beta Dichtungen"), forms.filter(has_text="Alpha Wälzlager")
    await beta.get_by_label("Quality").fill("95")
    await beta.get_by_label("Quality").press("Enter")
    await expect(b.locator("#score-saved")).to_be_visible()
    await expect(b.locator("#scores")).to_contain_text("95.00")
    await expect(beta.get_by_role("button")).to_be_focused()
    # A score out of range: the server's message next to the field (the browser's own check is skipped here).
    await alpha.get_by_label("Quality").evaluate("input => input.removeAttribute('max')")
    await alpha.get_by_label("Quality").fill("140")
    await alpha.get_by_label("Quality").press("Enter")
    await expect(alpha).to_contain_text("A score is 0 to 100.")
    await expect(alpha.get_by_label("Quality")).to_be_focused()
    await b.keyboard.press("Control+A")
    await b.keyboard.type("70")
    await b.keyboard.press("Enter")
    await expect(b.locator("#scores")).to_contain_text("70.00")
    await b.screenshot(path=str(artifacts_dir / "rfq-award-1-compare-scoring.png"), full_page=True)

    # Evaluate, give lot 1 to Alpha, then share line 1 between Alpha and Gamma, typed with the keyboard.
    await b.get_by_role("button", name="Evaluate and award").click()
    await b.get_by_role("button", name="Evaluate offers").click()
    await expect(b.locator(".flash.success")).to_contain_text("evaluated")
    await b.get_by_label("Vendor", exact=True).select_option(label=f"Alpha Wälzlager {tag}")
    await b.get_by_label("gets").select_option(label="lot 1: Bearings")
    await b.get_by_role("button", name="Apply").click()
    await expect(b.locator("#quick-done")).to_contain_text("gets lot 1 (Bearings)")
    await expect(b.get_by_role("button", name="Apply")).to_be_focused()
    line1 = b.locator("fieldset.award-line").nth(0)
    await expect(line1.get_by_label("Quantity of line 1 for Alpha", exact=False)).to_have_value("100")
    await line1.get_by_label("Quantity of line 1 for Alpha", exact=False).focus()
    await b.keyboard.press("Control+A")
    await b.keyboard.type("60")
    await expect(b.locator("#award-remaining tbody tr").nth(0)).to_contain_text("40")  # the totals follow the typing
    await expect(b.locator("#award-status")).to_contain_text("1 line not fully allocated")
    await b.keyboard.press("Tab")  # offers are in the comparison's order: Beta, Alpha, then Gamma (partial)
    await expect(line1.get_by_label("Quantity of line 1 for Gamma", exact=False)).to_be_focused()
    await b.keyboard.type("40")
    await expect(b.locator("#award-status")).to_contain_text("every line fully allocated")
    await expect(b.locator("#award-vendors")).to_contain_text("Gamma Antriebe")
    await b.get_by_label("Justification").fill(
        "Alpha and Gamma share the 6204 bearings (supply security); Beta: seals."
    )
    await b.screenshot(path=str(artifacts_dir / "rfq-award-2-split.png"), full_page=True)
    await b.set_viewport_size({"width": 390, "height": 844})
    await b.screenshot(path=str(artifacts_dir / "rfq-award-3-split-mobile.png"), full_page=True)
    await b.set_viewport_size({"width": 1280, "height": 900})

    await b.get_by_role("button", name="Review the award").click()
    await expect(b.locator("#award-plan tbody tr")).to_have_count(4)
    await b.screenshot(path=str(artifacts_dir / "rfq-award-4-confirm.png"), full_page=True)
    await b.get_by_role("button", name="Confirm the award").click()
    await expect(b.locator(".rfq-status")).to_have_text("awarded")
    await expect(b.locator("#award-lines tbody tr")).to_have_count(4)
    await context.close()
