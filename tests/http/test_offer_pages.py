"""Vendor pages for warehouses, stock and contract price lists (the same rules as the ERP API)."""

from __future__ import annotations

import httpx

from marketplace.core.db import Connection
from tests.support.accounts import bearer, make_company, make_token, post_form, sign_in
from tests.support.catalog import make_screw_category, screw_product


async def test_warehouse_stock_and_contract_prices(client: httpx.AsyncClient, conn: Connection) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    category = await make_screw_category(conn)
    await client.put(
        "/api/v1/catalog/products", json=screw_product(category), headers=bearer(await make_token(conn, vendor))
    )
    buyer = await make_company(conn, kind="buyer")
    await sign_in(client, vendor.emails["admin"])

    assert (
        await post_form(client, "/vendor/offers/warehouses", {"name": "Hamburg", "country": "DE"})
    ).status_code == 303
    bad = await post_form(client, "/vendor/offers/stock", {"stock": "DIN933-A2-M8X40; Hamburg; lots"})
    assert bad.status_code == 422
    assert "line 1" in bad.text
    r = await post_form(
        client, "/vendor/offers/stock", {"stock": "DIN933-A2-M8X40; Hamburg; 700; 50\nDIN933-A2-M8X50; Hamburg; 30"}
    )
    assert r.headers["location"] == "/vendor/offers?saved=stock&changed=2"
    unknown = await post_form(client, "/vendor/offers/stock", {"stock": "NOPE; Hamburg; 1"})
    assert "There is no variant with SKU NOPE." in unknown.text

    r = await post_form(
        client,
        "/vendor/offers/price-lists",
        {"name": "Frame 2027", "buyer_ids": str(buyer.id), "valid_from": "2027-01-01"},
    )
    assert r.status_code == 303
    price_list = await conn.fetchval("SELECT id FROM price_list WHERE vendor_id = $1", vendor.id)
    r = await post_form(
        client, f"/vendor/offers/price-lists/{price_list}/prices", {"prices": "DIN933-A2-M8X40; 100:1500/100"}
    )
    assert r.status_code == 303
    page = await client.get("/vendor/offers")
    assert "Frame 2027" in page.text
    assert f"buyers {buyer.id}" in page.text
    on_hand = await conn.fetchval(
        "SELECT s.on_hand FROM stock s JOIN variant v ON v.id = s.variant_id"
        " WHERE v.sku = 'DIN933-A2-M8X40' AND v.vendor_id = $1",
        vendor.id,
    )
    assert on_hand == 700
    entry = await conn.fetchval("SELECT unit_price_minor FROM price_list_entry WHERE price_list_id = $1", price_list)
    assert entry == 1500
    r = await post_form(client, "/vendor/offers/price-lists", {"name": "Nobody", "buyer_ids": str(vendor.id)})
    assert r.status_code == 422
    assert "Not buying companies" in r.text
