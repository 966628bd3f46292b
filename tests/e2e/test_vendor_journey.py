"""A vendor imports a catalog file in the browser and watches it finish; a buyer opens a product."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from playwright.async_api import Browser, expect

from marketplace.core.db import Database
from marketplace.settings import Settings
from tests.support.accounts import PASSWORD, make_company
from tests.support.catalog import make_screw_category
from tests.support.live import live_worker

pytestmark = pytest.mark.e2e


async def test_import_with_progress_then_product_page(
    browser: Browser, server_url: str, committing_db: Database, settings: Settings, artifacts_dir: Path, tmp_path: Path
) -> None:
    async with committing_db.transaction() as conn:
        vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]}, name="Muster Befestigung GmbH")
        category = await make_screw_category(conn)
    rows = ["product_sku;title;brand;category;variant_sku;variant_name;gtin;prices;attr:length;attr:thread"]
    rows += [
        f"E2E-{n};Hexagon screw DIN 933 M8x{40 + n};Würth;{category};E2E-{n}-A;M8 x {40 + n};;"
        f"100:1850/100|1000:1600/100;{40 + n} mm;M8"
        for n in range(60)
    ]
    upload = tmp_path / "screws.csv"
    upload.write_text("\n".join(rows) + "\n", encoding="utf-8")

    page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
    await page.goto(server_url + "/login")
    await page.get_by_label("Email").fill(vendor.emails["admin"])
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/company")
    await page.goto(server_url + "/vendor/catalog/import")
    await page.screenshot(path=str(artifacts_dir / "vendor-0-import-page.png"), full_page=True)
    await page.get_by_label("File (CSV, BMEcat XML or BMEcat package .zip)").set_input_files(str(upload))
    await page.get_by_label("Dry run: check everything, write nothing").uncheck()
    await page.get_by_role("button", name="Check and import").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Import of screws.csv")
    await page.screenshot(path=str(artifacts_dir / "vendor-1-import-queued.png"), full_page=True)
    with live_worker(msgspec.structs.replace(settings)):
        await expect(page.get_by_text("new,")).to_be_visible(timeout=60_000)  # htmx polled until done
    await expect(page.locator("#import-progress strong").first).to_have_text("60")
    await page.screenshot(path=str(artifacts_dir / "vendor-2-import-done.png"), full_page=True)
    await page.goto(server_url + "/vendor/catalog")
    await expect(page.get_by_text("E2E-59", exact=True)).to_be_visible()
    await page.screenshot(path=str(artifacts_dir / "vendor-3-catalog.png"), full_page=True)

    async with committing_db.transaction() as conn:
        product_id = await conn.fetchval("SELECT id FROM product WHERE vendor_id = $1 AND sku = 'E2E-0'", vendor.id)
        await conn.execute("UPDATE product SET status = 'live' WHERE vendor_id = $1", vendor.id)
    buyer_page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
    await buyer_page.goto(f"{server_url}/products/{product_id}")
    await expect(buyer_page.get_by_role("heading", level=1)).to_have_text("Hexagon screw DIN 933 M8x40")
    await expect(buyer_page.get_by_text("€18.50 for 100")).to_be_visible()
    await buyer_page.screenshot(path=str(artifacts_dir / "buyer-product.png"), full_page=True)
