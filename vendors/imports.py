"""Catalog imports and exports: CSV through the same ``save_product`` path as the API and pages.

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
from vendors.service import FieldErrors, save_product, vendor_of


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
AfterSave = Callable[[Product, csvio.ParsedProduct], Awaitable[bool]]
"""More to write for a product just saved (BMEcat: its catalog groups and media); True if it changed anything."""


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
    """Save parsed products one by one (a savepoint each), then keep or roll back the whole import.

    ``parsed`` may be a stream (BMEcat); ``errors`` may grow while it is consumed (``after_save`` may
    add problems too). ``after_save`` runs in the product's savepoint and says whether it changed anything.
    """
    vendor_id = vendor_of(actor, write=True)
    created = updated = unchanged = failed = products = variants = 0
    async with ImportScope(conn) as scope:
        for product in parsed:
            if progress is not None and products % 25 == 0:
                await progress(products, len(errors))
            products += 1
            variants += len(product.rows)
            if {e.row for e in errors}.intersection(product.rows):
                failed += 1
                continue
            existed = await repo.get_products_by_sku(conn, [product.command.sku], vendor_id=vendor_id)
            try:
                async with conn.transaction():  # a savepoint: one bad product does not poison the rest
                    saved, changed = await save_product(conn, actor, product.command, audit_source=source)
                    if after_save is not None:
                        changed = await after_save(saved, product) or changed
            except FieldErrors as exc:
                errors.extend(csvio.locate_field_errors(exc.errors, product))
                failed += 1
                continue
            if not existed:
                created += 1
            elif changed:
                updated += 1
            else:
                unchanged += 1
        scope.keep = not dry_run and (mode == "partial" or not errors)
    return ImportReport(
        dry_run=dry_run,
        mode=mode,
        products=products,
        variants=variants,
        created=created,
        updated=updated,
        unchanged=unchanged,
        failed=failed,
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
