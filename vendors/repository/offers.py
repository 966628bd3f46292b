"""Offers: list price tiers, contract price lists for buyers, warehouses and stock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from marketplace.core.db import Connection
from vendors.models import (
    PriceList,
    StockLevel,
    Tier,
    Warehouse,
)
from vendors.rules import ContractPrice, PriceTier

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

VARIANT_CONTRACT_ROWS = """
coalesce((SELECT array_agg(ROW(pl.id, pl.valid_from, pl.valid_to, e.min_qty, e.unit_price_minor, e.price_basis)
                           ORDER BY pl.id, e.min_qty)
          FROM price_list pl
          JOIN price_list_buyer b ON b.price_list_id = pl.id AND b.buyer_id = {buyer}
          JOIN price_list_entry e ON e.price_list_id = pl.id AND e.variant_id = {variant}), '{{}}')
"""
"""A column expression: the rows ``contract_prices`` takes, for one variant of a query that reads many
(``{buyer}`` and ``{variant}`` name the caller's parameter and column); saves a round trip per page."""


def contract_prices(rows: Sequence[Sequence[Any]]) -> list[ContractPrice]:
    """Rows ``(price_list_id, valid_from, valid_to, min_qty, unit_price_minor, price_basis)`` of one variant,
    ordered by price list and quantity, as one ``ContractPrice`` per price list."""
    lists: dict[int, tuple[date | None, date | None, list[PriceTier]]] = {}
    for list_id, valid_from, valid_to, min_qty, unit_price_minor, price_basis in rows:
        entry = lists.setdefault(list_id, (valid_from, valid_to, []))
        entry[2].append(PriceTier(min_qty=min_qty, unit_price_minor=unit_price_minor, price_basis=price_basis))
    return [
        ContractPrice(price_list_id=pid, valid_from=vf, valid_to=vt, tiers=tuple(tiers))
        for pid, (vf, vt, tiers) in lists.items()
    ]


async def contracts_for_variants(
    conn: Connection, *, buyer_id: int, variant_ids: Sequence[int]
) -> dict[int, list[ContractPrice]]:
    """Per variant, every contract price list of this buyer that prices it (validity is judged by the caller)."""
    rows: dict[int, list[tuple[Any, ...]]] = {}
    for r in await conn.fetch(CONTRACTS_FOR, buyer_id, list(variant_ids)):
        rows.setdefault(r["variant_id"], []).append(tuple(r.values())[1:])
    return {variant_id: contract_prices(variant_rows) for variant_id, variant_rows in rows.items()}


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
