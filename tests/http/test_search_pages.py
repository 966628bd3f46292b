"""The buyer's search pages: results with facets and prices, URL state, typeahead, clicks, zero results."""

from __future__ import annotations

import re
import uuid

from tests.support.accounts import make_company, sign_in
from tests.support.catalog import make_screw_category, screw_product
from tests.support.search import World, bearing


async def test_results_page_facets_prices_highlight_and_url_state(world: World) -> None:
    word = f"pg{uuid.uuid4().hex[:6]}"
    category = await make_screw_category(world.conn)
    vendor = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]})
    body = screw_product(category, "PAGE")
    body["title"] = f"Hexagon <b>screw</b> {word}"
    await world.put(vendor, body)
    await world.put(vendor, bearing("BRG", "6204-2RS", title=f"Bearing {word}"))
    await world.sync()
    buyer = await make_company(world.conn, kind="buyer")
    await sign_in(world.client, buyer.emails["admin"])

    page = await world.client.get("/search", params={"q": f"hexagon {word}"})
    assert page.status_code == 200
    html = page.text
    assert "<strong>1</strong> product" in html
    assert "<mark>Hexagon</mark> &lt;b&gt;screw&lt;/b&gt;" in html  # matches marked, the rest escaped
    assert "€18.50" in html
    assert "per 100 pcs" in html
    assert "In stock (" not in html
    assert "Ships in 5 days" in html
    assert re.search(r'name="brand" value="Würth"', html)
    # Ticking a facet is a plain GET: the URL holds the state, so links and back/forward work.
    ticked = await world.client.get("/search", params={"q": word, "brand": "Würth"})
    assert "Hexagon" in ticked.text
    assert "Bearing" not in ticked.text
    assert 'name="brand" value="Würth" checked' in ticked.text
    # htmx asks for the results block only.
    fragment = await world.client.get(
        "/search", params={"q": word, "sort": "price_desc"}, headers={"hx-request": "true", "hx-target": "results"}
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert fragment.headers["hx-push-url"] == f"/search?q={word}&sort=price_desc"
    assert 'value="price_desc" selected' in fragment.text
    # Ranges from the form's min/max inputs, in the attribute's base unit.
    cid = await world.conn.fetchval("SELECT id FROM category WHERE slug = $1", category)
    in_category = await world.client.get("/search", params={"q": word, "category": cid})
    assert 'placeholder="40"' in in_category.text  # the range's bounds over all variants
    assert 'placeholder="50"' in in_category.text
    ranged = await world.client.get(
        "/search", params={"q": word, "category": cid, "rmin.length": "45", "variants": "1"}
    )
    assert "M8 x 50" in ranged.text
    assert "M8 x 40" not in ranged.text
    assert 'name="rmin.length"' in ranged.text
    assert 'value="45"' in ranged.text
    assert "Length (mm)" in ranged.text


async def test_bad_parameters_rerender_with_reasons_never_500(world: World) -> None:
    for params in (
        {"per_page": "5000"},
        {"rmin.length": "abc"},
        {"q": "x" * 500},
        {"page": "-1"},
        {"brand": [f"b{n}" for n in range(50)]},
    ):
        r = await world.client.get("/search", params=params)
        assert r.status_code == 400, params
        assert "This search cannot run as asked" in r.text


async def test_zero_results_say_so_and_offer_a_relaxed_search(world: World) -> None:
    word = f"zr{uuid.uuid4().hex[:6]}"
    vendor = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]})
    category = await make_screw_category(world.conn)
    body = screw_product(category, "ZERO")
    body["title"] = f"Hexagon screw {word}"
    await world.put(vendor, body)
    await world.sync()
    nothing = await world.client.get("/search", params={"q": "qqqqzzzz"})
    assert "Nothing found for “qqqqzzzz”" in nothing.text
    relaxed = await world.client.get("/search", params={"q": f"{word} unobtainium"})
    assert "No product matches every word" in relaxed.text
    assert "Hexagon screw" in relaxed.text
    recorded = await world.conn.fetchval("SELECT total FROM search_event WHERE query = $1", f"{word} unobtainium")
    assert recorded == 0  # for analytics, a rescued search still found nothing


async def test_typeahead_fragment_and_click_tracking(world: World) -> None:
    vendor = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]})
    product = await world.put(vendor, bearing("TA", "6204-2RS"))
    await world.sync()
    r = await world.client.get("/search/suggest", params={"q": "deep gro"})
    assert r.status_code == 200
    assert 'role="listbox"' in r.text
    assert f'data-href="/products/{product["id"]}"' in r.text
    assert "<mark>" in r.text
    assert "No suggestions" in (await world.client.get("/search/suggest", params={"q": "zzqqxx"})).text
    assert (await world.client.get("/search/suggest", params={"q": ""})).text.strip() == ""

    page = await world.client.get("/search", params={"q": "6204-2RS"})
    href = re.search(r'href="(/search/go/[^"]+)"', page.text)
    assert href is not None
    go = await world.client.get(href.group(1).replace("&amp;", "&"))
    assert go.status_code == 303
    assert go.headers["location"] == f"/products/{product['id']}"
    clicks = await world.conn.fetch(
        "SELECT product_id, position FROM search_click WHERE product_id = $1", product["id"]
    )
    assert [(c["product_id"], c["position"]) for c in clicks] == [(product["id"], 1)]
    events = await world.conn.fetchval("SELECT count(*) FROM search_event WHERE query = '6204-2RS' AND total = 1")
    assert events == 1
    # A forged or unknown search id is ignored, and still leads to the product.
    bogus = await world.client.get(f"/search/go/{uuid.uuid4()}/{product['id']}?pos=2")
    assert bogus.status_code == 303
    assert (await world.client.get(f"/search/go/not-a-uuid/{product['id']}")).status_code == 303
    assert await world.conn.fetchval("SELECT count(*) FROM search_click WHERE product_id = $1", product["id"]) == 1
