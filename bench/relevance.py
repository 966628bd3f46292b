"""Relevance: recall@10 and NDCG@10 of our search vs. PostgreSQL full-text and trigram search, same products.

The judged queries are in ``bench/relevance_queries.py`` (judgements computed from product data).
In one run, over the demo catalog in the benchmark's own database and index:

- ours: ``SearchService.search`` as the API calls it (one hit per product, 10 per page, anonymous buyer);
- ``tsvector``: ``to_tsvector('simple', title || brand || category || description || SKUs || MPNs ||
  GTINs || attribute values) @@ websearch_to_tsquery('simple', q)`` ranked by ``ts_rank``;
- ``pg_trgm``: the same text ranked by ``word_similarity(q, text)`` (top 10, no threshold).

The baselines live in a scratch schema (``CREATE EXTENSION pg_trgm`` needs the owner role) that is
dropped at the end. recall@10 counts relevant products (grade ≥ 1) in the top 10 out of
min(10, number relevant); NDCG@10 uses gains 2^grade - 1. Targets: none fixed by the issue; the
ratio ours/baseline is printed, and ours should not lose to either baseline in any query class.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Awaitable, Callable, Sequence

import asyncpg

from bench import support
from bench.relevance_queries import KINDS, QUERIES, SYNONYMS, Product, Variant
from marketplace.app import search_service
from marketplace.core.db import connect
from marketplace.settings import Settings
from search import indexer
from search.request import parse_request

K = 10

PRODUCTS = """
SELECT p.id, p.sku, c.slug AS category, p.attributes,
       coalesce(jsonb_agg(jsonb_build_object('sku', v.sku, 'mpn', v.mpn, 'gtin', v.gtin, 'attributes', v.attributes)
                ORDER BY v.position, v.id) FILTER (WHERE v.id IS NOT NULL), '[]') AS variants
FROM product p
JOIN company co ON co.id = p.vendor_id AND co.status = 'verified'
LEFT JOIN category c ON c.id = p.category_id
LEFT JOIN variant v ON v.product_id = p.id
WHERE p.status = 'live'
GROUP BY p.id, c.slug
"""

SCRATCH = [
    "DROP SCHEMA IF EXISTS bench_scratch CASCADE",
    "CREATE SCHEMA bench_scratch",
    "CREATE EXTENSION pg_trgm SCHEMA bench_scratch",
    """
    CREATE TABLE bench_scratch.docs AS
    SELECT p.id, concat_ws(' ', p.title, p.brand, c.name, p.sku, p.description,
        (SELECT string_agg(concat_ws(' ', v.sku, v.name, v.mpn, v.gtin), ' ') FROM variant v WHERE v.product_id = p.id),
        (SELECT string_agg(concat_ws(' ', a.value->>'value', a.value->>'unit'), ' ') FROM jsonb_each(p.attributes) a),
        (SELECT string_agg(concat_ws(' ', a.value->>'value', a.value->>'unit'), ' ')
         FROM variant v, jsonb_each(v.attributes) a WHERE v.product_id = p.id)
    ) AS body
    FROM product p
    JOIN company co ON co.id = p.vendor_id AND co.status = 'verified'
    LEFT JOIN category c ON c.id = p.category_id
    WHERE p.status = 'live'
    """,
    "ALTER TABLE bench_scratch.docs ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED",
    "CREATE INDEX ON bench_scratch.docs USING gin (tsv)",
    "CREATE INDEX ON bench_scratch.docs USING gin (body bench_scratch.gin_trgm_ops)",
    "ANALYZE bench_scratch.docs",
]
TSVECTOR = """
SELECT d.id FROM bench_scratch.docs d, websearch_to_tsquery('simple', $1) q
WHERE d.tsv @@ q ORDER BY ts_rank(d.tsv, q) DESC, d.id LIMIT 10
"""
TRIGRAM = "SELECT id FROM bench_scratch.docs ORDER BY bench_scratch.word_similarity($1, body) DESC, id LIMIT 10"


def recall(top: Sequence[int], grades: dict[int, int]) -> float:
    relevant = sum(1 for g in grades.values() if g > 0)
    return sum(1 for p in top[:K] if grades.get(p, 0) > 0) / min(K, relevant)


def ndcg(top: Sequence[int], grades: dict[int, int]) -> float:
    dcg = sum((2 ** grades.get(p, 0) - 1) / math.log2(i + 2) for i, p in enumerate(top[:K]))
    ideal = sorted(grades.values(), reverse=True)[:K]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return float(dcg / idcg)


def load_products(rows: Sequence[asyncpg.Record]) -> list[Product]:
    return [
        Product(
            id=r["id"],
            sku=r["sku"],
            category=r["category"] or "",
            attributes=r["attributes"],
            variants=[Variant(**v) for v in r["variants"]],
        )
        for r in rows
    ]


async def _store_synonyms(settings: Settings) -> None:
    conn = await connect(settings.database_url)
    try:
        async with conn.transaction():
            await conn.execute("DELETE FROM search_synonym")
            for terms, one_way in SYNONYMS:
                await conn.execute("INSERT INTO search_synonym (terms, one_way) VALUES ($1, $2)", terms, one_way)
    finally:
        await conn.close()


async def main() -> None:
    settings = await support.bench_settings("demo")
    await support.seed_demo(settings)
    await _store_synonyms(settings)
    await support.ensure_indexed(settings)

    engines: dict[str, Callable[[str], Awaitable[list[int]]]] = {}
    owner = await connect(support.bench_owner_url(settings))
    async with support.resources(settings) as (db, client):
        await indexer.push_synonyms(db, client, settings)
        service = search_service(client, settings)
        try:
            for statement in SCRATCH:
                await owner.execute(statement)
            products = load_products(await owner.fetch(PRODUCTS))

            async def ours(text: str) -> list[int]:
                async with db.connection() as conn:
                    tx = conn.transaction()
                    await tx.start()
                    try:  # search() logs the query (analytics): rolled back, the bench leaves no trace
                        result = await service.search(conn, None, parse_request({"q": [text], "per_page": [str(K)]}))
                    finally:
                        await tx.rollback()
                return [h.product_id for h in result.hits]

            async def tsvector(text: str) -> list[int]:
                return [int(r["id"]) for r in await owner.fetch(TSVECTOR, text)]

            async def trigram(text: str) -> list[int]:
                return [int(r["id"]) for r in await owner.fetch(TRIGRAM, text)]

            engines = {"ours": ours, "tsvector": tsvector, "pg_trgm": trigram}
            scores: dict[str, dict[str, list[tuple[float, float]]]] = {e: {k: [] for k in KINDS} for e in engines}
            per_query: list[list[object]] = []
            for query in QUERIES:
                grades = {p.id: g for p in products if (g := query.judge(p)) > 0}
                assert grades, f"no relevant product for {query.text!r}: the judged set no longer fits the demo data"
                row: list[object] = [query.kind, query.text, len(grades)]
                for name, run in engines.items():
                    top = await run(query.text)
                    r, n = recall(top, grades), ndcg(top, grades)
                    scores[name][query.kind].append((r, n))
                    row.append(f"{n:.2f}")
                per_query.append(row)
        finally:
            await owner.execute("DROP SCHEMA IF EXISTS bench_scratch CASCADE")
            await owner.close()

    print(f"{len(QUERIES)} judged queries over {len(products):,} products; NDCG@10 per query:")
    support.print_table(["class", "query", "relevant", *(f"ndcg {e}" for e in engines)], per_query)
    print()

    def mean(name: str, kinds: Sequence[str], metric: int) -> float:
        return statistics.fmean(s[metric] for k in kinds for s in scores[name][k])

    rows = []
    for kind in [*KINDS, "overall"]:
        kinds = KINDS if kind == "overall" else [kind]
        rows.append(
            [kind, len([q for q in QUERIES if q.kind in kinds])]
            + [f"{mean(e, kinds, 0):.3f} / {mean(e, kinds, 1):.3f}" for e in engines]
        )
    print("recall@10 / NDCG@10 by query class:")
    support.print_table(["class", "queries", *engines], rows)
    report: dict[str, object] = {"queries": len(QUERIES), "products": len(products)}
    for e in engines:
        report[f"{e}_recall_at_10"] = round(mean(e, KINDS, 0), 3)
        report[f"{e}_ndcg_at_10"] = round(mean(e, KINDS, 1), 3)
    for base in ("tsvector", "pg_trgm"):
        report[f"ndcg_ratio_ours_to_{base}"] = round(mean("ours", KINDS, 1) / max(mean(base, KINDS, 1), 1e-9), 2)
        report[f"recall_ratio_ours_to_{base}"] = round(mean("ours", KINDS, 0) / max(mean(base, KINDS, 0), 1e-9), 2)
    report["ours_never_below_a_baseline_in_a_class"] = all(
        mean("ours", [k], 1) >= max(mean("tsvector", [k], 1), mean("pg_trgm", [k], 1)) for k in KINDS
    )
    support.print_report(report)
