"""The vendor's own catalog groups (BMEcat CATALOG_STRUCTURE) and which products sit in them."""

from __future__ import annotations

from collections.abc import Sequence

from marketplace.core.db import Connection
from vendors.models import (
    CatalogGroup,
)

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
