"""Time-driven work of the accounts domain."""

from __future__ import annotations

from marketplace.accounts.auth import purge_expired_sessions
from marketplace.core.jobs import JobContext, JobRegistry
from marketplace.core.ratelimit import purge_old_windows

accounts_jobs = JobRegistry()


@accounts_jobs.schedule("accounts.purge_sessions", "*/15 * * * *")
async def purge_sessions(ctx: JobContext) -> None:
    """Delete sessions past their idle or absolute expiry, and old rate-limit windows."""
    async with ctx.db.transaction() as conn:
        await purge_expired_sessions(conn)
        await purge_old_windows(conn)
