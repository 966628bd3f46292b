"""Indexing jobs: the outbox's search messages, handled by reading current rows (at-least-once is harmless).

Indexing jobs retry for as long as Meilisearch is down (backoff capped at 15 s), so writes never fail
because of search and the index catches up when it returns.
"""

from __future__ import annotations

from datetime import timedelta

from marketplace.core.events import ProductsChanged, VendorChanged
from marketplace.core.jobs import Job, JobContext, JobRegistry
from search import documents, indexer
from search.rfqs import reconcile_rfqs, rfq_search_jobs
from search.synonyms import PushSynonyms

search_jobs = JobRegistry()

FOREVER = 1_000_000
"""Attempts for indexing jobs: effectively until Meilisearch answers again."""
CATCH_UP = timedelta(seconds=15)


class RebuildIndex(Job, frozen=True, tag="search.rebuild"):
    """A full rebuild with swap, queued by operators (or ``./dev reindex`` runs it directly)."""


def _coalescer(ctx: JobContext) -> indexer.Coalescer:
    coalescer = ctx.resources.get("search_coalescer")
    if coalescer is None:
        client = ctx.resources["search"]

        async def flush(ids: list[int]) -> None:
            await indexer.sync_products(ctx.db, client, ctx.settings, ids)

        coalescer = ctx.resources["search_coalescer"] = indexer.Coalescer(flush)
    assert isinstance(coalescer, indexer.Coalescer)
    return coalescer


@search_jobs.handler(ProductsChanged, max_attempts=FOREVER, concurrency_limit=20, retry_max_delay=CATCH_UP)
async def products_changed(ctx: JobContext, job: ProductsChanged) -> None:
    await _coalescer(ctx).submit(job.product_ids)


@search_jobs.handler(VendorChanged, max_attempts=FOREVER, retry_max_delay=CATCH_UP)
async def vendor_changed(ctx: JobContext, job: VendorChanged) -> None:
    after = 0
    while True:
        async with ctx.db.connection() as conn:
            ids = await documents.vendor_product_ids(conn, job.vendor_id, after=after, limit=indexer.BATCH)
        if not ids:
            return
        await indexer.sync_products(ctx.db, ctx.resources["search"], ctx.settings, ids)
        after = ids[-1]


@search_jobs.handler(PushSynonyms, max_attempts=FOREVER, retry_max_delay=CATCH_UP)
async def push_synonyms(ctx: JobContext, job: PushSynonyms) -> None:
    await indexer.push_synonyms(ctx.db, ctx.resources["search"], ctx.settings)


@search_jobs.handler(RebuildIndex, max_attempts=3)
async def rebuild(ctx: JobContext, job: RebuildIndex) -> None:
    await indexer.rebuild(ctx.db, ctx.resources["search"], ctx.settings)


@search_jobs.schedule("search.reconcile", "41 2 * * *")
async def nightly_reconcile(ctx: JobContext) -> None:
    """Drift should never happen; if it does, this finds and repairs it within a day (both indexes)."""
    await indexer.reconcile(ctx.db, ctx.resources["search"], ctx.settings)
    await reconcile_rfqs(ctx.db, ctx.resources["search"], ctx.settings)


# The open-requests index (search/rfqs.py) has its own handlers, composed here.
search_jobs.include(rfq_search_jobs)
