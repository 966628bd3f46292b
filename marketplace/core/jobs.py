"""Background jobs on pgqueuer: the transactional outbox (ARCHITECTURE.md §3.2).

A service calls ``enqueue(conn, SomeJob(...))`` on the request's connection, so the job exists only if
the business transaction commits. Domains declare job payloads as ``Job`` subclasses (the class tag is
the pgqueuer entrypoint) and register handlers on a ``JobRegistry``; ``marketplace.worker`` composes
the registries and runs them. Delivery is at least once, so handlers must be idempotent.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import msgspec
from pgqueuer.adapters.persistence.queries import Queries
from pgqueuer.db import AsyncpgDriver

from marketplace.core.db import Connection, Database
from marketplace.settings import Settings


class Job(msgspec.Struct, frozen=True, kw_only=True, tag_field="job", tag=True):
    """Base of every job payload. The tag (class name unless set) is the pgqueuer entrypoint."""

    @classmethod
    def entrypoint(cls) -> str:
        return _entrypoint_of(cls)


@functools.cache
def _entrypoint_of(cls: type[Job]) -> str:
    tag = msgspec.inspect.type_info(cls).tag  # type: ignore[attr-defined]
    assert isinstance(tag, str)
    return tag


J = TypeVar("J", bound=Job)


@dataclasses.dataclass(frozen=True)
class JobContext:
    """What a handler may use: a connection source, settings, and shared clients set up by the worker."""

    db: Database
    settings: Settings
    resources: dict[str, Any]


Handler = Callable[[JobContext, J], Awaitable[None]]
ScheduledHandler = Callable[[JobContext], Awaitable[None]]


@dataclasses.dataclass(frozen=True)
class Registration(Generic[J]):
    job_type: type[J]
    handler: Handler[J]
    max_attempts: int
    concurrency_limit: int
    retry_max_delay: timedelta | None = None
    """Cap on the backoff between attempts (None: the worker's default)."""

    @property
    def entrypoint(self) -> str:
        return self.job_type.entrypoint()

    def decode(self, payload: bytes | None) -> J:
        return msgspec.json.decode(payload or b"{}", type=self.job_type)


@dataclasses.dataclass(frozen=True)
class Schedule:
    name: str
    cron: str
    handler: ScheduledHandler


class JobRegistry:
    """Handlers and schedules of one domain; the worker merges several with ``include``."""

    def __init__(self) -> None:
        self._handlers: dict[str, Registration[Any]] = {}
        self._schedules: dict[str, Schedule] = {}

    def handler(
        self,
        job_type: type[J],
        *,
        max_attempts: int = 5,
        concurrency_limit: int = 0,
        retry_max_delay: timedelta | None = None,
    ) -> Callable[[Handler[J]], Handler[J]]:
        """Register ``fn(ctx, job)`` for ``job_type``. After ``max_attempts`` failures the job is held as failed."""

        def register(fn: Handler[J]) -> Handler[J]:
            name = job_type.entrypoint()
            if name in self._handlers:
                raise ValueError(f"job {name} already has a handler")
            self._handlers[name] = Registration(job_type, fn, max_attempts, concurrency_limit, retry_max_delay)
            return fn

        return register

    def schedule(self, name: str, cron: str) -> Callable[[ScheduledHandler], ScheduledHandler]:
        """Register ``fn(ctx)`` to run on a cron expression (UTC), once per tick across all workers."""

        def register(fn: ScheduledHandler) -> ScheduledHandler:
            if name in self._schedules:
                raise ValueError(f"schedule {name} already registered")
            self._schedules[name] = Schedule(name, cron, fn)
            return fn

        return register

    def include(self, other: JobRegistry) -> None:
        for name, registration in other._handlers.items():
            if name in self._handlers:
                raise ValueError(f"job {name} registered twice")
            self._handlers[name] = registration
        for name, schedule in other._schedules.items():
            if name in self._schedules:
                raise ValueError(f"schedule {name} registered twice")
            self._schedules[name] = schedule

    def handlers(self) -> Iterator[Registration[Any]]:
        return iter(self._handlers.values())

    def schedules(self) -> Iterator[Schedule]:
        return iter(self._schedules.values())


async def enqueue(
    conn: Connection,
    job: Job,
    *,
    delay: timedelta | None = None,
    dedupe_key: str | None = None,
    priority: int = 0,
) -> int | None:
    """Enqueue ``job`` on the caller's connection, inside its transaction.

    With ``dedupe_key``, a job with the same key that is still queued or running absorbs this one
    (returns None): that is how bursts of changes to one object coalesce into one indexing job.
    """
    queries = Queries(AsyncpgDriver(conn))
    payload = msgspec.json.encode(job)
    if dedupe_key is None:
        ids = await queries.enqueue(job.entrypoint(), payload, priority, delay)
        return int(ids[0])
    maybe = await queries.enqueue(job.entrypoint(), payload, priority, delay, dedupe_key, on_conflict="skip")
    return None if maybe[0] is None else int(maybe[0])


async def enqueue_many(conn: Connection, jobs: Sequence[tuple[Job, str | None]], *, priority: int = 0) -> None:
    """Enqueue many (job, dedupe key) pairs in one statement, like ``enqueue`` one by one; a key that
    is already queued or running, or repeated in the list, absorbs the later job."""
    seen: set[str] = set()
    unique = []
    for job, key in jobs:
        if key is None or key not in seen:
            unique.append((job, key))
            if key is not None:
                seen.add(key)
    if not unique:
        return
    jobs = unique
    queries = Queries(AsyncpgDriver(conn))
    await queries.enqueue(
        [job.entrypoint() for job, _ in jobs],
        [msgspec.json.encode(job) for job, _ in jobs],
        [priority] * len(jobs),
        None,
        [key for _, key in jobs],
        on_conflict="skip",
    )


class DeadJob(msgspec.Struct, frozen=True, kw_only=True):
    """A job that used up its attempts and waits for an operator (the dead-letter state)."""

    id: int
    entrypoint: str
    attempts: int
    payload: str
    created: datetime
    updated: datetime


LIST_DEAD_JOBS = """
SELECT id, entrypoint, attempts, convert_from(coalesce(payload, ''::bytea), 'UTF8') AS payload, created, updated
FROM pgqueuer
WHERE status = 'failed' AND starts_with(entrypoint, $2)
ORDER BY updated DESC, id DESC
LIMIT $1
"""


async def list_dead_jobs(conn: Connection, *, limit: int = 100, entrypoint_prefix: str = "") -> list[DeadJob]:
    """Jobs held as failed after their last attempt, newest first (only entrypoints with the prefix)."""
    rows = await conn.fetch(LIST_DEAD_JOBS, limit, entrypoint_prefix)
    return [DeadJob(**row) for row in rows]


REQUEUE_DEAD_JOBS = """
UPDATE pgqueuer
SET status = 'queued', attempts = 0, execute_after = now(), updated = now()
WHERE status = 'failed' AND id = any($1::bigint[]) AND starts_with(entrypoint, $2)
RETURNING id
"""


async def requeue_dead_jobs(conn: Connection, ids: list[int], *, entrypoint_prefix: str = "") -> list[int]:
    """Give failed jobs a fresh set of attempts; returns the ids that were requeued (only with the prefix)."""
    rows = await conn.fetch(REQUEUE_DEAD_JOBS, ids, entrypoint_prefix)
    return [int(r["id"]) for r in rows]


class QueueSummary(msgspec.Struct, frozen=True, kw_only=True):
    """How far behind a family of jobs is, by the database clock."""

    queued: int
    running: int
    failed: int
    oldest_queued_age: timedelta | None
    """Age of the oldest job still waiting: how stale what those jobs maintain may be (the lag)."""


QUEUE_SUMMARY = """
SELECT count(*) FILTER (WHERE status = 'queued') AS queued,
       count(*) FILTER (WHERE status = 'picked') AS running,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       clock_timestamp() - min(created) FILTER (WHERE status = 'queued') AS oldest_queued_age
FROM pgqueuer
WHERE status IN ('queued', 'picked', 'failed') AND starts_with(entrypoint, $1)
"""


async def summarise_queue(conn: Connection, *, entrypoint_prefix: str) -> QueueSummary:
    """Queued, running and failed jobs whose entrypoint starts with the prefix, and the lag."""
    row = await conn.fetchrow(QUEUE_SUMMARY, entrypoint_prefix)
    assert row is not None  # an aggregate always returns a row
    return QueueSummary(**row)


# ------------------------------------------------------------------ housekeeping shipped with the core

core_jobs = JobRegistry()

PRUNE_JOB_HISTORY = """
WITH log AS (DELETE FROM pgqueuer_log WHERE created < now() - $1::interval)
DELETE FROM pgqueuer_statistics WHERE created < now() - $1::interval
"""


@core_jobs.schedule("core.prune_job_history", "17 3 * * *")
async def prune_job_history(ctx: JobContext) -> None:
    """Keep 30 days of job history; failed (dead-letter) jobs stay until an operator acts."""
    async with ctx.db.transaction() as conn:
        await conn.execute(PRUNE_JOB_HISTORY, timedelta(days=30))
