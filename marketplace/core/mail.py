"""Outgoing email: services enqueue ``SendEmail`` in their transaction; the worker sends it over SMTP.

In development the worker can host an SMTP sink (aiosmtpd) that writes each message to a file, and the
tests run the same sink in-process and read the real messages.
"""

from __future__ import annotations

import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import aiosmtplib
from aiosmtpd.controller import Controller

from marketplace.core.db import Connection
from marketplace.core.jobs import Job, JobContext, JobRegistry, enqueue


class SendEmail(Job, frozen=True, tag="core.send_email"):
    to: str
    subject: str
    text: str


mail_jobs = JobRegistry()


async def send_email(conn: Connection, *, to: str, subject: str, text: str) -> None:
    """Queue an email; it is sent only if the caller's transaction commits."""
    await enqueue(conn, SendEmail(to=to, subject=subject, text=text))


def build_message(job: SendEmail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = job.to
    msg["Subject"] = job.subject
    msg["Message-ID"] = make_msgid(domain="tradeyard.test")
    msg.set_content(job.text)
    return msg


@mail_jobs.handler(SendEmail, max_attempts=8)
async def deliver_email(ctx: JobContext, job: SendEmail) -> None:
    await aiosmtplib.send(
        build_message(job, ctx.settings.smtp_from),
        hostname=ctx.settings.smtp_host,
        port=ctx.settings.smtp_port,
        timeout=30,
    )


class _FileSink:
    """aiosmtpd handler that stores each message as an .eml file (development only)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        name = f"{time.time_ns()}.eml"
        (self.directory / name).write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def start_file_sink(directory: Path, port: int) -> Controller:
    controller = Controller(_FileSink(directory), hostname="127.0.0.1", port=port)
    controller.start()
    return controller
