"""BMEcat 2005 into the catalog: articles become products (through ``save_product``), price updates
become list-price updates. Parsing streams (vendors/bmecat.py); malicious XML is refused there.

Mapping: SUPPLIER_PID → SKU (one variant of the same SKU), DESCRIPTION_SHORT/LONG → title/description,
MANUFACTURER_NAME → brand, MANUFACTURER_PID → MPN, GTIN/EAN → GTIN, ORDER_UNIT (UN/ECE code) → unit,
NO_CU_PER_OU → pack size, QUANTITY_MIN/INTERVAL → MOQ/increment (in order units × pack size),
net list or net customer prices per PRICE_QUANTITY with LOWER_BOUND tiers → list price tiers. Features
become category attributes when REFERENCE_FEATURE_GROUP_ID (or a catalog group id) equals a category's
classification code (ECLASS or UNSPSC) and the feature's name is the attribute's code, label or one of
its aliases ("Länge" → length); FUNIT codes (MMT, MMK, ...) become unit symbols.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from typing import BinaryIO, Literal

from babel.numbers import get_currency_precision

from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from vendors import bmecat, csvio
from vendors import repository as repo
from vendors.commands import PricesIn, ProductIn, TierIn, VariantIn
from vendors.imports import ImportReport, ImportScope, Progress, import_products
from vendors.service import FieldErrors, set_prices, vendor_of

UNIT_CODES = {
    "C62": "pcs",
    "PCE": "pcs",
    "EA": "pcs",
    "PK": "pack",
    "BX": "box",
    "RO": "roll",
    "MTR": "m",
    "KGM": "kg",
    "LTR": "l",
    "PR": "pair",
    "SET": "set",
    "CT": "carton",
}
PRICE_TYPES = ("net_customer", "net_list")
BASES = (1, 10, 100, 1000, 10000)


def to_tiers(article: bmecat.Article, default_currency: str | None) -> tuple[str, list[TierIn]]:
    """Net prices as integer tiers; raises ValueError(column, reason)."""
    chosen = next((t for t in PRICE_TYPES if any(p.price_type == t for p in article.prices)), None)
    if chosen is None:
        raise ValueError("PRICE_TYPE", "no net_list or net_customer price")
    prices = [p for p in article.prices if p.price_type == chosen]
    currencies = {p.currency or default_currency for p in prices}
    if len(currencies) != 1 or None in currencies:
        raise ValueError("PRICE_CURRENCY", "prices must have one currency")
    currency = str(next(iter(currencies)))
    scale = Decimal(10) ** get_currency_precision(currency)
    quantity = article.price_quantity
    tiers = []
    for p in sorted(prices, key=lambda p: p.lower_bound):
        for basis in BASES:
            if basis < quantity:
                continue
            minor = p.amount * scale * basis / quantity
            if minor == minor.to_integral_value():
                break
        else:
            raise ValueError(
                "PRICE_AMOUNT", f"{p.amount} per {quantity} cannot be stated in whole {currency} minor units"
            )
        if p.lower_bound != p.lower_bound.to_integral_value():
            raise ValueError("LOWER_BOUND", "must be a whole quantity")
        tiers.append(TierIn(min_qty=int(p.lower_bound), unit_price_minor=int(minor), price_basis=basis))
    return currency, tiers


# UN/ECE Recommendation 20 unit codes as BMEcat files write them → our unit symbols (vendors/units.py).
FEATURE_UNITS = {
    "MMT": "mm",
    "CMT": "cm",
    "MTR": "m",
    "MMK": "mm2",
    "CMK": "cm2",
    "MTK": "m2",
    "GRM": "g",
    "KGM": "kg",
    "MLT": "ml",
    "LTR": "l",
    "VLT": "V",
    "AMP": "A",
    "WTT": "W",
    "KWT": "kW",
    "CEL": "°C",
    "BAR": "bar",
    "HTZ": "Hz",
    "C62": "pcs",
}

FeatureMap = dict[str, tuple[str, dict[str, str]]]


def features_to_attributes(article: bmecat.Article, features: FeatureMap) -> tuple[str | None, dict[str, str]]:
    """The category (by the features' classification class) and the features it knows, as raw values."""
    mapped = features.get(article.feature_group or "") or next(
        (features[g] for g in article.group_ids if g in features), None
    )
    if mapped is None:
        return None, {}
    slug, names = mapped
    attributes = {}
    for feature in article.features:
        code = names.get(feature.name.strip().lower())
        if code is None or not feature.values:
            continue  # suppliers send many more features than a category defines
        unit = FEATURE_UNITS.get(feature.unit or "", feature.unit or "")
        attributes[code] = f"{feature.values[0]} {unit}".strip()
    return slug, attributes


def to_product(article: bmecat.Article, default_currency: str | None, features: FeatureMap | None = None) -> ProductIn:
    currency, tiers = to_tiers(article, default_currency)
    category, attributes = features_to_attributes(article, features or {})
    pack = article.units_per_order_unit or Decimal(1)
    if pack != pack.to_integral_value() or pack < 1:
        raise ValueError("NO_CU_PER_OU", "must be a whole number of units")
    moq = int((article.quantity_min or Decimal(1)) * pack)
    increment = int((article.quantity_interval or Decimal(1)) * pack)
    title = (article.short_description or article.supplier_aid).strip()[:300]
    return ProductIn(
        sku=article.supplier_aid,
        title=title,
        description=(article.long_description or "").strip()[:20000],
        brand=(article.manufacturer_name or "").strip()[:120] or None,
        unit=UNIT_CODES.get(article.order_unit or "", (article.order_unit or "pcs").lower())[:10],
        pack_size=int(pack),
        moq=max(moq, int(pack)),
        increment=max(increment, int(pack)),
        currency=currency,
        category=category,
        attributes=attributes,
        country_of_origin=article.country_of_origin
        if article.country_of_origin and len(article.country_of_origin) == 2
        else None,
        variants=[
            VariantIn(
                sku=article.supplier_aid,
                mpn=(article.manufacturer_aid or "")[:80] or None,
                gtin=article.ean,
                prices=[t for t in tiers if t.min_qty >= 1],
            )
        ],
    )


async def import_bmecat(
    conn: Connection,
    actor: Actor,
    stream: BinaryIO,
    *,
    dry_run: bool,
    mode: Literal["all", "partial"] = "all",
    progress: Progress | None = None,
    total: Callable[[int], Awaitable[None]] | None = None,
) -> ImportReport:
    """Import a T_NEW_CATALOG / T_UPDATE_PRODUCTS (products) or T_UPDATE_PRICES (prices) file."""
    vendor_of(actor, write=True)
    if total is not None:
        await total(bmecat.count_articles(stream))
        stream.seek(0)
    errors: list[csvio.RowError] = []
    header: list[bmecat.Header] = []
    features = await repo.feature_map(conn)
    records = bmecat.read(stream)

    def products() -> Iterator[csvio.ParsedProduct]:
        for record in records:
            if isinstance(record, bmecat.Header):
                header.append(record)
            elif isinstance(record, bmecat.ArticleError):
                errors.append(csvio.RowError(row=record.line, column=record.field, reason=record.reason))
            elif isinstance(record, bmecat.Article):
                if header and header[0].transaction == "T_UPDATE_PRICES":
                    price_updates.append(record)
                    continue
                try:
                    command = to_product(record, header[0].currency if header else None, features)
                except ValueError as exc:
                    column, reason = exc.args
                    errors.append(csvio.RowError(row=record.line, column=column, reason=reason))
                    continue
                yield csvio.ParsedProduct(command=command, rows=(record.line,))

    price_updates: list[bmecat.Article] = []
    report = await import_products(
        conn, actor, products(), errors, dry_run=dry_run, mode=mode, source="bmecat import", progress=progress
    )
    if not price_updates:
        return report
    return await _update_prices(
        conn, actor, price_updates, header[0].currency if header else None, errors, dry_run, mode
    )


async def _update_prices(
    conn: Connection,
    actor: Actor,
    articles: list[bmecat.Article],
    currency: str | None,
    errors: list[csvio.RowError],
    dry_run: bool,
    mode: Literal["all", "partial"],
) -> ImportReport:
    updated = unchanged = failed = 0
    async with ImportScope(conn) as scope:
        for article in articles:
            try:
                price_currency, tiers = to_tiers(article, currency)
                product_currency = await conn.fetchval(
                    "SELECT p.currency FROM variant v JOIN product p ON p.id = v.product_id"
                    " WHERE v.vendor_id = $1 AND v.sku = $2",
                    actor.company_id,
                    article.supplier_aid,
                )
                if product_currency is not None and product_currency != price_currency:
                    raise ValueError("PRICE_CURRENCY", f"the product is priced in {product_currency}")
                async with conn.transaction():
                    changed = await set_prices(conn, actor, [PricesIn(sku=article.supplier_aid, prices=tiers)])
            except ValueError as exc:
                errors.append(csvio.RowError(row=article.line, column=exc.args[0], reason=exc.args[1]))
                failed += 1
                continue
            except FieldErrors as exc:
                reason = next(iter(exc.errors.values()))
                errors.append(csvio.RowError(row=article.line, column="SUPPLIER_PID", reason=reason))
                failed += 1
                continue
            if changed:
                updated += 1
            else:
                unchanged += 1
        scope.keep = not dry_run and (mode == "partial" or not errors)
    return ImportReport(
        dry_run=dry_run,
        mode=mode,
        products=len(articles),
        variants=len(articles),
        created=0,
        updated=updated,
        unchanged=unchanged,
        failed=failed,
        errors=sorted(errors, key=lambda e: (e.row, e.column)),
        saved=scope.keep,
    )
