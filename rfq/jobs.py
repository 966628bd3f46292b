"""Time-driven RFQ work: apply deadlines. Every action also checks the clock itself, so this job being
late or running twice changes nothing but when the status column catches up."""

from __future__ import annotations

import structlog

from marketplace.core.jobs import JobContext, JobRegistry
from rfq.service import close_due_rfqs

log = structlog.get_logger("tradeyard.rfq")

rfq_jobs = JobRegistry()


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
