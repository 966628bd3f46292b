"""Restricted products: the buyer companies a product is shown to."""

from __future__ import annotations

from collections.abc import Sequence

from marketplace.core.db import Connection

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
