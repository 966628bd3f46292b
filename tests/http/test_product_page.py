"""The buyer's product page: specs, tiers, their own (contract) price, stock, the same article elsewhere."""

from __future__ import annotations

import httpx

from marketplace.core.db import Connection
from tests.support.accounts import bearer, make_company, make_token, sign_in
from tests.support.catalog import make_screw_category, screw_product


async def test_product_page_shows_the_buyers_price_and_other_vendors(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    category = await make_screw_category(conn)
    first = await make_company(conn, kind="vendor", people={"admin": ["admin"]}, name="Schrauben Erste GmbH")
    second = await make_company(conn, kind="vendor", people={"admin": ["admin"]}, name="Zweite Verbindungstechnik AG")
    products = []
    for vendor, price in ((first, 1850), (second, 1990)):
        body = screw_product(category)
        body["variants"][0]["prices"][0]["unit_price_minor"] = price  # type: ignore[index]
        r = await client.put("/api/v1/catalog/products", json=body, headers=bearer(await make_token(conn, vendor)))
        products.append(r.json()["product"])
    await conn.execute("UPDATE product SET status = 'live' WHERE vendor_id = any($1::bigint[])", [first.id, second.id])
    buyer = await make_company(conn, kind="buyer")
    price_list = await conn.fetchval(
        "INSERT INTO price_list (vendor_id, name) VALUES ($1, 'Contract') RETURNING id", first.id
    )
    await conn.execute("INSERT INTO price_list_buyer VALUES ($1, $2)", price_list, buyer.id)
    await conn.execute(
        "INSERT INTO price_list_entry VALUES ($1, $2, 100, 1500, 100)", price_list, products[0]["variants"][0]["id"]
    )

    page = await client.get(f"/products/{products[0]['id']}")
    assert page.status_code == 200
    assert "Hexagon head screw DIN 933" in page.text
    assert "Length" in page.text
    assert "0.04 m" in page.text
    assert "€18.50" in page.text  # list price for 100 as a visitor
    assert "Zweite Verbindungstechnik AG" in page.text  # the same GTIN at the other vendor
    assert "Sign in" in page.text

    await sign_in(client, buyer.emails["admin"])
    page = await client.get(f"/products/{products[0]['id']}")
    assert "€15.00" in page.text
    assert "contract" in page.text

    await conn.execute("UPDATE product SET status = 'draft' WHERE id = $1", products[0]["id"])
    assert (await client.get(f"/products/{products[0]['id']}")).status_code == 404


async def test_vendor_can_hide_prices_from_visitors(client: httpx.AsyncClient, conn: Connection) -> None:
    category = await make_screw_category(conn)
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    body = screw_product(category)
    body["hide_price_from_guests"] = True
    product = (
        await client.put("/api/v1/catalog/products", json=body, headers=bearer(await make_token(conn, vendor)))
    ).json()
    pid = product["product"]["id"]
    await conn.execute("UPDATE product SET status = 'live' WHERE id = $1", pid)
    guest = await client.get(f"/products/{pid}")
    assert "sign in to see prices" in guest.text
    assert "€18.50" not in guest.text
    buyer = await make_company(conn, kind="buyer")
    await sign_in(client, buyer.emails["admin"])
    assert "€18.50" in (await client.get(f"/products/{pid}")).text


async def test_accessories_link_own_products_and_show_when_live(client: httpx.AsyncClient, conn: Connection) -> None:
    category = await make_screw_category(conn)
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    api = bearer(await make_token(conn, vendor))
    screw = (await client.put("/api/v1/catalog/products", json=screw_product(category, "SCREW"), headers=api)).json()
    nut = (await client.put("/api/v1/catalog/products", json=screw_product(category, "NUT"), headers=api)).json()
    r = await client.put(
        f"/api/v1/catalog/products/{screw['product']['id']}/links",
        json={"accessories": ["NUT", "GHOST"], "replacements": ["SCREW"]},
        headers=api,
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"accessories[1]", "replacements[0]"}
    r = await client.put(
        f"/api/v1/catalog/products/{screw['product']['id']}/links", json={"accessories": ["NUT"]}, headers=api
    )
    assert [(link["sku"], link["kind"]) for link in r.json()] == [("NUT", "accessory")]
    await conn.execute("UPDATE product SET status = 'live' WHERE id = $1", screw["product"]["id"])
    page = await client.get(f"/products/{screw['product']['id']}")
    assert "Accessories and replacement parts" not in page.text  # the nut is not live yet
    await conn.execute("UPDATE product SET status = 'live' WHERE id = $1", nut["product"]["id"])
    page = await client.get(f"/products/{screw['product']['id']}")
    assert f'href="/products/{nut["product"]["id"]}"' in page.text
