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


async def test_the_queue_is_for_operators_only(client: httpx.AsyncClient, conn: Connection) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    await sign_in(client, vendor.emails["admin"])
    assert (await client.get("/operator/products")).status_code == 404
    assert (await post_form(client, "/operator/products/1/decision", {"action": "approve"})).status_code == 404
