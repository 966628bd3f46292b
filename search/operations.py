"""Operator use cases on the index: its state and queue, failed jobs, a rebuild, and a drift check.

Everything here is for platform operators only (``NotFound`` for anyone else). Meilisearch being down
is part of the state shown, never an error of the page: the queue and the database side still answer.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from meilisearch_python_sdk import AsyncClient

from marketplace.core import audit
from marketplace.core.actor import Actor, require_operator
from marketplace.core.db import Connection, HeldConnection
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.jobs import DeadJob, QueueSummary, enqueue, list_dead_jobs, requeue_dead_jobs, summarise_queue
from marketplace.settings import Settings
from search import engine, indexer
from search.jobs import RebuildIndex
from search.settings import settings_hash

SEARCH_JOBS = "search."
"""The entrypoint prefix of every indexing job (``search.jobs``)."""
REBUILD_DEDUPE_KEY = "search.rebuild"


class LiveIndex(msgspec.Struct, frozen=True, kw_only=True):
    """What Meilisearch says about the live index right now, or why it could not say."""

    documents: int | None = None
    indexing: bool = False
    problem: str | None = None


class IndexingStatus(msgspec.Struct, frozen=True, kw_only=True):
    queue: QueueSummary
    failed: list[DeadJob]
    rebuild_queued: bool
    settings_hash: str | None
    """The hash of the settings the live index was built with (None: never built)."""
    code_settings_hash: str
    rebuilding_since: datetime | None
    rebuilt_at: datetime | None
    documents: int | None
    """Documents at the last rebuild."""
    live: LiveIndex

    @property
    def settings_current(self) -> bool:
        return self.settings_hash == self.code_settings_hash


REBUILD_QUEUED = """
SELECT EXISTS (
    SELECT 1 FROM pgqueuer WHERE dedupe_key = $1 AND status IN ('queued', 'picked')
)
"""


async def get_rebuild_queued(conn: Connection) -> bool:
    return bool(await conn.fetchval(REBUILD_QUEUED, REBUILD_DEDUPE_KEY))


async def live_index(client: AsyncClient, settings: Settings) -> LiveIndex:
    """Document count of the live index from Meilisearch; a problem instead when it cannot answer."""
    try:
        stats = await engine.call(client, "GET", f"/indexes/{indexer.index_uid(settings)}/stats")
    except DomainError as exc:  # Unavailable: not reachable
        return LiveIndex(problem=exc.detail)
    except engine.EngineError as exc:
        if exc.code == "index_not_found":
            return LiveIndex(problem="The live index does not exist yet; a rebuild creates it.")
        return LiveIndex(problem=f"Meilisearch answered {exc.status} ({exc.code}).")
    return LiveIndex(documents=int(stats["numberOfDocuments"]), indexing=bool(stats.get("isIndexing")))


async def indexing_status(conn: Connection, actor: Actor, client: AsyncClient, settings: Settings) -> IndexingStatus:
    """Queue length and lag of the search jobs, failed ones, the index's state row and live count."""
    require_operator(actor)
    state = await indexer.get_index_state(conn)
    return IndexingStatus(
        queue=await summarise_queue(conn, entrypoint_prefix=SEARCH_JOBS),
        failed=await list_dead_jobs(conn, limit=50, entrypoint_prefix=SEARCH_JOBS),
        rebuild_queued=await get_rebuild_queued(conn),
        settings_hash=state.settings_hash if state else None,
        code_settings_hash=settings_hash(),
        rebuilding_since=state.rebuilding_since if state else None,
        rebuilt_at=state.rebuilt_at if state else None,
        documents=state.documents if state else None,
        live=await live_index(client, settings),
    )


async def request_rebuild(conn: Connection, actor: Actor) -> bool:
    """Queue a full rebuild with swap; False when one is already queued or running. Raises NotFound."""
    require_operator(actor)
    job_id = await enqueue(conn, RebuildIndex(), dedupe_key=REBUILD_DEDUPE_KEY)
    await audit.record(conn, "search.rebuild_requested", actor=actor, queued=job_id is not None)
    return job_id is not None


async def retry_failed_job(conn: Connection, actor: Actor, job_id: int) -> None:
    """Give a failed search job a fresh set of attempts; raises NotFound (also for other jobs)."""
    require_operator(actor)
    if not await requeue_dead_jobs(conn, [job_id], entrypoint_prefix=SEARCH_JOBS):
        raise NotFound("search.job_not_found", "No failed search job with this id.")
    await audit.record(conn, "search.job_retried", actor=actor, target_type="job", target_id=job_id)


async def check_drift(conn: Connection, actor: Actor, client: AsyncClient, settings: Settings) -> indexer.Drift:
    """Compare PostgreSQL with the index without repairing; raises NotFound, Unavailable (Meilisearch down).

    Runs on the caller's connection. Reads every visible document and every indexed fingerprint: fine
    for demo-size catalogs inside a request; large catalogs use ``./dev reconcile --check`` (or the
    nightly job, which repairs).
    """
    require_operator(actor)
    try:
        return await indexer.reconcile(HeldConnection(conn), client, settings, repair=False)
    except engine.EngineError as exc:
        if exc.code == "index_not_found":
            raise NotFound("search.index_missing", "The live index does not exist yet; rebuild it first.") from exc
        raise
