"""Full reindex throughput: ``indexer.rebuild`` (PostgreSQL rows → documents → Meilisearch, with swap) vs.
adding the same documents, prebuilt and pre-encoded, directly to a scratch index in the same batches.

Both sides create their index with the same settings and synonyms and wait until Meilisearch has
indexed every batch, so the ratio is what reading PostgreSQL, building documents and the swap
cost on top of Meilisearch's own indexing, which on this machine shares the two cores with them.
Rounds alternate (baseline, ours, ...) and the medians are compared. Target: ≥ 80 % of direct.
"""

from __future__ import annotations

import statistics
import time

import msgspec
from meilisearch_python_sdk import AsyncClient

from bench import support
from bench.catalog import ensure_catalog
from marketplace.core.db import Database
from search import documents, engine, indexer

VARIANTS = 100_000
ROUNDS = 2
TARGET = 0.8


async def prebuilt_batches(db: Database) -> list[bytes]:
    """The documents ``rebuild`` sends, in its batches (``indexer.BATCH`` products each), JSON-encoded."""
    batches: list[bytes] = []
    after = 0
    while True:
        async with db.connection() as conn:
            ids = await documents.visible_product_ids(conn, after=after, limit=indexer.BATCH)
            docs = await documents.load_documents(conn, ids)
        if not ids:
            return batches
        after = ids[-1]
        if docs:
            batches.append(msgspec.json.encode(docs))


async def direct(db: Database, client: AsyncClient, uid: str, batches: list[bytes]) -> float:
    started = time.perf_counter()
    await indexer._create_index(client, uid, db)
    tasks = []
    for body in batches:
        response = await client.http_client.post(
            f"/indexes/{uid}/documents",
            content=body,
            params={"primaryKey": "id"},
            headers={"Content-Type": "application/json"},
        )
        response.raise_for_status()
        tasks.append(msgspec.json.decode(response.content))
    for task in tasks:
        await engine.wait_for(client, task, timeout_ms=3_600_000)
    seconds = time.perf_counter() - started
    await engine.delete_index(client, uid)
    return seconds


async def main() -> None:
    settings = await support.bench_settings("100k")
    await ensure_catalog(settings, VARIANTS)
    async with support.resources(settings) as (db, client):
        started = time.perf_counter()
        batches = await prebuilt_batches(db)
        build_seconds = time.perf_counter() - started
        sizes = [len(msgspec.json.decode(b)) for b in batches]
        total = sum(sizes)
        scratch = indexer.index_uid(settings, "scratch")
        base_runs: list[float] = []
        our_runs: list[float] = []
        for n in range(ROUNDS):
            base_runs.append(await direct(db, client, scratch, batches))
            started = time.perf_counter()
            count = await indexer.rebuild(db, client, settings)
            our_runs.append(time.perf_counter() - started)
            assert count == total, (count, total)
            rates = f"direct {total / base_runs[-1]:,.0f} docs/s, rebuild {total / our_runs[-1]:,.0f} docs/s"
            print(f"  round {n + 1}: {rates}")
    base, ours = statistics.median(base_runs), statistics.median(our_runs)
    support.print_report(
        {
            "documents": total,
            "batches": len(batches),
            "documents_per_batch_median": statistics.median(sizes),
            "rounds": ROUNDS,
            "documents_read_and_built_per_s": round(total / build_seconds),
            "baseline_direct_docs_per_s": round(total / base),
            "rebuild_docs_per_s": round(total / ours),
            "baseline_seconds": round(base, 1),
            "rebuild_seconds": round(ours, 1),
            "throughput_ratio": round(base / ours, 3),
            "target_min_ratio": TARGET,
            "meets_target": base / ours >= TARGET,
        }
    )
