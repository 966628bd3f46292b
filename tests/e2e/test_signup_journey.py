"""A company signs up, an operator verifies it, and the company signs in able to trade (headless Chromium)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from marketplace.core.db import Database
from tests.support.accounts import PASSWORD, make_operator, random_de_vat, unique_email
from tests.support.browser import sign_in

pytestmark = pytest.mark.e2e


async def test_sign_up_verify_sign_in(
    browser: Browser, server_url: str, committing_db: Database, artifacts_dir: Path
) -> None:
    async with committing_db.transaction() as conn:
        operator_email = await make_operator(conn)
    founder = unique_email("founder")
    company_name = f"Keller Antriebstechnik {founder[8:14]} GmbH"

    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await ctx.new_page()
    await page.goto(server_url + "/signup")
    await page.get_by_label("Legal name").fill(company_name)
    await page.get_by_label("What does your company do here?").select_option("buyer")
    await page.get_by_label("Country (ISO code)").fill("DE")
    await page.get_by_label("VAT ID").fill("DE136695977")  # wrong check digit first
    await page.get_by_label("Your name").fill("Karin Keller")
    await page.get_by_label("Work email").fill(founder)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Register company").click()
    await expect(page.locator("#e-vat_id")).to_contain_text("check digit")
    await expect(page.get_by_label("Legal name")).to_have_value(company_name)  # input kept
    await page.screenshot(path=str(artifacts_dir / "journey-1-signup-error.png"), full_page=True)
    await page.get_by_label("VAT ID").fill(random_de_vat())
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Register company").click()
    await expect(page.locator("#verification-banner")).to_contain_text("Awaiting verification")
    await page.screenshot(path=str(artifacts_dir / "journey-2-pending.png"), full_page=True)
    await ctx.close()

    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    op = await ctx.new_page()
    await sign_in(op, server_url, operator_email, PASSWORD, landing=None)
    await op.goto(server_url + "/operator/companies")
    await op.get_by_role("link", name=company_name).click()
    await expect(op.locator("#vat-check")).to_contain_text("valid")
    await op.screenshot(path=str(artifacts_dir / "journey-3-operator-file.png"), full_page=True)
    await op.get_by_label("Approve (verify)").check()
    await op.get_by_role("button", name="Record decision").click()
    await expect(op.get_by_text("Decision recorded: approve")).to_be_visible()
    await ctx.close()

    ctx = await browser.new_context(viewport={"width": 390, "height": 844})
    page = await ctx.new_page()
    await sign_in(page, server_url, founder, PASSWORD, landing=None)
    await expect(page.get_by_role("heading", level=1)).to_have_text(company_name)
    await expect(page.locator(".badge.status-verified")).to_be_visible()
    await expect(page.locator("#verification-banner")).to_have_count(0)
    await page.screenshot(path=str(artifacts_dir / "journey-4-verified-mobile.png"), full_page=True)
    await ctx.close()
