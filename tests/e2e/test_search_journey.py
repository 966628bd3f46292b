"""A buyer searches in a real browser: misspelled typeahead, a facet, a range, then opens a product."""

from __future__ import annotations

import copy
import re
import uuid
from pathlib import Path

import msgspec
import pytest
from meilisearch_python_sdk import AsyncClient
from playwright.async_api import Browser, expect

from marketplace.core.actor import Actor
from marketplace.core.db import Database
from marketplace.settings import Settings
from search import indexer
from tests.support.accounts import PASSWORD, make_company
from tests.support.catalog import make_screw_category, screw_product
from vendors import service
from vendors.commands import ProductIn

pytestmark = pytest.mark.e2e


async def test_typeahead_facet_range_and_open_a_product(
    browser: Browser,
    server_url: str,
    committing_db: Database,
    settings: Settings,
    search: AsyncClient,
    artifacts_dir: Path,
) -> None:
    word = f"Quokka{uuid.uuid4().hex[:4]}"
    async with committing_db.transaction() as conn:
        vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]}, name="Journey Schrauben GmbH")
        buyer = await make_company(conn, kind="buyer", people={"admin": ["admin"]})
        category = await make_screw_category(conn)
        actor = Actor(
            user_id=vendor.users["admin"],
            email=vendor.emails["admin"],
            full_name="Admin",
            company_id=vendor.id,
            company_kind="vendor",
            company_status="verified",
            roles=frozenset({"admin"}),
        )
        for sku, brand, lengths in (("J-WU", "Würth", ("40 mm", "50 mm")), ("J-FI", "Fischer", ("60 mm", "80 mm"))):
            body = copy.deepcopy(screw_product(category, sku))
            body["title"] = f"Hexagon head screw {word} {brand}"
            body["brand"] = brand
            for n, variant in enumerate(body["variants"]):
                variant["sku"], variant["attributes"]["length"] = f"{sku}-{n}", lengths[n]
                variant.pop("gtin", None)
            await service.save_product(conn, actor, msgspec.convert(body, ProductIn))
        await conn.execute("UPDATE product SET status = 'live' WHERE vendor_id = $1", vendor.id)
    await indexer.rebuild(committing_db, search, settings)  # the same path as ./dev reindex

    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(server_url + "/login")
    await page.get_by_label("Email").fill(buyer.emails["admin"])
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/company")

    box = page.get_by_role("combobox", name="Search the catalog")
    await box.press_sequentially("hexagn", delay=40)  # misspelled; typo tolerance still suggests
    listbox = page.get_by_role("listbox", name="Suggestions")
    await expect(listbox).to_be_visible()
    await expect(listbox.get_by_role("option").first).to_contain_text("Hexagon")
    await page.keyboard.press("ArrowDown")
    await expect(box).to_have_attribute("aria-activedescendant", "suggestion-1")
    await page.screenshot(path=str(artifacts_dir / "search-1-typeahead.png"))
    await page.keyboard.press("Escape")
    await box.fill(f"hexagn {word}")
    await box.press("Enter")
    await page.wait_for_url(re.compile(r"/search\?q="))
    await expect(page.locator(".search-summary")).to_contain_text("2 products")
    await page.screenshot(path=str(artifacts_dir / "search-2-results.png"), full_page=True)

    # A facet: ticking a brand swaps the results in place and puts the state in the URL.
    await page.get_by_role("checkbox", name=re.compile("^Fischer")).check()
    await expect(page).to_have_url(re.compile(r"brand=Fischer"))
    await expect(page.locator(".search-summary")).to_contain_text("1 product")
    await page.get_by_role("checkbox", name=re.compile("^Fischer")).uncheck()
    await expect(page.locator(".search-summary")).to_contain_text("2 products")

    # A range on a numeric attribute (after choosing the category, whose attributes become filters).
    await page.locator(".facets").get_by_role("link", name="Fasteners").click()
    await expect(page.locator(".search-summary")).to_contain_text("in Fasteners")
    await page.locator(".facets").get_by_role("link", name="Screws").click()
    await expect(page.get_by_text("Length (mm)")).to_be_visible()
    await page.get_by_label("Length from").fill("70")
    await page.get_by_role("button", name="Apply filters").click()
    await expect(page).to_have_url(re.compile(r"range=length"))
    await expect(page.locator(".hit")).to_have_count(1)
    await expect(page.locator(".hit").first).to_contain_text("Fischer")
    await page.screenshot(path=str(artifacts_dir / "search-3-facet-and-range.png"), full_page=True)

    await page.locator(".hit-title").first.click()
    await page.wait_for_url(re.compile(r"/products/\d+"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text(word)
    await page.screenshot(path=str(artifacts_dir / "search-4-product.png"), full_page=True)
    await page.go_back()
    await expect(page).to_have_url(re.compile(r"range=length"))  # back returns to the same search
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.screenshot(path=str(artifacts_dir / "search-5-mobile.png"), full_page=True)
    await context.close()
