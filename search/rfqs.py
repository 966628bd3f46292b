"""The open-requests index: published public RFQs that vendors can still answer, with public fields only.

Documents are built from the ``rfq`` tables with SQL here (``search`` never imports ``rfq``). Only what
any verified vendor may read goes in: title, description, line descriptions, categories, the buyer's
country, the deadline and the kind. Never bids, bid counts or the buyer's name. The ``RfqChanged`` job
is enqueued on publication, amendment, a deadline extension, the deadline passing (closing, or a tender
held open by unanswered questions) and cancellation (never by bid activity); its handler re-reads the
row and upserts or deletes the document, so replays and reordering are harmless.

The rule: a request is in the index exactly while vendors may still act on it, i.e. it is published,
public and its deadline has not passed on the referee clock. The search also filters on the deadline,
which only covers the minute between a deadline and the clock job that applies it.

Like the products index, this one is ensured at the worker's start-up (created and filled when missing),
rebuilt with a swap by ``./dev reindex`` and compared and repaired by ``./dev reconcile``.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

import msgspec
import structlog
from meilisearch_python_sdk import AsyncClient

from marketplace.core.db import Connection, Database
from marketplace.core.events import RfqChanged
from marketplace.core.jobs import JobContext, JobRegistry
from marketplace.settings import Settings
from search import engine
from search.indexer import Drift, checksum

log = structlog.get_logger("tradeyard.search")

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


# The public face of RFQs that belong in the index: published, public, deadline not passed on the referee
# clock. One SELECT, narrowed to one RFQ (sync) or read whole (rebuild, reconcile).
OPEN_RFQ_DOCUMENTS = """
SELECT r.id, r.kind::text AS kind, r.title, r.description, r.category_ids, c.country AS buyer_country,
       r.closes_at, extract(epoch FROM r.closes_at)::bigint AS closes_at_ts,
       array(SELECT l.description FROM rfq_line l WHERE l.rfq_id = r.id AND l.removed_in IS NULL
             ORDER BY l.position) AS line_descriptions,
       array(SELECT k.name FROM category k WHERE k.id = ANY (r.category_ids) ORDER BY k.name) AS category_names
FROM rfq r JOIN company c ON c.id = r.buyer_id
WHERE r.status = 'published' AND r.visibility = 'public' AND r.closes_at > rfq_clock()
"""
RFQ_DOCUMENT = OPEN_RFQ_DOCUMENTS + "AND r.id = $1"
ALL_RFQ_DOCUMENTS = OPEN_RFQ_DOCUMENTS + "ORDER BY r.id"


def _document(row: Any) -> dict[str, Any]:
    doc = dict(row)
    doc["closes_at"] = doc["closes_at"].isoformat()
    doc["category_ids"] = list(doc["category_ids"])
    doc["open_to_all"] = not doc["category_ids"]
    doc["buyer_country"] = doc["buyer_country"].strip()
    doc["line_descriptions"] = list(doc["line_descriptions"])
    doc["category_names"] = list(doc["category_names"])
    return doc


async def load_rfq_document(conn: Connection, rfq_id: int) -> dict[str, Any] | None:
    """The document of an RFQ that belongs in the open-requests index, else None."""
    row = await conn.fetchrow(RFQ_DOCUMENT, rfq_id)
    return None if row is None else _document(row)


async def load_open_rfq_documents(db: Database) -> dict[int, dict[str, Any]]:
    """Every document the index should hold, by id (open public requests are few: read at once)."""
    async with db.connection() as conn:
        return {row["id"]: _document(row) for row in await conn.fetch(ALL_RFQ_DOCUMENTS)}


async def create_rfq_index(client: AsyncClient, settings: Settings, uid: str | None = None) -> None:
    """A fresh, empty open-requests index with its settings (rebuilds, tests); ``uid`` defaults to the live one."""
    uid = uid or rfq_index_uid(settings)
    await engine.delete_index(client, uid)
    await engine.wait_for(client, await engine.call(client, "POST", "/indexes", {"uid": uid, "primaryKey": "id"}))
    await engine.wait_for(client, await engine.call(client, "PATCH", f"/indexes/{uid}/settings", RFQ_INDEX_SETTINGS))


async def _rfq_index_exists(client: AsyncClient, settings: Settings) -> bool:
    try:
        await engine.call(client, "GET", f"/indexes/{rfq_index_uid(settings)}")
    except engine.EngineError as exc:
        if exc.code != "index_not_found":
            raise
        return False
    return True


async def ensure_rfq_index(db: Database, client: AsyncClient, settings: Settings) -> bool:
    """At start-up (and before the first sync): build the index from PostgreSQL when it is missing, else
    apply the settings from code again (Meilisearch re-indexes by itself if they changed). True if built."""
    if not await _rfq_index_exists(client, settings):
        log.info("rfq_index_rebuild_needed", reason="no index yet")
        await rebuild_rfq_index(db, client, settings)
        return True
    uid = rfq_index_uid(settings)
    await engine.wait_for(client, await engine.call(client, "PATCH", f"/indexes/{uid}/settings", RFQ_INDEX_SETTINGS))
    return False


async def rebuild_rfq_index(db: Database, client: AsyncClient, settings: Settings) -> int:
    """Build a fresh index from PostgreSQL and swap it in (searches never see it empty); returns documents.

    An RFQ synced while this ran went to the old index; the reconciliation after the swap repairs it.
    """
    live, fresh = rfq_index_uid(settings), f"{rfq_index_uid(settings)}_next"
    await create_rfq_index(client, settings, fresh)
    docs = await load_open_rfq_documents(db)
    if docs:
        task = await engine.call(
            client, "POST", f"/indexes/{fresh}/documents", list(docs.values()), params={"primaryKey": "id"}
        )
        await engine.wait_for(client, task)
    if not await _rfq_index_exists(client, settings):
        await create_rfq_index(client, settings)
    await engine.wait_for(client, await engine.call(client, "POST", "/swap-indexes", [{"indexes": [live, fresh]}]))
    await engine.delete_index(client, fresh)
    await reconcile_rfqs(db, client, settings)
    log.info("rfq_index_rebuilt", documents=len(docs))
    return len(docs)


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
        # Normally done at start-up; if search was down then, here, before a document add would create
        # the index without its settings.
        await ensure_rfq_index(ctx.db, client, ctx.settings)
        ctx.resources["rfq_index_ready"] = True
    await sync_rfq(ctx.db, client, ctx.settings, job.rfq_id)


# ------------------------------------------------------------------ reconciliation


def _fingerprint(doc: dict[str, Any]) -> str:
    return hashlib.sha256(msgspec.json.encode(doc, order="sorted")).hexdigest()[:16]


async def _indexed_documents(client: AsyncClient, uid: str) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    offset, limit = 0, 1_000
    while True:
        page = await engine.call(client, "GET", f"/indexes/{uid}/documents", params={"limit": limit, "offset": offset})
        out.update({int(doc["id"]): doc for doc in page["results"]})
        offset += limit
        if offset >= page["total"]:
            return out


async def reconcile_rfqs(db: Database, client: AsyncClient, settings: Settings, *, repair: bool = True) -> Drift:
    """Compare the open requests in PostgreSQL with the index (counts, checksum of ids and whole documents)
    and fix what differs: missing and outdated documents are sent again, extra ones deleted. A missing
    index counts as empty and is rebuilt when repairing."""
    uid = rfq_index_uid(settings)
    expected = await load_open_rfq_documents(db)
    exists = await _rfq_index_exists(client, settings)
    actual = await _indexed_documents(client, uid) if exists else {}
    missing = expected.keys() - actual.keys()
    extra = actual.keys() - expected.keys()
    outdated = {k for k in expected.keys() & actual.keys() if expected[k] != actual[k]}
    repaired = False
    if repair and not exists:
        await rebuild_rfq_index(db, client, settings)
        repaired = True
    elif repair and (missing or extra or outdated):
        tasks = []
        if missing or outdated:
            docs = [expected[k] for k in sorted(missing | outdated)]
            tasks.append(
                await engine.call(client, "POST", f"/indexes/{uid}/documents", docs, params={"primaryKey": "id"})
            )
        if extra:
            tasks.append(await engine.call(client, "POST", f"/indexes/{uid}/documents/delete-batch", sorted(extra)))
        for task in tasks:
            await engine.wait_for(client, task)
        repaired = True
    drift = Drift(
        database_count=len(expected),
        index_count=len(actual),
        database_checksum=checksum({k: _fingerprint(d) for k, d in expected.items()}),
        index_checksum=checksum({k: _fingerprint(d) for k, d in actual.items()}),
        missing=len(missing),
        extra=len(extra),
        outdated=len(outdated),
        repaired=repaired,
    )
    log.info("rfq_index_reconciled", **msgspec.structs.asdict(drift))
    return drift


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
