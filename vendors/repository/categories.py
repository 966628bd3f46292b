"""Categories of the platform tree, their attribute definitions, and the index imports map features with."""

from __future__ import annotations

from marketplace.core.db import Connection
from vendors.models import (
    AttributeDefinition,
    Category,
    CategoryIndex,
)

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
