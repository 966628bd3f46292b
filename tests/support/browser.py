"""Headless-Chromium helpers shared by the journeys in ``tests/e2e``."""

from __future__ import annotations

from playwright.async_api import Page

from tests.support.accounts import PASSWORD


async def sign_in(
    page: Page, server_url: str, email: str, password: str = PASSWORD, *, landing: str | None = "**/company"
) -> None:
    """Sign in through the login form; wait for the ``landing`` URL (or, when None, for the page to settle)."""
    await page.goto(server_url + "/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    if landing is None:
        await page.wait_for_load_state("networkidle")
    else:
        await page.wait_for_url(landing)
