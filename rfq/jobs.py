"""Time-driven RFQ work: apply deadlines, remind vendors, send the daily digest. Every action also checks the
clock itself, so these jobs being late or running twice changes nothing but when things catch up; notices
are deduplicated per user by ``dedupe_key``."""

from __future__ import annotations

import structlog

from marketplace.core.db import Connection
from marketplace.core.jobs import Job, JobContext, JobRegistry
from marketplace.core.notifications import notify
from marketplace.core.storage import LocalStorage
from marketplace.settings import Settings
from rfq import repository as repo
from rfq.service import VENDOR_AUDIENCE, close_due_rfqs, deadline_text

log = structlog.get_logger("tradeyard.rfq")

rfq_jobs = JobRegistry()
DIGEST_TITLES = 20


class DeleteStoredFile(Job, frozen=True, tag="rfq.delete_file"):
    """The bytes of a draft's file the buyer deleted: removed once the deletion has committed."""

    storage_key: str


@rfq_jobs.handler(DeleteStoredFile)
async def delete_stored_file(ctx: JobContext, job: DeleteStoredFile) -> None:
    """Idempotent: a file that is already gone is fine."""
    await LocalStorage(ctx.settings.storage_dir).delete(job.storage_key)


@rfq_jobs.schedule("rfq.close_due", "* * * * *")
async def close_due(ctx: JobContext) -> None:
    """Close every published RFQ whose deadline passed (batches of 100, SKIP LOCKED, compare-and-set)."""
    while True:
        async with ctx.db.transaction() as conn:
            closed = await close_due_rfqs(conn, settings=ctx.settings)
        if closed:
            log.info("rfqs_closed", count=closed)
        if closed < 100:
            return


async def remind_deadlines(conn: Connection, *, settings: Settings) -> int:
    """Tell participating vendors without a live bid that a deadline is less than 24 h away; returns how many
    people were newly notified. Once per deadline: an extended deadline earns a new reminder."""
    notified = 0
    for due in await repo.list_due_reminders(conn):
        notified += await notify(
            conn,
            company_id=due["vendor_id"],
            roles=VENDOR_AUDIENCE,
            kind="rfq.deadline_soon",
            subject=f"Deadline in 24 hours: {due['title']}",
            body=f"Offers for '{due['title']}' close at {deadline_text(due['closes_at'], due['buyer_time_zone'])}. "
            "Your company has no valid offer yet.",
            link=f"/vendor/rfqs/{due['id']}",
            dedupe_key=f"rfq:{due['id']}:deadline-soon:{due['closes_at'].isoformat()}",
            base_url=settings.public_base_url,
        )
    return notified


async def send_daily_digest(conn: Connection, *, settings: Settings) -> int:
    """One message per verified vendor listing the public requests of the last 24 h in its categories."""
    today = (await repo.clock(conn)).date().isoformat()
    notified = 0
    for entry in await repo.list_digest(conn):
        titles = entry["titles"][:DIGEST_TITLES]
        more = len(entry["titles"]) - len(titles)
        notified += await notify(
            conn,
            company_id=entry["vendor_id"],
            roles=VENDOR_AUDIENCE,
            kind="rfq.digest",
            subject=f"{len(entry['titles'])} new request(s) in your categories",
            body="New public requests you can answer:\n"
            + "\n".join(f"- {t}" for t in titles)
            + (f"\n... and {more} more." if more else ""),
            link="/vendor/rfqs",
            dedupe_key=f"rfq:digest:{today}",
            base_url=settings.public_base_url,
        )
    return notified


@rfq_jobs.schedule("rfq.deadline_reminders", "*/15 * * * *")
async def deadline_reminders(ctx: JobContext) -> None:
    async with ctx.db.transaction() as conn:
        notified = await remind_deadlines(conn, settings=ctx.settings)
    if notified:
        log.info("rfq_deadline_reminders", notified=notified)


@rfq_jobs.schedule("rfq.daily_digest", "0 6 * * *")
async def daily_digest(ctx: JobContext) -> None:
    async with ctx.db.transaction() as conn:
        notified = await send_daily_digest(conn, settings=ctx.settings)
    if notified:
        log.info("rfq_daily_digest", notified=notified)
