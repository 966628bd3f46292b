"""Two deploys migrating at once: dbmate's advisory lock makes one wait, and nothing applies twice."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from tests.support.db import create_empty_database, drop_database, migrate
from tests.support.services import ROOT


async def test_concurrent_migrations_apply_each_file_once(owner_url: str) -> None:
    name = f"tradeyard_race_{uuid.uuid4().hex[:8]}"
    url = await create_empty_database(owner_url, name)
    try:
        await asyncio.gather(*(asyncio.to_thread(migrate, url) for _ in range(3)))
        conn = await asyncpg.connect(url)
        try:
            versions = [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations ORDER BY 1")]
            assert await conn.fetchval("SELECT to_regclass('pgqueuer') IS NOT NULL")
        finally:
            await conn.close()
        assert versions == sorted(p.name.split("_", 1)[0] for p in (ROOT / "migrations").glob("*.sql"))
    finally:
        await drop_database(owner_url, name)
