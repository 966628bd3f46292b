"""An operator manages synonyms with the keyboard, reads search analytics and checks the index (headless Chromium).

The journey commits to this worker's database (the live server cannot see a test transaction), so it
removes what it created at the end: later tests in the same worker count synonyms, searches and jobs.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from marketplace.core.db import Database
from tests.support.accounts import make_operator
from tests.support.browser import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
async def searches(committing_db: Database) -> AsyncIterator[int]:
    """Three weeks of searches as the results page records them; some find nothing, a few get a click."""
    ids = [uuid.uuid4() for _ in range(60)]
    queries = ["hex socket screw", "m8 nut", "kugellager", "inbus", "cable tie"]
    async with committing_db.transaction() as conn:
        for n, search_id in enumerate(ids):
            query = queries[n % len(queries)]
            await conn.execute(
                "INSERT INTO search_event (search_id, at, query, normalized, total, source)"
                " VALUES ($1, now() - make_interval(days => $2), $3, $3, $4, 'page')",
                search_id,
                (n * 5) % 23 if n % 3 else n % 7,
                query,
                0 if query in ("kugellager", "inbus") else 12,
            )
            if n % 4 == 0 and query not in ("kugellager", "inbus"):
                await conn.execute(
                    "INSERT INTO search_click (search_id, product_id, position) VALUES ($1, 1, 1)", search_id
                )
    yield len(ids)
    async with committing_db.transaction() as conn:
        await conn.execute("DELETE FROM search_event WHERE search_id = any($1::uuid[])", ids)
        await conn.execute("DELETE FROM search_synonym")
        await conn.execute("DELETE FROM pgqueuer WHERE entrypoint LIKE 'search.%'")


async def test_operator_keeps_synonyms_reads_analytics_and_checks_the_index(
    browser: Browser, server_url: str, committing_db: Database, artifacts_dir: Path, searches: int
) -> None:
    async with committing_db.transaction() as conn:
        operator_email = await make_operator(conn)
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await ctx.new_page()
    await sign_in(page, server_url, operator_email, landing=None)

    await page.goto(server_url + "/operator/companies")
    await page.get_by_role("navigation", name="Operator").get_by_role("link", name="Synonyms").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Search synonyms")
    terms = page.get_by_label("Terms, separated by commas")
    await terms.focus()
    await page.keyboard.type("inbus")
    await page.keyboard.press("Enter")
    await expect(page.locator("#e-terms")).to_have_text("give at least two different terms")
    await expect(terms).to_have_value("inbus")
    await page.screenshot(path=str(artifacts_dir / "operator-search-1-synonym-error.png"), full_page=True)
    await terms.focus()
    await page.keyboard.press("End")
    await page.keyboard.type(", hex socket")
    await page.keyboard.press("Tab")  # to the one-way checkbox
    await page.keyboard.press("Space")
    await expect(page.get_by_label("One way")).to_be_checked()
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")  # "Add synonym"
    await expect(page.get_by_role("status").filter(has_text="Synonym added.")).to_be_visible()
    row = page.locator("#synonyms tbody tr").first
    await expect(row).to_contain_text("inbus → hex socket")
    await page.screenshot(path=str(artifacts_dir / "operator-search-2-synonyms.png"), full_page=True)
    await row.locator("summary").focus()
    await page.keyboard.press("Enter")  # opens the confirmation
    await expect(row.get_by_text("Searches stop finding products by these words")).to_be_visible()
    await page.screenshot(path=str(artifacts_dir / "operator-search-3-confirm-delete.png"), full_page=True)
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")  # "Yes, delete"
    await expect(page.get_by_role("status").filter(has_text="Synonym deleted.")).to_be_visible()
    await expect(page.get_by_text("No synonyms yet.")).to_be_visible()

    await page.get_by_role("link", name="Search analytics").click()
    await page.get_by_label("Period").select_option("30")
    await page.get_by_role("button", name="Show").click()
    await page.wait_for_url("**/operator/search/analytics?days=30")
    await expect(page.locator("#total-searches")).to_have_text(str(searches))
    await expect(page.get_by_role("img", name="Searches per day and share that found nothing")).to_be_visible()
    await expect(page.locator("#zero-result-queries")).to_contain_text("kugellager")
    await page.screenshot(path=str(artifacts_dir / "operator-search-4-analytics.png"), full_page=True)
    await page.get_by_text("The numbers as a table").click()
    await expect(page.locator("#per-day")).to_be_visible()
    phone = await browser.new_context(viewport={"width": 390, "height": 844}, storage_state=await ctx.storage_state())
    small = await phone.new_page()
    await small.goto(server_url + "/operator/search/analytics?days=7")
    await expect(small.get_by_role("img", name="Searches per day and share that found nothing")).to_be_visible()
    await small.screenshot(path=str(artifacts_dir / "operator-search-5-analytics-phone.png"), full_page=True)
    await phone.close()

    await page.get_by_role("link", name="Indexing").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Search indexing")
    await page.get_by_role("button", name="Check drift").click()
    await expect(page.get_by_role("heading", name="Drift check")).to_be_visible()
    await page.screenshot(path=str(artifacts_dir / "operator-search-6-indexing.png"), full_page=True)
    await ctx.close()
