"""Liveness and readiness through HTTP, including a real Meilisearch process being killed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from marketplace.app import Resources, create_app
from marketplace.core.db import Connection
from marketplace.settings import Settings
from search.client import create_search_client
from tests.support.db import SharedConnectionDatabase
from tests.support.meili import MASTER_KEY, MeiliProcess, free_port


async def test_health_answers_ok(client: httpx.AsyncClient) -> None:
    r = await client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


async def test_ready_reports_both_checks_green(client: httpx.AsyncClient) -> None:
    r = await client.get("/ready")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "search"}
    assert all(check["ok"] and check["error"] is None for check in body["checks"].values())
    assert r.headers["cache-control"] == "no-store"


@pytest.fixture
def meili(tmp_path: Path) -> Iterator[MeiliProcess]:
    process = MeiliProcess(tmp_path)
    process.start()
    yield process
    process.kill()


async def test_killing_meilisearch_degrades_readiness_only(
    meili: MeiliProcess, settings: Settings, conn: Connection
) -> None:
    s = Settings.from_env(
        {
            "TRADEYARD_DATABASE_URL": settings.database_url,
            "TRADEYARD_MEILI_URL": meili.url,
            "TRADEYARD_MEILI_API_KEY": MASTER_KEY,
            "TRADEYARD_SECRET_KEY": settings.secret_key,
        }
    )
    search = create_search_client(s)
    app = create_app(s, resources=Resources(db=SharedConnectionDatabase(conn), search=search))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        assert (await client.get("/ready")).status_code == 200

        meili.kill()

        assert (await client.get("/health")).status_code == 200
        r = await client.get("/ready")
        assert r.status_code == 503
        body = r.json()
        assert body["status"] == "unavailable"
        assert body["checks"]["database"]["ok"] is True
        assert body["checks"]["search"]["ok"] is False
        assert "connection attempts failed" in body["checks"]["search"]["error"]
        # Nothing else breaks: pages and the API keep answering.
        for path in ("/", "/status", "/api/v1/meta", "/schema/openapi.json"):
            assert (await client.get(path)).status_code == 200, path
        status_page = await client.get("/status")
        assert "Search (Meilisearch)" in status_page.text
        assert "not reachable" in status_page.text
    await search.aclose()


async def test_unreachable_database_makes_ready_503_naming_it(settings: Settings, search) -> None:  # type: ignore[no-untyped-def]
    from marketplace.core.db import Database, create_pool

    s = Settings.from_env(
        {
            "TRADEYARD_DATABASE_URL": settings.database_url,
            "TRADEYARD_MEILI_URL": settings.meili_url,
            "TRADEYARD_MEILI_API_KEY": settings.meili_api_key,
            "TRADEYARD_SECRET_KEY": settings.secret_key,
        }
    )
    pool = await create_pool(s)
    await pool.close()  # a closed pool stands for a database that went away
    app = create_app(s, resources=Resources(db=Database(pool), search=search))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        r = await client.get("/ready")
        assert r.status_code == 503
        assert r.json()["checks"]["database"]["ok"] is False
        assert r.json()["checks"]["search"]["ok"] is True
        assert (await client.get("/health")).status_code == 200


async def test_meilisearch_on_a_closed_port_is_reported(settings: Settings, conn: Connection) -> None:
    s = Settings.from_env(
        {
            "TRADEYARD_DATABASE_URL": settings.database_url,
            "TRADEYARD_MEILI_URL": f"http://127.0.0.1:{free_port()}",
            "TRADEYARD_MEILI_API_KEY": "x",
            "TRADEYARD_SECRET_KEY": settings.secret_key,
        }
    )
    search = create_search_client(s)
    app = create_app(s, resources=Resources(db=SharedConnectionDatabase(conn), search=search))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        r = await client.get("/ready")
    await search.aclose()
    assert r.status_code == 503
    assert r.json()["checks"]["search"]["ok"] is False
