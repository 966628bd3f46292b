"""Operators manage the category tree and typed attributes; vendors' products are then checked against them."""

from __future__ import annotations

import httpx

from marketplace.core.db import Connection
from tests.support.accounts import bearer, make_company, make_operator, make_token, post_form, sign_in


async def test_operator_defines_a_category_that_vendors_must_follow(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    await sign_in(client, await make_operator(conn))
    r = await post_form(
        client,
        "/operator/categories",
        {
            "name": "Hose clamps",
            "slug": "hose-clamps",
            "classification_system": "ECLASS",
            "classification_code": "23120101",
        },
    )
    assert r.status_code == 303
    category_id = await conn.fetchval("SELECT id FROM category WHERE slug = 'hose-clamps'")
    r = await post_form(
        client,
        f"/operator/categories/{category_id}/attributes",
        {"code": "width", "label": "Band width", "type": "number", "display_unit": "furlong"},
    )
    assert r.status_code == 422
    assert "furlong" in r.text
    r = await post_form(
        client,
        f"/operator/categories/{category_id}/attributes",
        {"code": "width", "label": "Band width", "type": "number", "display_unit": "mm", "required": "on"},
    )
    assert r.status_code == 303
    r = await post_form(client, "/operator/categories", {"name": "Again", "slug": "hose-clamps"})
    assert r.status_code == 422
    assert "This slug is taken." in r.text
    page = await client.get("/operator/categories")
    assert "Band width: number (mm)*" in page.text

    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    api = bearer(await make_token(conn, vendor))
    product = {
        "sku": "CLAMP",
        "title": "Hose clamp",
        "category": "hose-clamps",
        "variants": [{"sku": "CLAMP-9", "attributes": {"width": "0.9 cm"}}],
    }
    r = await client.put("/api/v1/catalog/products", json=product, headers=api)
    assert r.status_code == 200, r.text
    assert r.json()["product"]["variants"][0]["attributes"]["width"]["base"] == "9"
    product["variants"][0]["attributes"] = {}  # type: ignore[index]
    r = await client.put("/api/v1/catalog/products", json=product, headers=api)
    assert r.json()["errors"] == [{"field": "variants[0].attributes.width", "reason": "is required in this category"}]

    await sign_in(client, vendor.emails["admin"])
    assert (await client.get("/operator/categories")).status_code == 404
