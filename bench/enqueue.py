"""Outbox cost: a business write plus a transactional job enqueue vs. the same write alone.

Both sides run the same number of transactions on one connection against the same PostgreSQL, in the
same run; the ratio shows what putting a job into the outbox adds to a write. A job is a second row
insert plus pgqueuer's NOTIFY trigger, so about 2x is inherent; the target is ≤ 2.5x (no more than one
and a half extra writes' worth of cost per job).
"""

from __future__ import annotations

import os
import statistics
import time
import uuid

import msgspec

from marketplace.core.db import Connection, connect
from marketplace.core.jobs import Job, enqueue
from marketplace.settings import Settings

TRANSACTIONS = 2000
ROUNDS = 3
TARGET = 2.5


class BenchJob(Job, frozen=True, tag="bench.noop"):
    product_id: int


async def _write_only(conn: Connection, table: str) -> float:
    started = time.perf_counter()
    for i in range(TRANSACTIONS):
        async with conn.transaction():
            await conn.execute(f"INSERT INTO {table} (id, doc) VALUES ($1, $2)", i, {"price_minor": i})
    return time.perf_counter() - started


async def _write_and_enqueue(conn: Connection, table: str) -> float:
    started = time.perf_counter()
    for i in range(TRANSACTIONS):
        async with conn.transaction():
            await conn.execute(f"INSERT INTO {table} (id, doc) VALUES ($1, $2)", i, {"price_minor": i})
            await enqueue(conn, BenchJob(product_id=i))
    return time.perf_counter() - started


async def main() -> None:
    # The owner role: the benchmark creates its own baseline table (the app role cannot).
    conn = await connect(os.environ.get("TRADEYARD_OWNER_DATABASE_URL") or Settings.from_env().database_url)
    table = f"bench_{uuid.uuid4().hex[:8]}"
    baseline: list[float] = []
    ours: list[float] = []
    try:
        for _ in range(ROUNDS):
            for runner, results in ((_write_only, baseline), (_write_and_enqueue, ours)):
                await conn.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, doc jsonb NOT NULL)")
                results.append(await runner(conn, table))
                await conn.execute(f"DROP TABLE {table}")
                await conn.execute("DELETE FROM pgqueuer WHERE entrypoint = 'bench.noop'")
    finally:
        await conn.execute(f"DROP TABLE IF EXISTS {table}")
        await conn.execute("DELETE FROM pgqueuer WHERE entrypoint = 'bench.noop'")
        await conn.close()
    base, mine = statistics.median(baseline), statistics.median(ours)
    report = {
        "transactions": TRANSACTIONS,
        "baseline_write_only_tps": round(TRANSACTIONS / base),
        "write_plus_enqueue_tps": round(TRANSACTIONS / mine),
        "cost_ratio": round(mine / base, 2),
        "target_max_ratio": TARGET,
        "meets_target": mine / base <= TARGET,
    }
    print(msgspec.json.format(msgspec.json.encode(report)).decode())
