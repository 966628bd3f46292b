"""What buyers see of catalogs: live products of verified vendors, and the price *this* buyer pays."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from marketplace.core.errors import NotFound
from vendors import repository as repo
from vendors.attributes import display
from vendors.groups import GroupNode, group_filter, storefront_groups
from vendors.models import CatalogGroup, Product, ProductStatus, StockLevel, Tier, Variant
from vendors.offers import availability, today
from vendors.rules import (
    OrderRules,
    PriceQuote,
    PriceTier,
    QuantityProblem,
    price_for,
    quantity_problem,
)
from vendors.service import LinkedProduct, linked_products

# A product with an audience (product_audience rows) is visible only to those buyers and its own vendor.
# Composed only from this constant and parameter placeholders ($2 ...), never from input.
VISIBLE_TO = """(NOT EXISTS (SELECT 1 FROM product_audience a WHERE a.product_id = p.id)
  OR p.vendor_id = {viewer}
  OR EXISTS (SELECT 1 FROM product_audience a WHERE a.product_id = p.id AND a.buyer_id = {viewer}))"""

LIVE_VARIANT = f"""
SELECT v.id, v.product_id, p.vendor_id
FROM variant v JOIN product p ON p.id = v.product_id JOIN company c ON c.id = p.vendor_id
WHERE v.id = $1 AND p.status = 'live' AND c.status = 'verified' AND {VISIBLE_TO.format(viewer="$2")}
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


async def live_offer(conn: Connection, variant_id: int, viewer: int | None) -> Offer:
    """A variant this viewer (company id) may see: live, vendor verified, in its audience; otherwise 404."""
    row = await conn.fetchrow(LIVE_VARIANT, variant_id, viewer)
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
    offer = await live_offer(conn, variant_id, actor.company_id if actor else None)
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


class VariantView(msgspec.Struct, frozen=True, kw_only=True):
    variant: Variant
    tiers: list[Tier]
    quote: Quote
    stock: list[StockLevel]
    attributes: list[tuple[str, str]]


class OtherOffer(msgspec.Struct, frozen=True, kw_only=True):
    vendor_name: str
    product_id: int
    variant_id: int
    variant_name: str
    pack_size: int
    quote: Quote


class ProductPage(msgspec.Struct, frozen=True, kw_only=True):
    product: Product
    links: list[LinkedProduct]
    vendor_name: str
    category_name: str | None
    attributes: list[tuple[str, str]]
    variants: list[VariantView]
    other_offers: list[OtherOffer]


LIVE_PRODUCT = f"""
SELECT p.vendor_id, c.legal_name AS vendor_name, cat.name AS category_name
FROM product p JOIN company c ON c.id = p.vendor_id LEFT JOIN category cat ON cat.id = p.category_id
WHERE p.id = $1 AND p.status = 'live' AND c.status = 'verified' AND {VISIBLE_TO.format(viewer="$2")}
"""

SAME_ARTICLE = f"""
SELECT v.id AS variant_id, v.product_id, v.name AS variant_name, p.pack_size, p.moq, c.legal_name AS vendor_name
FROM variant v JOIN product p ON p.id = v.product_id JOIN company c ON c.id = p.vendor_id
WHERE p.status = 'live' AND c.status = 'verified' AND p.vendor_id <> $1 AND {VISIBLE_TO.format(viewer="$5")}
  AND ((v.gtin IS NOT NULL AND v.gtin = any($2::text[]))
       OR (p.brand IS NOT NULL AND v.mpn IS NOT NULL AND (lower(p.brand), lower(v.mpn)) IN (
           SELECT lower(b), lower(m) FROM unnest($3::text[], $4::text[]) AS t(b, m))))
ORDER BY c.legal_name, v.id
LIMIT 20
"""


async def product_page(conn: Connection, actor: Actor | None, product_id: int) -> ProductPage:
    """Everything a buyer sees of one product, with their own prices and the same article at other vendors."""
    viewer = actor.company_id if actor else None
    row = await conn.fetchrow(LIVE_PRODUCT, product_id, viewer)
    if row is None:
        raise NotFound("product.not_found", "No such product.")
    vendor_id = int(row["vendor_id"])
    product = await repo.get_product(conn, product_id, vendor_id=vendor_id)
    assert product is not None
    variants = await repo.list_variants(conn, [product_id], vendor_id=vendor_id)
    ids = [v.id for v in variants]
    tiers = await repo.list_tiers(conn, ids, vendor_id=vendor_id)
    stock = await repo.list_stock(conn, ids, vendor_id=vendor_id)
    definitions = await repo.list_attribute_definitions(conn, product.category_id) if product.category_id else []
    labels = {d.code: d.label for d in definitions}

    def rows(values: dict[str, object]) -> list[tuple[str, str]]:
        return [(labels.get(code, code), display(v)) for code, v in values.items() if isinstance(v, dict)]

    def first_quantity(variant_tiers: list[Tier]) -> int:
        """Quote the smallest quantity that has a price: the MOQ, or the first tier if it starts higher."""
        return max(product.moq, variant_tiers[0].min_qty) if variant_tiers else product.moq

    views = [
        VariantView(
            variant=v,
            tiers=tiers.get(v.id, []),
            quote=await quote(conn, actor, v.id, first_quantity(tiers.get(v.id, []))),
            stock=[s for s in stock if s.variant_id == v.id],
            attributes=rows(v.attributes),
        )
        for v in variants
    ]
    with_mpn = [v for v in variants if v.mpn and product.brand]
    same = await conn.fetch(
        SAME_ARTICLE,
        vendor_id,
        [v.gtin for v in variants if v.gtin],
        [product.brand or "" for _ in with_mpn],
        [v.mpn for v in with_mpn],
        viewer,
    )
    others = [
        OtherOffer(
            vendor_name=r["vendor_name"],
            product_id=r["product_id"],
            variant_id=r["variant_id"],
            variant_name=r["variant_name"],
            pack_size=r["pack_size"],
            quote=await quote(conn, actor, r["variant_id"], r["moq"]),
        )
        for r in same
    ]
    return ProductPage(
        product=product,
        links=await linked_products(conn, product_id, live_only=True),
        vendor_name=row["vendor_name"],
        category_name=row["category_name"],
        attributes=rows(product.attributes),
        variants=views,
        other_offers=others,
    )


class Storefront(msgspec.Struct, frozen=True, kw_only=True):
    vendor_id: int
    vendor_name: str
    country: str
    products: list[Product]
    total: int
    pages: int
    groups: list[GroupNode]
    """The vendor's own catalog groups that hold live products, as a tree in display order."""
    group: CatalogGroup | None
    """The group being browsed (its subgroups included), if any."""


PUBLIC_VENDOR = """
SELECT legal_name, country FROM company WHERE id = $1 AND status = 'verified' AND kind IN ('vendor', 'both')
"""


async def vendor_storefront(
    conn: Connection,
    actor: Actor | None,
    vendor_id: int,
    *,
    page: int,
    group_id: int | None = None,
    per_page: int = 48,
) -> Storefront:
    """A verified vendor's live products, newest first, optionally those of one of its catalog groups
    (and the groups below it); 404 for anyone else's vendor or group id."""
    vendor = await conn.fetchrow(PUBLIC_VENDOR, vendor_id)
    if vendor is None:
        raise NotFound("vendor.not_found", "No such vendor.")
    group, subtree = await group_filter(conn, vendor_id, group_id) if group_id is not None else (None, None)
    products, total = await repo.list_products(
        conn,
        vendor_id=vendor_id,
        status="live",
        query=None,
        category_id=None,
        limit=per_page,
        offset=(page - 1) * per_page,
        group_ids=subtree,
        for_buyers=True,
        viewer=actor.company_id if actor else None,
    )
    return Storefront(
        vendor_id=vendor_id,
        vendor_name=vendor["legal_name"],
        country=vendor["country"],
        products=products,
        total=total,
        pages=max(1, -(-total // per_page)),
        groups=await storefront_groups(conn, vendor_id),
        group=group,
    )


BUYER_PRICE_ROWS = f"""
SELECT v.id AS variant_id, p.currency, p.moq, p.hide_price_from_guests, (now() AT TIME ZONE 'UTC')::date AS today,
       coalesce((SELECT array_agg(ARRAY[t.min_qty, t.unit_price_minor, t.price_basis] ORDER BY t.min_qty)
                 FROM price_tier t WHERE t.variant_id = v.id), '{{}}') AS tiers,
       {repo.VARIANT_CONTRACT_ROWS.format(buyer="$2", variant="v.id")} AS contracts
FROM variant v JOIN product p ON p.id = v.product_id JOIN company c ON c.id = p.vendor_id
WHERE v.id = any($1::bigint[]) AND p.status = 'live' AND c.status = 'verified' AND {VISIBLE_TO.format(viewer="$2")}
"""


async def buyer_prices(
    conn: Connection, actor: Actor | None, variant_ids: Sequence[int]
) -> dict[int, PriceQuote | None]:
    """What this buyer pays at each variant's first orderable quantity, for a page of search hits.

    The same ``price_for`` as the product page and quotes, in one query for the whole page. Variants
    the caller may not see, and prices hidden from visitors, come back as None.
    """
    rows = await conn.fetch(BUYER_PRICE_ROWS, list(variant_ids), actor.company_id if actor else None)
    out: dict[int, PriceQuote | None] = dict.fromkeys(variant_ids)
    for r in rows:
        if actor is None and r["hide_price_from_guests"]:
            continue
        tiers = [PriceTier(min_qty=t[0], unit_price_minor=t[1], price_basis=t[2]) for t in r["tiers"]]
        quantity = max(r["moq"], tiers[0].min_qty) if tiers else r["moq"]
        out[int(r["variant_id"])] = price_for(
            quantity,
            currency=r["currency"],
            list_tiers=tiers,
            contracts=repo.contract_prices(r["contracts"]),  # the caller's own price lists (none for visitors)
            today=r["today"],  # the database clock, as offers.today(), without another round trip
        )
    return out
