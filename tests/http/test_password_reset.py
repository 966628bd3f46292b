"""Password reset end to end: the real app commits, the real worker sends through SMTP into a sink."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import msgspec
import pytest
from pgqueuer.types import QueueExecutionMode

from marketplace.app import Resources, create_app
from marketplace.core.db import Connection, Database
from marketplace.core.jobs import JobContext
from marketplace.core.mail import mail_jobs
from marketplace.settings import Settings
from marketplace.worker import build_queue
from tests.support.accounts import PASSWORD, make_company, post_form, sign_in
from tests.support.smtp import SmtpSink


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def mail_settings(settings: Settings, smtp: SmtpSink) -> Settings:
    return msgspec.structs.replace(settings, smtp_host="127.0.0.1", smtp_port=smtp.port)


@pytest.fixture
async def live(mail_settings: Settings, committing_db: Database, search) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    app = create_app(mail_settings, resources=Resources(db=committing_db, search=search))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


async def deliver_mail(listen_conn: Connection, db: Database, settings: Settings) -> None:
    """Run the real worker until the queue is empty."""
    ctx = JobContext(db=db, settings=settings, resources={})
    pgq = build_queue(listen_conn, ctx, mail_jobs, retry_initial_delay=timedelta(0))
    await pgq.run(mode=QueueExecutionMode.drain, dequeue_timeout=timedelta(seconds=1))


async def test_reset_by_email_link_once(
    live: httpx.AsyncClient, committing_db: Database, listen_conn: Connection, mail_settings: Settings, smtp: SmtpSink
) -> None:
    async with committing_db.transaction() as c:
        company = await make_company(c)
    email = company.emails["admin"]
    await sign_in(live, email)
    other_session = live.cookies["ty_session"]

    r = await post_form(live, "/password/forgot", {"email": email})
    assert r.status_code == 200
    assert "If an account exists" in r.text
    unknown = await post_form(live, "/password/forgot", {"email": "no-such-person@example.test"})
    assert unknown.text.replace("no-such-person@example.test", email) == r.text  # same answer either way

    await deliver_mail(listen_conn, committing_db, mail_settings)
    (message,) = smtp.to(email)
    assert message["Subject"] == "Reset your Tradeyard password"
    assert smtp.to("no-such-person@example.test") == []
    link = re.search(r"http://\S+/password/reset\?token=(\S+)", message.get_content())
    assert link is not None
    token = link.group(1)

    page = await live.get("/password/reset", params={"token": token})
    assert "Choose a new password" in page.text
    assert 'name="token"' in page.text
    new_password = "harbor-lilac-tundra-58"
    done = await post_form(live, "/password/reset", {"token": token, "password": new_password})
    assert done.status_code == 303
    assert done.headers["location"] == "/login?reset=1"

    again = await post_form(live, "/password/reset", {"token": token, "password": "another-fine-phrase-77"})
    assert again.status_code == 409
    assert "expired or was already used" in again.text
    # Every session of the account ended; the old password is gone, the new one works.
    async with httpx.AsyncClient(
        transport=live._transport, base_url="http://testserver", cookies={"ty_session": other_session}
    ) as old:
        assert (await old.get("/company")).status_code == 303
    assert (await post_form(live, "/login", {"email": email, "password": PASSWORD})).status_code == 400
    await sign_in(live, email, new_password)


async def test_reset_requests_are_rate_limited_per_email(live: httpx.AsyncClient) -> None:
    email = "limit-me@example.test"
    statuses = [(await post_form(live, "/password/forgot", {"email": email})).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
