"""Moderation: submitted listings wait for an operator; only approved ones are visible to buyers."""

from __future__ import annotations

import httpx

from marketplace.core.db import Connection
from tests.support.accounts import bearer, make_company, make_operator, make_token, post_form, sign_in
from tests.support.catalog import make_screw_category, screw_product


async def test_submit_review_reject_resubmit_approve(client: httpx.AsyncClient, conn: Connection) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    api = bearer(await make_token(conn, vendor))
    category = await make_screw_category(conn)
    product = (await client.put("/api/v1/catalog/products", json=screw_product(category), headers=api)).json()[
        "product"
    ]
    pid = product["id"]
    assert (await client.post(f"/api/v1/catalog/products/{pid}/submit", headers=api)).status_code == 200
    assert (await client.get(f"/products/{pid}")).status_code == 404  # not live yet

    await sign_in(client, await make_operator(conn))
    queue = await client.get("/operator/products")
    assert "Hexagon head screw DIN 933" in queue.text
    r = await post_form(client, f"/operator/products/{pid}/decision", {"action": "reject"})
    assert "product.reason_required" in r.headers["location"]
    r = await post_form(client, f"/operator/products/{pid}/decision", {"action": "reject", "reason": "Photos missing"})
    assert r.headers["location"] == "/operator/products?decided=rejected"
    detail = (await client.get(f"/api/v1/catalog/products/{pid}", headers=api)).json()
    assert (detail["status"], detail["status_reason"]) == ("rejected", "Photos missing")

    assert (await client.post(f"/api/v1/catalog/products/{pid}/submit", headers=api)).status_code == 200
    r = await post_form(client, f"/operator/products/{pid}/decision", {"action": "approve"})
    assert r.headers["location"] == "/operator/products?decided=approved"
    assert (await client.get(f"/products/{pid}")).status_code == 200
    history = await conn.fetch(
        "SELECT to_status::text FROM product_status_history WHERE product_id = $1 ORDER BY id", pid
    )
    assert [h["to_status"] for h in history] == ["draft", "pending_review", "rejected", "pending_review", "live"]

    # Editing a sensitive field of a live listing sends it back to review.
    changed = screw_product(category)
    changed["title"] = "Hexagon head screw DIN 933, A2 (new packaging)"
    saved = (await client.put("/api/v1/catalog/products", json=changed, headers=api)).json()["product"]
    assert saved["status"] == "pending_review"
    queue = await client.get("/operator/products")
    assert "<del>Hexagon head screw DIN 933, stainless A2</del>" in queue.text
    assert "<ins>Hexagon head screw DIN 933, A2 (new packaging)</ins>" in queue.text
    assert "attribute material" not in queue.text  # unchanged fields are not listed


async def test_the_queue_is_for_operators_only(client: httpx.AsyncClient, conn: Connection) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    await sign_in(client, vendor.emails["admin"])
    assert (await client.get("/operator/products")).status_code == 404
    assert (await post_form(client, "/operator/products/1/decision", {"action": "approve"})).status_code == 404


async def test_reports_reach_the_queue_and_can_take_a_listing_down(
    client: httpx.AsyncClient,
    app_factory,
    conn: Connection,  # type: ignore[no-untyped-def]
) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]}, name="Report Target GmbH")
    api = bearer(await make_token(conn, vendor))
    category = await make_screw_category(conn)
    pid = (await client.put("/api/v1/catalog/products", json=screw_product(category), headers=api)).json()["product"][
        "id"
    ]
    await conn.execute("UPDATE product SET status = 'live' WHERE id = $1", pid)

    storefront = await client.get(f"/vendors/{vendor.id}")
    assert "Report Target GmbH" in storefront.text
    assert f'href="/products/{pid}"' in storefront.text

    buyer = await make_company(conn, kind="buyer")
    await sign_in(client, buyer.emails["admin"])
    assert "missing_reason" in (await post_form(client, f"/products/{pid}/report", {"reason": ""})).headers["location"]
    r = await post_form(client, f"/products/{pid}/report", {"reason": "Counterfeit, the GTIN belongs to another brand"})
    assert r.headers["location"].endswith("report=sent#report")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_factory()), base_url="http://t") as op:
        await sign_in(op, await make_operator(conn))
        queue = await op.get("/operator/products")
        assert "Counterfeit, the GTIN belongs to another brand" in queue.text
        report_id = await conn.fetchval("SELECT id FROM listing_report WHERE product_id = $1", pid)
        r = await post_form(
            op, f"/operator/reports/{report_id}/resolution", {"action": "take_down", "reason": "Counterfeit"}
        )
        assert r.headers["location"] == "/operator/products?decided=taken down"
    assert (await client.get(f"/products/{pid}")).status_code == 404
    assert await conn.fetchval("SELECT status_reason FROM product WHERE id = $1", pid) == "Counterfeit"
    assert await conn.fetchval("SELECT resolution FROM listing_report WHERE id = $1", report_id) == "taken_down"
    assert (await client.get(f"/vendors/{buyer.id}")).status_code == 404  # buyers have no storefront
