"""Vendor pages: warehouses with stock, and contract price lists for buyer companies."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Template

from marketplace.core.actor import CurrentActor
from marketplace.core.db import PathId, Tx
from marketplace.core.errors import DomainError
from vendors import offers
from vendors.commands import PriceListIn, PricesIn, StockIn, WarehouseIn
from vendors.csvio import parse_prices
from web.forms import FormErrors, parse, read_form, render_form
from web.session import redirect

AnyRequest = Request[Any, Any, Any]


def _lines(text: str) -> list[tuple[int, list[str]]]:
    """Non-empty lines of a textarea split at ``;`` (line numbers from 1)."""
    return [(n, [p.strip() for p in line.split(";")]) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


async def _context(conn: Tx, actor: CurrentActor) -> dict[str, Any]:
    return {
        "actor": actor,
        "warehouses": await offers.list_warehouses(conn, actor),
        "price_lists": await offers.list_price_lists(conn, actor),
    }


@get("/vendor/offers", name="vendor_offers")
async def page(conn: Tx, actor: CurrentActor) -> Template:
    return Template(template_name="vendor/offers.html", context={**await _context(conn, actor), "values": {}})


@post("/vendor/offers/warehouses")
async def add_warehouse(request: AnyRequest, conn: Tx, actor: CurrentActor) -> Response[Any] | Template:
    data = await read_form(request)
    try:
        async with conn.transaction():
            await offers.create_warehouse(conn, actor, parse(WarehouseIn, data))
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status in (403, 404):
            raise
        return render_form("vendor/offers.html", exc, values=data, **await _context(conn, actor))
    return redirect("/vendor/offers?saved=warehouse")


@post("/vendor/offers/stock")
async def set_stock(request: AnyRequest, conn: Tx, actor: CurrentActor) -> Response[Any] | Template:
    """Lines of ``variant SKU; warehouse; on hand[; reserved]`` (the same rules as the ERP API)."""
    data = await read_form(request)
    items, problems = [], {}
    for n, parts in _lines(str(data.get("stock", ""))):
        if len(parts) not in (3, 4) or not all(p.isdigit() for p in parts[2:]):
            problems[f"line {n}"] = "write: SKU; warehouse; on hand; reserved (optional)"
            continue
        items.append(
            StockIn(
                sku=parts[0],
                warehouse=parts[1],
                on_hand=int(parts[2]),
                reserved=int(parts[3]) if len(parts) == 4 else 0,
            )
        )
    try:
        if problems:
            raise FormErrors(problems)
        changed = await offers.set_stock(conn, actor, items)
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status in (403, 404):
            raise
        return render_form("vendor/offers.html", exc, values=data, **await _context(conn, actor))
    return redirect(f"/vendor/offers?saved=stock&changed={changed}")


@post("/vendor/offers/price-lists")
async def add_price_list(request: AnyRequest, conn: Tx, actor: CurrentActor) -> Response[Any] | Template:
    data = await read_form(request)
    raw_ids = str(data.get("buyer_ids", ""))
    data["buyer_ids"] = [int(x) for x in raw_ids.replace(",", " ").split() if x.isdigit() and len(x) < 18]
    try:
        async with conn.transaction():
            await offers.create_price_list(conn, actor, parse(PriceListIn, data))
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status in (403, 404):
            raise
        values = {**data, "buyer_ids": raw_ids}
        return render_form("vendor/offers.html", exc, values=values, **await _context(conn, actor))
    return redirect("/vendor/offers?saved=price_list")


@post("/vendor/offers/price-lists/{price_list_id:int}/prices")
async def set_contract_prices(
    request: AnyRequest, conn: Tx, actor: CurrentActor, price_list_id: PathId
) -> Response[Any] | Template:
    """Lines of ``variant SKU; 100:1500/100|1000:1400/100``."""
    data = await read_form(request)
    items, problems = [], {}
    for n, parts in _lines(str(data.get("prices", ""))):
        try:
            if len(parts) != 2:
                raise ValueError("write: SKU; min_qty:price/basis|…")
            items.append(PricesIn(sku=parts[0], prices=parse_prices(parts[1])))
        except (ValueError, TypeError) as exc:
            problems[f"line {n}"] = str(exc)
    try:
        if problems:
            raise FormErrors(problems)
        await offers.set_contract_prices(conn, actor, price_list_id, items)
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status in (403, 404):
            raise
        return render_form("vendor/offers.html", exc, values=data, **await _context(conn, actor))
    return redirect("/vendor/offers?saved=prices")


ROUTES = [page, add_warehouse, set_stock, add_price_list, set_contract_prices]
