"""Search in tests: this worker's products index, and running the queued indexing jobs in the test's transaction."""

from __future__ import annotations

from typing import Any

import httpx
from meilisearch_python_sdk import AsyncClient

from marketplace.core.db import Connection
from marketplace.core.jobs import JobContext
from marketplace.settings import Settings
from search import indexer
from search.jobs import search_jobs
from tests.support.accounts import Company, bearer, make_operator, make_token, post_form, sign_in
from tests.support.db import SharedConnectionDatabase

TAKE_SEARCH_JOBS = """
DELETE FROM pgqueuer WHERE entrypoint LIKE 'search.%' AND status = 'queued'
RETURNING entrypoint, payload
"""


async def fresh_index(conn: Connection, search: AsyncClient, settings: Settings) -> None:
    """A new, empty products index with the settings from code and the synonyms in the database."""
    await indexer._create_index(search, indexer.index_uid(settings), SharedConnectionDatabase(conn))


async def index_pending(conn: Connection, search: AsyncClient, settings: Settings) -> int:
    """Run every queued search job through its real handler, inside the test's transaction.

    The jobs were enqueued by the HTTP requests under test (the outbox); taking them here instead of in a
    worker keeps the test's data uncommitted and private. Returns how many jobs ran.
    """
    rows = await conn.fetch(TAKE_SEARCH_JOBS)
    handlers = {r.entrypoint: r for r in search_jobs.handlers()}
    ctx = JobContext(db=SharedConnectionDatabase(conn), settings=settings, resources={"search": search})
    for row in rows:
        registration = handlers[row["entrypoint"]]
        await registration.handler(ctx, registration.decode(row["payload"]))
    return len(rows)


class World:
    """A small catalog: two vendors, buyers, a bearing and screws, all live and indexed."""

    def __init__(self, client: httpx.AsyncClient, conn: Connection, search: AsyncClient, settings: Settings) -> None:
        self.client, self.conn, self.search, self.settings = client, conn, search, settings

    async def sync(self) -> int:
        return await index_pending(self.conn, self.search, self.settings)

    async def put(self, vendor: Company, body: dict[str, Any], *, live: bool = True) -> dict[str, Any]:
        api = bearer(await make_token(self.conn, vendor))
        r = await self.client.put("/api/v1/catalog/products", json=body, headers=api)
        assert r.status_code in (200, 201), r.text
        product: dict[str, Any] = r.json()["product"]
        if live:
            assert (await self.client.post(f"/api/v1/catalog/products/{product['id']}/submit", headers=api)).is_success
            operator = await make_operator(self.conn)
            async with httpx.AsyncClient(transport=self.client._transport, base_url="http://testserver") as op:
                await sign_in(op, operator)
                r = await post_form(op, f"/operator/products/{product['id']}/decision", {"action": "approve"})
                assert r.status_code == 303
        return product

    async def find(self, token: str, **params: Any) -> dict[str, Any]:
        r = await self.client.get("/api/v1/search", params=params, headers=bearer(token))
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


def bearing(sku: str, mpn: str, *, brand: str = "SKF", title: str | None = None) -> dict[str, Any]:
    return {
        "sku": sku,
        "title": title or f"Deep groove ball bearing {mpn}",
        "brand": brand,
        "unit": "pcs",
        "variants": [
            {
                "sku": f"{sku}-V",
                "mpn": mpn,
                "lead_time_days": 3,
                "prices": [{"min_qty": 1, "unit_price_minor": 412}],
            }
        ],
    }
