"""BMEcat through the API: a new catalog with tiers, a price update, and hostile XML refused."""

from __future__ import annotations

from pathlib import Path

import httpx

from marketplace.core.db import Connection
from tests.support.accounts import bearer, make_company, make_token

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bmecat"


async def _post(client: httpx.AsyncClient, api: dict[str, str], name: str, **params: str) -> httpx.Response:
    return await client.post(
        "/api/v1/catalog/imports/bmecat",
        content=(FIXTURES / name).read_bytes(),
        params=params,
        headers={**api, "content-type": "application/xml"},
    )


async def test_new_catalog_then_price_update(client: httpx.AsyncClient, conn: Connection) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    api = bearer(await make_token(conn, vendor))
    r = await _post(client, api, "new_catalog.xml")
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["saved"] is False  # all or nothing: one article has a decimal comma
    assert [(e["column"], e["reason"]) for e in report["errors"]] == [
        ("PRICE_AMOUNT", "'3,20' uses a decimal comma; BMEcat requires '.'")
    ]
    report = (await _post(client, api, "new_catalog.xml", mode="partial")).json()
    assert (report["created"], report["saved"]) == (3, True)
    screw = await conn.fetchrow(
        "SELECT p.unit, p.pack_size, p.moq, p.increment, v.gtin, p.currency FROM product p"
        " JOIN variant v ON v.product_id = p.id WHERE p.vendor_id = $1 AND p.sku = 'NT-933-0840-A2'",
        vendor.id,
    )
    assert dict(screw) == {
        "unit": "pcs",
        "pack_size": 1,
        "moq": 100,
        "increment": 100,
        "gtin": "04012345678901",
        "currency": "EUR",
    }
    tiers = await conn.fetch(
        "SELECT t.min_qty, t.unit_price_minor, t.price_basis FROM price_tier t JOIN variant v ON v.id = t.variant_id"
        " WHERE v.vendor_id = $1 AND v.sku = 'NT-933-0840-A2' ORDER BY t.min_qty",
        vendor.id,
    )
    assert [tuple(t) for t in tiers] == [(1, 1250, 100), (1000, 1120, 100), (5000, 980, 100)]
    again = (await _post(client, api, "new_catalog.xml", mode="partial")).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)

    update = (await _post(client, api, "update_prices.xml", mode="partial")).json()
    assert update["updated"] == 1
    assert [(e["column"], e["reason"]) for e in update["errors"]] == [
        ("PRICE_CURRENCY", "the product is priced in EUR")
    ]
    tiers = await conn.fetch(
        "SELECT t.min_qty, t.unit_price_minor, t.price_basis FROM price_tier t JOIN variant v ON v.id = t.variant_id"
        " WHERE v.vendor_id = $1 AND v.sku = 'NT-933-0840-A2' ORDER BY t.min_qty",
        vendor.id,
    )
    assert [tuple(t) for t in tiers] == [(1, 1295, 1), (1000, 1160, 1)]


async def test_features_become_attributes_of_the_classified_category(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    """REFERENCE_FEATURE_GROUP_ID 23110101 is the demo "screws" class; "Länge 40 mm" becomes length = 40 mm."""
    from vendors.demo import ensure_categories

    await ensure_categories(conn)
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    api = bearer(await make_token(conn, vendor))
    report = (await _post(client, api, "new_catalog.xml", mode="partial")).json()
    assert report["created"] == 3
    row = await conn.fetchrow(
        "SELECT c.slug, p.attributes FROM product p JOIN category c ON c.id = p.category_id"
        " WHERE p.vendor_id = $1 AND p.sku = 'NT-933-0840-A2'",
        vendor.id,
    )
    assert row["slug"] == "screws"
    assert row["attributes"]["length"] == {"value": "40", "unit": "mm", "base": "40", "base_unit": "mm"}
    assert row["attributes"]["thread"] == {"value": "M8"}
    assert row["attributes"]["material"] == {"value": "A2"}


async def test_xml_bombs_and_external_entities_are_refused(client: httpx.AsyncClient, conn: Connection) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    api = bearer(await make_token(conn, vendor))
    for name in ("billion_laughs.xml", "xxe.xml"):
        r = await _post(client, api, name)
        assert r.status_code == 422, name
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "vendors.bmecat_invalid"
    assert await conn.fetchval("SELECT count(*) FROM product WHERE vendor_id = $1", vendor.id) == 0
