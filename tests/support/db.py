"""Databases for tests: a migrated template cloned per xdist worker, and a rolled-back connection."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from marketplace.core.db import Connection, Database
from tests.support.services import ROOT

TEMPLATE_DB = "tradeyard_test_template"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _admin(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(with_database(url, "postgres"))


def migrate(url: str) -> None:
    """Apply migrations with dbmate, exactly as ``./dev migrate`` does."""
    subprocess.run(
        [
            str(ROOT / ".venv/bin/dbmate"),
            "--url",
            url,
            "--migrations-dir",
            str(ROOT / "migrations"),
            "--no-dump-schema",
            "--migration-lock",
            "up",
        ],
        check=True,
        capture_output=True,
    )


async def build_template(base_url: str) -> None:
    """Drop and rebuild the migrated template database (once per test run)."""
    admin = await _admin(base_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{TEMPLATE_DB}"')
    finally:
        await admin.close()
    await asyncio.to_thread(migrate, with_database(base_url, TEMPLATE_DB))


async def clone_template(base_url: str, name: str) -> str:
    """A fresh database for one xdist worker, cloned from the template (fast: a file copy)."""
    admin = await _admin(base_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
    finally:
        await admin.close()
    return with_database(base_url, name)


async def create_empty_database(base_url: str, name: str) -> str:
    admin = await _admin(base_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return with_database(base_url, name)


async def drop_database(base_url: str, name: str) -> None:
    admin = await _admin(base_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


class SharedConnectionDatabase(Database):
    """Hands every caller the test's own connection, whose outer transaction the test rolls back.

    The request's ``transaction()`` becomes a savepoint inside it, so a request still commits or
    rolls back its own work, and nothing outlives the test. A lock keeps callers from interleaving
    on the one connection, as a pool would.
    """

    _locks: dict[int, tuple[Connection, asyncio.Lock]] = {}  # noqa: RUF012 - one lock per connection, shared

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # Every wrapper of the same connection (the app's, a job runner's) shares one lock.
        known = self._locks.get(id(conn))
        if known is None or known[0] is not conn:
            known = self._locks[id(conn)] = (conn, asyncio.Lock())
        self._lock = known[1]

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        async with self._lock:
            yield self.conn

    async def close(self) -> None:
        return None
