"""Fixtures: real PostgreSQL (a migrated template cloned per xdist worker) and real Meilisearch.

Every test that takes ``conn`` runs inside a transaction that is rolled back afterwards; the app
under test gets that same connection, so requests see and undo exactly what the test does.
"""

from __future__ import annotations

import asyncio
import fcntl
import inspect
import os
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import msgspec
import pytest
from hypothesis import settings as hypothesis_settings
from meilisearch_python_sdk import AsyncClient

from marketplace.app import Resources, create_app
from marketplace.core.db import Connection, Database, Pool, connect, create_pool
from marketplace.dbroles import ensure_app_role
from marketplace.settings import Settings
from search.client import create_search_client
from search.indexer import ensure_index
from search.rfqs import ensure_rfq_index
from tests.support import db as testdb
from tests.support.live import live_server
from tests.support.search import World, fresh_index
from tests.support.services import ensure_services, load_dev_environment

T = TypeVar("T")

# Property tests assert behaviour, not speed: Hypothesis' default 200 ms deadline per example turned a
# busy CI machine's slow example into a failure (DeadlineExceeded in test_bmecat under load).
hypothesis_settings.register_profile("tradeyard", deadline=None)
hypothesis_settings.load_profile("tradeyard")


def pytest_configure(config: pytest.Config) -> None:
    load_dev_environment()
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist)
        ensure_services()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, pytest.Function) and inspect.iscoroutinefunction(item.function):
            item.add_marker(pytest.mark.anyio)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def owner_url() -> str:
    """The owner role (migrations, DDL). The app and most tests use the data-only app role."""
    return os.environ["TRADEYARD_OWNER_DATABASE_URL"]


@pytest.fixture(scope="session")
def database_url(base_settings: Settings, owner_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """This worker's database, cloned from a template migrated once per run (sync: e2e tests need it too)."""
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    shared = tmp_path_factory.getbasetemp().parent if run_id else tmp_path_factory.getbasetemp()
    marker = shared / "template-ready"
    with open(shared / "template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists() or marker.read_text() != (run_id or ""):
            run_in_thread(testdb.build_template(owner_url))
            run_in_thread(ensure_app_role(owner_url, base_settings.database_url))
            marker.write_text(run_id or "")
        fcntl.flock(lock, fcntl.LOCK_UN)
    name = f"tradeyard_test_{testdb.worker_id()}"
    run_in_thread(testdb.clone_template(owner_url, name))
    return testdb.with_database(base_settings.database_url, name)


@pytest.fixture
async def owner_conn(owner_url: str, database_url: str) -> AsyncIterator[Connection]:
    """A connection to this worker's database as the owner, for DDL the app role may not do."""
    conn = await connect(testdb.with_database(owner_url, database_url.rsplit("/", 1)[1].split("?")[0]))
    yield conn
    await conn.close()


def run_in_thread(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a fresh loop in its own thread, whatever loop this thread runs."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def settings(base_settings: Settings, database_url: str) -> Settings:
    return msgspec.structs.replace(
        base_settings,
        env="test",
        database_url=database_url,
        search_index_prefix=f"test_{testdb.worker_id()}_",
        db_pool_min=1,
        db_pool_max=4,
    )


@pytest.fixture(scope="session")
async def pool(settings: Settings) -> AsyncIterator[Pool]:
    pool = await create_pool(settings)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def search(settings: Settings) -> AsyncIterator[AsyncClient]:
    client = create_search_client(settings)
    yield client
    await client.aclose()


@pytest.fixture
async def conn(pool: Pool) -> AsyncIterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    async with pool.acquire() as connection:
        tx = connection.transaction()
        await tx.start()
        try:
            yield connection
        finally:
            await tx.rollback()


@pytest.fixture
async def committing_db(pool: Pool) -> Database:
    """The real pool, for tests that must commit (jobs, concurrency); they clean up after themselves."""
    return Database(pool)


@pytest.fixture
def app_factory(settings: Settings, conn: Connection, search: AsyncClient):  # type: ignore[no-untyped-def]
    def make(**overrides: object):  # type: ignore[no-untyped-def]
        s = msgspec.structs.replace(settings, **overrides) if overrides else settings
        return create_app(s, resources=Resources(db=testdb.SharedConnectionDatabase(conn), search=search))

    return make


@pytest.fixture
async def client(app_factory) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """The app over ``httpx.ASGITransport``, in the test's own event loop and transaction."""
    transport = httpx.ASGITransport(app=app_factory())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def listen_conn(settings: Settings) -> AsyncIterator[Connection]:
    c = await connect(settings.database_url)
    yield c
    await c.close()


@pytest.fixture(scope="session")
def server_url(settings: Settings) -> Iterator[str]:
    """The app served by granian in a subprocess, on this worker's database (e2e and fuzzing).

    The search indexes exist first, as the worker makes sure in production (``ensure_index``,
    ``ensure_rfq_index``).
    """
    run_in_thread(_ensure_search_index(settings))
    with live_server(settings) as url:
        yield url


async def _ensure_search_index(settings: Settings) -> None:
    db = Database(await create_pool(settings))
    client = create_search_client(settings)
    try:
        await ensure_index(db, client, settings)
        await ensure_rfq_index(db, client, settings)
    finally:
        await client.aclose()
        await db.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(__file__).resolve().parents[1] / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
async def world(client: httpx.AsyncClient, conn: Connection, search: AsyncClient, settings: Settings) -> World:
    """A fresh products index for this test, and helpers to list products and search them through HTTP."""
    await fresh_index(conn, search, settings)
    return World(client, conn, search, settings)
