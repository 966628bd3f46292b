"""Notifications: an in-app list per user plus an email, written in the caller's transaction.

``notify`` picks the members of a company who hold one of the given roles, inserts one row per user
(deduplicated by ``dedupe_key``, so jobs that run twice notify once) and queues the email through the
mail outbox. Callers pass text that is safe for everyone it reaches: never sealed data.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import msgspec

from marketplace.core.db import Connection
from marketplace.core.mail import send_email

INSERT_FOR_MEMBERS = """
INSERT INTO notification (user_id, company_id, kind, subject, body, link, dedupe_key)
SELECT m.user_id, m.company_id, $2, $3, $4, $5, $6
FROM membership m
WHERE m.company_id = $1 AND m.roles && $7::text[]
ON CONFLICT (user_id, dedupe_key) DO NOTHING
RETURNING user_id, (SELECT email FROM app_user u WHERE u.id = user_id) AS email
"""


async def notify(
    conn: Connection,
    *,
    company_id: int,
    roles: Iterable[str],
    kind: str,
    subject: str,
    body: str,
    link: str | None,
    dedupe_key: str,
    email: bool = True,
    base_url: str = "",
) -> int:
    """Notify the company's members holding any of ``roles``; returns how many were newly notified."""
    rows = await conn.fetch(INSERT_FOR_MEMBERS, company_id, kind, subject, body, link, dedupe_key, list(roles))
    if email:
        text = body + (f"\n\n{base_url}{link}" if link else "")
        for row in rows:
            await send_email(conn, to=row["email"], subject=subject, text=text)
    return len(rows)


INSERT_FOR_EMAIL = """
INSERT INTO notification (user_id, company_id, kind, subject, body, link, dedupe_key)
SELECT u.id, m.company_id, $2, $3, $4, $5, $6
FROM app_user u JOIN membership m ON m.user_id = u.id
WHERE lower(u.email) = lower($1)
ON CONFLICT (user_id, dedupe_key) DO NOTHING
"""


async def notify_address(
    conn: Connection, *, email: str, kind: str, subject: str, body: str, link: str | None, dedupe_key: str
) -> None:
    """Email an address that may not have an account yet (an invited supplier); in-app too if it has."""
    await conn.execute(INSERT_FOR_EMAIL, email, kind, subject, body, link, dedupe_key)
    await send_email(conn, to=email, subject=subject, text=body + (f"\n\n{link}" if link else ""))


class Notification(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: str
    subject: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


LIST_FOR_USER = """
SELECT id, kind, subject, body, link, created_at, read_at, count(*) OVER () AS total,
       count(*) FILTER (WHERE read_at IS NULL) OVER () AS unread
FROM notification
WHERE user_id = $1 AND company_id = $2
ORDER BY created_at DESC, id DESC
LIMIT $3 OFFSET $4
"""


async def list_for_user(
    conn: Connection, *, user_id: int, company_id: int, limit: int = 50, offset: int = 0
) -> tuple[list[Notification], int, int]:
    """A page of the user's notifications in this company, the total and the unread count."""
    rows = await conn.fetch(LIST_FOR_USER, user_id, company_id, limit, offset)
    items = [Notification(**{k: r[k] for k in Notification.__struct_fields__}) for r in rows]
    return items, (rows[0]["total"] if rows else 0), (rows[0]["unread"] if rows else 0)


MARK_READ = """
UPDATE notification SET read_at = now()
WHERE user_id = $1 AND company_id = $2 AND read_at IS NULL AND ($3::bigint IS NULL OR id = $3)
"""


async def mark_read(conn: Connection, *, user_id: int, company_id: int, notification_id: int | None = None) -> None:
    """Mark one notification (or all of them) as read; someone else's id changes nothing."""
    await conn.execute(MARK_READ, user_id, company_id, notification_id)
