"""Requests with one API token run side by side: using a token never waits for another request's transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from marketplace.accounts import repository as repo
from marketplace.core.db import Database
from marketplace.core.security import new_token
from tests.support.accounts import make_company


@pytest.fixture
async def token_hash(committing_db: Database) -> AsyncIterator[bytes]:
    """A committed token of a committed company (removed afterwards)."""
    async with committing_db.transaction() as c:
        company = await make_company(c, people={"admin": ["admin"]})
        raw, digest = new_token("ty_")
        token = await repo.insert_api_token(
            c,
            company_id=company.id,
            name="parallel sync",
            prefix=raw[:10],
            token_hash=digest,
            roles=["buyer"],
            created_by=company.users["admin"],
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
    yield digest
    async with committing_db.transaction() as c:
        await c.execute("DELETE FROM api_token WHERE id = $1", token.id)


async def test_a_token_in_use_by_an_open_transaction_is_not_waited_for(
    committing_db: Database, token_hash: bytes
) -> None:
    async with committing_db.transaction() as first:
        used = await repo.use_api_token(first, token_hash)
        assert used is not None
        assert used["first_use_this_hour"]
        async with committing_db.transaction() as second:
            # Without the fix this statement waits for `first` to commit, which never happens: a deadlock
            # between two requests of one client. The lock timeout turns that hang into a failure.
            await second.execute("SET LOCAL lock_timeout = '5s'")
            again = await repo.use_api_token(second, token_hash)
            assert again is not None
            assert again["id"] == used["id"]
            assert again["company_id"] == used["company_id"]
            assert not again["first_use_this_hour"]  # the use is recorded (and audited) once
    async with committing_db.connection() as c:
        assert await c.fetchval("SELECT last_used_at IS NOT NULL FROM api_token WHERE token_hash = $1", token_hash)
        # Used again within the minute: no write at all, so no lock to wait for either.
        async with c.transaction():
            before = await c.fetchval("SELECT xmin::text FROM api_token WHERE token_hash = $1", token_hash)
            assert await repo.use_api_token(c, token_hash) is not None
            assert await c.fetchval("SELECT xmin::text FROM api_token WHERE token_hash = $1", token_hash) == before
