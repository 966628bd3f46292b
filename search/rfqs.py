"""The open-requests index: published public RFQs before their deadline, with public fields only.

Documents are built from the ``rfq`` tables with SQL here (``search`` never imports ``rfq``). Only what
any verified vendor may read goes in: title, description, line descriptions, categories, the buyer's
country, the deadline and the kind. Never bids, bid counts or the buyer's name. The ``RfqChanged`` job
is enqueued on publication, amendment, closing and cancellation (never by bid activity); its handler
re-reads the row and upserts or deletes the document, so replays and reordering are harmless.
"""

from __future__ import annotations

from typing import Any, Final

from meilisearch_python_sdk import AsyncClient

from marketplace.core.db import Connection, Database
from marketplace.core.events import RfqChanged
from marketplace.core.jobs import JobContext, JobRegistry
from marketplace.settings import Settings
from search import engine

RFQS: Final = "rfqs"

RFQ_INDEX_SETTINGS: Final[dict[str, Any]] = {
    "searchableAttributes": ["title", "line_descriptions", "category_names", "description"],
    "displayedAttributes": ["*"],
    "filterableAttributes": ["id", "kind", "buyer_country", "category_ids", "open_to_all", "closes_at_ts"],
    "sortableAttributes": ["closes_at_ts"],
    "rankingRules": ["words", "typo", "proximity", "attribute", "sort", "exactness"],
    "pagination": {"maxTotalHits": 1000},
}

rfq_search_jobs = JobRegistry()


def rfq_index_uid(settings: Settings) -> str:
    return f"{settings.search_index_prefix}{RFQS}"


# The public face of one RFQ, or no row when it must not be in the index (not published, not public,
# or past its deadline on the referee clock).
RFQ_DOCUMENT = """
SELECT r.id, r.kind::text AS kind, r.title, r.description, r.category_ids, c.country AS buyer_country,
       r.closes_at, extract(epoch FROM r.closes_at)::bigint AS closes_at_ts,
       array(SELECT l.description FROM rfq_line l WHERE l.rfq_id = r.id AND l.removed_in IS NULL
             ORDER BY l.position) AS line_descriptions,
       array(SELECT k.name FROM category k WHERE k.id = ANY (r.category_ids) ORDER BY k.name) AS category_names
FROM rfq r JOIN company c ON c.id = r.buyer_id
WHERE r.id = $1 AND r.status = 'published' AND r.visibility = 'public' AND r.closes_at > rfq_clock()
"""


async def load_rfq_document(conn: Connection, rfq_id: int) -> dict[str, Any] | None:
    """The document of an RFQ that belongs in the open-requests index, else None."""
    row = await conn.fetchrow(RFQ_DOCUMENT, rfq_id)
    if row is None:
        return None
    doc = dict(row)
    doc["closes_at"] = doc["closes_at"].isoformat()
    doc["category_ids"] = list(doc["category_ids"])
    doc["open_to_all"] = not doc["category_ids"]
    doc["buyer_country"] = doc["buyer_country"].strip()
    doc["line_descriptions"] = list(doc["line_descriptions"])
    doc["category_names"] = list(doc["category_names"])
    return doc


async def create_rfq_index(client: AsyncClient, settings: Settings) -> None:
    """A fresh, empty open-requests index with its settings (start-up if missing, tests, rebuilds)."""
    uid = rfq_index_uid(settings)
    await engine.delete_index(client, uid)
    await engine.wait_for(client, await engine.call(client, "POST", "/indexes", {"uid": uid, "primaryKey": "id"}))
    await engine.wait_for(client, await engine.call(client, "PATCH", f"/indexes/{uid}/settings", RFQ_INDEX_SETTINGS))


async def ensure_rfq_index(client: AsyncClient, settings: Settings) -> None:
    """Create the index with its settings unless it exists (settings are applied again either way)."""
    uid = rfq_index_uid(settings)
    try:
        await engine.call(client, "GET", f"/indexes/{uid}")
    except engine.EngineError as exc:
        if exc.code != "index_not_found":
            raise
        await create_rfq_index(client, settings)
        return
    await engine.wait_for(client, await engine.call(client, "PATCH", f"/indexes/{uid}/settings", RFQ_INDEX_SETTINGS))


async def sync_rfq(db: Database, client: AsyncClient, settings: Settings, rfq_id: int) -> bool:
    """Make the index show exactly the current public face of one RFQ; True when it is in the index."""
    async with db.connection() as conn:
        doc = await load_rfq_document(conn, rfq_id)
    uid = rfq_index_uid(settings)
    if doc is None:
        task = await engine.call(client, "DELETE", f"/indexes/{uid}/documents/{rfq_id}")
    else:
        task = await engine.call(client, "POST", f"/indexes/{uid}/documents", [doc], params={"primaryKey": "id"})
    await engine.wait_for(client, task)
    return doc is not None


@rfq_search_jobs.handler(RfqChanged, max_attempts=1_000_000)
async def rfq_changed(ctx: JobContext, job: RfqChanged) -> None:
    client = ctx.resources["search"]
    if not ctx.resources.get("rfq_index_ready"):
        await ensure_rfq_index(client, ctx.settings)
        ctx.resources["rfq_index_ready"] = True
    await sync_rfq(ctx.db, client, ctx.settings, job.rfq_id)


VENDOR_CATEGORIES = "SELECT DISTINCT category_id FROM product WHERE vendor_id = $1 AND category_id IS NOT NULL"
NOW_EPOCH = "SELECT extract(epoch FROM rfq_clock())::bigint"
# The database has the last word: hits are kept only if still published, public and not the vendor's own.
STILL_OPEN = """
SELECT id FROM rfq
WHERE id = any($1::bigint[]) AND status = 'published' AND visibility = 'public' AND buyer_id <> $2
  AND closes_at > rfq_clock()
"""


async def search_open_rfqs(
    conn: Connection, client: AsyncClient, settings: Settings, *, vendor_id: int, q: str, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """Open public requests in the vendor's categories (or naming none) matching ``q``; hits and estimated total."""
    categories = [r["category_id"] for r in await conn.fetch(VENDOR_CATEGORIES, vendor_id)]
    now = int(await conn.fetchval(NOW_EPOCH))
    visible = "open_to_all = true" + (f" OR category_ids IN [{', '.join(map(str, categories))}]" if categories else "")
    body = {
        "q": q,
        "filter": f"closes_at_ts > {now} AND ({visible})",
        "sort": ["closes_at_ts:asc"],
        "limit": limit,
        "offset": offset,
    }
    try:
        found = await engine.call(client, "POST", f"/indexes/{rfq_index_uid(settings)}/search", body)
    except engine.EngineError as exc:
        if exc.code == "index_not_found":
            return [], 0
        raise
    hits: list[dict[str, Any]] = found["hits"]
    still = {r["id"] for r in await conn.fetch(STILL_OPEN, [h["id"] for h in hits], vendor_id)}
    return [h for h in hits if h["id"] in still], int(found.get("estimatedTotalHits", len(hits)))
