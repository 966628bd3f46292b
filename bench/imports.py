"""Catalog import throughput (CSV and BMEcat, variant rows per second) against PostgreSQL ``COPY`` of the
same rows into a plain table, measured in the same run on the same database.

Everything happens inside one transaction that is rolled back, so the benchmark leaves no data behind;
each of the ``ROUNDS`` rounds runs in a savepoint rolled back at its end, and the median is reported.
The round also re-imports the same CSV (nothing changes) to show the cost of an idempotent re-send.
The ratio says how much of raw database ingest speed the full import keeps (validation, unit
normalisation, upserts, tiers, outbox jobs). Target: ≥ 5% of COPY (COPY is a bulk loader with no
checks at all; the import is row-by-row business logic), i.e. a 100,000-variant file in well under
a minute on this machine.
"""

from __future__ import annotations

import csv
import io
import statistics
import time
from typing import Any
from xml.sax.saxutils import escape

import msgspec

from marketplace.core.actor import Actor
from marketplace.core.db import Connection, connect
from marketplace.settings import Settings
from vendors.bmecat_import import import_bmecat
from vendors.commands import ProductIn
from vendors.demo import ensure_categories, generate
from vendors.imports import import_csv

PRODUCTS = 300
TARGET = 0.05
ROUNDS = 3  # the median of each is reported


def to_csv(products: list[ProductIn]) -> bytes:
    out = io.StringIO()
    codes = sorted(
        {c for p in products for c in p.attributes} | {c for p in products for v in p.variants for c in v.attributes}
    )
    header = [
        "product_sku",
        "title",
        "brand",
        "category",
        "unit",
        "pack_size",
        "moq",
        "increment",
        "variant_sku",
        "variant_name",
        "mpn",
        "gtin",
        "prices",
        *(f"attr:{c}" for c in codes),
    ]
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    for p in products:
        for v in p.variants:
            attrs = {**p.attributes, **v.attributes}
            prices = "|".join(f"{t.min_qty}:{t.unit_price_minor}/{t.price_basis}" for t in v.prices)
            writer.writerow(
                [
                    p.sku,
                    p.title,
                    p.brand or "",
                    p.category or "",
                    p.unit,
                    p.pack_size,
                    p.moq,
                    p.increment,
                    v.sku,
                    v.name,
                    v.mpn or "",
                    v.gtin or "",
                    prices,
                    *(attrs.get(c, "") for c in codes),
                ]
            )
    return out.getvalue().encode()


def to_bmecat(products: list[ProductIn]) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<BMECAT version="2005" xmlns="http://www.bmecat.org/bmecat/2005">'
        "<HEADER><CATALOG><LANGUAGE>deu</LANGUAGE><CATALOG_ID>bench</CATALOG_ID><CATALOG_VERSION>1</CATALOG_VERSION>"
        "<CURRENCY>EUR</CURRENCY></CATALOG><SUPPLIER><SUPPLIER_NAME>Bench</SUPPLIER_NAME></SUPPLIER></HEADER>"
        "<T_NEW_CATALOG>"
    ]
    for p in products:
        for v in p.variants:
            prices = "".join(
                f'<PRODUCT_PRICE price_type="net_list"><PRICE_AMOUNT>{t.unit_price_minor / 100:.2f}</PRICE_AMOUNT>'
                f"<PRICE_CURRENCY>EUR</PRICE_CURRENCY><LOWER_BOUND>{t.min_qty}</LOWER_BOUND></PRODUCT_PRICE>"
                for t in v.prices
            )
            basis = v.prices[0].price_basis if v.prices else 1
            parts.append(
                f'<PRODUCT mode="new"><SUPPLIER_PID>B-{escape(v.sku)}</SUPPLIER_PID><PRODUCT_DETAILS>'
                f"<DESCRIPTION_SHORT>{escape(p.title)} {escape(v.name)}</DESCRIPTION_SHORT>"
                f'<INTERNATIONAL_PID type="gtin">{v.gtin or ""}</INTERNATIONAL_PID>'
                f"<MANUFACTURER_NAME>{escape(p.brand or '')}</MANUFACTURER_NAME></PRODUCT_DETAILS>"
                f"<PRODUCT_ORDER_DETAILS><ORDER_UNIT>C62</ORDER_UNIT><PRICE_QUANTITY>{basis}</PRICE_QUANTITY>"
                f"</PRODUCT_ORDER_DETAILS><PRODUCT_PRICE_DETAILS>{prices}</PRODUCT_PRICE_DETAILS></PRODUCT>"
            )
    parts.append("</T_NEW_CATALOG></BMECAT>")
    return "".join(parts).encode()


async def _copy_baseline(conn: Connection, rows: list[tuple[Any, ...]]) -> float:
    await conn.execute(
        "CREATE TEMP TABLE bench_copy (product_sku text, title text, variant_sku text, gtin text, prices text,"
        " attributes text) ON COMMIT DROP"
    )
    started = time.perf_counter()
    await conn.copy_records_to_table("bench_copy", records=rows)
    return time.perf_counter() - started


async def _round(conn: Connection, actor: Actor, products: list[ProductIn], rows: list[tuple[Any, ...]]) -> Round:
    """One measurement of each, inside a savepoint that is rolled back (every round starts empty)."""
    tx = conn.transaction()
    await tx.start()
    try:
        copy_seconds = await _copy_baseline(conn, rows)
        csv = to_csv(products)
        started = time.perf_counter()
        report = await import_csv(conn, actor, csv, dry_run=False)
        csv_seconds = time.perf_counter() - started
        assert report.errors == [], report.errors[:3]
        started = time.perf_counter()
        again = await import_csv(conn, actor, csv, dry_run=False)
        reimport_seconds = time.perf_counter() - started
        assert again.unchanged == again.products, again
        started = time.perf_counter()
        bme = await import_bmecat(conn, actor, io.BytesIO(to_bmecat(products)), dry_run=False)
        bme_seconds = time.perf_counter() - started
        assert bme.errors == [], bme.errors[:3]
    finally:
        await tx.rollback()
    return Round(copy=copy_seconds, csv=csv_seconds, reimport=reimport_seconds, bmecat=bme_seconds)


class Round(msgspec.Struct, frozen=True):
    copy: float
    csv: float
    reimport: float
    bmecat: float


async def main() -> None:
    settings = Settings.from_env()
    conn = await connect(settings.database_url)
    products = list(generate("BENCH", PRODUCTS, seed=11))
    rows = [
        (
            p.sku,
            p.title,
            v.sku,
            v.gtin,
            msgspec.json.encode(v.prices).decode(),
            msgspec.json.encode(v.attributes).decode(),
        )
        for p in products
        for v in p.variants
    ]
    tx = conn.transaction()
    await tx.start()
    try:
        await ensure_categories(conn)
        vendor_id = await conn.fetchval(
            "INSERT INTO company (kind, legal_name, country, status) VALUES ('vendor', 'Bench GmbH', 'DE', 'verified')"
            " RETURNING id"
        )
        user_id = await conn.fetchval(
            "INSERT INTO app_user (email, full_name, password_hash)"
            " VALUES ('bench@example.test', 'Bench', 'x') RETURNING id"
        )
        actor = Actor(
            user_id=user_id,
            email="bench",
            full_name="Bench",
            company_id=vendor_id,
            company_kind="vendor",
            company_status="verified",
            roles=frozenset({"admin"}),
        )
        rounds = [await _round(conn, actor, products, rows) for _ in range(ROUNDS)]
    finally:
        await tx.rollback()
        await conn.close()
    n = len(rows)
    copy_seconds = statistics.median(r.copy for r in rounds)
    csv_seconds = statistics.median(r.csv for r in rounds)
    bme_seconds = statistics.median(r.bmecat for r in rounds)
    result = {
        "variant_rows": n,
        "copy_rows_per_s": round(n / copy_seconds),
        "csv_import_rows_per_s": round(n / csv_seconds),
        "csv_reimport_unchanged_rows_per_s": round(n / statistics.median(r.reimport for r in rounds)),
        "bmecat_import_rows_per_s": round(n / bme_seconds),
        "csv_ratio_to_copy": round(copy_seconds / csv_seconds, 4),
        "bmecat_ratio_to_copy": round(copy_seconds / bme_seconds, 4),
        "target_min_ratio": TARGET,
    }
    result["meets_target"] = min(result["csv_ratio_to_copy"], result["bmecat_ratio_to_copy"]) >= TARGET
    print(msgspec.json.format(msgspec.json.encode(result)).decode())
