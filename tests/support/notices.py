"""Notifications and emails in tests: the in-app rows, and the queued emails delivered to an SMTP sink."""

from __future__ import annotations

from email.message import EmailMessage

import msgspec

from marketplace.core.db import Connection
from marketplace.core.jobs import JobContext
from marketplace.core.mail import SendEmail, deliver_email
from marketplace.settings import Settings
from tests.support.db import SharedConnectionDatabase
from tests.support.smtp import SmtpSink

QUEUED_EMAILS = (
    "SELECT id, payload FROM pgqueuer WHERE entrypoint = 'core.send_email' AND status = 'queued' ORDER BY id"
)


async def notifications_of(conn: Connection, company_id: int, kind: str) -> list[dict[str, object]]:
    rows = await conn.fetch(
        "SELECT user_id, subject, body, link, dedupe_key FROM notification WHERE company_id = $1 AND kind = $2"
        " ORDER BY id",
        company_id,
        kind,
    )
    return [dict(r) for r in rows]


async def queued_emails(conn: Connection) -> list[SendEmail]:
    return [msgspec.json.decode(r["payload"], type=SendEmail) for r in await conn.fetch(QUEUED_EMAILS)]


async def deliver_emails(conn: Connection, settings: Settings, sink: SmtpSink) -> list[EmailMessage]:
    """Send every queued email through the real handler to ``sink`` (as the worker would) and drop the jobs."""
    smtp_settings = msgspec.structs.replace(settings, smtp_host="127.0.0.1", smtp_port=sink.port)
    ctx = JobContext(db=SharedConnectionDatabase(conn), settings=smtp_settings, resources={})
    sent: list[EmailMessage] = []
    for row in await conn.fetch(QUEUED_EMAILS):
        job = msgspec.json.decode(row["payload"], type=SendEmail)
        await deliver_email(ctx, job)
        await conn.execute("DELETE FROM pgqueuer WHERE id = $1", row["id"])
        sent.extend(sink.to(job.to)[-1:])
    return sent
