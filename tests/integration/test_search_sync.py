"""Index lifecycle against real Meilisearch: rebuild with swap under searches, catch-up after an outage."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import uuid
from pathlib import Path

import msgspec
import pytest

from marketplace.core.errors import Unavailable
from marketplace.settings import Settings
from search import indexer
from search.client import SearchClient
from search.jobs import CATCH_UP, FOREVER, search_jobs
from search.settings import settings_hash
from tests.support.accounts import bearer, make_company, make_token
from tests.support.db import SharedConnectionDatabase
from tests.support.live import settings_environment
from tests.support.meili import MASTER_KEY, MeiliProcess
from tests.support.search import World, bearing, fresh_index, index_pending
from tests.support.services import ROOT


async def test_rebuild_swaps_in_a_fresh_index_while_searches_keep_answering(world: World) -> None:
    word = f"rb{uuid.uuid4().hex[:6]}"
    vendor = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]})
    for n in range(3):
        await world.put(vendor, bearing(f"RB{n}", f"60{n}0", title=f"Bearing {word} {n}"))
    await world.sync()
    token = await make_token(world.conn, await make_company(world.conn, kind="buyer"))
    api = bearer(await make_token(world.conn, vendor))
    totals: list[int] = []
    rebuilding = True

    async def keep_searching() -> None:
        changed = False
        while rebuilding:
            totals.append((await world.find(token, q=word))["total"])
            if not changed:  # a change synced while the rebuild runs must survive the swap
                changed = True
                r = await world.client.put(
                    "/api/v1/catalog/prices",
                    json=[{"sku": "RB1-V", "prices": [{"min_qty": 1, "unit_price_minor": 777}]}],
                    headers=api,
                )
                assert r.is_success, r.text
                await world.sync()

    searcher = asyncio.create_task(keep_searching())
    documents = await indexer.rebuild(SharedConnectionDatabase(world.conn), world.search, world.settings)
    rebuilding = False
    await searcher
    assert documents >= 3
    assert len(totals) >= 2
    assert set(totals) == {3}  # never an empty or half-built index
    after = await world.find(token, q=word, sort="price_asc")
    assert after["hits"][0]["list_price_milli"] == 412_000
    assert {h["list_price_milli"] for h in after["hits"]} == {412_000, 777_000}
    state = await indexer.index_state(SharedConnectionDatabase(world.conn))
    assert state is not None
    assert state.settings_hash == settings_hash()
    assert state.rebuilding_since is None
    # A second rebuild while one runs is refused (a lease in PostgreSQL).
    await world.conn.execute("UPDATE search_index_state SET rebuilding_since = now() WHERE name = 'products'")
    with pytest.raises(indexer.RebuildRunning):
        await indexer.rebuild(SharedConnectionDatabase(world.conn), world.search, world.settings)


async def test_writes_succeed_while_search_is_down_and_the_index_catches_up(
    world: World, settings: Settings, tmp_path: Path
) -> None:
    meili = MeiliProcess(tmp_path)
    meili.start()
    private = msgspec.structs.replace(settings, meili_url=meili.url, meili_api_key=MASTER_KEY)
    client = SearchClient(meili.url, MASTER_KEY, timeout_seconds=5)
    try:
        await fresh_index(world.conn, client, private)
        vendor = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]})
        word = f"cu{uuid.uuid4().hex[:6]}"
        meili.kill()
        # Listing, approving and pricing all commit while Meilisearch is unreachable.
        product = await world.put(vendor, bearing("CU", "6800", title=f"Outage {word}"))
        with pytest.raises(Unavailable):
            await index_pending(world.conn, client, private)
        assert (
            await world.conn.fetchval(
                "SELECT count(*) FROM pgqueuer WHERE entrypoint = 'search.products_changed' AND status = 'queued'"
            )
            >= 1
        )  # the job waits for its retry
        meili.start()
        assert await index_pending(world.conn, client, private) >= 1
        found = await client.index(indexer.index_uid(private)).search(word)
        assert [h["product_id"] for h in found.hits] == [product["id"]]
    finally:
        await client.aclose()
        meili.kill()


def test_indexing_jobs_retry_until_search_answers_again() -> None:
    registrations = {r.entrypoint: r for r in search_jobs.handlers()}
    for name in ("search.products_changed", "search.vendor_changed", "search.push_synonyms"):
        assert registrations[name].max_attempts == FOREVER
        assert registrations[name].retry_max_delay == CATCH_UP


async def test_reconcile_finds_and_repairs_drift(world: World) -> None:
    word = f"dr{uuid.uuid4().hex[:6]}"
    vendor = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]})
    kept = await world.put(vendor, bearing("DR1", "6900", title=f"Drift {word}"))
    await world.put(vendor, bearing("DR2", "6901", title=f"Drift {word} two"))
    await world.sync()
    db = SharedConnectionDatabase(world.conn)
    # Products other tests committed in this database are not in this test's fresh index: repair first.
    await indexer.reconcile(db, world.search, world.settings)
    clean = await indexer.reconcile(db, world.search, world.settings, repair=False)
    assert clean.in_sync
    assert clean.database_count == clean.index_count
    uid = indexer.index_uid(world.settings)
    # Drift behind our back: a document deleted, one changed, a stray one added.
    index = world.search.index(uid)
    variant = await world.conn.fetchval("SELECT id FROM variant WHERE product_id = $1", kept["id"])
    task = await index.delete_documents_by_filter(f"id = {variant}")
    await world.search.wait_for_task(task.task_uid)
    stray = await index.add_documents(
        [{"id": 999_999_999, "product_id": 999_999_999, "fp": "x", "audience": ["public"]}]
    )
    await world.search.wait_for_task(stray.task_uid)
    drift = await indexer.reconcile(db, world.search, world.settings)
    assert (drift.missing, drift.extra, drift.in_sync, drift.repaired) == (1, 1, False, True)
    assert (await indexer.reconcile(db, world.search, world.settings, repair=False)).in_sync


def _search_command(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "search", *args],
        cwd=ROOT,
        env=settings_environment(settings),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


async def test_reindex_and_reconcile_commands_cover_the_open_requests_index(settings: Settings) -> None:
    """``./dev reindex`` and ``./dev reconcile`` run ``python -m search``: both indexes, counts and repair."""
    ensured = await asyncio.to_thread(_search_command, settings, "ensure")
    assert ensured.returncode == 0, ensured.stderr
    assert "open-requests index" in ensured.stdout
    rebuilt = await asyncio.to_thread(_search_command, settings, "reindex")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert re.search(r"open-requests index rebuilt: [\d,]+ documents", rebuilt.stdout), rebuilt.stdout
    checked = await asyncio.to_thread(_search_command, settings, "reconcile", "--check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    line = next(ln for ln in checked.stdout.splitlines() if ln.startswith("open requests:"))
    counts = re.match(r"open requests: database ([\d,]+) documents .*, index ([\d,]+) ", line)
    assert counts, line
    assert counts.group(1) == counts.group(2), line
    assert "missing 0, extra 0, outdated 0" in line
