"""Catalog imports as background jobs: the upload is stored, a job imports it, the page polls progress.

The import runs in one transaction (all or nothing, or partial, as the vendor chose); progress and
the final report are written on a second connection so the page sees them while the import runs.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from marketplace.core.errors import NotFound
from marketplace.core.jobs import Job, JobContext, JobRegistry, enqueue
from marketplace.core.storage import LocalStorage
from vendors.bmecat_import import import_bmecat
from vendors.imports import ImportReport, import_csv
from vendors.service import vendor_of


class RunImport(Job, frozen=True, tag="vendors.run_import"):
    import_id: int


class ImportRun(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    vendor_id: int
    created_by: int
    format: str
    filename: str
    storage_key: str
    dry_run: bool
    mode: str
    status: str
    total: int | None
    done: int
    error_count: int
    report: ImportReport | None
    failure: str | None

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0


# SQL here is composed from these constant column lists only.
RUN_COLUMNS = """id, vendor_id, created_by, format, filename, storage_key, dry_run, mode, status, total, done,
    error_count, report, failure"""


def _run(row: object) -> ImportRun:
    data = dict(row)  # type: ignore[call-overload]
    if data["report"] is not None:
        data["report"] = msgspec.convert(data["report"], ImportReport)
    return ImportRun(**data)


INSERT_RUN = f"""
INSERT INTO catalog_import (vendor_id, created_by, format, filename, storage_key, dry_run, mode)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING {RUN_COLUMNS}
"""


async def start_import(
    conn: Connection,
    actor: Actor,
    *,
    format: str,
    filename: str,
    storage_key: str,
    dry_run: bool,
    mode: str,
) -> ImportRun:
    """Record the upload and enqueue its import in the same transaction."""
    vendor_id = vendor_of(actor, write=True)
    row = await conn.fetchrow(INSERT_RUN, vendor_id, actor.user_id, format, filename[:255], storage_key, dry_run, mode)
    run = _run(row)
    await enqueue(conn, RunImport(import_id=run.id))
    return run


GET_RUN = f"SELECT {RUN_COLUMNS} FROM catalog_import WHERE id = $1 AND vendor_id = $2"


async def get_import(conn: Connection, actor: Actor, import_id: int) -> ImportRun:
    vendor_id = actor.company_id if actor.company_kind in ("vendor", "both") and actor.company_id else -1
    row = await conn.fetchrow(GET_RUN, import_id, vendor_id)
    if row is None:
        raise NotFound("import.not_found", "No such import.")
    vendor_of(actor)
    return _run(row)


catalog_jobs = JobRegistry()

CLAIM = f"""
UPDATE catalog_import SET status = 'running', started_at = now()
WHERE id = $1 AND status = 'queued'
RETURNING {RUN_COLUMNS}
"""
ACTOR_OF = """
SELECT u.email, u.full_name, m.roles, c.kind, c.status
FROM app_user u JOIN membership m ON m.user_id = u.id AND m.company_id = $2 JOIN company c ON c.id = m.company_id
WHERE u.id = $1
"""


@catalog_jobs.handler(RunImport, max_attempts=1)
async def run_import(ctx: JobContext, job: RunImport) -> None:
    """Import once (a retry would find the run no longer queued); failures are recorded on the run."""
    async with ctx.db.transaction() as conn:
        row = await conn.fetchrow(CLAIM, job.import_id)
        if row is None:
            return
        run = _run(row)
        who = await conn.fetchrow(ACTOR_OF, run.created_by, run.vendor_id)
    storage = LocalStorage(ctx.settings.storage_dir)

    async def set_total(total: int) -> None:
        async with ctx.db.transaction() as c:
            await c.execute("UPDATE catalog_import SET total = $2 WHERE id = $1", run.id, total)

    async def progress(done: int, errors: int) -> None:
        async with ctx.db.transaction() as c:
            await c.execute("UPDATE catalog_import SET done = $2, error_count = $3 WHERE id = $1", run.id, done, errors)

    try:
        if who is None:
            raise PermissionError("the person who started this import is no longer a member of the company")
        actor = Actor(
            user_id=run.created_by,
            email=who["email"],
            full_name=who["full_name"],
            company_id=run.vendor_id,
            company_kind=who["kind"],
            company_status=who["status"],
            roles=frozenset(who["roles"]),
        )
        mode: Literal["all", "partial"] = "partial" if run.mode == "partial" else "all"
        with storage.open(run.storage_key) as stream:
            async with ctx.db.transaction() as conn:
                if run.format == "csv":
                    report = await import_csv(
                        conn, actor, stream.read(), dry_run=run.dry_run, mode=mode, progress=progress, total=set_total
                    )
                else:
                    report = await import_bmecat(
                        conn,
                        actor,
                        stream,
                        dry_run=run.dry_run,
                        mode=mode,
                        progress=progress,
                        total=set_total,
                        storage=storage,
                    )
    except Exception as exc:  # noqa: BLE001 - any failure ends the run visibly for the vendor
        async with ctx.db.transaction() as c:
            await c.execute(
                "UPDATE catalog_import SET status = 'failed', failure = $2, finished_at = now() WHERE id = $1",
                run.id,
                str(exc)[:2000] or type(exc).__name__,
            )
        return
    async with ctx.db.transaction() as c:
        await c.execute(
            "UPDATE catalog_import SET status = 'done', done = $2, total = $2, error_count = $3, report = $4,"
            " finished_at = now() WHERE id = $1",
            run.id,
            report.products,
            len(report.errors),
            msgspec.to_builtins(report),
        )
