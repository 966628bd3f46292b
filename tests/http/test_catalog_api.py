"""Catalog JSON API: products with variants and typed attributes, idempotent saves, prices, stock, quotes."""

from __future__ import annotations

import httpx

from marketplace.accounts.models import CompanyStatus
from marketplace.core.db import Connection
from tests.support.accounts import bearer, make_company, make_token
from tests.support.catalog import make_screw_category, screw_product


async def _vendor(conn: Connection, status: CompanyStatus = CompanyStatus.VERIFIED) -> dict[str, str]:
    vendor = await make_company(conn, kind="vendor", status=status, people={"admin": ["admin", "catalog_manager"]})
    return bearer(await make_token(conn, vendor))


async def test_save_product_normalises_units_and_is_idempotent(client: httpx.AsyncClient, conn: Connection) -> None:
    api = await _vendor(conn)
    category = await make_screw_category(conn)
    r = await client.put("/api/v1/catalog/products", json=screw_product(category), headers=api)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["changed"] is True
    product = body["product"]
    assert product["status"] == "draft"
    m8x40 = product["variants"][0]
    assert m8x40["attributes"]["length"] == {"value": "0.04", "unit": "m", "base": "40", "base_unit": "mm"}
    assert product["variants"][1]["attributes"]["length"]["base"] == "50"
    assert m8x40["gtin"] == "04006381333931"
    assert m8x40["prices"] == [
        {"min_qty": 100, "unit_price_minor": 1850, "price_basis": 100},
        {"min_qty": 1000, "unit_price_minor": 1600, "price_basis": 100},
    ]
    assert product["attributes"]["thread"] == {"value": "M8"}
    jobs = await conn.fetchval(
        "SELECT count(*) FROM pgqueuer WHERE entrypoint = 'search.products_changed' AND dedupe_key = $1",
        f"product:{product['id']}",
    )
    assert jobs == 1

    again = await client.put("/api/v1/catalog/products", json=screw_product(category), headers=api)
    assert again.json()["changed"] is False
    assert again.json()["product"]["version"] == product["version"]


async def test_invalid_products_list_every_problem(client: httpx.AsyncClient, conn: Connection) -> None:
    api = await _vendor(conn)
    category = await make_screw_category(conn)
    bad = screw_product(category)
    bad["variants"][0]["gtin"] = "4006381333932"  # type: ignore[index]
    bad["variants"][1]["attributes"] = {"length": "5 kg", "colour": "red"}  # type: ignore[index]
    bad["moq"] = 150
    r = await client.put("/api/v1/catalog/products", json=bad, headers=api)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    fields = {e["field"]: e["reason"] for e in r.json()["errors"]}
    assert "check digit" in fields["variants[0].gtin"]
    assert "Length needs a unit of length" in fields["variants[1].attributes.length"]
    assert fields["variants[1].attributes.colour"] == "is not an attribute of this category"
    assert "increment" in fields
    assert await conn.fetchval("SELECT count(*) FROM product WHERE sku = 'DIN933-A2'") == 0


async def test_stock_updates_are_idempotent_and_shape_availability(client: httpx.AsyncClient, conn: Connection) -> None:
    api = await _vendor(conn)
    category = await make_screw_category(conn)
    product = (await client.put("/api/v1/catalog/products", json=screw_product(category), headers=api)).json()[
        "product"
    ]
    assert (
        await client.post("/api/v1/catalog/warehouses", json={"name": "Main", "country": "DE"}, headers=api)
    ).status_code == 201
    stock = [{"sku": "DIN933-A2-M8X40", "warehouse": "Main", "on_hand": 5000, "reserved": 200}]
    assert (await client.put("/api/v1/catalog/stock", json=stock, headers=api)).json() == {"changed": 1}
    assert (await client.put("/api/v1/catalog/stock", json=stock, headers=api)).json() == {"changed": 0}
    detail = (await client.get(f"/api/v1/catalog/products/{product['id']}", headers=api)).json()
    assert detail["variants"][0]["availability"] == "in stock (4800)"
    assert detail["variants"][1]["availability"] == "on request"
    r = await client.put(
        "/api/v1/catalog/stock", json=[{"sku": "NOPE", "warehouse": "Attic", "on_hand": 1}], headers=api
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"[0].sku", "[0].warehouse"}


async def test_lifecycle_needs_a_verified_vendor(client: httpx.AsyncClient, conn: Connection) -> None:
    pending = await _vendor(conn, CompanyStatus.PENDING)
    category = await make_screw_category(conn)
    product = (await client.put("/api/v1/catalog/products", json=screw_product(category), headers=pending)).json()
    r = await client.post(f"/api/v1/catalog/products/{product['product']['id']}/submit", headers=pending)
    assert r.status_code == 422
    assert r.json()["code"] == "company.not_verified"

    verified = await _vendor(conn)
    product = (
        await client.put("/api/v1/catalog/products", json=screw_product(category, "X-1"), headers=verified)
    ).json()
    pid = product["product"]["id"]
    r = await client.post(f"/api/v1/catalog/products/{pid}/submit", headers=verified)
    assert r.status_code == 200
    assert r.json()["status"] == "pending_review"
    assert (await client.post(f"/api/v1/catalog/products/{pid}/submit", headers=verified)).status_code == 409


async def test_quotes_use_contract_prices_for_their_buyers_only(client: httpx.AsyncClient, conn: Connection) -> None:
    vendor_api = await _vendor(conn)
    category = await make_screw_category(conn)
    product = (await client.put("/api/v1/catalog/products", json=screw_product(category), headers=vendor_api)).json()
    variant_id = product["product"]["variants"][0]["id"]
    await conn.execute("UPDATE product SET status = 'live' WHERE id = $1", product["product"]["id"])
    contract_buyer = await make_company(conn, kind="buyer")
    other_buyer = await make_company(conn, kind="buyer")
    pl = await client.post(
        "/api/v1/catalog/price-lists",
        json={"name": "Frame contract 2026", "buyer_ids": [contract_buyer.id], "valid_from": "2020-01-01"},
        headers=vendor_api,
    )
    assert pl.status_code == 201, pl.text
    r = await client.put(
        f"/api/v1/catalog/price-lists/{pl.json()['id']}/prices",
        json=[{"sku": "DIN933-A2-M8X40", "prices": [{"min_qty": 100, "unit_price_minor": 1500, "price_basis": 100}]}],
        headers=vendor_api,
    )
    assert r.status_code == 200, r.text

    contract = bearer(await make_token(conn, contract_buyer))
    other = bearer(await make_token(conn, other_buyer))
    q = (await client.get(f"/api/v1/catalog/offers/{variant_id}/quote", params={"quantity": 250}, headers=other)).json()
    assert q["price"]["source"] == "list"
    assert q["price"]["unit_price_minor"] == 1850
    assert q["quantity_problem"]["lower"] == 200
    assert q["quantity_problem"]["higher"] == 300
    q = (
        await client.get(f"/api/v1/catalog/offers/{variant_id}/quote", params={"quantity": 300}, headers=contract)
    ).json()
    assert q["price"]["source"] == "contract"
    assert q["price"]["line_total_minor"] == 4500  # 15.00 per 100 pieces x 300
    assert q["quantity_problem"] is None
    q = (
        await client.get(f"/api/v1/catalog/offers/{variant_id}/quote", params={"quantity": 1000}, headers=other)
    ).json()
    assert q["price"]["unit_price_minor"] == 1600  # the volume tier

    await conn.execute(
        "UPDATE price_list SET valid_to = (now() AT TIME ZONE 'UTC')::date - 1 WHERE id = $1", pl.json()["id"]
    )
    q = (
        await client.get(f"/api/v1/catalog/offers/{variant_id}/quote", params={"quantity": 300}, headers=contract)
    ).json()
    assert q["price"]["source"] == "list"  # the contract has expired


async def test_catalogs_are_private_to_their_vendor(client: httpx.AsyncClient, conn: Connection) -> None:
    owner = await _vendor(conn)
    intruder = await _vendor(conn)
    category = await make_screw_category(conn)
    product = (await client.put("/api/v1/catalog/products", json=screw_product(category), headers=owner)).json()
    pid = product["product"]["id"]
    variant_id = product["product"]["variants"][0]["id"]
    assert (await client.get(f"/api/v1/catalog/products/{pid}", headers=intruder)).status_code == 404
    assert (await client.post(f"/api/v1/catalog/products/{pid}/archive", headers=intruder)).status_code == 404
    r = await client.put(
        "/api/v1/catalog/prices",
        json=[{"sku": "DIN933-A2-M8X40", "prices": [{"min_qty": 1, "unit_price_minor": 1}]}],
        headers=intruder,
    )
    assert r.status_code == 422  # that SKU does not exist in the intruder's catalog
    # The same SKU in another catalog is a different product; the owner's stays as it was.
    assert (
        await client.put("/api/v1/catalog/products", json=screw_product(category), headers=intruder)
    ).status_code == 200
    mine = (await client.get(f"/api/v1/catalog/products/{pid}", headers=owner)).json()
    assert mine["variants"][0]["prices"][0]["unit_price_minor"] == 1850
    buyer = bearer(await make_token(conn, await make_company(conn, kind="buyer")))
    assert (await client.get("/api/v1/catalog/products", headers=buyer)).status_code == 403
    assert (await client.get(f"/api/v1/catalog/offers/{variant_id}/quote", headers=buyer)).status_code == 404  # draft
