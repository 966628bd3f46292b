"""One request, one transaction: the real dependency commits on success and rolls back on error."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import get, post
from litestar.di import Provide
from litestar.params import FromPath, FromQuery

from marketplace.app import Resources, create_app
from marketplace.core.db import Connection, Database, Tx, provide_statements, provide_transaction
from marketplace.core.jobs import Job, enqueue
from marketplace.settings import Settings


class Recorded(Job, frozen=True, tag="test.recorded"):
    value: int


@pytest.fixture
async def probe_table(owner_conn: Connection) -> AsyncIterator[str]:
    table = f"probe_{uuid.uuid4().hex[:12]}"
    await owner_conn.execute(f"CREATE TABLE {table} (value int PRIMARY KEY)")
    yield table
    await owner_conn.execute(f"DROP TABLE {table}")
    await owner_conn.execute("DELETE FROM pgqueuer WHERE entrypoint = 'test.recorded'")


async def test_request_commits_on_success_and_rolls_back_writes_and_jobs_on_error(
    settings: Settings,
    committing_db: Database,
    search,
    probe_table: str,  # type: ignore[no-untyped-def]
) -> None:
    @post("/api/v1/probe/{value:int}", dependencies={"conn": Provide(provide_transaction)})
    async def write(conn: Tx, value: FromPath[int], fail: FromQuery[bool] = False) -> dict[str, int]:
        await conn.execute(f"INSERT INTO {probe_table} VALUES ($1)", value)
        await enqueue(conn, Recorded(value=value))
        if fail:
            raise RuntimeError("the handler fails after writing")
        return {"value": value}

    @get("/api/v1/probe", dependencies={"conn": Provide(provide_transaction)})
    async def read(conn: Tx) -> list[int]:
        return [r["value"] for r in await conn.fetch(f"SELECT value FROM {probe_table} ORDER BY value")]

    # The real pool: each request's transaction really commits or rolls back.
    app = create_app(settings, resources=Resources(db=committing_db, search=search))
    app.register(write)
    app.register(read)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.post("/api/v1/probe/1")).status_code == 201
        assert (await c.post("/api/v1/probe/2", params={"fail": "true"})).status_code == 500
        assert (await c.get("/api/v1/probe")).json() == [1]

    async with committing_db.connection() as conn:
        payloads = await conn.fetch("SELECT payload FROM pgqueuer WHERE entrypoint = 'test.recorded'")
    assert [bytes(p["payload"]) for p in payloads] == [b'{"job":"test.recorded","value":1}']


async def test_csrf_rejects_unsafe_browser_requests_without_the_token(app_factory) -> None:  # type: ignore[no-untyped-def]
    @post("/probe/form")
    async def form() -> str:
        return "accepted"

    app = app_factory()
    app.register(form)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.post("/probe/form")).status_code == 403
        page = await c.get("/")
        token = page.cookies["ty_csrf"]
        accepted = await c.post("/probe/form", headers={"x-csrftoken": token})
        assert accepted.status_code == 201
        assert accepted.text == "accepted"


async def test_failed_sign_in_checks_do_not_leak_pool_connections(
    settings: Settings, committing_db: Database, search
) -> None:  # type: ignore[no-untyped-def]
    """Litestar never closes a generator dependency when a later dependency raises; we must, or the pool drains."""
    app = create_app(settings, resources=Resources(db=committing_db, search=search))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        for _ in range(settings.db_pool_max * 3):
            assert (await c.get("/api/v1/company")).status_code == 401
            assert (await c.get("/company")).status_code == 303
            assert (await c.get("/api/v1/search", params={"q": "m8"})).status_code == 401  # provide_statements
        assert (await c.get("/api/v1/meta")).status_code == 200
    pool = committing_db.pool
    assert pool.get_size() - pool.get_idle_size() == 0  # every connection is back in the pool


async def test_routes_without_a_request_transaction_commit_each_statement_on_its_own(
    settings: Settings,
    committing_db: Database,
    search,
    probe_table: str,  # type: ignore[no-untyped-def]
) -> None:
    """``provide_statements`` (the search API's connection): a statement that succeeded stays committed
    when the handler fails afterwards, where the request transaction would have rolled it back."""

    @post("/api/v1/probe/{value:int}", dependencies={"conn": Provide(provide_statements)})
    async def write(conn: Tx, value: FromPath[int]) -> dict[str, int]:
        await conn.execute(f"INSERT INTO {probe_table} VALUES ($1)", value)
        assert not conn.is_in_transaction()
        raise RuntimeError("the handler fails after writing")

    app = create_app(settings, resources=Resources(db=committing_db, search=search))
    app.register(write)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.post("/api/v1/probe/7")).status_code == 500
    async with committing_db.connection() as conn:
        assert [r["value"] for r in await conn.fetch(f"SELECT value FROM {probe_table}")] == [7]
    pool = committing_db.pool
    assert pool.get_size() - pool.get_idle_size() == 0
