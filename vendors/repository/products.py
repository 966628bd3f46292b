"""Products and variants of one vendor, one at a time and in set-based batches (imports)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from marketplace.core.db import Connection
from vendors.models import (
    Product,
    Tier,
    Variant,
)

# ------------------------------------------------------------------ products

PRODUCT_COLUMNS = """id, vendor_id, sku, title, description, brand, category_id, attributes, warranty,
    country_of_origin, unit, pack_size, moq, increment, currency, vat_class, hide_price_from_guests, status,
    status_reason, version, created_at, updated_at"""

PRODUCT_FIELDS = (
    "title",
    "description",
    "brand",
    "category_id",
    "attributes",
    "warranty",
    "country_of_origin",
    "unit",
    "pack_size",
    "moq",
    "increment",
    "currency",
    "vat_class",
    "hide_price_from_guests",
)

INSERT_PRODUCT = f"""
INSERT INTO product (vendor_id, sku, {", ".join(PRODUCT_FIELDS)})
VALUES ($1, $2, {", ".join(f"${i}" for i in range(3, 3 + len(PRODUCT_FIELDS)))})
RETURNING {PRODUCT_COLUMNS}
"""


async def insert_product(conn: Connection, *, vendor_id: int, sku: str, fields: dict[str, Any]) -> Product:
    row = await conn.fetchrow(INSERT_PRODUCT, vendor_id, sku, *(fields[f] for f in PRODUCT_FIELDS))
    assert row is not None
    return Product(**row)


UPDATE_PRODUCT = f"""
UPDATE product SET {", ".join(f"{f} = ${i}" for i, f in enumerate(PRODUCT_FIELDS, start=3))},
    version = version + 1, updated_at = now()
WHERE id = $1 AND vendor_id = $2
RETURNING {PRODUCT_COLUMNS}
"""


async def update_product(conn: Connection, product_id: int, *, vendor_id: int, fields: dict[str, Any]) -> Product:
    row = await conn.fetchrow(UPDATE_PRODUCT, product_id, vendor_id, *(fields[f] for f in PRODUCT_FIELDS))
    assert row is not None
    return Product(**row)


GET_PRODUCT = f"SELECT {PRODUCT_COLUMNS} FROM product WHERE id = $1 AND vendor_id = $2"


async def get_product(conn: Connection, product_id: int, *, vendor_id: int) -> Product | None:
    row = await conn.fetchrow(GET_PRODUCT, product_id, vendor_id)
    return Product(**row) if row else None


LOCK_PRODUCT = GET_PRODUCT + " FOR UPDATE"


async def lock_product(conn: Connection, product_id: int, *, vendor_id: int) -> Product | None:
    row = await conn.fetchrow(LOCK_PRODUCT, product_id, vendor_id)
    return Product(**row) if row else None


GET_PRODUCTS_BY_SKU = f"SELECT {PRODUCT_COLUMNS} FROM product WHERE vendor_id = $1 AND sku = any($2::text[])"


async def get_products_by_sku(conn: Connection, skus: Sequence[str], *, vendor_id: int) -> dict[str, Product]:
    return {r["sku"]: Product(**r) for r in await conn.fetch(GET_PRODUCTS_BY_SKU, vendor_id, list(skus))}


LIST_PRODUCTS = f"""
SELECT {PRODUCT_COLUMNS}, count(*) OVER () AS total
FROM product
WHERE vendor_id = $1
  AND ($2::product_status IS NULL OR status = $2)
  AND ($3::text IS NULL OR sku ILIKE '%' || $3 || '%' OR title ILIKE '%' || $3 || '%'
       OR EXISTS (SELECT 1 FROM variant v WHERE v.product_id = product.id AND (v.sku ILIKE '%' || $3 || '%'
                  OR v.mpn ILIKE '%' || $3 || '%')))
  AND ($4::bigint IS NULL OR category_id = $4)
  AND ($7::bigint[] IS NULL OR EXISTS (SELECT 1 FROM product_catalog_group g
                                       WHERE g.product_id = product.id AND g.group_id = any($7::bigint[])))
  AND (NOT $8 OR NOT EXISTS (SELECT 1 FROM product_audience a WHERE a.product_id = product.id)
       OR EXISTS (SELECT 1 FROM product_audience a WHERE a.product_id = product.id AND a.buyer_id = $9))
ORDER BY updated_at DESC, id DESC
LIMIT $5 OFFSET $6
"""


async def list_products(
    conn: Connection,
    *,
    vendor_id: int,
    status: str | None,
    query: str | None,
    category_id: int | None,
    limit: int,
    offset: int,
    group_ids: Sequence[int] | None = None,
    for_buyers: bool = False,
    viewer: int | None = None,
) -> tuple[list[Product], int]:
    """A page of the vendor's products and the total; ``group_ids``: only products in one of those groups.

    ``for_buyers`` leaves out products restricted to buyers other than ``viewer`` (a company id, or None
    for visitors); the vendor's own lists show everything."""
    groups = list(group_ids) if group_ids is not None else None
    rows = await conn.fetch(
        LIST_PRODUCTS, vendor_id, status, query, category_id, limit, offset, groups, for_buyers, viewer
    )
    total = int(rows[0]["total"]) if rows else 0
    return [Product(**{k: v for k, v in r.items() if k != "total"}) for r in rows], total


SET_PRODUCT_STATUS = f"""
UPDATE product SET status = $3, status_reason = $4, version = version + 1, updated_at = now()
WHERE id = $1 AND vendor_id = $2 AND version = $5
RETURNING {PRODUCT_COLUMNS}
"""


async def set_product_status(
    conn: Connection, product_id: int, *, vendor_id: int, status: str, reason: str | None, version: int
) -> Product | None:
    row = await conn.fetchrow(SET_PRODUCT_STATUS, product_id, vendor_id, status, reason, version)
    return Product(**row) if row else None


INSERT_PRODUCT_HISTORY = """
INSERT INTO product_status_history (product_id, from_status, to_status, reason, actor_user_id)
VALUES ($1, $2, $3, $4, $5)
"""


async def insert_product_history(
    conn: Connection, product_id: int, from_status: str | None, to_status: str, reason: str | None, actor: int | None
) -> None:
    await conn.execute(INSERT_PRODUCT_HISTORY, product_id, from_status, to_status, reason, actor)


VARIANT_COLUMNS = "id, product_id, vendor_id, sku, name, mpn, gtin, attributes, lead_time_days, position"

# Batches (imports): one statement per step for a whole batch of products, arrays in via unnest().
# Typed values travel as JSON text and become jsonb in SQL.

PRODUCT_FIELD_TYPES = {
    "title": "text",
    "description": "text",
    "brand": "text",
    "category_id": "bigint",
    "attributes": "text",
    "warranty": "text",
    "country_of_origin": "text",
    "unit": "text",
    "pack_size": "int",
    "moq": "int",
    "increment": "int",
    "currency": "text",
    "vat_class": "text",
    "hide_price_from_guests": "boolean",
}
assert tuple(PRODUCT_FIELD_TYPES) == PRODUCT_FIELDS


def _field_value(name: str, column: str) -> str:
    return f"{column}::jsonb" if name == "attributes" else column


def _field_arrays(fields: Sequence[dict[str, Any]]) -> list[list[Any]]:
    return [
        [msgspec.json.encode(f[name]).decode() if name == "attributes" else f[name] for f in fields]
        for name in PRODUCT_FIELDS
    ]


LOCK_PRODUCTS_BY_SKU = f"""
SELECT {PRODUCT_COLUMNS} FROM product WHERE vendor_id = $1 AND sku = any($2::text[]) ORDER BY id FOR UPDATE
"""


async def lock_products_by_sku(conn: Connection, skus: Sequence[str], *, vendor_id: int) -> dict[str, Product]:
    """The vendor's products with these SKUs, locked in id order (no deadlocks between imports)."""
    return {r["sku"]: Product(**r) for r in await conn.fetch(LOCK_PRODUCTS_BY_SKU, vendor_id, list(skus))}


INSERT_PRODUCTS = f"""
INSERT INTO product (vendor_id, sku, {", ".join(PRODUCT_FIELDS)})
SELECT $1, u.sku, {", ".join(_field_value(f, "u." + f) for f in PRODUCT_FIELDS)}
FROM unnest($2::text[], {", ".join(f"${i}::{t}[]" for i, t in enumerate(PRODUCT_FIELD_TYPES.values(), start=3))})
    AS u(sku, {", ".join(PRODUCT_FIELDS)})
RETURNING {PRODUCT_COLUMNS}
"""


async def insert_products(
    conn: Connection, rows: Sequence[tuple[str, dict[str, Any]]], *, vendor_id: int
) -> dict[str, Product]:
    """New products from (SKU, fields); by SKU."""
    if not rows:
        return {}
    arrays = _field_arrays([fields for _, fields in rows])
    result = await conn.fetch(INSERT_PRODUCTS, vendor_id, [sku for sku, _ in rows], *arrays)
    return {r["sku"]: Product(**r) for r in result}


UPDATE_PRODUCTS = f"""
UPDATE product SET {", ".join(f + " = " + _field_value(f, "u.new_" + f) for f in PRODUCT_FIELDS)},
    version = version + 1, updated_at = now()
FROM unnest($2::bigint[], {", ".join(f"${i}::{t}[]" for i, t in enumerate(PRODUCT_FIELD_TYPES.values(), start=3))})
    AS u(new_id, {", ".join(f"new_{f}" for f in PRODUCT_FIELDS)})
WHERE product.id = u.new_id AND product.vendor_id = $1
RETURNING {PRODUCT_COLUMNS}
"""


async def update_products(
    conn: Connection, rows: Sequence[tuple[int, dict[str, Any]]], *, vendor_id: int
) -> dict[int, Product]:
    """New field values for existing products (version bumped); by id."""
    if not rows:
        return {}
    arrays = _field_arrays([fields for _, fields in rows])
    result = await conn.fetch(UPDATE_PRODUCTS, vendor_id, [pid for pid, _ in rows], *arrays)
    return {r["id"]: Product(**r) for r in result}


INSERT_PRODUCT_HISTORIES = """
INSERT INTO product_status_history (product_id, from_status, to_status, reason, actor_user_id)
SELECT unnest($1::bigint[]), NULL, $2, $3, $4
"""


async def insert_creation_histories(
    conn: Connection, product_ids: Sequence[int], status: str, reason: str | None, actor: int | None
) -> None:
    if product_ids:
        await conn.execute(INSERT_PRODUCT_HISTORIES, list(product_ids), status, reason, actor)


UPSERT_VARIANTS = """
INSERT INTO variant (product_id, vendor_id, sku, name, mpn, gtin, attributes, lead_time_days, position)
SELECT u.product_id, $1, u.sku, u.name, u.mpn, u.gtin, u.attributes::jsonb, u.lead_time_days, u.position
FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::int[])
    AS u(product_id, sku, name, mpn, gtin, attributes, lead_time_days, position)
ON CONFLICT (vendor_id, sku) DO UPDATE
SET name = EXCLUDED.name, mpn = EXCLUDED.mpn, gtin = EXCLUDED.gtin, attributes = EXCLUDED.attributes,
    lead_time_days = EXCLUDED.lead_time_days, position = EXCLUDED.position
WHERE variant.product_id = EXCLUDED.product_id
RETURNING id, sku
"""


async def upsert_variants(conn: Connection, rows: Sequence[dict[str, Any]], *, vendor_id: int) -> dict[str, int]:
    """Insert or update variants by (vendor, SKU), returning SKU → id; a SKU that belongs to another
    product is left out."""
    if not rows:
        return {}
    result = await conn.fetch(
        UPSERT_VARIANTS,
        vendor_id,
        [r["product_id"] for r in rows],
        [r["sku"] for r in rows],
        [r["name"] for r in rows],
        [r["mpn"] for r in rows],
        [r["gtin"] for r in rows],
        [msgspec.json.encode(r["attributes"]).decode() for r in rows],
        [r["lead_time_days"] for r in rows],
        [r["position"] for r in rows],
    )
    return {r["sku"]: r["id"] for r in result}


DELETE_VARIANTS = "DELETE FROM variant WHERE id = any($1::bigint[]) AND vendor_id = $2"


async def delete_variants(conn: Connection, variant_ids: Sequence[int], *, vendor_id: int) -> None:
    if variant_ids:
        await conn.execute(DELETE_VARIANTS, list(variant_ids), vendor_id)


DELETE_TIERS_OF = """
DELETE FROM price_tier t USING variant v
WHERE t.variant_id = v.id AND v.vendor_id = $1 AND t.variant_id = any($2::bigint[])
"""
INSERT_TIERS = """
INSERT INTO price_tier (variant_id, min_qty, unit_price_minor, price_basis)
SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::int[])
"""


async def replace_tiers_of(conn: Connection, tiers: dict[int, Sequence[Tier]], *, vendor_id: int) -> None:
    """Replace the list-price tiers of many of the vendor's variants (two statements for the batch).

    Like ``replace_tiers``, the caller took the variant ids from the vendor's own rows in this transaction;
    the delete is scoped by vendor, the insert is not re-checked (it costs a join per tier)."""
    if not tiers:
        return
    await conn.execute(DELETE_TIERS_OF, vendor_id, list(tiers))
    flat = [(vid, t) for vid, items in tiers.items() for t in items]
    if flat:
        await conn.execute(
            INSERT_TIERS,
            [vid for vid, _ in flat],
            [t.min_qty for _, t in flat],
            [t.unit_price_minor for _, t in flat],
            [t.price_basis for _, t in flat],
        )


# ------------------------------------------------------------------ variants

UPSERT_VARIANT = f"""
INSERT INTO variant (product_id, vendor_id, sku, name, mpn, gtin, attributes, lead_time_days, position)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (vendor_id, sku) DO UPDATE
SET name = EXCLUDED.name, mpn = EXCLUDED.mpn, gtin = EXCLUDED.gtin, attributes = EXCLUDED.attributes,
    lead_time_days = EXCLUDED.lead_time_days, position = EXCLUDED.position
WHERE variant.product_id = EXCLUDED.product_id
RETURNING {VARIANT_COLUMNS}
"""


async def upsert_variant(
    conn: Connection,
    *,
    product_id: int,
    vendor_id: int,
    sku: str,
    name: str,
    mpn: str | None,
    gtin: str | None,
    attributes: dict[str, Any],
    lead_time_days: int | None,
    position: int,
) -> Variant | None:
    """Insert or update by (vendor, SKU); None when that SKU already belongs to another product."""
    row = await conn.fetchrow(
        UPSERT_VARIANT, product_id, vendor_id, sku, name, mpn, gtin, attributes, lead_time_days, position
    )
    return Variant(**row) if row else None


LIST_VARIANTS = f"""
SELECT {VARIANT_COLUMNS} FROM variant WHERE product_id = any($1::bigint[]) AND vendor_id = $2
ORDER BY product_id, position, id
"""


async def list_variants(conn: Connection, product_ids: Sequence[int], *, vendor_id: int) -> list[Variant]:
    return [Variant(**r) for r in await conn.fetch(LIST_VARIANTS, list(product_ids), vendor_id)]


GET_VARIANTS_BY_SKU = f"SELECT {VARIANT_COLUMNS} FROM variant WHERE vendor_id = $1 AND sku = any($2::text[])"


async def get_variants_by_sku(conn: Connection, skus: Sequence[str], *, vendor_id: int) -> dict[str, Variant]:
    return {r["sku"]: Variant(**r) for r in await conn.fetch(GET_VARIANTS_BY_SKU, vendor_id, list(skus))}


GET_VARIANT = f"SELECT {VARIANT_COLUMNS} FROM variant WHERE id = $1 AND vendor_id = $2"


async def get_variant(conn: Connection, variant_id: int, *, vendor_id: int) -> Variant | None:
    row = await conn.fetchrow(GET_VARIANT, variant_id, vendor_id)
    return Variant(**row) if row else None


DELETE_OTHER_VARIANTS = """
DELETE FROM variant WHERE product_id = $1 AND vendor_id = $2 AND NOT (sku = any($3::text[]))
"""


async def delete_variants_except(conn: Connection, product_id: int, keep: Sequence[str], *, vendor_id: int) -> None:
    await conn.execute(DELETE_OTHER_VARIANTS, product_id, vendor_id, list(keep))
