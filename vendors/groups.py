"""A vendor's own catalog groups: the tree a BMEcat CATALOG_STRUCTURE describes, which products sit in
which group, and which platform category a group stands for.

Which category a group stands for (``group_category``), first match wins, walking from the group up to
its root:

1. the category the vendor chose for the group on ``/vendor/catalog/groups``;
2. a category whose classification code (ECLASS, UNSPSC) equals the group's code or its name;
3. a category whose name or slug equals the group's name (case-insensitive).

Imports use it only when an article's REFERENCE_FEATURE_GROUP_ID names no known classification class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec

from marketplace.core import audit
from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from marketplace.core.errors import NotFound
from vendors import repository as repo
from vendors.models import CatalogGroup, CategoryIndex
from vendors.service import FieldErrors, vendor_of


class GroupNode(msgspec.Struct, frozen=True, kw_only=True):
    group: CatalogGroup
    depth: int
    products: int
    """Products in this group and every group below it."""
    category: str | None
    """The slug of the platform category the group stands for, if any."""
    chosen: bool
    """Whether the vendor chose that category (rather than it being matched automatically)."""


# Pure rules ---------------------------------------------------------------------------------------------


def automatic_category(group: CatalogGroup, index: CategoryIndex) -> str | None:
    """The category a group matches by its code or name, ignoring the vendor's own choice."""
    name = group.name.strip()
    return index.by_code.get(group.code) or index.by_code.get(name) or index.by_name.get(name.lower())


def group_category(code: str, groups: Mapping[str, CatalogGroup], index: CategoryIndex) -> str | None:
    """The slug of the category group ``code`` stands for: its own mapping, else its ancestors'."""
    seen: set[str] = set()
    current: str | None = code
    while current is not None and current not in seen:
        seen.add(current)
        group = groups.get(current)
        if group is None:
            return None
        if group.category_id is not None and group.category_id in index.by_id:
            return index.by_id[group.category_id]
        if (slug := automatic_category(group, index)) is not None:
            return slug
        current = group.parent_code
    return None


def tree_order(groups: Sequence[CatalogGroup]) -> list[tuple[CatalogGroup, int]]:
    """Groups depth-first (children by position), each with its depth; a group whose parent is unknown
    is a root, and a cycle in the parents is broken where it is found."""
    codes = {g.code for g in groups}
    children: dict[str | None, list[CatalogGroup]] = {}
    for g in groups:
        parent = g.parent_code if g.parent_code in codes and g.parent_code != g.code else None
        children.setdefault(parent, []).append(g)
    out: list[tuple[CatalogGroup, int]] = []
    placed: set[str] = set()

    def walk(parent: str | None, depth: int) -> None:
        for g in sorted(children.get(parent, []), key=lambda g: (g.position, g.code)):
            if g.code not in placed:
                placed.add(g.code)
                out.append((g, depth))
                walk(g.code, depth + 1)

    walk(None, 0)
    for g in groups:  # members of a parent cycle never reached from a root
        if g.code not in placed:
            placed.add(g.code)
            out.append((g, 0))
            walk(g.code, 1)
    return out


def subtree_ids(groups: Sequence[CatalogGroup], group_id: int) -> list[int]:
    """The group and every group below it."""
    by_id = {g.id: g for g in groups}
    if group_id not in by_id:
        return []
    ordered = tree_order(groups)
    start = next(i for i, (g, _) in enumerate(ordered) if g.id == group_id)
    depth = ordered[start][1]
    ids = [group_id]
    for g, d in ordered[start + 1 :]:
        if d <= depth:
            break
        ids.append(g.id)
    return ids


def nodes(
    groups: Sequence[CatalogGroup], counts: Mapping[int, int], index: CategoryIndex | None, *, non_empty: bool
) -> list[GroupNode]:
    """The tree as display rows with subtree product counts (``non_empty``: only groups with products);
    without an index, no categories are worked out."""
    ordered = tree_order(groups)
    totals: dict[int, int] = {}
    stack: list[tuple[int, int]] = []  # (group id, depth) of the open ancestors
    for g, depth in ordered:
        while stack and stack[-1][1] >= depth:
            stack.pop()
        n = counts.get(g.id, 0)
        totals[g.id] = totals.get(g.id, 0) + n
        for ancestor, _ in stack:
            totals[ancestor] = totals.get(ancestor, 0) + n
        stack.append((g.id, depth))
    by_code = {g.code: g for g in groups}
    out = []
    for g, depth in ordered:
        if non_empty and not totals[g.id]:
            continue
        out.append(
            GroupNode(
                group=g,
                depth=depth,
                products=totals[g.id],
                category=group_category(g.code, by_code, index) if index is not None else None,
                chosen=index is not None and g.category_id is not None and g.category_id in index.by_id,
            )
        )
    return out


# Use cases ----------------------------------------------------------------------------------------------


async def vendor_groups(conn: Connection, actor: Actor) -> list[GroupNode]:
    """The vendor's whole group tree with product counts and the category each group stands for."""
    vendor_id = vendor_of(actor)
    groups = await repo.list_catalog_groups(conn, vendor_id=vendor_id)
    counts = await repo.count_group_products(conn, vendor_id=vendor_id, status=None)
    return nodes(groups, counts, await repo.category_index(conn), non_empty=False)


async def choose_categories(conn: Connection, actor: Actor, choices: Mapping[int, int | None]) -> None:
    """Set the platform category of some of the vendor's groups (None: match automatically).

    The next import uses them; products already imported keep their category until then.
    Raises ``NotFound`` for a group that is not the vendor's and ``FieldErrors`` for an unknown category.
    """
    vendor_id = vendor_of(actor, write=True)
    own = {g.id for g in await repo.list_catalog_groups(conn, vendor_id=vendor_id)}
    if set(choices) - own:
        raise NotFound("catalog_group.not_found", "No such catalog group.")
    index = await repo.category_index(conn)
    unknown = {gid: cid for gid, cid in choices.items() if cid is not None and cid not in index.by_id}
    if unknown:
        raise FieldErrors({f"category-{gid}": "There is no such category." for gid in unknown})
    for group_id, category_id in sorted(choices.items()):
        if await repo.set_group_category(conn, group_id, vendor_id=vendor_id, category_id=category_id):
            await audit.record(
                conn,
                "catalog_group.category_chosen",
                actor=actor,
                target_type="catalog_group",
                target_id=group_id,
                category_id=category_id,
            )


async def storefront_groups(conn: Connection, vendor_id: int) -> list[GroupNode]:
    """The groups of a vendor's storefront: those with live products (the caller checked the vendor is public)."""
    groups = await repo.list_catalog_groups(conn, vendor_id=vendor_id)
    if not groups:
        return []
    counts = await repo.count_group_products(conn, vendor_id=vendor_id, status="live")
    return nodes(groups, counts, None, non_empty=True)


async def group_filter(conn: Connection, vendor_id: int, group_id: int) -> tuple[CatalogGroup, list[int]]:
    """A group of this vendor and the ids of its subtree; 404 for anyone else's group."""
    groups = await repo.list_catalog_groups(conn, vendor_id=vendor_id)
    group = next((g for g in groups if g.id == group_id), None)
    if group is None:
        raise NotFound("catalog_group.not_found", "No such catalog group.")
    return group, subtree_ids(groups, group_id)
