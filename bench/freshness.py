"""Freshness: from a committed price or stock change to its visibility in search, at 10 changes per second.

The real pieces run as in production on the 100k-variant bench catalog: the web server (granian) takes
bulk updates from a vendor's API token (``PUT /api/v1/catalog/prices`` and ``/stock``, alternately,
one variant of a different product each time, open loop at 10 per second for 20 s), and the worker
(``python -m marketplace.worker``) runs the indexing jobs from the outbox. One poller asks
Meilisearch every 10 ms for every change not yet visible (one ``documents/fetch`` for all of them),
and a change counts as visible when its document shows the new ``price_milli`` or ``available``.
The clock starts when the request is sent, so each figure includes the request itself (an upper
bound of commit → visible).

Baseline in the same run: Meilisearch's own time to visibility for the same kind of change, sent
directly (the changed products' documents, prebuilt, posted at the same rate) and polled the same
way; those products are synced back from PostgreSQL afterwards. Target: p95 < 1 s.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import msgspec

from bench import load, support
from bench.catalog import ensure_catalog
from marketplace.core.db import connect
from marketplace.settings import Settings
from search import documents, indexer

VARIANTS = 100_000
RATE = 10.0
SECONDS = 20.0
POLL = 0.010
GIVE_UP = 15.0
TARGET_P95_S = 1.0
VENDOR = "admin@schraubenhaus.example"

# One variant (the first) of products of the demo vendor, with its first price tier and its stock.
CANDIDATES = """
SELECT DISTINCT ON (p.id) v.id, v.sku, v.product_id, t.min_qty, t.unit_price_minor, t.price_basis
FROM product p
JOIN company c ON c.id = p.vendor_id
JOIN membership m ON m.company_id = c.id JOIN app_user u ON u.id = m.user_id AND u.email = $1
JOIN variant v ON v.product_id = p.id
JOIN price_tier t ON t.variant_id = v.id
WHERE p.status = 'live'
ORDER BY p.id, v.position, v.id, t.min_qty
"""
QUEUED_SEARCH_JOBS = "SELECT count(*) FROM pgqueuer WHERE entrypoint LIKE 'search.%' AND status IN ('queued', 'picked')"
TIERS = "SELECT min_qty, unit_price_minor, price_basis FROM price_tier WHERE variant_id = $1 ORDER BY min_qty"


class Change(msgspec.Struct, kw_only=True):
    variant_id: int
    field: str
    expected: int
    started: float
    visible: float | None = None


class Watcher:
    """Polls Meilisearch for every pending change at once, every ``POLL`` seconds."""

    def __init__(self, meili: httpx.AsyncClient, uid: str) -> None:
        self.meili, self.uid = meili, uid
        self.pending: dict[int, Change] = {}
        self.done: list[Change] = []
        self.stop = False

    async def run(self) -> None:
        while not self.stop or self.pending:
            if self.pending:
                ids = ", ".join(str(i) for i in self.pending)
                response = await self.meili.post(
                    f"/indexes/{self.uid}/documents/fetch",
                    content=msgspec.json.encode(
                        {"filter": f"id IN [{ids}]", "fields": ["id", "price_milli", "available"], "limit": 1000}
                    ),
                )
                now = time.perf_counter()
                for doc in msgspec.json.decode(response.content)["results"]:
                    change = self.pending.get(int(doc["id"]))
                    if change is not None and doc.get(change.field) == change.expected:
                        change.visible = now
                        self.done.append(self.pending.pop(change.variant_id))
                for change in list(self.pending.values()):
                    if now - change.started > GIVE_UP:
                        self.done.append(self.pending.pop(change.variant_id))
            await asyncio.sleep(POLL)


async def drive(changes: list[Callable[[], Awaitable[Change]]], watcher: Watcher) -> list[Change]:
    """Start ``changes`` at RATE per second (open loop); wait until each is visible or given up."""
    poller = asyncio.create_task(watcher.run())
    started = time.perf_counter()

    async def one(n: int) -> None:
        await asyncio.sleep(max(0.0, started + n / RATE - time.perf_counter()))
        await changes[n]()

    await asyncio.gather(*(one(n) for n in range(len(changes))))
    watcher.stop = True
    await poller
    return watcher.done


def summary(done: list[Change]) -> dict[str, Any]:
    seen = [c.visible - c.started for c in done if c.visible is not None]
    return {
        "changes": len(done),
        "not_visible_within_15_s": len(done) - len(seen),
        "p50_ms": support.ms(support.percentile(seen, 50)) if seen else None,
        "p95_ms": support.ms(support.percentile(seen, 95)) if seen else None,
        "max_ms": support.ms(max(seen)) if seen else None,
    }


async def _direct(settings: Settings, rows: list[Any], meili: httpx.AsyncClient, uid: str) -> list[Change]:
    async with support.resources(settings) as (db, _), db.connection() as conn:
        prebuilt = {r["product_id"]: await documents.load_documents(conn, [r["product_id"]]) for r in rows}
    watcher = Watcher(meili, uid)

    def change(n: int, row: Any) -> Callable[[], Awaitable[Change]]:
        async def send() -> Change:
            docs = [dict(d) for d in prebuilt[row["product_id"]]]
            target = next(d for d in docs if d["id"] == row["id"])
            field = "price_milli" if n % 2 == 0 else "available"
            target[field] = 7_000_000 + n
            c = Change(variant_id=row["id"], field=field, expected=target[field], started=time.perf_counter())
            watcher.pending[c.variant_id] = c
            response = await meili.post(f"/indexes/{uid}/documents", content=msgspec.json.encode(docs))
            response.raise_for_status()
            return c

        return send

    return await drive([change(n, r) for n, r in enumerate(rows)], watcher)


async def _ours(api: httpx.AsyncClient, rows: list[Any], meili: httpx.AsyncClient, uid: str, salt: int) -> list[Change]:
    watcher = Watcher(meili, uid)

    def change(n: int, row: Any) -> Callable[[], Awaitable[Change]]:
        async def send() -> Change:
            started = time.perf_counter()
            if n % 2 == 0:
                price = row["unit_price_minor"] + 1 + (salt + n) % 97
                tiers = [{**t, "unit_price_minor": price} if i == 0 else t for i, t in enumerate(row["tiers"])]
                expected = documents.price_milli(price, row["price_basis"])
                assert expected is not None
                c = Change(variant_id=row["id"], field="price_milli", expected=expected, started=started)
                watcher.pending[c.variant_id] = c
                response = await api.put("/api/v1/catalog/prices", json=[{"sku": row["sku"], "prices": tiers}])
            else:
                on_hand = 100_000 + salt % 1000 * 100 + n
                c = Change(variant_id=row["id"], field="available", expected=on_hand, started=started)
                watcher.pending[c.variant_id] = c
                response = await api.put(
                    "/api/v1/catalog/stock", json=[{"sku": row["sku"], "warehouse": "Main", "on_hand": on_hand}]
                )
            assert response.status_code == 200, response.text[:300]
            return c

        return send

    return await drive([change(n, r) for n, r in enumerate(rows)], watcher)


async def drained(settings: Settings, *, within: float = 900.0) -> None:
    """Wait until the worker has no search job left: loading the demo data queued one per product."""
    conn = await connect(settings.database_url)
    try:
        deadline = time.perf_counter() + within
        while await conn.fetchval(QUEUED_SEARCH_JOBS):
            assert time.perf_counter() < deadline, "the worker did not drain the search jobs"
            await asyncio.sleep(0.2)  # polling the outbox while the worker catches up
    finally:
        await conn.close()


async def main() -> None:
    settings = await support.bench_settings("100k")
    variants = await ensure_catalog(settings, VARIANTS)
    await support.ensure_indexed(settings)
    token = await support.api_token(settings, VENDOR, ["catalog_manager"])
    uid = indexer.index_uid(settings)
    count = int(RATE * SECONDS)
    conn = await connect(settings.database_url)
    try:
        candidates = list(await conn.fetch(CANDIDATES, VENDOR))
        rng = random.Random()
        rows = [dict(r) for r in rng.sample(candidates, 2 * count + 1)]
        for r in rows:
            r["tiers"] = [dict(t) for t in await conn.fetch(TIERS, r["id"])]
    finally:
        await conn.close()
    warm, direct_rows, our_rows = rows[:1], rows[1 : count + 1], rows[count + 1 :]
    salt = int(time.time())
    async with load.meili_client(settings, 4) as meili:
        direct = await _direct(settings, direct_rows, meili, uid)
        async with support.resources(settings) as (db, client):  # put the baseline's products back
            await indexer.sync_products(db, client, settings, [r["product_id"] for r in direct_rows])
        with support.live_server(settings) as url, support.live_worker(settings):
            async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
                warm_up = await _ours(api, warm, meili, uid, salt)  # the worker has started and indexes
                assert warm_up[0].visible is not None, "the worker did not index a change within 15 s"
                ours = await _ours(api, our_rows, meili, uid, salt)
    d, o = summary(direct), summary(ours)
    support.print_report(
        {
            "variants": variants,
            "rate_per_s": RATE,
            "seconds": SECONDS,
            "direct": d,
            "ours": o,
            "p95_ratio_ours_to_direct": round(o["p95_ms"] / d["p95_ms"], 2) if o["p95_ms"] and d["p95_ms"] else None,
            "target_p95_ms": TARGET_P95_S * 1000,
            "meets_target": bool(
                o["p95_ms"] and o["p95_ms"] < TARGET_P95_S * 1000 and not o["not_visible_within_15_s"]
            ),
        }
    )
