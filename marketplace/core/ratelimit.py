"""Rate limits kept in PostgreSQL, so they hold across every web process and host."""

from __future__ import annotations

from datetime import timedelta

from marketplace.core.db import Connection
from marketplace.core.errors import DomainError

HIT = """
INSERT INTO rate_limit (bucket, window_start, hits)
VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2) * $2), 1)
ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limit.hits + 1
RETURNING hits, ceil(extract(epoch FROM window_start + make_interval(secs => $2) - now()))::int AS retry_after
"""


class RateLimited(DomainError):
    status = 429
    title = "Too many requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__("request.rate_limited", f"Too many attempts. Try again in {retry_after} seconds.")
        self.retry_after = max(1, retry_after)


async def hit(conn: Connection, bucket: str, *, limit: int, window: timedelta) -> None:
    """Count one attempt in ``bucket``; raises ``RateLimited`` (with seconds to wait) past ``limit``.

    Fixed windows on the database clock. Call it where the count must survive a failed attempt, i.e.
    in a transaction that commits (a failed sign-in returns normally, it does not raise).
    """
    row = await conn.fetchrow(HIT, bucket, int(window.total_seconds()))
    assert row is not None
    if row["hits"] > limit:
        raise RateLimited(int(row["retry_after"]))


PURGE = "DELETE FROM rate_limit WHERE window_start < now() - interval '1 day'"


async def purge_old_windows(conn: Connection) -> None:
    await conn.execute(PURGE)
