"""The job worker: ``python -m marketplace.worker``.

Runs every registered job handler and schedule on pgqueuer over the same PostgreSQL. Failed jobs are
retried with exponential backoff; after their last attempt they are held with status ``failed`` (the
dead-letter state operators see). SIGTERM or SIGINT stops fetching, lets running jobs finish, and exits.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import structlog
from pgqueuer import PgQueuer
from pgqueuer.core.executors import DatabaseRetryEntrypointExecutor, EntrypointExecutorParameters
from pgqueuer.models import Job as PgJob
from pgqueuer.models import Schedule as PgSchedule
from pgqueuer.types import QueueExecutionMode

from marketplace.accounts.jobs import accounts_jobs
from marketplace.core.db import Connection, Database, connect, create_pool
from marketplace.core.errors import Unavailable
from marketplace.core.jobs import JobContext, JobRegistry, Registration, Schedule, core_jobs
from marketplace.core.logging import configure_logging
from marketplace.core.mail import mail_jobs, start_file_sink
from marketplace.settings import Settings, SettingsError
from rfq.jobs import rfq_jobs
from search.client import create_search_client
from search.indexer import ensure_index
from search.jobs import search_jobs
from search.rfqs import ensure_rfq_index
from vendors.jobs import catalog_jobs

log = structlog.get_logger("tradeyard.worker")


def build_registry() -> JobRegistry:
    """Every domain's jobs, composed here (domains never import each other's jobs)."""
    registry = JobRegistry()
    registry.include(core_jobs)
    registry.include(mail_jobs)
    registry.include(accounts_jobs)
    registry.include(catalog_jobs)
    registry.include(search_jobs)
    registry.include(rfq_jobs)
    return registry


def build_queue(
    conn: Connection,
    ctx: JobContext,
    registry: JobRegistry,
    *,
    retry_initial_delay: timedelta = timedelta(seconds=2),
    retry_max_delay: timedelta = timedelta(minutes=10),
) -> PgQueuer:
    """A PgQueuer on a dedicated connection (it LISTENs) with our handlers and schedules attached."""
    pgq = PgQueuer.from_asyncpg_connection(conn)
    for registration in registry.handlers():
        _attach_handler(pgq, ctx, registration, retry_initial_delay, retry_max_delay)
    for schedule in registry.schedules():
        _attach_schedule(pgq, ctx, schedule)
    return pgq


RELEASE_DEDUPE_KEY = "UPDATE pgqueuer SET dedupe_key = NULL WHERE id = $1 AND dedupe_key IS NOT NULL"


def _attach_handler(
    pgq: PgQueuer, ctx: JobContext, reg: Registration[Any], initial: timedelta, maximum: timedelta
) -> None:
    async def run(job: PgJob) -> None:
        with structlog.contextvars.bound_contextvars(job_id=job.id, job=reg.entrypoint, attempt=job.attempts + 1):
            # A dedupe key absorbs bursts only while the job waits: once it runs (and may already have read
            # the rows), a change committed meanwhile must queue a new job, or it would never be handled.
            async with ctx.db.connection() as conn:
                await conn.execute(RELEASE_DEDUPE_KEY, job.id)
            try:
                await reg.handler(ctx, reg.decode(job.payload))
            except Exception:
                log.warning("job_failed", exc_info=True)
                raise
            log.debug("job_done")

    def executor(params: EntrypointExecutorParameters) -> DatabaseRetryEntrypointExecutor:
        return DatabaseRetryEntrypointExecutor(
            parameters=params,
            # pgqueuer counts attempts from 0; our max_attempts counts runs.
            max_attempts=reg.max_attempts - 1,
            initial_delay=min(initial, reg.retry_max_delay or initial),
            max_delay=reg.retry_max_delay or maximum,
        )

    pgq.entrypoint(
        reg.entrypoint,
        concurrency_limit=reg.concurrency_limit,
        on_failure="hold",
        executor_factory=executor,
    )(run)


def _attach_schedule(pgq: PgQueuer, ctx: JobContext, schedule: Schedule) -> None:
    async def tick(_: PgSchedule) -> None:
        with structlog.contextvars.bound_contextvars(schedule=schedule.name):
            await schedule.handler(ctx)

    pgq.schedule(schedule.name, schedule.cron)(tick)


async def run_worker(settings: Settings, *, mode: QueueExecutionMode = QueueExecutionMode.continuous) -> None:
    db = Database(await create_pool(settings))
    listen_conn = await connect(settings.database_url)
    search = create_search_client(settings)
    ctx = JobContext(db=db, settings=settings, resources={"search": search})
    pgq = build_queue(listen_conn, ctx, build_registry())
    sink = None
    if settings.smtp_sink_dir:
        # Development only: catch outgoing mail in files instead of sending it anywhere.
        sink = start_file_sink(Path(settings.smtp_sink_dir), settings.smtp_port)
        log.info("smtp_sink", directory=settings.smtp_sink_dir, port=settings.smtp_port)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, pgq.shutdown.set)
    log.info("worker_started", jobs=sorted(r.entrypoint for r in build_registry().handlers()))
    try:
        # The index design lives in code: a missing index or changed settings means a rebuild, now.
        await ensure_index(db, search, settings)
        await ensure_rfq_index(db, search, settings)
        ctx.resources["rfq_index_ready"] = True
    except Unavailable:
        log.warning("search_unavailable_at_start")  # indexing jobs wait and retry until it answers

    try:
        await pgq.run(mode=mode, dequeue_timeout=timedelta(seconds=5))
    finally:
        log.info("worker_stopping")
        if sink is not None:
            sink.stop()
        await search.aclose()
        await listen_conn.close()
        await db.close()


def main() -> None:
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"tradeyard: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings)
    asyncio.run(run_worker(settings))


if __name__ == "__main__":
    main()
