"""Imports write in set-based batches (``save_products``) with the rules of ``save_product``: several
batches, idempotent re-import, one indexing job per product, moderation of live products, and the
order of products within a batch mattering exactly as if they were saved one by one."""

from __future__ import annotations

import httpx

from marketplace.core.db import Connection
from tests.support.accounts import bearer, make_company, make_token
from tests.support.bmecat import catalog, price_product
from vendors.imports import BATCH

HEADER = "product_sku;title;description;variant_sku;variant_name;prices\n"


def _rows(n: int, *, title: str = "Washer", start: int = 0) -> str:
    return "".join(
        f"W-{i:05d};{title} {i};Zinc plated;W-{i:05d}-A;small;1:{100 + i % 7}/1\n"
        f"W-{i:05d};{title} {i};Zinc plated;W-{i:05d}-B;large;1:{200 + i % 7}/1|10:{150 + i % 7}/1\n"
        for i in range(start, start + n)
    )


async def _post(client: httpx.AsyncClient, api: dict[str, str], body: str, **params: str) -> dict[str, object]:
    r = await client.post("/api/v1/catalog/imports/csv", content=body.encode(), params=params, headers=api)
    assert r.status_code == 200, r.text
    report: dict[str, object] = r.json()
    return report


async def _jobs(conn: Connection, vendor_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM pgqueuer q JOIN product p ON q.dedupe_key = 'product:' || p.id"
        " WHERE q.entrypoint = 'search.products_changed' AND p.vendor_id = $1",
        vendor_id,
    )
    return count


async def test_many_batches_then_an_identical_file_changes_nothing(client: httpx.AsyncClient, conn: Connection) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    api = bearer(await make_token(conn, vendor))
    n = 2 * BATCH + 37
    first = await _post(client, api, HEADER + _rows(n))
    assert (first["created"], first["updated"], first["unchanged"], first["errors"]) == (n, 0, 0, [])
    assert first["variants"] == 2 * n
    assert await conn.fetchval("SELECT count(*) FROM variant WHERE vendor_id = $1", vendor.id) == 2 * n
    tiers = await conn.fetch(
        "SELECT t.min_qty, t.unit_price_minor FROM price_tier t JOIN variant v ON v.id = t.variant_id"
        " WHERE v.vendor_id = $1 AND v.sku = 'W-00008-B' ORDER BY t.min_qty",
        vendor.id,
    )
    assert [tuple(t) for t in tiers] == [(1, 201), (10, 151)]
    assert await _jobs(conn, vendor.id) == n  # one pending indexing job per product
    history = await conn.fetchval(
        "SELECT count(*) FROM product_status_history h JOIN product p ON p.id = h.product_id"
        " WHERE p.vendor_id = $1 AND h.to_status = 'draft' AND h.reason = 'csv import'",
        vendor.id,
    )
    assert history == n
    versions = await conn.fetchval("SELECT sum(version) FROM product WHERE vendor_id = $1", vendor.id)

    await conn.execute(
        "DELETE FROM pgqueuer WHERE entrypoint = 'search.products_changed' AND dedupe_key LIKE 'product:%'"
    )
    again = await _post(client, api, HEADER + _rows(n))
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, n)
    assert await _jobs(conn, vendor.id) == 0
    assert await conn.fetchval("SELECT sum(version) FROM product WHERE vendor_id = $1", vendor.id) == versions

    # One product's title, another's price, a third loses a variant: three updates, three jobs.
    body = HEADER + _rows(n).replace("Washer 7;", "Washer seven;")
    body = body.replace("W-00010-B;large;1:203/1|10:153/1", "W-00010-B;large;1:209/1")
    body = "".join(
        line
        for line in body.splitlines(keepends=True)
        if not line.startswith("W-00900;Washer 900;Zinc plated;W-00900-B")
    )
    changed = await _post(client, api, body)
    assert (changed["updated"], changed["unchanged"]) == (3, n - 3)
    assert await _jobs(conn, vendor.id) == 3
    assert await conn.fetchval("SELECT count(*) FROM variant WHERE vendor_id = $1", vendor.id) == 2 * n - 1


async def test_a_sensitive_edit_sends_a_live_product_back_to_review(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    api = bearer(await make_token(conn, vendor))
    await _post(client, api, HEADER + _rows(3))
    await conn.execute(
        "UPDATE product SET status = 'live', live_snapshot = '{\"title\": \"Washer 1\"}' WHERE vendor_id = $1",
        vendor.id,
    )
    body = HEADER + _rows(3).replace("Washer 1;", "Washer one;").replace(
        "W-00002;Washer 2;Zinc plated", "W-00002;Washer 2;Hot-dip galvanised"
    )
    report = await _post(client, api, body)
    assert (report["updated"], report["unchanged"]) == (2, 1)
    rows = await conn.fetch(
        "SELECT sku, status::text, live_snapshot FROM product WHERE vendor_id = $1 ORDER BY sku", vendor.id
    )
    assert [(r["sku"], r["status"]) for r in rows] == [
        ("W-00000", "live"),
        ("W-00001", "pending_review"),  # the title is what buyers rely on
        ("W-00002", "live"),  # a description is not reviewed
    ]
    assert rows[1]["live_snapshot"] == {"title": "Washer 1"}  # the reviewer's "approved" side of the diff
    moved = await conn.fetchval(
        "SELECT reason FROM product_status_history h JOIN product p ON p.id = h.product_id"
        " WHERE p.vendor_id = $1 AND p.sku = 'W-00001' AND h.to_status = 'pending_review'",
        vendor.id,
    )
    assert moved == "sensitive fields changed"


async def test_order_within_a_batch_counts_as_if_saved_one_by_one(client: httpx.AsyncClient, conn: Connection) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    api = bearer(await make_token(conn, vendor))
    await _post(client, api, HEADER + "A;Alpha;;A-1;one;1:10/1\nA;Alpha;;X;moving;1:10/1\nB;Beta;;B-1;one;1:10/1\n")
    # A gives up X before B (later in the file) takes it: allowed.
    moved = await _post(
        client, api, HEADER + "A;Alpha;;A-1;one;1:10/1\nB;Beta;;B-1;one;1:10/1\nB;Beta;;X;moved;1:10/1\n"
    )
    assert (moved["updated"], moved["errors"]) == (2, [])
    owner = await conn.fetchval(
        "SELECT p.sku FROM variant v JOIN product p ON p.id = v.product_id WHERE v.vendor_id = $1 AND v.sku = 'X'",
        vendor.id,
    )
    assert owner == "B"
    # C (earlier) claims X while B still has it: refused, like one save after the other; D is saved.
    body = HEADER + "C;Gamma;;X;stolen;1:10/1\nD;Delta;;D-1;one;1:10/1\n"
    report = await _post(client, api, body, mode="partial")
    assert report["errors"] == [{"row": 2, "column": "variants", "reason": "SKU X already belongs to another product."}]
    assert (report["created"], report["failed"]) == (1, 1)


async def test_the_same_article_twice_in_one_file_is_saved_in_order(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    api = bearer(await make_token(conn, vendor))
    xml = catalog(
        price_product("1.00", sku="TWICE") + price_product("2.00", sku="OTHER") + price_product("3.00", sku="TWICE")
    )
    r = await client.post(
        "/api/v1/catalog/imports/bmecat", content=xml, headers={**api, "content-type": "application/xml"}
    )
    report = r.json()
    assert (report["created"], report["updated"]) == (2, 1), report
    price = await conn.fetchval(
        "SELECT t.unit_price_minor FROM price_tier t JOIN variant v ON v.id = t.variant_id"
        " WHERE v.vendor_id = $1 AND v.sku = 'TWICE'",
        vendor.id,
    )
    assert price == 300
