"""The audit log: who did what, when, from which IP, for which company. Rows are append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marketplace.core.actor import Actor
from marketplace.core.db import Connection

INSERT_AUDIT = """
INSERT INTO audit_log (action, outcome, actor_user_id, actor_email, company_id, target_type, target_id, ip, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::inet, $9)
"""


async def record(
    conn: Connection,
    action: str,
    *,
    actor: Actor | None = None,
    outcome: str = "success",
    company_id: int | None = None,
    target_type: str | None = None,
    target_id: object = None,
    ip: str | None = None,
    actor_user_id: int | None = None,
    actor_email: str | None = None,
    **detail: Any,
) -> None:
    """Append one security event in the caller's transaction."""
    await conn.execute(
        INSERT_AUDIT,
        action,
        outcome,
        actor.user_id if actor else actor_user_id,
        actor.email if actor else actor_email,
        company_id if company_id is not None else (actor.company_id if actor else None),
        target_type,
        None if target_id is None else str(target_id),
        ip if ip is not None else (actor.ip if actor else None),
        detail,
    )


LIST_AUDIT = """
SELECT a.id, a.at, a.action, a.outcome, a.actor_user_id, a.actor_email, a.company_id, c.legal_name AS company_name,
       a.target_type, a.target_id, host(a.ip) AS ip, a.detail, count(*) OVER () AS total
FROM audit_log a LEFT JOIN company c ON c.id = a.company_id
WHERE ($1::text IS NULL OR a.action LIKE $1 || '%')
  AND ($2::bigint IS NULL OR a.company_id = $2)
  AND ($3::text IS NULL OR lower(a.actor_email) = lower($3))
  AND ($4::text IS NULL OR a.outcome = $4)
  AND ($5::timestamptz IS NULL OR a.at >= $5)
  AND ($6::timestamptz IS NULL OR a.at < $6)
ORDER BY a.at DESC, a.id DESC
LIMIT $7 OFFSET $8
"""


async def list_entries(
    conn: Connection,
    *,
    action: str | None,
    company_id: int | None,
    actor_email: str | None,
    outcome: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, object]], int]:
    """Operators only (the caller checks): newest first, filtered; a page and the total."""
    rows = await conn.fetch(LIST_AUDIT, action, company_id, actor_email, outcome, since, until, limit, offset)
    total = int(rows[0]["total"]) if rows else 0
    return [{k: v for k, v in r.items() if k != "total"} for r in rows], total
