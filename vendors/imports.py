"""Catalog imports and exports: CSV through the same save path as the API and pages (``save_products``,
the batch form of ``save_product``: the same checks, set-based writes).

Modes: ``all`` (default) saves nothing if any row has an error; ``partial`` saves every product whose
rows are valid and reports the rest. A dry run validates everything against the database (categories,
SKUs of other products) and reports what would change, then rolls back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Literal

import msgspec

from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from vendors import csvio
from vendors import repository as repo
from vendors.models import Product, Variant
from vendors.service import Saved, save_products, vendor_of


class ImportReport(msgspec.Struct, frozen=True, kw_only=True):
    dry_run: bool
    mode: str
    products: int
    variants: int
    created: int
    updated: int
    unchanged: int
    failed: int
    errors: list[csvio.RowError]
    saved: bool
    """Whether anything was written (False for dry runs and for failed all-or-nothing imports)."""


class ImportScope:
    """An import's own (nested) transaction: kept only if ``keep`` is set True before it ends."""

    def __init__(self, conn: Connection) -> None:
        self._tx = conn.transaction()
        self.keep = False

    async def __aenter__(self) -> ImportScope:
        await self._tx.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.keep and exc[0] is None:
            await self._tx.commit()
        else:
            await self._tx.rollback()


Progress = Callable[[int, int], Awaitable[None]]
"""Called now and then with (products done, errors so far)."""
AfterSave = Callable[[list[tuple[Product, csvio.ParsedProduct]]], Awaitable[set[int]]]
"""More to write for a batch of products just saved (BMEcat: catalog groups and media); returns the ids
of the products it changed."""


async def import_csv(
    conn: Connection,
    actor: Actor,
    data: bytes,
    *,
    dry_run: bool,
    mode: Literal["all", "partial"] = "all",
    progress: Progress | None = None,
    total: Callable[[int], Awaitable[None]] | None = None,
) -> ImportReport:
    vendor_of(actor, write=True)
    parsed, errors = csvio.parse(data)
    if total is not None:
        await total(len(parsed))
    return await import_products(
        conn, actor, parsed, errors, dry_run=dry_run, mode=mode, source="csv import", progress=progress
    )


BATCH = 500
"""Products saved per set-based batch (``save_products``): large enough that round trips stop
mattering, small enough that a batch's arrays stay a few MB."""


async def import_products(
    conn: Connection,
    actor: Actor,
    parsed: Iterable[csvio.ParsedProduct],
    errors: list[csvio.RowError],
    *,
    dry_run: bool,
    mode: Literal["all", "partial"],
    source: str,
    progress: Progress | None = None,
    after_save: AfterSave | None = None,
) -> ImportReport:
    """Save parsed products in batches through ``save_products``, then keep or roll back the whole import.

    ``parsed`` may be a stream (BMEcat); ``errors`` may grow while it is consumed (``after_save`` may
    add problems too). ``after_save`` gets each batch's saved products and returns those it changed.
    """
    vendor_of(actor, write=True)
    tally = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    products = variants = 0
    bad_rows: set[int] = set()
    known_errors = 0

    async def flush(batch: list[csvio.ParsedProduct]) -> None:
        results = await save_products(conn, actor, [p.command for p in batch], audit_source=source)
        saved: list[tuple[Product, csvio.ParsedProduct]] = []
        outcomes: list[Saved] = []
        for item, result in zip(batch, results, strict=True):
            if result.errors:
                errors.extend(csvio.locate_field_errors(result.errors, item))
                tally["failed"] += 1
            else:
                assert result.product is not None
                saved.append((result.product, item))
                outcomes.append(result)
        more = await after_save(saved) if after_save is not None and saved else set()
        for (product, _), result in zip(saved, outcomes, strict=True):
            if not result.existed:
                tally["created"] += 1
            elif result.changed or product.id in more:
                tally["updated"] += 1
            else:
                tally["unchanged"] += 1
        if progress is not None:
            await progress(products, len(errors))

    async with ImportScope(conn) as scope:
        batch: list[csvio.ParsedProduct] = []
        for product in parsed:
            if progress is not None and products == 0:
                await progress(0, len(errors))
            products += 1
            variants += len(product.rows)
            if len(errors) != known_errors:
                bad_rows = {e.row for e in errors}
                known_errors = len(errors)
            if bad_rows.intersection(product.rows):
                tally["failed"] += 1
                continue
            batch.append(product)
            if len(batch) >= BATCH:
                await flush(batch)
                batch = []
        if batch:
            await flush(batch)
        scope.keep = not dry_run and (mode == "partial" or not errors)
    return ImportReport(
        dry_run=dry_run,
        mode=mode,
        products=products,
        variants=variants,
        created=tally["created"],
        updated=tally["updated"],
        unchanged=tally["unchanged"],
        failed=tally["failed"],
        errors=sorted(errors, key=lambda e: (e.row, e.column)),
        saved=scope.keep,
    )


async def export_csv(conn: Connection, actor: Actor) -> str:
    """Every product of the vendor (archived ones too) in the import format."""
    vendor_id = vendor_of(actor)
    products, _ = await repo.list_products(
        conn, vendor_id=vendor_id, status=None, query=None, category_id=None, limit=1_000_000, offset=0
    )
    products.sort(key=lambda p: p.sku)
    variants = await repo.list_variants(conn, [p.id for p in products], vendor_id=vendor_id)
    tiers = await repo.list_tiers(conn, [v.id for v in variants], vendor_id=vendor_id)
    categories = {c.id: c.slug for c in await repo.list_categories(conn)}
    by_product: dict[int, list[Variant]] = {}
    for v in variants:
        by_product.setdefault(v.product_id, []).append(v)
    codes = sorted(
        {code for p in products for code in p.attributes} | {code for v in variants for code in v.attributes}
    )
    rows = [
        (p, categories.get(p.category_id) if p.category_id else None, by_product.get(p.id, []), tiers) for p in products
    ]
    return csvio.write(rows, codes)
