"""Offers of a vendor: list prices (bulk ERP sync), warehouses and stock, contract price lists, availability."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from marketplace.core.errors import NotFound
from marketplace.core.events import products_changed
from vendors import repository as repo
from vendors.commands import PriceListIn, PricesIn, StockIn, WarehouseIn
from vendors.models import (
    PriceList,
    StockLevel,
    Warehouse,
)
from vendors.service import FieldErrors, check_role, owner_scope, tiers_error, tiers_from, vendor_of


async def set_prices(conn: Connection, actor: Actor, items: Sequence[PricesIn]) -> int:
    """Bulk list-price update by variant SKU (ERP sync); returns how many variants changed. All or nothing."""
    vendor_id = vendor_of(actor, write=True)
    variants = await repo.get_variants_by_sku(conn, [i.sku for i in items], vendor_id=vendor_id)
    errors: dict[str, str] = {}
    for n, item in enumerate(items):
        if item.sku not in variants:
            errors[f"[{n}].sku"] = f"There is no variant with SKU {item.sku}."
        elif problem := tiers_error(tiers_from(item.prices)):
            errors[f"[{n}].prices"] = problem
    if errors:
        raise FieldErrors(errors)
    current = await repo.list_tiers(conn, [v.id for v in variants.values()], vendor_id=vendor_id)
    changed_products = set()
    for item in items:
        variant = variants[item.sku]
        tiers = tiers_from(item.prices)
        if current.get(variant.id) != tiers:
            await repo.replace_tiers(conn, variant.id, tiers)
            current[variant.id] = tiers
            changed_products.add(variant.product_id)
    await products_changed(conn, changed_products)
    return len(changed_products)


async def create_warehouse(conn: Connection, actor: Actor, cmd: WarehouseIn) -> Warehouse:
    vendor_id = vendor_of(actor, write=True)
    return await repo.insert_warehouse(conn, vendor_id=vendor_id, name=cmd.name.strip(), country=cmd.country)


async def list_warehouses(conn: Connection, actor: Actor) -> list[Warehouse]:
    return await repo.list_warehouses(conn, vendor_id=vendor_of(actor))


async def set_stock(conn: Connection, actor: Actor, items: Sequence[StockIn]) -> int:
    """Bulk stock update by variant SKU and warehouse name (idempotent); returns how many rows changed."""
    vendor_id = vendor_of(actor, write=True)
    variants = await repo.get_variants_by_sku(conn, [i.sku for i in items], vendor_id=vendor_id)
    warehouses = {w.name: w for w in await repo.list_warehouses(conn, vendor_id=vendor_id)}
    errors: dict[str, str] = {}
    for n, item in enumerate(items):
        if item.sku not in variants:
            errors[f"[{n}].sku"] = f"There is no variant with SKU {item.sku}."
        if item.warehouse not in warehouses:
            errors[f"[{n}].warehouse"] = f"There is no warehouse named {item.warehouse!r}."
        if item.reserved > item.on_hand:
            errors[f"[{n}].reserved"] = "Cannot reserve more than is on hand."
    if errors:
        raise FieldErrors(errors)
    changed = 0
    products = set()
    for item in items:
        variant = variants[item.sku]
        if await repo.upsert_stock(
            conn,
            variant_id=variant.id,
            warehouse_id=warehouses[item.warehouse].id,
            on_hand=item.on_hand,
            reserved=item.reserved,
        ):
            changed += 1
            products.add(variant.product_id)
    await products_changed(conn, products)
    return changed


async def create_price_list(conn: Connection, actor: Actor, cmd: PriceListIn) -> PriceList:
    """A contract price list for chosen buyer companies (they must exist and buy on Tradeyard)."""
    vendor_id = vendor_of(actor, write=True)
    if cmd.buyer_ids:
        found = await conn.fetch(
            "SELECT id FROM company WHERE id = any($1::bigint[]) AND kind IN ('buyer', 'both')", cmd.buyer_ids
        )
        missing = sorted(set(cmd.buyer_ids) - {r["id"] for r in found})
        if missing:
            raise FieldErrors({"buyer_ids": f"Not buying companies: {', '.join(map(str, missing))}."})
    price_list_id = await repo.insert_price_list(
        conn, vendor_id=vendor_id, name=cmd.name.strip(), valid_from=cmd.valid_from, valid_to=cmd.valid_to
    )
    await repo.set_price_list_buyers(conn, price_list_id, cmd.buyer_ids)
    price_list = await repo.get_price_list(conn, price_list_id, vendor_id=vendor_id)
    assert price_list is not None
    return price_list


async def set_contract_prices(conn: Connection, actor: Actor, price_list_id: int, items: Sequence[PricesIn]) -> None:
    vendor_id = owner_scope(actor)
    if await repo.get_price_list(conn, price_list_id, vendor_id=vendor_id) is None:
        raise NotFound("price_list.not_found", "No such price list.")
    check_role(actor, write=True)
    variants = await repo.get_variants_by_sku(conn, [i.sku for i in items], vendor_id=vendor_id)
    errors = {
        f"[{n}].sku": f"There is no variant with SKU {i.sku}." for n, i in enumerate(items) if i.sku not in variants
    }
    for n, item in enumerate(items):
        if (problem := tiers_error(tiers_from(item.prices))) is not None:
            errors[f"[{n}].prices"] = problem
    if errors:
        raise FieldErrors(errors)
    for item in items:
        await repo.set_price_list_entries(conn, price_list_id, variants[item.sku].id, tiers_from(item.prices))


async def list_price_lists(conn: Connection, actor: Actor) -> list[PriceList]:
    return await repo.list_price_lists(conn, vendor_id=vendor_of(actor))


def availability(stock: Sequence[StockLevel], lead_time_days: int | None) -> str:
    """How buyers see it: "in stock (n)", "ships in n days" or "on request"."""
    available = sum(s.available for s in stock)
    if available > 0:
        return f"in stock ({available})"
    if lead_time_days is not None:
        return f"ships in {lead_time_days} day{'s' if lead_time_days != 1 else ''}"
    return "on request"


async def today(conn: Connection) -> date:
    """Today on the database clock (UTC): price validity is judged by it."""
    value = await conn.fetchval("SELECT (now() AT TIME ZONE 'UTC')::date")
    assert isinstance(value, date)
    return value
