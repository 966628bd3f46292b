"""Search documents: one per sellable variant, built from the current catalog rows in PostgreSQL.

The search domain owns this read model. It reads the catalog tables with its own SQL (it may not
import ``vendors``: domains are independent), and the pure ``build_document`` turns one row into the
document Meilisearch stores. A document's ``fp`` is a fingerprint of its content, which the
reconciliation compares with PostgreSQL to find drift.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

from marketplace.core.db import Connection

# Visible means: the product is live and its vendor verified. Everything else is deleted from the index.
VARIANT_ROWS = """
SELECT v.id, v.product_id, p.vendor_id, c.legal_name AS vendor_name, v.sku, v.name AS variant_name, v.mpn, v.gtin,
       p.sku AS product_sku, p.title, p.description, p.brand, p.category_id, p.country_of_origin,
       p.attributes AS product_attributes, v.attributes AS variant_attributes, v.lead_time_days, p.currency,
       p.unit, p.pack_size, p.moq, p.version, p.created_at,
       coalesce(st.available, 0) AS available,
       t.unit_price_minor, t.price_basis,
       coalesce(aud.buyer_ids, '{}') AS audience,
       img.id AS image_id
FROM product p
JOIN company c ON c.id = p.vendor_id AND c.status = 'verified'
JOIN variant v ON v.product_id = p.id
LEFT JOIN LATERAL (
    SELECT sum(greatest(s.on_hand - s.reserved, 0))::bigint AS available FROM stock s WHERE s.variant_id = v.id
) st ON true
LEFT JOIN LATERAL (
    SELECT pt.unit_price_minor, pt.price_basis FROM price_tier pt WHERE pt.variant_id = v.id ORDER BY pt.min_qty LIMIT 1
) t ON true
LEFT JOIN LATERAL (
    SELECT array_agg(a.buyer_id ORDER BY a.buyer_id) AS buyer_ids FROM product_audience a WHERE a.product_id = p.id
) aud ON true
LEFT JOIN LATERAL (
    SELECT m.id FROM product_media m WHERE m.product_id = p.id AND m.kind = 'image' ORDER BY m.position, m.id LIMIT 1
) img ON true
WHERE p.id = any($1::bigint[]) AND p.status = 'live'
ORDER BY v.product_id, v.position, v.id
"""

CATEGORIES = "SELECT id, parent_id, name FROM category"

ALL_VISIBLE_PRODUCTS = """
SELECT p.id FROM product p JOIN company c ON c.id = p.vendor_id AND c.status = 'verified'
WHERE p.status = 'live' AND p.id > $1
ORDER BY p.id
LIMIT $2
"""

VENDOR_PRODUCTS = "SELECT id FROM product WHERE vendor_id = $1 AND id > $2 ORDER BY id LIMIT $3"

CATEGORY_PRODUCTS = """
WITH RECURSIVE sub AS (
    SELECT id FROM category WHERE id = any($1::bigint[])
    UNION SELECT c.id FROM category c JOIN sub ON c.parent_id = sub.id
)
SELECT p.id FROM product p WHERE p.category_id IN (SELECT id FROM sub) AND p.status = 'live'
"""

_SEPARATORS = re.compile(r"[\s\-_./,:;×+()#]+")
_HAS_DIGIT = re.compile(r"\d")


def compact(text: str) -> str:
    """A part number without separators or case: ``6204-2RS``, ``6204 2rs`` → ``62042rs``; ``M8 x 40`` → ``m8x40``."""
    return _SEPARATORS.sub("", text).lower()


def designations(text: str) -> list[str]:
    """Compacted runs of 2-4 adjacent words that contain a digit: ``Hex bolt DIN 933 M8 x 40`` →
    ``din933``, ``m8x40`` ... so a designation typed without spaces still matches the title."""
    words = [w for w in _SEPARATORS.split(text) if w]
    # Prefix counts of words with a digit and of words too long to be part of a designation, so each
    # candidate run is judged in constant time (this runs for every variant of a full rebuild).
    digits, long = [0], [0]
    for w in words:
        digits.append(digits[-1] + (_HAS_DIGIT.search(w) is not None))
        long.append(long[-1] + (len(w) > 12))
    if not digits[-1]:
        return []
    out: list[str] = []
    for size in (2, 3, 4):
        for i in range(len(words) - size + 1):
            end = i + size
            if digits[end] != digits[i] and long[end] == long[i]:
                out.append("".join(words[i:end]).lower())
    return out


class CategoryPath(msgspec.Struct, frozen=True):
    ids: tuple[int, ...]
    names: tuple[str, ...]


def category_paths(rows: Iterable[Any]) -> dict[int, CategoryPath]:
    """Root-first paths of every category (the tree is small: hundreds of nodes)."""
    parent = {int(r["id"]): r["parent_id"] for r in rows}
    names = {int(r["id"]): str(r["name"]) for r in rows}
    paths: dict[int, CategoryPath] = {}
    for cid in parent:
        ids: list[int] = []
        node: int | None = cid
        while node is not None and node not in ids and len(ids) < 10:
            ids.append(node)
            node = parent.get(node)
        ids.reverse()
        paths[cid] = CategoryPath(tuple(ids), tuple(names[i] for i in ids))
    return paths


def _attribute_values(*value_sets: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``attr.<code>`` values (numbers in base unit, strings, booleans) and words for full-text search."""
    attrs: dict[str, Any] = {}
    text: list[str] = []
    for values in value_sets:
        for code, value in values.items():
            if not isinstance(value, Mapping) or "value" not in value:
                continue
            if "base" in value:
                try:
                    attrs[code] = float(value["base"])  # a filter key, never money
                except (TypeError, ValueError):
                    continue
                text.append(f"{value['value']} {value.get('unit', '')}".strip())
            elif isinstance(value["value"], bool):
                attrs[code] = value["value"]
            else:
                attrs[code] = str(value["value"])
                text.append(str(value["value"]))
    return attrs, text


def price_milli(unit_price_minor: int | None, price_basis: int | None) -> int | None:
    """The list price of one unit in thousandths of a minor unit (integers: 234 ct per 100 → 2,340)."""
    if unit_price_minor is None or not price_basis:
        return None
    return (unit_price_minor * 1000) // price_basis


def build_document(row: Any, paths: Mapping[int, CategoryPath]) -> dict[str, Any]:
    """One variant row (``VARIANT_ROWS``) as its search document."""
    attrs, attr_text = _attribute_values(row["product_attributes"] or {}, row["variant_attributes"] or {})
    path = paths.get(row["category_id"]) if row["category_id"] is not None else None
    codes = [row["sku"], row["product_sku"], row["mpn"], row["gtin"], row["variant_name"]]
    part_numbers = sorted({compact(c) for c in codes if c} | set(designations(f"{row['title']} {row['variant_name']}")))
    if row["gtin"]:
        part_numbers.append(row["gtin"].lstrip("0"))  # GTIN-13 typed without the GTIN-14 leading zero
    audience = [f"c{b}" for b in row["audience"]] or ["public"]
    audience.append(f"v{row['vendor_id']}")  # a vendor always sees its own restricted products
    doc: dict[str, Any] = {
        "id": row["id"],
        "product_id": row["product_id"],
        "vendor_id": row["vendor_id"],
        "vendor_name": row["vendor_name"],
        "sku": row["sku"],
        "mpn": row["mpn"],
        "gtin": row["gtin"],
        "part_numbers": part_numbers,
        "title": row["title"],
        "variant_name": row["variant_name"],
        "description": row["description"][:2000],
        "brand": row["brand"],
        "category_ids": list(path.ids) if path else [],
        "category_names": list(path.names) if path else [],
        "attribute_text": " · ".join(attr_text),
        "attr": attrs,
        "country_of_origin": row["country_of_origin"],
        "currency": row["currency"],
        "price_milli": price_milli(row["unit_price_minor"], row["price_basis"]),
        "unit": row["unit"],
        "pack_size": row["pack_size"],
        "moq": row["moq"],
        "in_stock": int(row["available"]) > 0,
        "available": int(row["available"]),
        "lead_time_days": row["lead_time_days"],
        "image_id": row["image_id"],
        "audience": audience,
        "created_at": int(row["created_at"].timestamp()),
    }
    if path:
        for level in range(min(3, len(path.names))):
            doc[f"category_lvl{level}"] = " > ".join(path.names[: level + 1])
    doc["fp"] = fingerprint(doc)
    return doc


def fingerprint(doc: Mapping[str, Any]) -> str:
    """The content version of a document: what reconciliation compares."""
    body = {k: v for k, v in doc.items() if k != "fp"}
    return hashlib.blake2b(msgspec.json.encode(body, order="sorted"), digest_size=8).hexdigest()


async def load_category_paths(conn: Connection) -> dict[int, CategoryPath]:
    return category_paths(await conn.fetch(CATEGORIES))


async def load_documents(conn: Connection, product_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Current documents of these products (visible ones only; absent products have none)."""
    if not product_ids:
        return []
    paths = await load_category_paths(conn)
    rows = await conn.fetch(VARIANT_ROWS, list(product_ids))
    return [build_document(r, paths) for r in rows]


async def visible_product_ids(conn: Connection, *, after: int, limit: int) -> list[int]:
    return [int(r["id"]) for r in await conn.fetch(ALL_VISIBLE_PRODUCTS, after, limit)]


async def vendor_product_ids(conn: Connection, vendor_id: int, *, after: int, limit: int) -> list[int]:
    return [int(r["id"]) for r in await conn.fetch(VENDOR_PRODUCTS, vendor_id, after, limit)]


async def category_product_ids(conn: Connection, category_ids: Sequence[int]) -> list[int]:
    return [int(r["id"]) for r in await conn.fetch(CATEGORY_PRODUCTS, list(category_ids))]
