"""The product editor page: typed attributes of the category, variants with prices, inline validation."""

from __future__ import annotations

import httpx

from marketplace.core.db import Connection
from tests.support.accounts import csrf, make_company, post_form, sign_in
from tests.support.catalog import make_screw_category


async def test_create_validate_and_edit_a_product(client: httpx.AsyncClient, conn: Connection) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    category = await make_screw_category(conn)
    await sign_in(client, vendor.emails["admin"])
    page = await client.get("/vendor/catalog/products/new", params={"category": category})
    assert page.status_code == 200
    assert 'name="attr_thread"' in page.text  # the category's attributes
    assert 'name="v0_attr_length"' in page.text

    form = {
        "sku": "ED-1",
        "title": "Hex screw",
        "category": category,
        "unit": "pcs",
        "pack_size": "100",
        "moq": "100",
        "increment": "100",
        "currency": "EUR",
        "attr_thread": "M8",
        "v0_sku": "ED-1-40",
        "v0_name": "M8 x 40",
        "v0_gtin": "4006381333932",
        "v0_prices": "100:1850/100",
        "v0_attr_length": "4 cm",
    }
    problems = await client.post(
        "/vendor/catalog/products/validate", data=form, headers={**csrf(client), "hx-request": "true"}
    )
    assert problems.status_code == 200  # htmx swaps it
    assert "variants[0].gtin" in problems.text
    assert "check digit" in problems.text
    assert (await post_form(client, "/vendor/catalog/products", form)).status_code == 422
    assert await conn.fetchval("SELECT count(*) FROM product WHERE vendor_id = $1", vendor.id) == 0

    form["v0_gtin"] = "4006381333931"
    ok = await client.post(
        "/vendor/catalog/products/validate", data=form, headers={**csrf(client), "hx-request": "true"}
    )
    assert "No problems found." in ok.text
    saved = await post_form(client, "/vendor/catalog/products", form)
    assert saved.status_code == 303
    edit = await client.get(saved.headers["location"])
    assert 'value="ED-1-40"' in edit.text
    assert 'value="4 cm"' in edit.text
    assert 'value="100:1850/100"' in edit.text
    assert 'name="v1_sku"' in edit.text  # one empty row for another variant

    form.update({"v1_sku": "ED-1-50", "v1_name": "M8 x 50", "v1_prices": "100:2100/100", "v1_attr_length": "50 mm"})
    assert (await post_form(client, "/vendor/catalog/products", form)).status_code == 303
    skus = await conn.fetch(
        "SELECT v.sku FROM variant v JOIN product p ON p.id = v.product_id WHERE p.vendor_id = $1 ORDER BY v.sku",
        vendor.id,
    )
    assert [r["sku"] for r in skus] == ["ED-1-40", "ED-1-50"]


async def test_another_vendors_product_is_404_in_the_editor(client: httpx.AsyncClient, conn: Connection) -> None:
    owner = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    pid = await conn.fetchval(
        "INSERT INTO product (vendor_id, sku, title) VALUES ($1, 'X', 'Secret') RETURNING id", owner.id
    )
    other = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    await sign_in(client, other.emails["admin"])
    assert (await client.get(f"/vendor/catalog/products/{pid}")).status_code == 404
