"""Operator page: the audit log with filters."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from litestar import get
from litestar.params import FromQuery
from litestar.response import Template

from marketplace.accounts import verification as service
from marketplace.core.actor import CurrentActor
from marketplace.core.db import Tx


def _day(value: str, *, end: bool = False) -> datetime | None:
    """A calendar day from a date input as a UTC instant (its start, or the next day's start for ``end``)."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=1) if end else day, time.min, tzinfo=UTC)


@get("/operator/audit", name="operator_audit")
async def audit_log(
    conn: Tx,
    actor: CurrentActor,
    action: FromQuery[str] = "",
    email: FromQuery[str] = "",
    company_id: FromQuery[str] = "",
    outcome: FromQuery[str] = "",
    since: FromQuery[str] = "",
    until: FromQuery[str] = "",
    page: FromQuery[int] = 1,
) -> Template:
    company = int(company_id) if company_id.isdigit() and len(company_id) < 18 else None
    rows, total = await service.audit_entries(
        conn,
        actor,
        action=action.strip()[:100] or None,
        company_id=company,
        actor_email=email.strip()[:254] or None,
        outcome=outcome if outcome in ("success", "failure") else None,
        since=_day(since),
        until=_day(until, end=True),
        page=max(1, min(page, 10_000)),
    )
    return Template(
        template_name="operator/audit.html",
        context={
            "actor": actor,
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // 50)),
            "f": {
                "action": action,
                "email": email,
                "company_id": company_id,
                "outcome": outcome,
                "since": since,
                "until": until,
            },
        },
    )


ROUTES = [audit_log]
