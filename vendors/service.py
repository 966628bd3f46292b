"""Catalog use cases for vendors: save products (API, pages and imports share one path), status, links.

Prices, stock and price lists are in ``vendors.offers``; restricted products in ``vendors.audience``.

Every function takes the actor; data is read and written only within the actor's vendor company.
Changes that affect search enqueue ``ProductsChanged`` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from marketplace.core import errors as core_errors
from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from marketplace.core.errors import Forbidden, InvalidTransition, NotFound, RuleViolation, StaleWrite
from marketplace.core.events import products_changed
from vendors import repository as repo
from vendors.attributes import check_attributes, display, missing_required
from vendors.commands import LinksIn, ProductIn, TierIn
from vendors.models import (
    VENDOR_TRANSITIONS,
    AttributeDefinition,
    Product,
    ProductStatus,
    StockLevel,
    Tier,
    Variant,
)
from vendors.rules import (
    OrderRules,
    PriceTier,
    gtin_problem,
    normalise_gtin,
    order_rules_problem,
    sku_problem,
    tiers_problem,
)

EDIT_ROLES = ("admin", "catalog_manager")
READ_ROLES = ("admin", "catalog_manager", "sales")
# Changing these on a live product sends it back to review (what buyers rely on when they order).
SENSITIVE_FIELDS = ("title", "brand", "category_id", "unit", "pack_size", "attributes")


class FieldErrors(core_errors.FieldErrors):
    """Catalog problems, each with its field; code ``catalog.invalid``."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors, code="catalog.invalid")


class ProductDetail(msgspec.Struct, frozen=True, kw_only=True):
    product: Product
    variants: list[Variant]
    tiers: dict[int, list[Tier]]
    stock: list[StockLevel]


def vendor_of(actor: Actor, *, write: bool = False) -> int:
    """The vendor company the actor acts for; raises unless it is a vendor and the role allows it."""
    if actor.company_id is None or actor.company_kind not in ("vendor", "both"):
        raise Forbidden("catalog.not_a_vendor", "Only vendor companies have a catalog.")
    check_role(actor, write=write)
    return actor.company_id


def check_role(actor: Actor, *, write: bool) -> None:
    if not actor.has_any(*(EDIT_ROLES if write else READ_ROLES)):
        detail = "Your role may not change the catalog." if write else "Your role may not see the catalog."
        raise Forbidden("catalog.role_required", detail)


def owner_scope(actor: Actor) -> int:
    """For routes with an object id: the actor's company, or -1 which owns nothing (so: 404, never 403)."""
    return actor.company_id if actor.company_id is not None and actor.company_kind in ("vendor", "both") else -1


def tiers_from(items: Sequence[TierIn]) -> list[Tier]:
    return [Tier(min_qty=t.min_qty, unit_price_minor=t.unit_price_minor, price_basis=t.price_basis) for t in items]


def tiers_error(tiers: Sequence[Tier]) -> str | None:
    return tiers_problem(
        [PriceTier(min_qty=t.min_qty, unit_price_minor=t.unit_price_minor, price_basis=t.price_basis) for t in tiers]
    )


class CategoryCache:
    """Categories and their attribute definitions, looked up once per slug (a batch of an import
    names the same few categories over and over)."""

    def __init__(self) -> None:
        self._found: dict[str, tuple[int, list[AttributeDefinition]] | None] = {}

    async def get(self, conn: Connection, slug: str) -> tuple[int, list[AttributeDefinition]] | None:
        if slug not in self._found:
            category = await repo.get_category_by_slug(conn, slug)
            self._found[slug] = (
                (category.id, await repo.list_attribute_definitions(conn, category.id)) if category else None
            )
        return self._found[slug]


async def check_product(
    conn: Connection, cmd: ProductIn, *, categories: CategoryCache | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, str]]:
    """Validate a product against the rules and its category: (product fields, variant rows, errors)."""
    errors: dict[str, str] = {}
    if problem := sku_problem(cmd.sku):
        errors["sku"] = problem
    rules = OrderRules(moq=cmd.moq, pack_size=cmd.pack_size, increment=cmd.increment)
    if problem := order_rules_problem(rules):
        errors["increment"] = problem
    category_id = None
    definitions: list[AttributeDefinition] = []
    if cmd.category:
        found = await (categories or CategoryCache()).get(conn, cmd.category)
        if found is None:
            errors["category"] = f"There is no category {cmd.category!r}."
        else:
            category_id, definitions = found
    product_attrs, attr_errors = check_attributes(definitions, cmd.attributes)
    errors.update({f"attributes.{k}": v for k, v in attr_errors.items()})
    variants: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, v in enumerate(cmd.variants):
        where = f"variants[{i}]"
        if problem := sku_problem(v.sku):
            errors[f"{where}.sku"] = problem
        if v.sku in seen:
            errors[f"{where}.sku"] = f"SKU {v.sku} appears twice."
        seen.add(v.sku)
        gtin = None
        if v.gtin:
            if problem := gtin_problem(v.gtin):
                errors[f"{where}.gtin"] = problem
            else:
                gtin = normalise_gtin(v.gtin)
        variant_attrs, attr_errors = check_attributes(definitions, v.attributes)
        errors.update({f"{where}.attributes.{k}": e for k, e in attr_errors.items()})
        if definitions:
            for code in missing_required(definitions, product_attrs, variant_attrs):
                errors.setdefault(f"{where}.attributes.{code}", "is required in this category")
        tiers = tiers_from(v.prices)
        if tiers and (problem := tiers_error(tiers)):
            errors[f"{where}.prices"] = problem
        variants.append(
            {
                "sku": v.sku,
                "name": v.name.strip(),
                "mpn": (v.mpn or "").strip() or None,
                "gtin": gtin,
                "attributes": variant_attrs,
                "lead_time_days": v.lead_time_days,
                "position": i,
                "tiers": tiers,
            }
        )
    fields = {
        "title": cmd.title.strip(),
        "description": cmd.description.strip(),
        "brand": (cmd.brand or "").strip() or None,
        "category_id": category_id,
        "attributes": product_attrs,
        "warranty": (cmd.warranty or "").strip() or None,
        "country_of_origin": cmd.country_of_origin,
        "unit": cmd.unit.strip(),
        "pack_size": cmd.pack_size,
        "moq": cmd.moq,
        "increment": cmd.increment,
        "currency": cmd.currency,
        "vat_class": cmd.vat_class,
        "hide_price_from_guests": cmd.hide_price_from_guests,
    }
    return fields, variants, errors


def _same(product: Product, fields: dict[str, Any]) -> bool:
    return all(getattr(product, k) == v for k, v in fields.items())


VARIANT_ROW = ("name", "mpn", "gtin", "attributes", "lead_time_days", "position")


class Saved(msgspec.Struct, frozen=True, kw_only=True):
    """What ``save_products`` did with one command: saved (``product``), or refused (``errors``)."""

    product: Product | None
    existed: bool
    changed: bool
    errors: dict[str, str]


async def save_product(
    conn: Connection, actor: Actor, cmd: ProductIn, *, audit_source: str = "api"
) -> tuple[Product, bool]:
    """Create or update a product by SKU with all its variants and list prices.

    Returns the product and whether anything changed: saving the same data again writes nothing (no
    version bump, no indexing job), which makes imports and ERP syncs idempotent. Editing sensitive
    fields of a live product sends it back to review. Raises ``FieldErrors`` listing every problem.
    """
    (saved,) = await save_products(conn, actor, [cmd], audit_source=audit_source)
    if saved.errors:
        raise FieldErrors(saved.errors)
    assert saved.product is not None
    return saved.product, saved.changed


async def save_products(
    conn: Connection, actor: Actor, cmds: Sequence[ProductIn], *, audit_source: str = "api"
) -> list[Saved]:
    """``save_product`` for many products at once, in order, with set-based reads and writes.

    The same rules decide (``check_product``, SKU ownership, "unchanged", moderation), as if each
    product were saved one after the other: a product that fails is left out, the others are saved.
    Nothing raises for a bad product; its ``Saved.errors`` say why.
    """
    vendor_id = vendor_of(actor, write=True)
    results: list[Saved] = []
    start = 0
    while start < len(cmds):  # a SKU twice in one batch: the second one is saved after the first
        seen: set[str] = set()
        end = start
        while end < len(cmds) and cmds[end].sku not in seen:
            seen.add(cmds[end].sku)
            end += 1
        results.extend(await _save_batch(conn, actor, vendor_id, cmds[start:end], audit_source))
        start = end
    return results


class _Plan(msgspec.Struct, kw_only=True):
    key: int
    """The product id, or -(n+1) for the n-th command of the batch when the product is new."""
    fields: dict[str, Any]
    variants: list[dict[str, Any]]
    changed: bool = False


async def _save_batch(
    conn: Connection, actor: Actor, vendor_id: int, cmds: Sequence[ProductIn], audit_source: str
) -> list[Saved]:
    categories = CategoryCache()
    checked = [await check_product(conn, cmd, categories=categories) for cmd in cmds]
    valid = [cmd.sku for cmd, (_, _, errors) in zip(cmds, checked, strict=True) if not errors]
    existing = await repo.lock_products_by_sku(conn, valid, vendor_id=vendor_id)
    before_variants = await repo.list_variants(conn, [p.id for p in existing.values()], vendor_id=vendor_id)
    before_tiers = await repo.list_tiers(conn, [v.id for v in before_variants], vendor_id=vendor_id)
    by_product: dict[int, dict[str, Variant]] = {}
    for v in before_variants:
        by_product.setdefault(v.product_id, {})[v.sku] = v
    wanted_skus = [v["sku"] for _, variants, errors in checked if not errors for v in variants]
    # Who owns each variant SKU, updated as each product is planned in order (a new product is -(n+1)).
    found = await repo.get_variants_by_sku(conn, wanted_skus, vendor_id=vendor_id)
    owner: dict[str, int] = {sku: v.product_id for sku, v in found.items()}
    plans: dict[int, _Plan] = {}
    errors_of: dict[int, dict[str, str]] = {}
    for n, (cmd, (fields, variants, errors)) in enumerate(zip(cmds, checked, strict=True)):
        if errors:
            errors_of[n] = errors
            continue
        product = existing.get(cmd.sku)
        key = product.id if product is not None else -(n + 1)
        keep = {v["sku"] for v in variants}
        clash = next((v["sku"] for v in variants if owner.get(v["sku"], key) != key), None)
        if clash is not None:
            errors_of[n] = {"variants": f"SKU {clash} already belongs to another product."}
            continue
        for sku in by_product.get(key, {}):
            if sku not in keep:
                owner.pop(sku, None)
        owner.update(dict.fromkeys(keep, key))
        plans[n] = _Plan(key=key, fields=fields, variants=variants)

    # Products: insert the new, update the changed, send live ones with sensitive edits back to review.
    new_rows = [(cmds[n].sku, plan.fields) for n, plan in plans.items() if plan.key < 0]
    inserted = await repo.insert_products(conn, new_rows, vendor_id=vendor_id)
    await repo.insert_creation_histories(
        conn, [p.id for p in inserted.values()], ProductStatus.DRAFT, audit_source, actor.user_id
    )
    changed_rows = [
        (plan.key, plan.fields)
        for n, plan in plans.items()
        if plan.key > 0 and not _same(existing[cmds[n].sku], plan.fields)
    ]
    updated = await repo.update_products(conn, changed_rows, vendor_id=vendor_id)
    products: dict[int, Product] = {}
    for n, plan in plans.items():
        sku = cmds[n].sku
        if plan.key < 0:
            products[n] = inserted[sku]
            plan.changed = True
        elif plan.key in updated:
            before, after = existing[sku], updated[plan.key]
            plan.changed = True
            sensitive = any(getattr(before, k) != plan.fields[k] for k in SENSITIVE_FIELDS)
            if sensitive and before.status == ProductStatus.LIVE:
                after = await move_status(conn, actor, after, ProductStatus.PENDING_REVIEW, "sensitive fields changed")
            products[n] = after
        else:
            products[n] = existing[sku]

    # Variants and their tiers: only what differs is written.
    drop = [
        v.id
        for n, plan in plans.items()
        if plan.key > 0
        for sku, v in by_product.get(plan.key, {}).items()
        if sku not in {row["sku"] for row in plan.variants}
    ]
    upserts: list[dict[str, Any]] = []
    tiers_for: dict[str, list[Tier]] = {}
    for n, plan in plans.items():
        old_variants = by_product.get(plan.key, {})
        if any(sku not in {row["sku"] for row in plan.variants} for sku in old_variants):
            plan.changed = True
        for row in plan.variants:
            old = old_variants.get(row["sku"])
            if old is None or any(getattr(old, k) != row[k] for k in VARIANT_ROW):
                upserts.append({"product_id": products[n].id, "sku": row["sku"]} | {k: row[k] for k in VARIANT_ROW})
                plan.changed = True
            if old is None or before_tiers.get(old.id, []) != row["tiers"]:
                tiers_for[row["sku"]] = row["tiers"]
                plan.changed = True
    await repo.delete_variants(conn, drop, vendor_id=vendor_id)
    written = await repo.upsert_variants(conn, upserts, vendor_id=vendor_id)
    if len(written) != len(upserts):
        raise StaleWrite("product.changed", "Someone else changed these products meanwhile; try again.")
    variant_ids = {v.sku: v.id for variants in by_product.values() for v in variants.values()}
    variant_ids.update(written)
    await repo.replace_tiers_of(
        conn, {variant_ids[sku]: tiers for sku, tiers in tiers_for.items()}, vendor_id=vendor_id
    )
    await products_changed(conn, [products[n].id for n, plan in plans.items() if plan.changed])
    return [
        Saved(product=None, existed=cmd.sku in existing, changed=False, errors=errors_of[n])
        if n in errors_of
        else Saved(product=products[n], existed=plans[n].key > 0, changed=plans[n].changed, errors={})
        for n, cmd in enumerate(cmds)
    ]


async def move_status(
    conn: Connection, actor: Actor, product: Product, target: ProductStatus, reason: str | None
) -> Product:
    moved = await repo.set_product_status(
        conn, product.id, vendor_id=product.vendor_id, status=target, reason=reason, version=product.version
    )
    if moved is None:
        raise StaleWrite("product.changed", "Someone else changed this product meanwhile; reload and try again.")
    await repo.insert_product_history(conn, product.id, product.status, target, reason, actor.user_id)
    if target == ProductStatus.LIVE:
        # Remember what was approved, so a later edit can be reviewed as a diff.
        await conn.execute("UPDATE product SET live_snapshot = $2 WHERE id = $1", product.id, review_snapshot(moved))
    await products_changed(conn, [product.id])
    return moved


def review_snapshot(product: Product) -> dict[str, str]:
    """The fields a reviewer judges, as readable text (attributes as "40 mm")."""
    snapshot = {
        "title": product.title,
        "description": product.description,
        "brand": product.brand or "",
        "category": str(product.category_id or ""),
        "unit": product.unit,
        "pack size": str(product.pack_size),
    }
    snapshot.update({f"attribute {code}": display(value) for code, value in sorted(product.attributes.items())})
    return snapshot


async def get_product(conn: Connection, actor: Actor, product_id: int) -> ProductDetail:
    vendor_id = owner_scope(actor)
    product = await repo.get_product(conn, product_id, vendor_id=vendor_id)
    if product is None:  # looked up before the role check: another vendor's id is 404 for everyone
        raise NotFound("product.not_found", "No such product.")
    check_role(actor, write=False)
    variants = await repo.list_variants(conn, [product.id], vendor_id=vendor_id)
    ids = [v.id for v in variants]
    return ProductDetail(
        product=product,
        variants=variants,
        tiers=await repo.list_tiers(conn, ids, vendor_id=vendor_id),
        stock=await repo.list_stock(conn, ids, vendor_id=vendor_id),
    )


async def list_products(
    conn: Connection, actor: Actor, *, status: str | None, query: str | None, page: int, per_page: int = 50
) -> tuple[list[Product], int]:
    vendor_id = vendor_of(actor)
    if status is not None and status not in ProductStatus._value2member_map_:
        status = None
    return await repo.list_products(
        conn,
        vendor_id=vendor_id,
        status=status,
        query=query,
        category_id=None,
        limit=per_page,
        offset=(max(1, page) - 1) * per_page,
    )


async def change_status(conn: Connection, actor: Actor, product_id: int, target: ProductStatus) -> Product:
    """Vendors submit for review (verified companies only), archive, or bring back to draft."""
    vendor_id = owner_scope(actor)
    product = await repo.lock_product(conn, product_id, vendor_id=vendor_id)
    if product is None:
        raise NotFound("product.not_found", "No such product.")
    check_role(actor, write=True)
    if target not in VENDOR_TRANSITIONS.get(product.status, frozenset()):
        raise InvalidTransition("product.invalid_transition", f"A {product.status} product cannot become {target}.")
    if target == ProductStatus.PENDING_REVIEW and actor.company_status != "verified":
        raise RuleViolation(
            "company.not_verified", "Your company is awaiting verification; you can publish once it is verified."
        )
    return await move_status(conn, actor, product, target, None)


class LinkedProduct(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    sku: str
    title: str
    kind: str


async def set_links(conn: Connection, actor: Actor, product_id: int, cmd: LinksIn) -> list[LinkedProduct]:
    """Replace a product's accessories and replacement parts (the vendor's own products, by SKU)."""
    vendor_id = owner_scope(actor)
    if await repo.get_product(conn, product_id, vendor_id=vendor_id) is None:
        raise NotFound("product.not_found", "No such product.")
    check_role(actor, write=True)
    wanted = {*cmd.accessories, *cmd.replacements}
    found = await repo.get_products_by_sku(conn, sorted(wanted), vendor_id=vendor_id)
    errors = {
        f"{field}[{n}]": f"There is no product with SKU {sku} in your catalog."
        for field, skus in (("accessories", cmd.accessories), ("replacements", cmd.replacements))
        for n, sku in enumerate(skus)
        if sku not in found
    }
    errors.update(
        {
            f"{field}[{n}]": "A product cannot be linked to itself."
            for field, skus in (("accessories", cmd.accessories), ("replacements", cmd.replacements))
            for n, sku in enumerate(skus)
            if sku in found and found[sku].id == product_id
        }
    )
    if errors:
        raise FieldErrors(errors)
    await conn.execute("DELETE FROM product_link WHERE product_id = $1", product_id)
    for kind, skus in (("accessory", cmd.accessories), ("replacement", cmd.replacements)):
        for position, sku in enumerate(dict.fromkeys(skus)):
            await conn.execute(
                "INSERT INTO product_link (product_id, linked_product_id, kind, position) VALUES ($1, $2, $3, $4)",
                product_id,
                found[sku].id,
                kind,
                position,
            )
    await products_changed(conn, [product_id])
    return await linked_products(conn, product_id, live_only=False)


async def linked_products(conn: Connection, product_id: int, *, live_only: bool) -> list[LinkedProduct]:
    rows = await conn.fetch(
        "SELECT p.id, p.sku, p.title, l.kind FROM product_link l JOIN product p ON p.id = l.linked_product_id"
        " WHERE l.product_id = $1 AND (NOT $2 OR p.status = 'live') ORDER BY l.kind, l.position",
        product_id,
        live_only,
    )
    return [LinkedProduct(**r) for r in rows]
