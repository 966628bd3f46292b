"""Vendor pages: catalog list with filters and bulk actions, CSV import with a report, export."""

from __future__ import annotations

import httpx

from marketplace.core.db import Connection
from tests.support.accounts import csrf, make_company, post_form, sign_in
from tests.support.catalog import make_screw_category


def _file(category: str, gtin: str = "4006381333931") -> bytes:
    return (
        "product_sku;title;category;variant_sku;gtin;prices;attr:length\n"
        f"P-1;Hex screw M8x40;{category};P-1-A;{gtin};1:25/1;40 mm\n"
        f"P-2;Hex screw M8x50;{category};P-2-A;;1:27/1;50 mm\n"
    ).encode()


async def test_import_page_dry_run_then_import_then_bulk_submit(client: httpx.AsyncClient, conn: Connection) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    category = await make_screw_category(conn)
    await sign_in(client, vendor.emails["admin"])
    assert "Check and import" in (await client.get("/vendor/catalog/import")).text

    async def upload(data: bytes, **fields: str) -> httpx.Response:
        return await client.post(
            "/vendor/catalog/import",
            files={"file": ("screws.csv", data, "text/csv")},
            data=fields,
            headers=csrf(client),
        )

    r = await upload(_file(category, gtin="4006381333932"), dry_run="on", mode="all")
    assert r.status_code == 200, r.text[:300]
    assert "Dry run of screws.csv" in r.text
    assert "The check digit should be 1." in r.text
    assert "import-errors.csv" in r.text
    assert await conn.fetchval("SELECT count(*) FROM product WHERE vendor_id = $1", vendor.id) == 0

    r = await upload(_file(category), mode="all")
    assert "<strong>2</strong> new" in r.text
    assert "Saved." in r.text

    listing = await client.get("/vendor/catalog", params={"q": "M8x50"})
    assert "P-2" in listing.text
    assert "P-1" not in listing.text
    ids = [r["id"] for r in await conn.fetch("SELECT id FROM product WHERE vendor_id = $1", vendor.id)]
    r = await post_form(client, "/vendor/catalog/bulk", {"action": "submit", "product_id": [str(i) for i in ids]})
    assert r.status_code == 303
    assert "done=2" in r.headers["location"]
    statuses = await conn.fetch("SELECT DISTINCT status::text FROM product WHERE vendor_id = $1", vendor.id)
    assert [s["status"] for s in statuses] == ["pending_review"]

    exported = await client.get("/vendor/catalog/export.csv")
    assert exported.text.splitlines()[0].startswith("product_sku;title;")
    assert "P-1-A" in exported.text


async def test_buyers_have_no_catalog_pages(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer = await make_company(conn, kind="buyer")
    await sign_in(client, buyer.emails["admin"])
    assert (await client.get("/vendor/catalog")).status_code == 403
    assert (await client.get("/vendor/catalog/import")).status_code == 403
