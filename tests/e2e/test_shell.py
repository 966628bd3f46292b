"""The app shell in a real browser: layout, keyboard access, live status, API reference offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

pytestmark = pytest.mark.e2e


def _record_external(page: Page, server_url: str) -> list[str]:
    external: list[str] = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(server_url) else None)
    return external


async def test_home_page_is_keyboard_usable_and_responsive(page: Page, server_url: str, artifacts_dir: Path) -> None:
    external = _record_external(page, server_url)
    await page.goto(server_url + "/")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Industrial supplies")
    await page.keyboard.press("Tab")
    await expect(page.locator(".skip-link")).to_be_focused()
    await page.screenshot(path=str(artifacts_dir / "shell-home-desktop.png"), full_page=True)
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.screenshot(path=str(artifacts_dir / "shell-home-mobile.png"), full_page=True)
    assert external == [], f"requests left the server: {external}"


async def test_status_page_shows_green_checks_and_refreshes_with_htmx(
    page: Page, server_url: str, artifacts_dir: Path
) -> None:
    await page.goto(server_url + "/status")
    await expect(page.locator("#checks caption")).to_contain_text("All systems working")
    await expect(page.locator("#checks tbody tr")).to_have_count(2)
    # htmx is loaded and wired: "Check again" fetches only the table fragment and swaps it in place.
    await page.evaluate("document.querySelector('#checks').dataset.marker = 'old'")
    async with page.expect_response(
        lambda r: r.url.endswith("/status") and r.request.headers.get("hx-request") == "true"
    ):
        await page.get_by_role("button", name="Check again").click()
    await expect(page.locator("#checks")).not_to_have_attribute("data-marker", "old")
    await expect(page.locator("#checks caption")).to_contain_text("All systems working")
    assert page.url == server_url + "/status"
    await page.screenshot(path=str(artifacts_dir / "shell-status.png"), full_page=True)


async def test_api_reference_renders_from_local_assets(page: Page, server_url: str, artifacts_dir: Path) -> None:
    external = _record_external(page, server_url)
    await page.goto(server_url + "/schema/swagger")
    await expect(page.get_by_text("Tradeyard API").first).to_be_visible(timeout=15_000)
    await expect(page.get_by_text("/api/v1/meta").first).to_be_visible()
    await page.screenshot(path=str(artifacts_dir / "shell-api-reference.png"))
    assert [u for u in external if "validator.swagger.io" not in u] == []
