"""Vendor pages: catalog list with filters and bulk actions, CSV import with a report, export."""

from __future__ import annotations

import httpx

from marketplace.core.db import Connection
from tests.support.accounts import make_company, post_form, sign_in


def _file(category: str, gtin: str = "4006381333931") -> bytes:
    return (
        "product_sku;title;category;variant_sku;gtin;prices;attr:length\n"
        f"P-1;Hex screw M8x40;{category};P-1-A;{gtin};1:25/1;40 mm\n"
        f"P-2;Hex screw M8x50;{category};P-2-A;;1:27/1;50 mm\n"
    ).encode()


async def test_import_page_renders_and_needs_a_file(client: httpx.AsyncClient, conn: Connection) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    await sign_in(client, vendor.emails["admin"])
    page = await client.get("/vendor/catalog/import")
    assert page.status_code == 200
    assert "File (CSV, BMEcat XML or BMEcat package .zip)" in page.text
    r = await post_form(client, "/vendor/catalog/import", {"mode": "all"})
    assert r.status_code == 422
    assert "Choose a CSV or BMEcat (XML or .zip package) file" in r.text


async def test_buyers_have_no_catalog_pages(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer = await make_company(conn, kind="buyer")
    await sign_in(client, buyer.emails["admin"])
    assert (await client.get("/vendor/catalog")).status_code == 403
    assert (await client.get("/vendor/catalog/import")).status_code == 403
