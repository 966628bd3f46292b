"""Jobs on the real PostgreSQL through pgqueuer: the outbox, retries, dead letters, schedules."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from pgqueuer.types import QueueExecutionMode

from marketplace.core.db import Connection, Database
from marketplace.core.jobs import Job, JobContext, JobRegistry, enqueue, list_dead_jobs, requeue_dead_jobs
from marketplace.settings import Settings
from marketplace.worker import build_queue, build_registry


class Probe(Job, frozen=True, tag="test.probe"):
    token: str
    fail_times: int = 0


def _registry(seen: list[str], max_attempts: int = 3) -> JobRegistry:
    registry = JobRegistry()
    attempts: dict[str, int] = {}

    @registry.handler(Probe, max_attempts=max_attempts)
    async def handle(ctx: JobContext, job: Probe) -> None:
        attempts[job.token] = attempts.get(job.token, 0) + 1
        seen.append(job.token)
        if attempts[job.token] <= job.fail_times:
            raise RuntimeError(f"failure {attempts[job.token]} of {job.token}")

    return registry


async def _drain(listen_conn: Connection, db: Database, settings: Settings, registry: JobRegistry) -> None:
    """Run a real worker until the queue is empty (retries have no delay here)."""
    ctx = JobContext(db=db, settings=settings, resources={})
    pgq = build_queue(listen_conn, ctx, registry, retry_initial_delay=timedelta(0), retry_max_delay=timedelta(0))
    await pgq.run(mode=QueueExecutionMode.drain, dequeue_timeout=timedelta(seconds=1))


@pytest.fixture
async def clean_queue(committing_db: Database):  # type: ignore[no-untyped-def]
    yield
    async with committing_db.transaction() as c:
        await c.execute("DELETE FROM pgqueuer WHERE entrypoint = 'test.probe'")


@pytest.mark.usefixtures("clean_queue")
async def test_rolled_back_job_never_runs_and_committed_job_runs_once(
    committing_db: Database, listen_conn: Connection, settings: Settings
) -> None:
    rolled_back, committed = f"rb-{uuid.uuid4()}", f"ok-{uuid.uuid4()}"
    with pytest.raises(RuntimeError):
        async with committing_db.transaction() as c:
            await enqueue(c, Probe(token=rolled_back))
            raise RuntimeError("the business transaction fails after enqueueing")
    async with committing_db.transaction() as c:
        await enqueue(c, Probe(token=committed))

    seen: list[str] = []
    await _drain(listen_conn, committing_db, settings, _registry(seen))

    assert seen == [committed]
    async with committing_db.connection() as c:
        assert await c.fetchval("SELECT count(*) FROM pgqueuer WHERE entrypoint = 'test.probe'") == 0
        logged = await c.fetch(
            "SELECT status::text FROM pgqueuer_log WHERE entrypoint = 'test.probe' AND job_id = ANY("
            "SELECT job_id FROM pgqueuer_log WHERE entrypoint = 'test.probe') ORDER BY id"
        )
    assert "successful" in [r["status"] for r in logged]


@pytest.mark.usefixtures("clean_queue")
async def test_failing_job_is_retried_until_it_succeeds(
    committing_db: Database, listen_conn: Connection, settings: Settings
) -> None:
    token = f"retry-{uuid.uuid4()}"
    async with committing_db.transaction() as c:
        await enqueue(c, Probe(token=token, fail_times=2))
    seen: list[str] = []
    await _drain(listen_conn, committing_db, settings, _registry(seen, max_attempts=3))
    assert seen == [token, token, token]
    async with committing_db.connection() as c:
        assert await list_dead_jobs(c) == []


@pytest.mark.usefixtures("clean_queue")
async def test_job_out_of_attempts_is_held_as_dead_letter_and_can_be_requeued(
    committing_db: Database, listen_conn: Connection, settings: Settings
) -> None:
    token = f"dead-{uuid.uuid4()}"
    async with committing_db.transaction() as c:
        job_id = await enqueue(c, Probe(token=token, fail_times=10))
    seen: list[str] = []
    await _drain(listen_conn, committing_db, settings, _registry(seen, max_attempts=2))
    assert seen == [token, token]

    async with committing_db.transaction() as c:
        dead = [d for d in await list_dead_jobs(c) if d.id == job_id]
        assert len(dead) == 1
        assert dead[0].entrypoint == "test.probe"
        assert token in dead[0].payload
        assert await requeue_dead_jobs(c, [job_id]) == [job_id]

    await _drain(listen_conn, committing_db, settings, _registry(seen, max_attempts=2))
    assert seen == [token] * 4


@pytest.mark.usefixtures("clean_queue")
async def test_dedupe_key_coalesces_a_burst_into_one_job(
    committing_db: Database, listen_conn: Connection, settings: Settings
) -> None:
    key = f"product:{uuid.uuid4()}"
    async with committing_db.transaction() as c:
        first = await enqueue(c, Probe(token="a"), dedupe_key=key)
        second = await enqueue(c, Probe(token="b"), dedupe_key=key)
    assert first is not None
    assert second is None
    seen: list[str] = []
    await _drain(listen_conn, committing_db, settings, _registry(seen))
    assert seen == ["a"]


async def test_a_change_while_its_job_runs_queues_a_new_job(
    committing_db: Database, listen_conn: Connection, settings: Settings
) -> None:
    """The job has read the rows already; a change committed now must not be absorbed by it."""
    key = f"product:{uuid.uuid4()}"
    registry = JobRegistry()
    again: list[int | None] = []
    seen: list[str] = []

    @registry.handler(Probe)
    async def handle(ctx: JobContext, job: Probe) -> None:
        seen.append(job.token)
        if job.token == "first":
            async with ctx.db.transaction() as c:
                again.append(await enqueue(c, Probe(token="second"), dedupe_key=key))

    async with committing_db.transaction() as c:
        assert await enqueue(c, Probe(token="first"), dedupe_key=key) is not None
    await _drain(listen_conn, committing_db, settings, registry)
    assert again[0] is not None
    assert seen == ["first", "second"]


async def test_scheduled_jobs_are_registered_when_the_worker_starts(
    committing_db: Database, listen_conn: Connection, settings: Settings
) -> None:
    await _drain(listen_conn, committing_db, settings, build_registry())
    async with committing_db.connection() as c:
        rows = await c.fetch("SELECT entrypoint, expression FROM pgqueuer_schedules")
    assert ("core.prune_job_history", "17 3 * * *") in [(r["entrypoint"], r["expression"]) for r in rows]


async def test_prune_job_history_keeps_recent_rows(conn: Connection, settings: Settings) -> None:
    from marketplace.core.jobs import prune_job_history
    from tests.support.db import SharedConnectionDatabase

    await conn.execute(
        "INSERT INTO pgqueuer_log (created, job_id, status, priority, entrypoint) VALUES "
        "(now() - interval '40 days', -1, 'successful', 0, 'old'), (now(), -2, 'successful', 0, 'new')"
    )
    await prune_job_history(JobContext(db=SharedConnectionDatabase(conn), settings=settings, resources={}))
    assert [r["entrypoint"] for r in await conn.fetch("SELECT entrypoint FROM pgqueuer_log WHERE job_id < 0")] == [
        "new"
    ]
