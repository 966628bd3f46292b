"""Search through the API against the real Meilisearch: matching, facets, visibility, prices, sync, limits.

Every change is made through HTTP; its indexing job (enqueued by the change, in its transaction) is run
by ``index_pending`` through the real handler; then the search API is asked.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx
import pytest
from meilisearch_python_sdk import AsyncClient

from marketplace.core.db import Connection
from marketplace.settings import Settings
from tests.support.accounts import bearer, make_company, make_operator, make_token, post_form, sign_in
from tests.support.catalog import make_screw_category, screw_product
from tests.support.search import World, bearing, fresh_index


@pytest.fixture
async def index(conn: Connection, search: AsyncClient, settings: Settings) -> None:
    await fresh_index(conn, search, settings)


@pytest.fixture
async def world(
    client: httpx.AsyncClient, conn: Connection, search: AsyncClient, settings: Settings, index: None
) -> World:
    return World(client, conn, search, settings)


def titles(result: dict[str, Any]) -> list[str]:
    return [h["title"] for h in result["hits"]]


async def test_typos_find_names_but_part_numbers_match_exactly_across_separators(world: World) -> None:
    vendor = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]})
    await world.put(vendor, bearing("B-6204", "6204-2RS"))
    await world.put(vendor, bearing("B-NU2204", "NU2204ECP", title="Cylindrical roller bearing NU2204ECP"))
    category = await make_screw_category(world.conn)
    await world.put(vendor, screw_product(category, "DIN933"))
    assert await world.sync() >= 3
    buyer = await make_company(world.conn, kind="buyer")
    token = await make_token(world.conn, buyer)

    typo = await world.find(token, q="hexagn head scerw")
    assert titles(typo) == ["Hexagon head screw DIN 933, stainless A2"]
    for spelling in ("6204-2RS", "6204 2rs", "62042RS", "6204-2rs"):
        found = await world.find(token, q=spelling)
        assert titles(found) == ["Deep groove ball bearing 6204-2RS"], spelling
    assert (await world.find(token, q="6205-2RS"))["total"] == 0  # one digit off: never a match
    assert (await world.find(token, q="62052RS"))["total"] == 0
    assert (await world.find(token, q="NU2205ECP"))["total"] == 0
    assert titles(await world.find(token, q="nu 2204 ecp")) == ["Cylindrical roller bearing NU2204ECP"]
    assert titles(await world.find(token, q="NU2204ECP")) == ["Cylindrical roller bearing NU2204ECP"]
    m8x40 = await world.find(token, q="M8x40", variants="true")
    assert [h["variant_name"] for h in m8x40["hits"]] == ["M8 x 40"]
    by_gtin = await world.find(token, q="4006381333931")
    assert titles(by_gtin) == ["Hexagon head screw DIN 933, stainless A2"]
    assert (
        "\x02" in by_gtin["hits"][0]["title_highlight"]
        or by_gtin["hits"][0]["title_highlight"] == by_gtin["hits"][0]["title"]
    )
    highlighted = await world.find(token, q="hexagon")
    assert "\x02Hexagon\x03" in highlighted["hits"][0]["title_highlight"]


async def test_facets_counts_and_numeric_ranges_across_units(world: World) -> None:
    category = await make_screw_category(world.conn)
    cid = await world.conn.fetchval("SELECT id FROM category WHERE slug = $1", category)
    names = (f"First {uuid.uuid4().hex[:6]} GmbH", f"Second {uuid.uuid4().hex[:6]} AG")
    first = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]}, name=names[0])
    second = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]}, name=names[1])
    word = f"zx{uuid.uuid4().hex[:6]}"
    a = screw_product(category, "A")
    a["title"] += f" {word}"
    b = copy.deepcopy(a)
    b["sku"], b["brand"] = "B", "Fischer"
    for n, v in enumerate(b["variants"]):
        v["sku"] = f"B-{n}"
        v.pop("gtin", None)
    b["variants"][0]["attributes"]["length"] = "6 cm"  # 60 mm
    b["variants"][1]["attributes"]["length"] = "70 mm"
    b["attributes"]["material"] = "A4"
    await world.put(first, a)
    await world.put(second, b)
    await world.sync()
    token = await make_token(world.conn, await make_company(world.conn, kind="buyer"))

    result = await world.find(token, q=word, category=cid)
    assert result["total"] == 2  # one hit per product (distinct)
    facets = {f["name"] if f["code"] is None else f"{f['name']}:{f['code']}": f for f in result["facets"]}
    assert {v["value"]: v["count"] for v in facets["brand"]["values"]} == {"Würth": 1, "Fischer": 1}
    assert {v["value"]: v["count"] for v in facets["attr:material"]["values"]} == {"A2": 1, "A4": 1}
    length = facets["range:length"]
    assert (length["min"], length["max"], length["unit"]) == (40.0, 70.0, "mm")
    assert (await world.find(token, q=word, category=cid, variants="1"))["total"] == 4

    # 0.04 m and 40 mm are the same length; 30..45 mm finds A's 0.04 m variant only.
    ranged = await world.find(token, q=word, range="length:30..45", variants="1")
    assert [(h["sku"]) for h in ranged["hits"]] == ["A-M8X40"]
    assert (await world.find(token, q=word, range="length:55..", variants="1"))["total"] == 2

    # Ticking a brand keeps the other brands' counts (disjunctive facets) but narrows the hits.
    picked = await world.find(token, q=word, category=cid, brand="Fischer")
    assert titles(picked) == [b["title"]]
    brand_counts = {
        v["value"]: (v["count"], v["selected"]) for f in picked["facets"] if f["name"] == "brand" for v in f["values"]
    }
    assert brand_counts == {"Würth": (1, False), "Fischer": (1, True)}
    assert (await world.find(token, q=word, attr="material:A4"))["total"] == 1
    assert (await world.find(token, q=word, attr=["material:A4", "material:A2"]))["total"] == 2
    assert (await world.find(token, q=word, vendor=first.id))["total"] == 1
    vendors = next(f for f in result["facets"] if f["name"] == "vendor")
    assert {v["label"] for v in vendors["values"]} == set(names)


async def test_visibility_restricted_suspended_draft_and_hostile_filters(world: World) -> None:
    word = f"vis{uuid.uuid4().hex[:6]}"
    vendor = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]})
    other_vendor = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]})
    favoured = await make_company(world.conn, kind="buyer")
    stranger = await make_company(world.conn, kind="buyer")
    public = await world.put(vendor, bearing("PUB", "6000", title=f"Public {word}"))
    secret = await world.put(vendor, bearing("SEC", "6001", title=f"Secret {word}"))
    await world.put(vendor, bearing("DRAFT", "6002", title=f"Draft {word}"), live=False)
    await world.put(other_vendor, bearing("OTHER", "6003", title=f"Other {word}"))
    api = bearer(await make_token(world.conn, vendor))
    r = await world.client.put(
        f"/api/v1/catalog/products/{secret['id']}/audience", json={"buyer_ids": [favoured.id]}, headers=api
    )
    assert r.status_code == 200, r.text
    bad = await world.client.put(
        f"/api/v1/catalog/products/{secret['id']}/audience", json={"buyer_ids": [vendor.id + 10**9]}, headers=api
    )
    assert bad.status_code == 422
    await world.sync()
    fav, stra = await make_token(world.conn, favoured), await make_token(world.conn, stranger)

    assert sorted(titles(await world.find(fav, q=word))) == [f"Other {word}", f"Public {word}", f"Secret {word}"]
    assert sorted(titles(await world.find(stra, q=word))) == [f"Other {word}", f"Public {word}"]
    # The restricted product's page and quotes answer 404 to others, as if it did not exist.
    await sign_in(world.client, stranger.emails["admin"])
    assert (await world.client.get(f"/products/{secret['id']}")).status_code == 404
    assert (await world.client.get(f"/products/{public['id']}")).status_code == 200

    hostile = [
        'x" OR audience = "c' + str(favoured.id),
        '"] OR audience EXISTS OR brand IN ["',
        'SKF\\" OR audience EXISTS OR \\"',
        ") OR (audience EXISTS",
    ]
    for value in hostile:
        for params in ({"brand": value}, {"attr": f"material:{value}"}, {"country": value[:2]}, {"q": value}):
            r = await world.client.get(
                "/api/v1/search", params={"q": word, **params} if "q" not in params else params, headers=bearer(stra)
            )
            assert r.status_code in (200, 400), r.text
            if r.status_code == 200:
                assert f"Secret {word}" not in titles(r.json())
    # Suspending the vendor takes all of its listings out of search; reinstating brings them back.
    await sign_in(world.client, await make_operator(world.conn))
    decision = f"/operator/companies/{vendor.id}/decision"
    assert (await post_form(world.client, decision, {"action": "suspend", "reason": "Fraud check"})).status_code == 303
    await world.sync()
    assert titles(await world.find(fav, q=word)) == [f"Other {word}"]
    assert (await post_form(world.client, decision, {"action": "reinstate"})).status_code == 303
    await world.sync()
    assert len(titles(await world.find(fav, q=word))) == 3


async def test_each_hit_shows_the_price_this_buyer_pays(world: World) -> None:
    word = f"pr{uuid.uuid4().hex[:6]}"
    vendor = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]})
    product = await world.put(vendor, bearing("PRICE", "6300", title=f"Priced {word}"))
    contracted = await make_company(world.conn, kind="buyer")
    plain = await make_company(world.conn, kind="buyer")
    api = bearer(await make_token(world.conn, vendor))
    pl = await world.client.post(
        "/api/v1/catalog/price-lists", json={"name": "Frame 2026", "buyer_ids": [contracted.id]}, headers=api
    )
    assert pl.status_code == 201, pl.text
    r = await world.client.put(
        f"/api/v1/catalog/price-lists/{pl.json()['id']}/prices",
        json=[{"sku": "PRICE-V", "prices": [{"min_qty": 1, "unit_price_minor": 350}]}],
        headers=api,
    )
    assert r.is_success, r.text
    await world.sync()
    mine = (await world.find(await make_token(world.conn, contracted), q=word))["hits"][0]
    theirs = (await world.find(await make_token(world.conn, plain), q=word))["hits"][0]
    assert (mine["price"]["source"], mine["price"]["unit_price_minor"]) == ("contract", 350)
    assert (theirs["price"]["source"], theirs["price"]["unit_price_minor"]) == ("list", 412)
    assert mine["list_price_milli"] == theirs["list_price_milli"] == 412_000  # facets and sorting: list price
    assert mine["product_id"] == product["id"]


async def test_index_follows_every_kind_of_change_including_deletes(world: World) -> None:
    word = f"sy{uuid.uuid4().hex[:6]}"
    vendor = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]})
    api = bearer(await make_token(world.conn, vendor))
    token = await make_token(world.conn, await make_company(world.conn, kind="buyer"))
    cheap = await world.put(vendor, bearing("CHEAP", "6400", title=f"Cheap {word}"))
    await world.put(vendor, bearing("DEAR", "6401", title=f"Dear {word}"))
    await world.sync()
    assert titles(await world.find(token, q=word, sort="price_asc"))[0] == f"Cheap {word}"

    # A price change re-sorts.
    r = await world.client.put(
        "/api/v1/catalog/prices",
        json=[{"sku": "CHEAP-V", "prices": [{"min_qty": 1, "unit_price_minor": 9999}]}],
        headers=api,
    )
    assert r.is_success, r.text
    await world.sync()
    assert titles(await world.find(token, q=word, sort="price_asc"))[0] == f"Dear {word}"

    # Stock makes it "in stock now".
    wh = await world.client.post("/api/v1/catalog/warehouses", json={"name": "Main", "country": "DE"}, headers=api)
    assert wh.status_code == 201, wh.text
    r = await world.client.put(
        "/api/v1/catalog/stock", json=[{"sku": "DEAR-V", "warehouse": "Main", "on_hand": 7}], headers=api
    )
    assert r.is_success, r.text
    await world.sync()
    in_stock = await world.find(token, q=word, in_stock="true")
    assert titles(in_stock) == [f"Dear {word}"]
    assert in_stock["hits"][0]["available"] == 7

    # A title edit of a live product sends it back to review: it leaves search until approved again.
    edited = bearing("CHEAP", "6400", title=f"Cheaper {word}")
    edited["variants"][0]["prices"] = [{"min_qty": 1, "unit_price_minor": 9999}]
    assert (await world.client.put("/api/v1/catalog/products", json=edited, headers=api)).is_success
    await world.sync()
    assert titles(await world.find(token, q=word)) == [f"Dear {word}"]

    # Archiving deletes its documents.
    r = await world.client.post(f"/api/v1/catalog/products/{cheap['id']}/archive", headers=api)
    assert r.is_success
    dear = await world.conn.fetchval("SELECT id FROM product WHERE sku = 'DEAR' AND vendor_id = $1", vendor.id)
    assert (await world.client.post(f"/api/v1/catalog/products/{dear}/archive", headers=api)).is_success
    await world.sync()
    assert (await world.find(token, q=word))["total"] == 0

    # Renaming the vendor changes its name in every document.
    await world.conn.execute("UPDATE product SET status = 'live' WHERE vendor_id = $1", vendor.id)
    from marketplace.core.events import products_changed

    await products_changed(world.conn, [cheap["id"], dear])
    await world.sync()
    r = await world.client.put("/api/v1/company", json={"legal_name": f"Renamed {word} GmbH"}, headers=api)
    assert r.status_code == 200, r.text[:300]
    await world.sync()
    assert {h["vendor_name"] for h in (await world.find(token, q=word))["hits"]} == {f"Renamed {word} GmbH"}


async def test_limits_answer_400_with_the_field(world: World) -> None:
    token = await make_token(world.conn, await make_company(world.conn, kind="buyer"))
    cases = {
        "q": {"q": "x" * 201},
        "per_page": {"per_page": "1000"},
        "page": {"page": "500", "per_page": "100"},
        "filters": {"brand": [f"b{n}" for n in range(41)]},
        "range": {"range": "length:50..10"},
        "attr": {"attr": "no colon"},
        "sort": {"sort": "cheapest"},
        "price_min": {"price_min": "-5"},
        "in_stock": {"in_stock": "maybe"},
    }
    for field, params in cases.items():
        r = await world.client.get("/api/v1/search", params=params, headers=bearer(token))
        assert r.status_code == 400, (field, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert field in str(body), (field, body)
    assert (await world.client.get("/api/v1/search", params={"q": "x"})).status_code == 401
    r = await world.client.get("/api/v1/search/suggest", params={"q": "y" * 300}, headers=bearer(token))
    assert r.status_code == 400


async def test_typeahead_suggests_products_categories_and_brands(world: World) -> None:
    vendor = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]})
    category = await make_screw_category(world.conn)
    await world.put(vendor, screw_product(category, "TYPE"))
    await world.sync()
    token = await make_token(world.conn, await make_company(world.conn, kind="buyer"))
    r = await world.client.get("/api/v1/search/suggest", params={"q": "hexag"}, headers=bearer(token))
    assert r.status_code == 200
    kinds = {(s["kind"], s["label"]) for s in r.json()}
    assert ("product", "Hexagon head screw DIN 933, stainless A2") in kinds
    r = await world.client.get("/api/v1/search/suggest", params={"q": "würt"}, headers=bearer(token))
    assert ("brand", "Würth") in {(s["kind"], s["label"]) for s in r.json()}
    r = await world.client.get("/api/v1/search/suggest", params={"q": "scre"}, headers=bearer(token))
    assert "category" in {s["kind"] for s in r.json()}
