"""BMEcat 2005 into the catalog: articles become products (through ``save_product``), price updates
become list-price updates. Parsing streams (vendors/bmecat.py); malicious XML is refused there.

Mapping: SUPPLIER_PID → SKU (one variant of the same SKU), DESCRIPTION_SHORT/LONG → title/description,
MANUFACTURER_NAME → brand, MANUFACTURER_PID → MPN, GTIN/EAN → GTIN, ORDER_UNIT (UN/ECE code) → unit,
NO_CU_PER_OU → pack size, QUANTITY_MIN/INTERVAL → MOQ/increment (in order units × pack size),
net list or net customer prices per PRICE_QUANTITY with LOWER_BOUND tiers → list price tiers. The
category is the one whose classification code (ECLASS or UNSPSC) is the REFERENCE_FEATURE_GROUP_ID, else
the one the article's catalog group stands for (``vendors.groups``); features become its attributes when
the feature's name is the attribute's code, label or one of its aliases ("Länge" → length); FUNIT codes
(MMT, MMK, ...) become unit symbols. CATALOG_STRUCTURE → the vendor's group tree, group maps → product
groups; in a package (.zip), MIME_SOURCE files → product images and documents (``vendors.media``).
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import BinaryIO, Literal

from babel.numbers import get_currency_precision

from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from marketplace.core.errors import RuleViolation
from marketplace.core.storage import Storage
from vendors import bmecat, csvio, media
from vendors import repository as repo
from vendors.bmecat_package import MediaProblem, Package, is_external, is_package
from vendors.commands import PricesIn, ProductIn, TierIn, VariantIn
from vendors.groups import group_category
from vendors.imports import ImportReport, ImportScope, Progress, import_products
from vendors.models import CatalogGroup, CategoryIndex, Product
from vendors.offers import set_prices
from vendors.service import FieldErrors, vendor_of

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


def category_and_attributes(
    article: bmecat.Article,
    index: CategoryIndex,
    group_codes: Sequence[str] = (),
    groups: Mapping[str, CatalogGroup] | None = None,
) -> tuple[str | None, dict[str, str]]:
    """The article's platform category and the features that category knows, as raw values.

    The category is the one whose classification code is the REFERENCE_FEATURE_GROUP_ID; failing that,
    the one the article's first mapped catalog group stands for (``vendors.groups.group_category``).
    """
    slug = index.by_code.get(article.feature_group or "")
    if slug is None:
        slug = next(
            (found for code in group_codes if (found := group_category(code, groups or {}, index)) is not None),
            None,
        )
    if slug is None:
        return None, {}
    names = index.names.get(slug, {})
    attributes = {}
    for feature in article.features:
        code = names.get(feature.name.strip().lower())
        if code is None or not feature.values:
            continue  # suppliers send many more features than a category defines
        unit = FEATURE_UNITS.get(feature.unit or "", feature.unit or "")
        attributes[code] = f"{feature.values[0]} {unit}".strip()
    return slug, attributes


def to_product(
    article: bmecat.Article,
    default_currency: str | None,
    index: CategoryIndex | None = None,
    group_codes: Sequence[str] = (),
    groups: Mapping[str, CatalogGroup] | None = None,
) -> ProductIn:
    currency, tiers = to_tiers(article, default_currency)
    category, attributes = (
        category_and_attributes(article, index, group_codes, groups) if index is not None else (None, {})
    )
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
    storage: Storage | None = None,
) -> ImportReport:
    """Import a T_NEW_CATALOG / T_UPDATE_PRODUCTS (products) or T_UPDATE_PRICES (prices) file, or a
    package (.zip: the XML and the files its MIME_SOURCEs name, attached through ``storage``)."""
    vendor_of(actor, write=True)
    if not is_package(stream):
        return await _import(conn, actor, stream, None, storage, dry_run, mode, progress, total)
    with Package(stream) as package:
        return await _import(conn, actor, package.xml, package, storage, dry_run, mode, progress, total)


class _Groups:
    """The catalog groups of one import: stored first (they must exist before products join them),
    then each saved product is put into the groups the file names for it."""

    def __init__(self, transaction: str, outline: bmecat.Outline) -> None:
        self.replace = transaction == "T_NEW_CATALOG"  # a whole catalog: its groups are the whole truth
        self.add: dict[str, list[str]] = {}
        self.remove: dict[str, list[str]] = {}
        for a in outline.assignments:
            target = self.remove if (a.mode or "").lower() == "delete" else self.add
            target.setdefault(a.supplier_aid, []).append(a.group_id)
        self.outline = outline
        self.by_code: dict[str, CatalogGroup] = {}

    async def store(self, conn: Connection, vendor_id: int, errors: list[csvio.RowError]) -> None:
        rows: dict[str, tuple[str, str, str | None, int]] = {}
        for position, g in enumerate(self.outline.groups):
            if len(g.group_id) > 100:
                errors.append(csvio.RowError(row=0, column="GROUP_ID", reason=f"{g.group_id[:40]}… is too long"))
                continue
            parent = g.parent_id if g.parent_id and len(g.parent_id) <= 100 else None
            rows[g.group_id] = (g.group_id, g.name[:200], parent, position)
        if rows:
            await repo.upsert_catalog_groups(conn, list(rows.values()), vendor_id=vendor_id)
        self.by_code = {g.code: g for g in await repo.list_catalog_groups(conn, vendor_id=vendor_id)}

    def codes_for(self, article: bmecat.Article) -> list[str]:
        """The groups the file puts the article in (inside the article or in catalog-level maps)."""
        removed = set(self.remove.get(article.supplier_aid, ()))
        codes = [*article.group_ids, *self.add.get(article.supplier_aid, ())]
        return [c for c in dict.fromkeys(codes) if c not in removed]

    def unknown(self, article: bmecat.Article) -> list[str]:
        return [c for c in self.codes_for(article) if c not in self.by_code]

    async def apply(self, conn: Connection, vendor_id: int, saved: list[tuple[Product, bmecat.Article]]) -> set[int]:
        """Put a batch of saved products into their groups; the ids of those whose groups changed."""
        add = [(p.id, self.by_code[c].id) for p, a in saved for c in self.codes_for(a) if c in self.by_code]
        remove = [
            (p.id, self.by_code[c].id)
            for p, a in saved
            for c in self.remove.get(a.supplier_aid, ())
            if c in self.by_code
        ]
        if not (add or remove or self.replace):
            return set()
        return await repo.set_product_groups(
            conn, [p.id for p, _ in saved], vendor_id=vendor_id, add=add, remove=remove, replace=self.replace
        )


class _Media:
    """Attaches the files an article's MIME elements name, from the package, through the media module
    (same content checks and limits as uploads); a file already attached with the same content is kept."""

    def __init__(
        self,
        conn: Connection,
        actor: Actor,
        package: Package | None,
        storage: Storage | None,
        dry_run: bool,
        errors: list[csvio.RowError],
    ) -> None:
        self.conn, self.actor, self.package, self.storage, self.dry_run = conn, actor, package, storage, dry_run
        self.errors = errors
        self.stored: list[str] = []
        self.attached = 0

    def _problem(self, article: bmecat.Article, reason: str) -> None:
        self.errors.append(csvio.RowError(row=article.line, column="MIME_SOURCE", reason=reason))

    async def attach(self, product: Product, article: bmecat.Article) -> bool:
        changed = False
        if self.package is None:
            return False  # a plain XML brings product data only, as it always did; media come in packages
        for mime in article.mimes:
            if is_external(mime.source):
                reason = f"{mime.source[:200]}: external URLs are not fetched; put the file in the package"
                self._problem(article, reason)
                continue
            try:
                filename, data = self.package.read_media(mime.source, max(media.MAX_BYTES.values()))
                kind = media.kind_for(mime.purpose, data[:16])
                if len(data) > media.MAX_BYTES[kind]:
                    raise MediaProblem(f"{mime.source[:200]} is larger than {media.MAX_BYTES[kind] // 2**20} MB")
                media.content_type_of(kind, data[:16])
            except MediaProblem as exc:
                self._problem(article, str(exc))
                continue
            except RuleViolation as exc:
                self._problem(article, f"{mime.source[:200]}: {exc.detail}")
                continue
            digest = hashlib.sha256(data).hexdigest()
            if await media.has_media_content(self.conn, product.id, digest, vendor_id=product.vendor_id):
                continue
            if self.dry_run or self.storage is None:
                changed = True
                continue
            await media.add_media(
                self.conn,
                self.actor,
                _Recording(self.storage, self.stored),
                product.id,
                kind=kind,
                title=filename,
                filename=filename,
                chunks=_one(data),
            )
            self.attached += 1
            changed = True
        return changed

    async def forget(self) -> None:
        """Delete the files stored by an import that was rolled back."""
        if self.storage is not None:
            for key in self.stored:
                await self.storage.delete(key)
        self.stored.clear()


class _Recording:
    """A Storage that remembers the keys it saved, so a rolled-back import can delete its files."""

    def __init__(self, storage: Storage, keys: list[str]) -> None:
        self._storage, self._keys = storage, keys

    async def save(self, prefix: str, chunks: AsyncIterator[bytes], *, max_bytes: int) -> tuple[str, int]:
        key, size = await self._storage.save(prefix, chunks, max_bytes=max_bytes)
        self._keys.append(key)
        return key, size

    def open(self, key: str) -> BinaryIO:
        return self._storage.open(key)

    async def delete(self, key: str) -> None:
        await self._storage.delete(key)


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _import(
    conn: Connection,
    actor: Actor,
    stream: BinaryIO,
    package: Package | None,
    storage: Storage | None,
    dry_run: bool,
    mode: Literal["all", "partial"],
    progress: Progress | None,
    total: Callable[[int], Awaitable[None]] | None,
) -> ImportReport:
    vendor_id = vendor_of(actor, write=True)
    shape = bmecat.outline(stream)
    stream.seek(0)
    if total is not None:
        await total(shape.articles)
    errors: list[csvio.RowError] = []
    index = await repo.category_index(conn)
    records = bmecat.read(stream)
    price_updates: list[bmecat.Article] = []
    # The articles behind the products handed to import_products, in order; a batch's saved products come
    # back in the same order, so the ones that failed are passed over (lines and SKUs need not be unique).
    waiting: deque[tuple[csvio.ParsedProduct, bmecat.Article]] = deque()
    async with ImportScope(conn) as scope:
        first = next(records, None)  # read() yields the Header first, or raises
        if not isinstance(first, bmecat.Header):
            raise bmecat.BmecatError("the document has no HEADER")
        groups = _Groups(first.transaction, shape)
        if first.transaction != "T_UPDATE_PRICES":
            await groups.store(conn, vendor_id, errors)
        files = _Media(conn, actor, package, storage, dry_run, errors)

        def products() -> Iterator[csvio.ParsedProduct]:
            for record in records:
                if isinstance(record, bmecat.ArticleError):
                    errors.append(csvio.RowError(row=record.line, column=record.field, reason=record.reason))
                elif isinstance(record, bmecat.Article):
                    if first.transaction == "T_UPDATE_PRICES":
                        price_updates.append(record)
                        continue
                    unknown = groups.unknown(record)
                    if unknown:
                        reason = f"group {unknown[0]} is not in the catalog's CATALOG_STRUCTURE"
                        errors.append(csvio.RowError(row=record.line, column="CATALOG_GROUP_ID", reason=reason))
                        continue
                    try:
                        command = to_product(record, first.currency, index, groups.codes_for(record), groups.by_code)
                    except ValueError as exc:
                        column, reason = exc.args
                        errors.append(csvio.RowError(row=record.line, column=column, reason=reason))
                        continue
                    parsed = csvio.ParsedProduct(command=command, rows=(record.line,))
                    waiting.append((parsed, record))
                    yield parsed

        def article_of(parsed: csvio.ParsedProduct) -> bmecat.Article:
            while True:
                candidate, article = waiting.popleft()
                if candidate is parsed:
                    return article

        async def after_save(saved: list[tuple[Product, csvio.ParsedProduct]]) -> set[int]:
            batch = [(product, article_of(parsed)) for product, parsed in saved]
            changed = await groups.apply(conn, vendor_id, batch)
            for product, article in batch:
                if article.mimes and await files.attach(product, article):
                    changed.add(product.id)
            return changed

        report = await import_products(
            conn,
            actor,
            products(),
            errors,
            dry_run=dry_run,
            mode=mode,
            source="bmecat import",
            progress=progress,
            after_save=after_save,
        )
        if price_updates:
            report = await _update_prices(conn, actor, price_updates, first.currency, errors, dry_run, mode)
        scope.keep = report.saved
    if not report.saved:
        await files.forget()
    return report


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
