"""What buyers see of catalogs: live products of verified vendors, and the price *this* buyer pays."""

from __future__ import annotations

import msgspec

from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from marketplace.core.errors import NotFound
from vendors import repository as repo
from vendors.models import Product, ProductStatus, StockLevel, Tier, Variant
from vendors.rules import OrderRules, PriceQuote, PriceTier, QuantityProblem, price_for, quantity_problem
from vendors.service import availability, today

LIVE_VARIANT = """
SELECT v.id, v.product_id, p.vendor_id
FROM variant v JOIN product p ON p.id = v.product_id JOIN company c ON c.id = p.vendor_id
WHERE v.id = $1 AND p.status = 'live' AND c.status = 'verified'
"""


class Quote(msgspec.Struct, frozen=True, kw_only=True):
    variant_id: int
    quantity: int
    price: PriceQuote | None
    """None when prices are hidden from visitors, or no tier applies."""
    quantity_problem: QuantityProblem | None
    availability: str
    prices_hidden: bool


class Offer(msgspec.Struct, frozen=True, kw_only=True):
    product: Product
    variant: Variant
    list_tiers: list[Tier]
    stock: list[StockLevel]


async def live_offer(conn: Connection, variant_id: int) -> Offer:
    """A variant buyers may see: its product is live and its vendor verified; otherwise 404."""
    row = await conn.fetchrow(LIVE_VARIANT, variant_id)
    if row is None:
        raise NotFound("offer.not_found", "No such offer.")
    vendor_id = int(row["vendor_id"])
    product = await repo.get_product(conn, int(row["product_id"]), vendor_id=vendor_id)
    variant = await repo.get_variant(conn, variant_id, vendor_id=vendor_id)
    assert product is not None
    assert product.status == ProductStatus.LIVE
    assert variant is not None
    tiers = await repo.list_tiers(conn, [variant_id], vendor_id=vendor_id)
    return Offer(
        product=product,
        variant=variant,
        list_tiers=tiers[variant_id],
        stock=await repo.list_stock(conn, [variant_id], vendor_id=vendor_id),
    )


async def quote(conn: Connection, actor: Actor | None, variant_id: int, quantity: int) -> Quote:
    """The price this buyer pays for this quantity of this variant today (contract beats list)."""
    offer = await live_offer(conn, variant_id)
    product = offer.product
    rules = OrderRules(moq=product.moq, pack_size=product.pack_size, increment=product.increment)
    hidden = actor is None and product.hide_price_from_guests
    price = None
    if not hidden:
        buyer_id = actor.company_id if actor is not None else None
        contracts = await repo.contracts_for(conn, buyer_id=buyer_id, variant_id=variant_id) if buyer_id else []
        price = price_for(
            quantity,
            currency=product.currency,
            list_tiers=[
                PriceTier(min_qty=t.min_qty, unit_price_minor=t.unit_price_minor, price_basis=t.price_basis)
                for t in offer.list_tiers
            ],
            contracts=contracts,
            today=await today(conn),
        )
    return Quote(
        variant_id=variant_id,
        quantity=quantity,
        price=price,
        quantity_problem=quantity_problem(quantity, rules),
        availability=availability(offer.stock, offer.variant.lead_time_days),
        prices_hidden=hidden,
    )
