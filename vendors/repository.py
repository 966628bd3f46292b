"""SQL of vendor catalogs. Every read or write of a vendor's data takes ``vendor_id`` and filters by it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import msgspec

from marketplace.core.db import Connection
from vendors.models import (
    AttributeDefinition,
    CatalogGroup,
    Category,
    CategoryIndex,
    PriceList,
    Product,
    StockLevel,
    Tier,
    Variant,
    Warehouse,
)
from vendors.rules import ContractPrice, PriceTier

# ------------------------------------------------------------------ categories

CATEGORY_COLUMNS = "id, parent_id, name, slug, classification_system, classification_code"

LIST_CATEGORIES = f"SELECT {CATEGORY_COLUMNS} FROM category ORDER BY parent_id NULLS FIRST, name"


async def list_categories(conn: Connection) -> list[Category]:
    return [Category(**r) for r in await conn.fetch(LIST_CATEGORIES)]


GET_CATEGORY_BY_SLUG = f"SELECT {CATEGORY_COLUMNS} FROM category WHERE slug = $1"


async def get_category_by_slug(conn: Connection, slug: str) -> Category | None:
    row = await conn.fetchrow(GET_CATEGORY_BY_SLUG, slug)
    return Category(**row) if row else None


GET_CATEGORY = f"SELECT {CATEGORY_COLUMNS} FROM category WHERE id = $1"


async def get_category(conn: Connection, category_id: int) -> Category | None:
    row = await conn.fetchrow(GET_CATEGORY, category_id)
    return Category(**row) if row else None


INSERT_CATEGORY = f"""
INSERT INTO category (parent_id, name, slug, classification_system, classification_code)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name
RETURNING {CATEGORY_COLUMNS}
"""


async def upsert_category(
    conn: Connection,
    *,
    parent_id: int | None,
    name: str,
    slug: str,
    classification_system: str | None = None,
    classification_code: str | None = None,
) -> Category:
    row = await conn.fetchrow(INSERT_CATEGORY, parent_id, name, slug, classification_system, classification_code)
    assert row is not None
    return Category(**row)


DEFINITION_COLUMNS = "id, category_id, code, label, type, dimension, display_unit, enum_values, required, position"

LIST_DEFINITIONS = f"""
WITH RECURSIVE lineage AS (
    SELECT id, parent_id FROM category WHERE id = $1
    UNION ALL
    SELECT c.id, c.parent_id FROM category c JOIN lineage l ON c.id = l.parent_id
)
SELECT {DEFINITION_COLUMNS} FROM attribute_definition WHERE category_id IN (SELECT id FROM lineage)
ORDER BY position, code
"""


async def list_attribute_definitions(conn: Connection, category_id: int) -> list[AttributeDefinition]:
    """The category's attribute definitions, including those inherited from its ancestors."""
    return [AttributeDefinition(**r) for r in await conn.fetch(LIST_DEFINITIONS, category_id)]


UPSERT_DEFINITION = f"""
INSERT INTO attribute_definition
    (category_id, code, label, type, dimension, display_unit, enum_values, required, position, aliases)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (category_id, code) DO UPDATE
SET label = EXCLUDED.label, type = EXCLUDED.type, dimension = EXCLUDED.dimension,
    display_unit = EXCLUDED.display_unit, enum_values = EXCLUDED.enum_values, required = EXCLUDED.required,
    position = EXCLUDED.position, aliases = EXCLUDED.aliases
RETURNING {DEFINITION_COLUMNS}
"""


async def upsert_attribute_definition(
    conn: Connection,
    *,
    category_id: int,
    code: str,
    label: str,
    type: str,
    dimension: str | None = None,
    display_unit: str | None = None,
    enum_values: list[str] | None = None,
    required: bool = False,
    position: int = 0,
    aliases: list[str] | None = None,
) -> AttributeDefinition:
    row = await conn.fetchrow(
        UPSERT_DEFINITION,
        category_id,
        code,
        label,
        type,
        dimension,
        display_unit,
        enum_values,
        required,
        position,
        aliases or [],
    )
    assert row is not None
    return AttributeDefinition(**row)


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


# ------------------------------------------------------------------ list prices

LIST_TIERS = """
SELECT t.variant_id, t.min_qty, t.unit_price_minor, t.price_basis
FROM price_tier t JOIN variant v ON v.id = t.variant_id
WHERE t.variant_id = any($1::bigint[]) AND v.vendor_id = $2
ORDER BY t.variant_id, t.min_qty
"""


async def list_tiers(conn: Connection, variant_ids: Sequence[int], *, vendor_id: int) -> dict[int, list[Tier]]:
    out: dict[int, list[Tier]] = {v: [] for v in variant_ids}
    for r in await conn.fetch(LIST_TIERS, list(variant_ids), vendor_id):
        out[r["variant_id"]].append(
            Tier(min_qty=r["min_qty"], unit_price_minor=r["unit_price_minor"], price_basis=r["price_basis"])
        )
    return out


# Deletes only the tiers that are not in the new set, and upserts the others: the two parts of one
# statement never touch the same row (they could not see each other's effects).
REPLACE_TIERS = """
WITH gone AS (DELETE FROM price_tier WHERE variant_id = $1 AND NOT (min_qty = any($2::int[])))
INSERT INTO price_tier (variant_id, min_qty, unit_price_minor, price_basis)
SELECT $1, * FROM unnest($2::int[], $3::bigint[], $4::int[])
ON CONFLICT (variant_id, min_qty) DO UPDATE
SET unit_price_minor = EXCLUDED.unit_price_minor, price_basis = EXCLUDED.price_basis
"""


async def replace_tiers(conn: Connection, variant_id: int, tiers: Sequence[Tier]) -> None:
    """One statement (a round trip per variant matters in imports); the caller checked the variant's owner."""
    await conn.execute(
        REPLACE_TIERS,
        variant_id,
        [t.min_qty for t in tiers],
        [t.unit_price_minor for t in tiers],
        [t.price_basis for t in tiers],
    )


# ------------------------------------------------------------------ contract price lists

PRICE_LIST_COLUMNS = """pl.id, pl.vendor_id, pl.name, pl.valid_from, pl.valid_to,
    coalesce(array_agg(b.buyer_id ORDER BY b.buyer_id) FILTER (WHERE b.buyer_id IS NOT NULL), '{}') AS buyer_ids"""

INSERT_PRICE_LIST = """
INSERT INTO price_list (vendor_id, name, valid_from, valid_to) VALUES ($1, $2, $3, $4) RETURNING id
"""


async def insert_price_list(
    conn: Connection, *, vendor_id: int, name: str, valid_from: date | None, valid_to: date | None
) -> int:
    return int(await conn.fetchval(INSERT_PRICE_LIST, vendor_id, name, valid_from, valid_to))


GET_PRICE_LIST = f"""
SELECT {PRICE_LIST_COLUMNS} FROM price_list pl LEFT JOIN price_list_buyer b ON b.price_list_id = pl.id
WHERE pl.id = $1 AND pl.vendor_id = $2 GROUP BY pl.id
"""


async def get_price_list(conn: Connection, price_list_id: int, *, vendor_id: int) -> PriceList | None:
    row = await conn.fetchrow(GET_PRICE_LIST, price_list_id, vendor_id)
    return PriceList(**row) if row else None


LIST_PRICE_LISTS = f"""
SELECT {PRICE_LIST_COLUMNS} FROM price_list pl LEFT JOIN price_list_buyer b ON b.price_list_id = pl.id
WHERE pl.vendor_id = $1 GROUP BY pl.id ORDER BY pl.name, pl.id
"""


async def list_price_lists(conn: Connection, *, vendor_id: int) -> list[PriceList]:
    return [PriceList(**r) for r in await conn.fetch(LIST_PRICE_LISTS, vendor_id)]


SET_BUYERS = """
WITH gone AS (DELETE FROM price_list_buyer WHERE price_list_id = $1)
INSERT INTO price_list_buyer (price_list_id, buyer_id) SELECT $1, unnest($2::bigint[])
"""


async def set_price_list_buyers(conn: Connection, price_list_id: int, buyer_ids: Sequence[int]) -> None:
    await conn.execute(SET_BUYERS, price_list_id, sorted(set(buyer_ids)))


SET_ENTRIES_DELETE = "DELETE FROM price_list_entry WHERE price_list_id = $1 AND variant_id = $2"
SET_ENTRIES_INSERT = """
INSERT INTO price_list_entry (price_list_id, variant_id, min_qty, unit_price_minor, price_basis)
SELECT $1, $2, * FROM unnest($3::int[], $4::bigint[], $5::int[])
"""


async def set_price_list_entries(conn: Connection, price_list_id: int, variant_id: int, tiers: Sequence[Tier]) -> None:
    await conn.execute(SET_ENTRIES_DELETE, price_list_id, variant_id)
    if tiers:
        await conn.execute(
            SET_ENTRIES_INSERT,
            price_list_id,
            variant_id,
            [t.min_qty for t in tiers],
            [t.unit_price_minor for t in tiers],
            [t.price_basis for t in tiers],
        )


CONTRACTS_FOR = """
SELECT e.variant_id, pl.id, pl.valid_from, pl.valid_to, e.min_qty, e.unit_price_minor, e.price_basis
FROM price_list pl
JOIN price_list_buyer b ON b.price_list_id = pl.id AND b.buyer_id = $1
JOIN price_list_entry e ON e.price_list_id = pl.id AND e.variant_id = any($2::bigint[])
ORDER BY e.variant_id, pl.id, e.min_qty
"""


async def contracts_for_variants(
    conn: Connection, *, buyer_id: int, variant_ids: Sequence[int]
) -> dict[int, list[ContractPrice]]:
    """Per variant, every contract price list of this buyer that prices it (validity is judged by the caller)."""
    lists: dict[int, dict[int, tuple[date | None, date | None, list[PriceTier]]]] = {}
    for r in await conn.fetch(CONTRACTS_FOR, buyer_id, list(variant_ids)):
        entry = lists.setdefault(r["variant_id"], {}).setdefault(r["id"], (r["valid_from"], r["valid_to"], []))
        entry[2].append(
            PriceTier(min_qty=r["min_qty"], unit_price_minor=r["unit_price_minor"], price_basis=r["price_basis"])
        )
    return {
        variant_id: [
            ContractPrice(price_list_id=pid, valid_from=vf, valid_to=vt, tiers=tuple(tiers))
            for pid, (vf, vt, tiers) in by_list.items()
        ]
        for variant_id, by_list in lists.items()
    }


async def contracts_for(conn: Connection, *, buyer_id: int, variant_id: int) -> list[ContractPrice]:
    """Every contract price list of this buyer that prices this variant (validity is judged by the caller)."""
    return (await contracts_for_variants(conn, buyer_id=buyer_id, variant_ids=[variant_id])).get(variant_id, [])


# ------------------------------------------------------------------ warehouses and stock

INSERT_WAREHOUSE = """
INSERT INTO warehouse (vendor_id, name, country) VALUES ($1, $2, $3)
RETURNING id, vendor_id, name, country
"""


async def insert_warehouse(conn: Connection, *, vendor_id: int, name: str, country: str) -> Warehouse:
    row = await conn.fetchrow(INSERT_WAREHOUSE, vendor_id, name, country)
    assert row is not None
    return Warehouse(**row)


LIST_WAREHOUSES = "SELECT id, vendor_id, name, country FROM warehouse WHERE vendor_id = $1 ORDER BY name"


async def list_warehouses(conn: Connection, *, vendor_id: int) -> list[Warehouse]:
    return [Warehouse(**r) for r in await conn.fetch(LIST_WAREHOUSES, vendor_id)]


UPSERT_STOCK = """
INSERT INTO stock (variant_id, warehouse_id, on_hand, reserved) VALUES ($1, $2, $3, $4)
ON CONFLICT (variant_id, warehouse_id) DO UPDATE
SET on_hand = EXCLUDED.on_hand, reserved = EXCLUDED.reserved, updated_at = now()
WHERE (stock.on_hand, stock.reserved) IS DISTINCT FROM (EXCLUDED.on_hand, EXCLUDED.reserved)
RETURNING variant_id
"""


async def upsert_stock(conn: Connection, *, variant_id: int, warehouse_id: int, on_hand: int, reserved: int) -> bool:
    """True when something changed (an identical update is a no-op, so ERP re-sends are harmless)."""
    return await conn.fetchval(UPSERT_STOCK, variant_id, warehouse_id, on_hand, reserved) is not None


LIST_STOCK = """
SELECT s.variant_id, s.warehouse_id, w.name AS warehouse, s.on_hand, s.reserved
FROM stock s JOIN warehouse w ON w.id = s.warehouse_id
WHERE s.variant_id = any($1::bigint[]) AND w.vendor_id = $2
ORDER BY s.variant_id, w.name
"""


async def list_stock(conn: Connection, variant_ids: Sequence[int], *, vendor_id: int) -> list[StockLevel]:
    return [StockLevel(**r) for r in await conn.fetch(LIST_STOCK, list(variant_ids), vendor_id)]


CATEGORY_ATTRIBUTE_NAMES = """
WITH RECURSIVE tree AS (
    SELECT id, id AS root FROM category
    UNION ALL
    SELECT c.parent_id, t.root FROM category c JOIN tree t ON c.id = t.id WHERE c.parent_id IS NOT NULL
)
SELECT root.slug, d.code, d.label, d.aliases
FROM tree t JOIN category root ON root.id = t.root JOIN attribute_definition d ON d.category_id = t.id
ORDER BY t.root, d.position, d.code
"""


ALL_CATEGORIES = f"SELECT {CATEGORY_COLUMNS} FROM category ORDER BY id"


async def category_index(conn: Connection) -> CategoryIndex:
    """Every category by classification code, name and id, with the attribute names it knows."""
    by_code: dict[str, str] = {}
    by_name: dict[str, str] = {}
    by_id: dict[int, str] = {}
    names: dict[str, dict[str, str]] = {}
    for r in await conn.fetch(ALL_CATEGORIES):
        by_id[r["id"]] = r["slug"]
        names[r["slug"]] = {}
        if r["classification_code"] is not None:
            by_code.setdefault(r["classification_code"], r["slug"])
        by_name.setdefault(r["name"].lower(), r["slug"])
        by_name.setdefault(r["slug"], r["slug"])
    for r in await conn.fetch(CATEGORY_ATTRIBUTE_NAMES):
        for name in (r["code"], r["label"], *r["aliases"]):
            names[r["slug"]].setdefault(name.lower(), r["code"])
    return CategoryIndex(by_code=by_code, by_name=by_name, by_id=by_id, names=names)


# ------------------------------------------------------------------ the vendor's own catalog groups

GROUP_COLUMNS = "id, vendor_id, code, name, parent_code, position, category_id"

UPSERT_GROUPS = """
INSERT INTO vendor_catalog_group (vendor_id, code, name, parent_code, position)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::int[])
ON CONFLICT (vendor_id, code) DO UPDATE
SET name = EXCLUDED.name, parent_code = EXCLUDED.parent_code, position = EXCLUDED.position, updated_at = now()
WHERE (vendor_catalog_group.name, vendor_catalog_group.parent_code, vendor_catalog_group.position)
    IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.parent_code, EXCLUDED.position)
"""


async def upsert_catalog_groups(
    conn: Connection, groups: Sequence[tuple[str, str, str | None, int]], *, vendor_id: int
) -> None:
    """Insert or rename/move groups by (vendor, code); an unchanged group is not written."""
    await conn.execute(
        UPSERT_GROUPS,
        vendor_id,
        [g[0] for g in groups],
        [g[1] for g in groups],
        [g[2] for g in groups],
        [g[3] for g in groups],
    )


LIST_GROUPS = f"SELECT {GROUP_COLUMNS} FROM vendor_catalog_group WHERE vendor_id = $1 ORDER BY position, code"


async def list_catalog_groups(conn: Connection, *, vendor_id: int) -> list[CatalogGroup]:
    return [CatalogGroup(**r) for r in await conn.fetch(LIST_GROUPS, vendor_id)]


COUNT_GROUP_PRODUCTS = """
SELECT pcg.group_id, count(*) AS products
FROM product_catalog_group pcg JOIN product p ON p.id = pcg.product_id
WHERE p.vendor_id = $1 AND ($2::product_status IS NULL OR p.status = $2)
GROUP BY pcg.group_id
"""


async def count_group_products(conn: Connection, *, vendor_id: int, status: str | None) -> dict[int, int]:
    """Products directly in each group (of one status, or any)."""
    return {r["group_id"]: r["products"] for r in await conn.fetch(COUNT_GROUP_PRODUCTS, vendor_id, status)}


SET_GROUP_CATEGORY = """
UPDATE vendor_catalog_group SET category_id = $3, updated_at = now()
WHERE id = $1 AND vendor_id = $2 AND category_id IS DISTINCT FROM $3
RETURNING id
"""


async def set_group_category(conn: Connection, group_id: int, *, vendor_id: int, category_id: int | None) -> bool:
    """True when the group's category changed."""
    return await conn.fetchval(SET_GROUP_CATEGORY, group_id, vendor_id, category_id) is not None


# For a batch of the vendor's products: either replace their groups (each becomes exactly its wanted
# pairs) or adjust them (add the wanted pairs, remove the listed ones). Only the vendor's own products
# and groups take part. Returns the ids of the products whose groups changed.
SET_PRODUCT_GROUPS = """
WITH own AS (SELECT id FROM product WHERE vendor_id = $1 AND id = any($2::bigint[])),
wanted AS (
    SELECT w.product_id, w.group_id FROM unnest($3::bigint[], $4::bigint[]) AS w(product_id, group_id)
    JOIN own ON own.id = w.product_id
    JOIN vendor_catalog_group g ON g.id = w.group_id AND g.vendor_id = $1
),
gone AS (
    DELETE FROM product_catalog_group pcg USING own
    WHERE pcg.product_id = own.id
      AND (CASE WHEN $7 THEN (pcg.product_id, pcg.group_id) NOT IN (SELECT product_id, group_id FROM wanted)
           ELSE (pcg.product_id, pcg.group_id) IN (SELECT * FROM unnest($5::bigint[], $6::bigint[])) END)
    RETURNING pcg.product_id
),
added AS (
    INSERT INTO product_catalog_group (product_id, group_id) SELECT product_id, group_id FROM wanted
    ON CONFLICT DO NOTHING
    RETURNING product_id
)
SELECT DISTINCT product_id FROM (SELECT product_id FROM gone UNION ALL SELECT product_id FROM added) AS changed
"""


async def set_product_groups(
    conn: Connection,
    product_ids: Sequence[int],
    *,
    vendor_id: int,
    add: Sequence[tuple[int, int]],
    remove: Sequence[tuple[int, int]],
    replace: bool,
) -> set[int]:
    """Put products into groups, (product id, group id) pairs; ``replace``: into exactly those.
    Returns the products whose groups changed."""
    rows = await conn.fetch(
        SET_PRODUCT_GROUPS,
        vendor_id,
        list(product_ids),
        [p for p, _ in add],
        [g for _, g in add],
        [p for p, _ in remove],
        [g for _, g in remove],
        replace,
    )
    return {r["product_id"] for r in rows}


# ------------------------------------------------------------------ audience (restricted products)

GET_AUDIENCE = "SELECT buyer_id FROM product_audience WHERE product_id = $1 ORDER BY buyer_id"
SET_AUDIENCE = """
WITH gone AS (DELETE FROM product_audience WHERE product_id = $1 AND NOT buyer_id = any($2::bigint[]))
INSERT INTO product_audience (product_id, buyer_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING
"""
KNOWN_BUYERS = "SELECT id FROM company WHERE id = any($1::bigint[]) AND kind IN ('buyer', 'both')"


async def get_audience(conn: Connection, product_id: int) -> list[int]:
    return [int(r["buyer_id"]) for r in await conn.fetch(GET_AUDIENCE, product_id)]


async def set_audience(conn: Connection, product_id: int, buyer_ids: Sequence[int]) -> None:
    await conn.execute(SET_AUDIENCE, product_id, list(buyer_ids))


async def known_buyers(conn: Connection, buyer_ids: Sequence[int]) -> set[int]:
    return {int(r["id"]) for r in await conn.fetch(KNOWN_BUYERS, list(buyer_ids))}
