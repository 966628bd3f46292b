"""Keeps the products index equal to PostgreSQL: incremental sync, full rebuild with swap, reconciliation.

- ``sync_products`` is what every indexing job ends in: it reads the current rows of the products,
  upserts their documents and deletes the ones that are gone or no longer visible. Replays and
  reordering are harmless, because it never trusts the job's payload beyond the ids.
- ``rebuild`` fills a fresh twin index from PostgreSQL and swaps it in: searches never see an empty
  or half-built index. Products synced while it ran are replayed after the swap (``search_touched``).
- ``reconcile`` compares the index with PostgreSQL (count and a checksum of ids and fingerprints) and
  repairs the difference.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import msgspec
import structlog
from meilisearch_python_sdk import AsyncClient

from marketplace.core.db import Connection, Database
from marketplace.settings import Settings
from search import documents, engine, synonyms
from search.settings import INDEX_SETTINGS, PRODUCTS, settings_hash

log = structlog.get_logger("tradeyard.search")

BATCH = 500
"""Products per read-and-upsert round (variants per product: a few)."""


def index_uid(settings: Settings, name: str = PRODUCTS) -> str:
    return f"{settings.search_index_prefix}{name}"


def next_uid(settings: Settings) -> str:
    return f"{index_uid(settings)}_next"


# ------------------------------------------------------------------ incremental sync

TOUCH = """
INSERT INTO search_touched (product_id, at) SELECT unnest($1::bigint[]), clock_timestamp()
ON CONFLICT (product_id) DO UPDATE SET at = excluded.at
"""


async def sync_products(db: Database, client: AsyncClient, settings: Settings, product_ids: Sequence[int]) -> int:
    """Make the index show exactly the current visible variants of these products; returns documents upserted.

    The ids are recorded in ``search_touched`` (committed) *before* anything is sent, so a rebuild that
    swaps while this runs replays them afterwards and no change is lost to the old index.
    """
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    async with db.transaction() as conn:
        await conn.execute(TOUCH, ids)
    async with db.connection() as conn:
        docs = await documents.load_documents(conn, ids)
    uid = index_uid(settings)
    tasks = []
    if docs:
        tasks.append(await engine.call(client, "POST", f"/indexes/{uid}/documents", docs, params={"primaryKey": "id"}))
    kept = [d["id"] for d in docs]
    stale = f"product_id IN [{', '.join(map(str, ids))}]"
    if kept:
        stale += f" AND NOT id IN [{', '.join(map(str, kept))}]"
    tasks.append(await engine.call(client, "POST", f"/indexes/{uid}/documents/delete", {"filter": stale}))
    for task in tasks:
        await engine.wait_for(client, task)
    return len(docs)


class Coalescer:
    """Merges concurrent sync requests into one round: jobs that arrive while a round runs share the next.

    The worker hands several indexing jobs to their handlers at once; instead of one Meilisearch task
    each, the ids pile up here and one ``flush`` handles them all. Each caller returns (or raises)
    when the round that contained its ids finished.
    """

    def __init__(self, flush: Callable[[list[int]], Awaitable[Any]], *, max_batch: int = BATCH) -> None:
        self._flush = flush
        self._max_batch = max_batch
        self._pending: dict[int, list[asyncio.Future[None]]] = {}
        self._running = False

    async def submit(self, product_ids: Sequence[int]) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        for pid in set(product_ids):
            self._pending.setdefault(pid, []).append(future)
        if not product_ids:
            return
        if not self._running:
            self._running = True
            asyncio.create_task(self._drain())  # noqa: RUF006 - awaited through the futures it resolves
        await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                ids = sorted(self._pending)[: self._max_batch]
                waiters = {f for pid in ids for f in self._pending.pop(pid)}
                try:
                    await self._flush(ids)
                except Exception as exc:  # noqa: BLE001 - handed to every caller of this round, whose job retries
                    for f in waiters:
                        if not f.done():
                            f.set_exception(exc)
                else:
                    for f in waiters:
                        if not f.done() and not any(f in fs for fs in self._pending.values()):
                            f.set_result(None)
        finally:
            self._running = False


async def _visible_documents(db: Database) -> AsyncIterator[list[dict[str, Any]]]:
    """Every visible product's documents from PostgreSQL, ``BATCH`` products at a time (rebuild, reconcile)."""
    after = 0
    while True:
        async with db.connection() as conn:
            ids = await documents.visible_product_ids(conn, after=after, limit=BATCH)
            docs = await documents.load_documents(conn, ids)
        if not ids:
            return
        after = ids[-1]
        yield docs


# ------------------------------------------------------------------ index settings and rebuild

STATE = "SELECT settings_hash, rebuilding_since, rebuilt_at, documents FROM search_index_state WHERE name = $1"
SAVE_STATE = """
INSERT INTO search_index_state (name, settings_hash, rebuilt_at, documents) VALUES ($1, $2, now(), $3)
ON CONFLICT (name) DO UPDATE
SET settings_hash = excluded.settings_hash, rebuilt_at = excluded.rebuilt_at, documents = excluded.documents,
    rebuilding_since = NULL
"""
# A lease, not a lock: a second rebuild is refused while one runs; a crashed one is taken over after 2 hours.
START_REBUILD = """
INSERT INTO search_index_state (name, rebuilding_since) VALUES ($1, clock_timestamp())
ON CONFLICT (name) DO UPDATE SET rebuilding_since = clock_timestamp()
WHERE search_index_state.rebuilding_since IS NULL OR search_index_state.rebuilding_since < now() - interval '2 hours'
RETURNING rebuilding_since
"""
ABANDON_REBUILD = "UPDATE search_index_state SET rebuilding_since = NULL WHERE name = $1 AND rebuilding_since = $2"
TOUCHED_SINCE = "SELECT product_id FROM search_touched WHERE at >= $1 ORDER BY product_id"
FORGET_TOUCHED = "DELETE FROM search_touched WHERE at < $1"


class IndexState(msgspec.Struct, frozen=True, kw_only=True):
    settings_hash: str | None
    rebuilding_since: Any
    rebuilt_at: Any
    documents: int | None


async def get_index_state(conn: Connection, name: str = PRODUCTS) -> IndexState | None:
    row = await conn.fetchrow(STATE, name)
    return None if row is None else IndexState(**row)


async def index_state(db: Database, name: str = PRODUCTS) -> IndexState | None:
    async with db.connection() as conn:
        return await get_index_state(conn, name)


async def _create_index(client: AsyncClient, uid: str, db: Database) -> None:
    """A fresh index with our settings and the operators' synonyms, ready before any document arrives."""
    await engine.delete_index(client, uid)
    await engine.wait_for(client, await engine.call(client, "POST", "/indexes", {"uid": uid, "primaryKey": "id"}))
    body = dict(INDEX_SETTINGS, synonyms=await synonyms.synonym_map(db))
    await engine.wait_for(client, await engine.call(client, "PATCH", f"/indexes/{uid}/settings", body))


async def _exists(client: AsyncClient, uid: str) -> bool:
    try:
        await engine.call(client, "GET", f"/indexes/{uid}")
    except engine.EngineError as exc:
        if exc.code == "index_not_found":
            return False
        raise
    return True


async def rebuild(
    db: Database,
    client: AsyncClient,
    settings: Settings,
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Build a fresh index from PostgreSQL and swap it in; returns the number of documents.

    Searches keep using the old index until the swap, which Meilisearch applies atomically. Products
    synced while this ran went to the old index; they are replayed into the new one after the swap.
    """
    async with db.transaction() as conn:
        started = await conn.fetchval(START_REBUILD, PRODUCTS)
    if started is None:
        raise RebuildRunning("another rebuild of the products index is running")
    try:
        return await _rebuild(db, client, settings, started, progress)
    except BaseException:
        async with db.transaction() as conn:
            await conn.execute(ABANDON_REBUILD, PRODUCTS, started)
        raise


class RebuildRunning(Exception):
    pass


async def _rebuild(
    db: Database, client: AsyncClient, settings: Settings, started: Any, progress: Callable[[int], None] | None
) -> int:
    live, fresh = index_uid(settings), next_uid(settings)
    await _create_index(client, fresh, db)
    total, tasks = 0, []
    async for docs in _visible_documents(db):
        if docs:
            tasks.append(
                await engine.call(client, "POST", f"/indexes/{fresh}/documents", docs, params={"primaryKey": "id"})
            )
        total += len(docs)
        if progress:
            progress(total)
    for task in tasks:
        await engine.wait_for(client, task, timeout_ms=3_600_000)
    if not await _exists(client, live):
        await _create_index(client, live, db)
    await engine.wait_for(client, await engine.call(client, "POST", "/swap-indexes", [{"indexes": [live, fresh]}]))
    async with db.connection() as conn:
        replay = [int(r["product_id"]) for r in await conn.fetch(TOUCHED_SINCE, started)]
    await sync_products(db, client, settings, replay)
    await engine.delete_index(client, fresh)
    async with db.transaction() as conn:
        await conn.execute(SAVE_STATE, PRODUCTS, settings_hash(), total)
        await conn.execute(FORGET_TOUCHED, started)
    log.info("search_rebuilt", documents=total, replayed=len(replay))
    return total


async def ensure_index(db: Database, client: AsyncClient, settings: Settings) -> bool:
    """At start-up: rebuild when the index is missing or was built with other settings. True if rebuilt."""
    state = await index_state(db)
    current = state is not None and state.settings_hash == settings_hash()
    if current and await _exists(client, index_uid(settings)):
        return False
    log.info("search_rebuild_needed", reason="settings changed" if state else "no index yet")
    await rebuild(db, client, settings)
    return True


# ------------------------------------------------------------------ reconciliation


class Drift(msgspec.Struct, frozen=True, kw_only=True):
    database_count: int
    index_count: int
    database_checksum: str
    index_checksum: str
    missing: int
    extra: int
    outdated: int
    repaired: bool

    @property
    def in_sync(self) -> bool:
        return self.database_checksum == self.index_checksum


def checksum(pairs: dict[int, str]) -> str:
    digest = hashlib.sha256()
    for doc_id in sorted(pairs):
        digest.update(f"{doc_id}:{pairs[doc_id]};".encode())
    return digest.hexdigest()[:16]


async def _index_fingerprints(client: AsyncClient, uid: str) -> dict[int, tuple[int, str]]:
    out: dict[int, tuple[int, str]] = {}
    offset, limit = 0, 10_000
    while True:
        page = await engine.call(
            client,
            "GET",
            f"/indexes/{uid}/documents",
            params={"fields": "id,product_id,fp", "limit": limit, "offset": offset},
        )
        for doc in page["results"]:
            out[int(doc["id"])] = (int(doc["product_id"]), str(doc.get("fp")))
        offset += limit
        if offset >= page["total"]:
            return out


async def reconcile(db: Database, client: AsyncClient, settings: Settings, *, repair: bool = True) -> Drift:
    """Compare PostgreSQL with the index (counts, checksum of ids and fingerprints); fix what differs."""
    expected: dict[int, tuple[int, str]] = {}
    async for docs in _visible_documents(db):
        expected.update({d["id"]: (d["product_id"], d["fp"]) for d in docs})
    actual = await _index_fingerprints(client, index_uid(settings))
    missing = expected.keys() - actual.keys()
    extra = actual.keys() - expected.keys()
    outdated = {k for k in expected.keys() & actual.keys() if expected[k] != actual[k]}
    products = {expected[k][0] for k in missing | outdated} | {actual[k][0] for k in extra}
    if repair and products:
        await sync_products(db, client, settings, sorted(products))
    drift = Drift(
        database_count=len(expected),
        index_count=len(actual),
        database_checksum=checksum({k: v[1] for k, v in expected.items()}),
        index_checksum=checksum({k: v[1] for k, v in actual.items()}),
        missing=len(missing),
        extra=len(extra),
        outdated=len(outdated),
        repaired=bool(repair and products),
    )
    log.info("search_reconciled", **msgspec.structs.asdict(drift))
    return drift


async def push_synonyms(db: Database, client: AsyncClient, settings: Settings) -> None:
    """Send the operators' synonyms to the live index (and to a twin being built, if any)."""
    body = await synonyms.synonym_map(db)
    for uid in (index_uid(settings), next_uid(settings)):
        try:
            task = await engine.call(client, "PUT", f"/indexes/{uid}/settings/synonyms", body)
        except engine.EngineError as exc:
            if exc.code == "index_not_found":
                continue
            raise
        await engine.wait_for(client, task)
