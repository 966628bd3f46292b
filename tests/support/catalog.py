"""Catalog builders: a category tree with typed attribute definitions."""

from __future__ import annotations

import uuid

from marketplace.core.db import Connection
from vendors import repository as repo


async def make_screw_category(conn: Connection) -> str:
    """A `fasteners/screws-…` category with length (mm), thread (enum), material (text), rohs (bool)."""
    suffix = uuid.uuid4().hex[:6]
    root = await repo.upsert_category(conn, parent_id=None, name="Fasteners", slug=f"fasteners-{suffix}")
    screws = await repo.upsert_category(
        conn,
        parent_id=root.id,
        name="Screws",
        slug=f"screws-{suffix}",
        classification_system="ECLASS",
        classification_code=f"99{int(suffix, 16) % 1_000_000:06d}",  # unique; the real 23110101 is the demo tree's
    )
    await repo.upsert_attribute_definition(
        conn, category_id=root.id, code="material", label="Material", type="text", position=3
    )
    await repo.upsert_attribute_definition(
        conn,
        category_id=screws.id,
        code="length",
        label="Length",
        type="number",
        dimension="length",
        display_unit="mm",
        required=True,
        position=1,
    )
    await repo.upsert_attribute_definition(
        conn,
        category_id=screws.id,
        code="thread",
        label="Thread",
        type="enum",
        enum_values=["M6", "M8", "M10"],
        position=2,
    )
    await repo.upsert_attribute_definition(conn, category_id=screws.id, code="rohs", label="RoHS", type="boolean")
    return screws.slug


def screw_product(category: str, sku: str = "DIN933-A2") -> dict[str, object]:
    return {
        "sku": sku,
        "title": "Hexagon head screw DIN 933, stainless A2",
        "brand": "Würth",
        "category": category,
        "attributes": {"material": "A2", "thread": "M8"},
        "unit": "pcs",
        "pack_size": 100,
        "moq": 100,
        "increment": 100,
        "variants": [
            {
                "sku": f"{sku}-M8X40",
                "name": "M8 x 40",
                "gtin": "4006381333931",
                "mpn": "0093 8 40",
                "attributes": {"length": "0.04 m", "rohs": "yes"},
                "lead_time_days": 5,
                "prices": [
                    {"min_qty": 100, "unit_price_minor": 1850, "price_basis": 100},
                    {"min_qty": 1000, "unit_price_minor": 1600, "price_basis": 100},
                ],
            },
            {
                "sku": f"{sku}-M8X50",
                "name": "M8 x 50",
                "attributes": {"length": "50 mm", "rohs": "yes"},
                "prices": [{"min_qty": 100, "unit_price_minor": 2100, "price_basis": 100}],
            },
        ],
    }
