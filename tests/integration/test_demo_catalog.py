"""The demo catalog generator: every generated product passes the catalog rules, and seeding is idempotent."""

from __future__ import annotations

from marketplace.core.db import Connection
from tests.support.accounts import make_company
from vendors.demo import ensure_categories, generate, seed_vendor_catalog


def test_generation_is_deterministic_and_vendors_overlap() -> None:
    first = [p.variants[0].gtin for p in generate("A", 24)]
    again = [p.variants[0].gtin for p in generate("A", 24)]
    other = [p.variants[0].gtin for p in generate("B", 24, price_factor=104)]
    assert first == again
    assert first == other  # the same articles (GTINs) at two vendors
    assert len({p.category for p in generate("A", 24)}) == 6


async def test_seeding_saves_valid_products_once(conn: Connection) -> None:
    await ensure_categories(conn)
    await ensure_categories(conn)  # idempotent
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    assert await seed_vendor_catalog(conn, vendor.id, vendor.users["admin"], tag="T", count=36, price_factor=100) == 36
    products = await conn.fetchval("SELECT count(*) FROM product WHERE vendor_id = $1 AND status = 'live'", vendor.id)
    variants = await conn.fetchval("SELECT count(*) FROM variant WHERE vendor_id = $1", vendor.id)
    assert products == 36
    assert variants > 36
    assert await seed_vendor_catalog(conn, vendor.id, vendor.users["admin"], tag="T", count=36, price_factor=100) == 0
    assert await conn.fetchval("SELECT count(*) FROM product WHERE vendor_id = $1", vendor.id) == 36
    bearing = await conn.fetchval(
        "SELECT v.attributes->'sealing'->>'value' FROM variant v WHERE v.vendor_id = $1 AND v.name LIKE '62%-2RS'"
        " LIMIT 1",
        vendor.id,
    )
    assert bearing == "2RS"
