"""The platform's category tree and its typed attribute definitions, managed by operators."""

from __future__ import annotations

from typing import Annotated

import msgspec

from marketplace.core import audit
from marketplace.core.actor import Actor, require_operator
from marketplace.core.db import Connection
from marketplace.core.errors import NotFound
from vendors import repository as repo
from vendors.models import AttributeDefinition, Category
from vendors.service import FieldErrors
from vendors.units import UnitError, dimension_of


class CategoryIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    slug: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]
    parent_id: int | None = None
    classification_system: Annotated[str, msgspec.Meta(pattern=r"^(UNSPSC|ECLASS)$")] | None = None
    classification_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z.-]{2,20}$")] | None = None


class AttributeIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    label: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    type: Annotated[str, msgspec.Meta(pattern=r"^(number|text|enum|boolean)$")]
    display_unit: Annotated[str, msgspec.Meta(max_length=10)] | None = None
    enum_values: (
        Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=60)]], msgspec.Meta(max_length=200)] | None
    ) = None
    required: bool = False


class CategoryTree(msgspec.Struct, frozen=True, kw_only=True):
    category: Category
    depth: int
    attributes: list[AttributeDefinition]


async def tree(conn: Connection, actor: Actor) -> list[CategoryTree]:
    """The whole tree in display order, each node with its own attribute definitions."""
    require_operator(actor)
    categories = await repo.list_categories(conn)
    children: dict[int | None, list[Category]] = {}
    for c in categories:
        children.setdefault(c.parent_id, []).append(c)
    definitions = await conn.fetch(
        "SELECT id, category_id, code, label, type::text AS type, dimension, display_unit, enum_values, required,"
        " position FROM attribute_definition ORDER BY position, code"
    )
    by_category: dict[int, list[AttributeDefinition]] = {}
    for d in definitions:
        by_category.setdefault(d["category_id"], []).append(AttributeDefinition(**d))
    out: list[CategoryTree] = []

    def walk(parent: int | None, depth: int) -> None:
        for c in sorted(children.get(parent, []), key=lambda c: c.name):
            out.append(CategoryTree(category=c, depth=depth, attributes=by_category.get(c.id, [])))
            walk(c.id, depth + 1)

    walk(None, 0)
    return out


async def add_category(conn: Connection, actor: Actor, cmd: CategoryIn) -> Category:
    require_operator(actor)
    if cmd.parent_id is not None and await repo.get_category(conn, cmd.parent_id) is None:
        raise FieldErrors({"parent_id": "There is no such parent category."})
    if (cmd.classification_system is None) != (cmd.classification_code is None):
        raise FieldErrors({"classification_code": "Give both the system and the code, or neither."})
    if await repo.get_category_by_slug(conn, cmd.slug) is not None:
        raise FieldErrors({"slug": "This slug is taken."})
    category = await repo.upsert_category(
        conn,
        parent_id=cmd.parent_id,
        name=cmd.name.strip(),
        slug=cmd.slug,
        classification_system=cmd.classification_system,
        classification_code=cmd.classification_code,
    )
    await audit.record(conn, "category.created", actor=actor, target_type="category", target_id=category.id)
    return category


async def add_attribute(conn: Connection, actor: Actor, category_id: int, cmd: AttributeIn) -> AttributeDefinition:
    """Define a typed attribute; numbers need a display unit, whose dimension vendors' values must match."""
    require_operator(actor)
    if await repo.get_category(conn, category_id) is None:
        raise NotFound("category.not_found", "No such category.")
    dimension = None
    if cmd.type == "number":
        try:
            dimension = dimension_of(cmd.display_unit or "")
        except UnitError as exc:
            raise FieldErrors({"display_unit": str(exc)}) from None
    if cmd.type == "enum" and not cmd.enum_values:
        raise FieldErrors({"enum_values": "List the allowed values."})
    definition = await repo.upsert_attribute_definition(
        conn,
        category_id=category_id,
        code=cmd.code,
        label=cmd.label.strip(),
        type=cmd.type,
        dimension=dimension,
        display_unit=cmd.display_unit if cmd.type == "number" else None,
        enum_values=list(dict.fromkeys(v.strip() for v in cmd.enum_values))
        if cmd.type == "enum" and cmd.enum_values
        else None,
        required=cmd.required,
        position=await conn.fetchval("SELECT count(*) FROM attribute_definition WHERE category_id = $1", category_id),
    )
    await audit.record(
        conn, "category.attribute_defined", actor=actor, target_type="category", target_id=category_id, code=cmd.code
    )
    return definition


async def all_categories(conn: Connection) -> list[Category]:
    """The tree as a flat list (public: vendors pick from it, buyers browse it)."""
    return await repo.list_categories(conn)


async def definitions_for(conn: Connection, slug: str | None) -> list[AttributeDefinition]:
    """The attribute definitions a product in this category fills (inherited ones included)."""
    category = await repo.get_category_by_slug(conn, slug) if slug else None
    return await repo.list_attribute_definitions(conn, category.id) if category else []


async def slug_of(conn: Connection, category_id: int | None) -> str | None:
    category = await repo.get_category(conn, category_id) if category_id else None
    return category.slug if category else None
