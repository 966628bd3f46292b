"""Search in tests: this worker's products index, and running the queued indexing jobs in the test's transaction."""

from __future__ import annotations

from meilisearch_python_sdk import AsyncClient

from marketplace.core.db import Connection
from marketplace.core.jobs import JobContext
from marketplace.settings import Settings
from search import indexer
from search.jobs import search_jobs
from tests.support.db import SharedConnectionDatabase

TAKE_SEARCH_JOBS = """
DELETE FROM pgqueuer WHERE entrypoint LIKE 'search.%' AND status = 'queued'
RETURNING entrypoint, payload
"""


async def fresh_index(conn: Connection, search: AsyncClient, settings: Settings) -> None:
    """A new, empty products index with the settings from code and the synonyms in the database."""
    await indexer._create_index(search, indexer.index_uid(settings), SharedConnectionDatabase(conn))


async def index_pending(conn: Connection, search: AsyncClient, settings: Settings) -> int:
    """Run every queued search job through its real handler, inside the test's transaction.

    The jobs were enqueued by the HTTP requests under test (the outbox); taking them here instead of in a
    worker keeps the test's data uncommitted and private. Returns how many jobs ran.
    """
    rows = await conn.fetch(TAKE_SEARCH_JOBS)
    handlers = {r.entrypoint: r for r in search_jobs.handlers()}
    ctx = JobContext(db=SharedConnectionDatabase(conn), settings=settings, resources={"search": search})
    for row in rows:
        registration = handlers[row["entrypoint"]]
        await registration.handler(ctx, registration.decode(row["payload"]))
    return len(rows)
