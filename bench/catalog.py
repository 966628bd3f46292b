"""A large catalog for the search benchmarks, loaded with set-based SQL (not the per-product save path).

The demo catalog is loaded first (``./dev seed``); then bench vendors are added, each selling a copy of
the first demo vendor's catalog (3,800 variants: the same articles, MPNs and GTINs, with its own SKUs,
prices and stock), until the variant count reaches the target. Ten vendors per transaction, each
step one ``INSERT … SELECT`` over all of them: about 10 s for 100,000 variants on the bench machine.
Idempotent: a data set already at the target is left alone.
"""

from __future__ import annotations

import time

from bench import support
from marketplace.core.db import Connection, connect
from marketplace.settings import Settings
from vendors.demo import DEMO_VENDORS

VENDORS_PER_STEP = 10

VARIANTS = "SELECT count(*) FROM variant"
SOURCE_VENDOR = """
SELECT m.company_id FROM membership m JOIN app_user u ON u.id = m.user_id WHERE u.email = $1
"""
BENCH_VENDORS = "SELECT count(*) FROM company WHERE legal_name LIKE 'Bench Vendor %'"

NEW_VENDORS = """
CREATE TEMP TABLE bench_vendor ON COMMIT DROP AS
WITH ins AS (
    INSERT INTO company (kind, legal_name, country, status)
    SELECT 'vendor', 'Bench Vendor ' || k, 'DE', 'verified' FROM generate_series($1::int, $2::int) k
    RETURNING id, legal_name
)
SELECT id, substr(legal_name, 14)::int AS k FROM ins
"""
PRODUCTS = """
INSERT INTO product (vendor_id, sku, title, description, brand, category_id, attributes, country_of_origin,
                     unit, pack_size, moq, increment, currency, status)
SELECT bv.id, 'B' || bv.k || '-' || p.sku, p.title, p.description, p.brand, p.category_id, p.attributes,
       p.country_of_origin, p.unit, p.pack_size, p.moq, p.increment, p.currency, 'live'
FROM bench_vendor bv CROSS JOIN product p WHERE p.vendor_id = $1
"""
VARIANTS_COPY = """
INSERT INTO variant (product_id, vendor_id, sku, name, mpn, gtin, attributes, lead_time_days, position)
SELECT np.id, bv.id, 'B' || bv.k || '-' || v.sku, v.name, v.mpn, v.gtin, v.attributes,
       CASE WHEN (bv.k + v.position) % 4 = 0 THEN NULL ELSE (bv.k + v.position) % 15 END, v.position
FROM bench_vendor bv
JOIN product p ON p.vendor_id = $1
JOIN product np ON np.vendor_id = bv.id AND np.sku = 'B' || bv.k || '-' || p.sku
JOIN variant v ON v.product_id = p.id
"""
TIERS = """
INSERT INTO price_tier (variant_id, min_qty, unit_price_minor, price_basis)
SELECT nv.id, t.min_qty, t.unit_price_minor * (80 + (bv.k * 7) % 50) / 100, t.price_basis
FROM bench_vendor bv
JOIN variant v ON v.vendor_id = $1
JOIN variant nv ON nv.vendor_id = bv.id AND nv.sku = 'B' || bv.k || '-' || v.sku
JOIN price_tier t ON t.variant_id = v.id
"""
WAREHOUSES = "INSERT INTO warehouse (vendor_id, name, country) SELECT id, 'Main', 'DE' FROM bench_vendor"
STOCK = """
INSERT INTO stock (variant_id, warehouse_id, on_hand, reserved)
SELECT v.id, w.id, (abs(hashtext(v.sku)) % 5000) * 10, 0
FROM bench_vendor bv JOIN warehouse w ON w.vendor_id = bv.id JOIN variant v ON v.vendor_id = bv.id
WHERE abs(hashtext(v.sku)) % 3 <> 0
"""


async def _add_vendors(conn: Connection, source: int, first: int, last: int) -> None:
    async with conn.transaction():
        await conn.execute(NEW_VENDORS, first, last)
        for statement in (PRODUCTS, VARIANTS_COPY, TIERS):
            await conn.execute(statement, source)
        await conn.execute(WAREHOUSES)
        await conn.execute(STOCK)


async def ensure_catalog(settings: Settings, variants: int) -> int:
    """The demo catalog plus bench vendors until at least ``variants`` variants exist; returns the count."""
    await support.seed_demo(settings)
    conn = await connect(support.bench_owner_url(settings))  # the owner: ANALYZE at the end
    try:
        count = int(await conn.fetchval(VARIANTS))
        if count >= variants:
            return count
        source = await conn.fetchval(SOURCE_VENDOR, DEMO_VENDORS[0][0])
        per_vendor = int(await conn.fetchval("SELECT count(*) FROM variant WHERE vendor_id = $1", source))
        done = int(await conn.fetchval(BENCH_VENDORS))
        wanted = done + -(-(variants - count) // per_vendor)
        started = time.perf_counter()
        for first in range(done + 1, wanted + 1, VENDORS_PER_STEP):
            await _add_vendors(conn, source, first, min(wanted, first + VENDORS_PER_STEP - 1))
            print(f"\r  bench catalog: {int(await conn.fetchval(VARIANTS)):,} variants", end="", flush=True)
        await conn.execute("ANALYZE")
        count = int(await conn.fetchval(VARIANTS))
        print(f"\r  bench catalog: {count:,} variants loaded in {time.perf_counter() - started:.1f} s")
        return count
    finally:
        await conn.close()
