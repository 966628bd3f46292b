"""What the search benchmarks share: their own databases and indexes, live processes, tokens, statistics.

The search benchmarks never touch the development database or index. Each data set lives in a
database of its own in the same PostgreSQL cluster (``<db>_bench_demo``: the demo catalog;
``<db>_bench_100k``: the demo catalog plus bench vendors up to 100,000 variants), migrated with dbmate
like ``./dev migrate``, and is indexed under its own Meilisearch prefix. Data sets are built once and
reused by later runs (building is idempotent and checks counts).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import msgspec
from meilisearch_python_sdk import AsyncClient

from marketplace.accounts import repository as accounts_repo
from marketplace.core.db import Database, connect, create_pool
from marketplace.core.security import new_token
from marketplace.demo import seed
from marketplace.settings import Settings
from search import indexer
from search.client import create_search_client

# The benchmarks start databases and servers exactly as the tests do.
from tests.support.db import migrate, with_database
from tests.support.live import settings_environment
from tests.support.services import wait_until_healthy

ROOT = Path(__file__).resolve().parents[1]


def owner_url() -> str:
    url = os.environ.get("TRADEYARD_OWNER_DATABASE_URL")
    if not url:
        raise SystemExit("TRADEYARD_OWNER_DATABASE_URL is not set; run the benchmarks with ./dev bench")
    return url


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


async def bench_settings(suffix: str) -> Settings:
    """Settings of the data set ``suffix``: its database (created and migrated if needed) and index prefix."""
    base = Settings.from_env()
    name = f"{database_name(base.database_url)}_bench_{suffix}"
    admin = await asyncpg.connect(with_database(owner_url(), "postgres"))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    await asyncio.to_thread(migrate, with_database(owner_url(), name))
    return msgspec.structs.replace(
        base, database_url=with_database(base.database_url, name), search_index_prefix=f"bench{suffix}_"
    )


def bench_owner_url(settings: Settings) -> str:
    return with_database(owner_url(), database_name(settings.database_url))


async def seed_demo(settings: Settings) -> None:
    """The demo companies and catalogs (idempotent: ``./dev seed`` in the bench database)."""
    conn = await connect(settings.database_url)
    try:
        await seed(conn)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def resources(settings: Settings) -> AsyncIterator[tuple[Database, AsyncClient]]:
    db = Database(await create_pool(settings))
    client = create_search_client(settings, timeout_seconds=600)
    try:
        yield db, client
    finally:
        await client.aclose()
        await db.close()


async def ensure_indexed(settings: Settings) -> int:
    """Rebuild the data set's index unless it is current (same settings, same document count as PostgreSQL)."""
    async with resources(settings) as (db, client):
        state = await indexer.index_state(db)
        async with db.connection() as conn:
            expected = await conn.fetchval(
                "SELECT count(*) FROM variant v JOIN product p ON p.id = v.product_id"
                " JOIN company c ON c.id = p.vendor_id WHERE p.status = 'live' AND c.status = 'verified'"
            )
        if await indexer.ensure_index(db, client, settings):  # missing, or built with other settings
            return int(expected)
        if state is None or state.documents != expected:
            return await indexer.rebuild(db, client, settings)
        return int(expected)


async def api_token(settings: Settings, email: str, roles: Sequence[str]) -> str:
    """A fresh one-day API token of the company of the demo user ``email``; returns the bearer secret."""
    conn = await connect(settings.database_url)
    try:
        row = await conn.fetchrow(
            "SELECT m.company_id, u.id FROM app_user u JOIN membership m ON m.user_id = u.id WHERE u.email = $1", email
        )
        assert row is not None, f"no demo user {email}"
        raw, digest = new_token("ty_")
        await accounts_repo.insert_api_token(
            conn,
            company_id=row["company_id"],
            name="bench",
            prefix=raw[:10],
            token_hash=digest,
            roles=list(roles),
            created_by=row["id"],
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
    finally:
        await conn.close()
    return raw


# ------------------------------------------------------------------ live processes


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    return settings_environment(settings, TRADEYARD_LOG_LEVEL="WARNING", **extra)


def web_port() -> int:
    return int(os.environ.get("TRADEYARD_WEB_PORT", "8000"))


@contextlib.contextmanager
def live_server(settings: Settings) -> Iterator[str]:
    """``python -m marketplace serve`` (granian, one worker, as in production) on TRADEYARD_WEB_PORT."""
    url = f"http://127.0.0.1:{web_port()}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "marketplace", "serve", "--host", "127.0.0.1", "--port", str(web_port())],
        cwd=ROOT,
        env=environment(settings, TRADEYARD_PUBLIC_BASE_URL=url, TRADEYARD_WEB_WORKERS="1"),
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_until_healthy(url, proc, what="the web server")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextlib.contextmanager
def live_worker(settings: Settings) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m marketplace.worker`` on the data set's database and index."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "marketplace.worker"],
        cwd=ROOT,
        env=environment(settings),
        stdout=subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=60)


# ------------------------------------------------------------------ statistics


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def print_report(report: dict[str, object]) -> None:
    print(msgspec.json.format(msgspec.json.encode(report)).decode())
