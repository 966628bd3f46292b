"""Operator pages for search, through HTTP against the real PostgreSQL and Meilisearch.

Synonyms added on the page change what the search API finds once their push job ran (``index_pending``);
analytics count the searches made through the API; the indexing page shows the queue, lag, failed jobs,
the index state and drift, and says so when Meilisearch is down.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest
from meilisearch_python_sdk import AsyncClient

from marketplace.app import Resources, create_app
from marketplace.core.db import Connection
from marketplace.settings import Settings
from search.client import create_search_client
from search.settings import settings_hash
from tests.support.accounts import make_company, make_operator, make_token, post_form, sign_in
from tests.support.db import SharedConnectionDatabase
from tests.support.html import body_rows, table_rows
from tests.support.meili import free_port
from tests.support.search import World, bearing, fresh_index

pytestmark = pytest.mark.anyio  # before collection, so that parametrized tests keep their parameters

SYNONYMS, ANALYTICS, INDEXING = "/operator/search/synonyms", "/operator/search/analytics", "/operator/search/indexing"


@pytest.fixture
async def world(client: httpx.AsyncClient, conn: Connection, search: AsyncClient, settings: Settings) -> World:
    """A fresh index; no synonyms, searches or search jobs but the test's own (others' commits hidden)."""
    await conn.execute("DELETE FROM search_synonym")
    await conn.execute("DELETE FROM search_event")
    await conn.execute("DELETE FROM pgqueuer WHERE entrypoint LIKE 'search.%'")  # jobs other tests committed
    await fresh_index(conn, search, settings)
    return World(client, conn, search, settings)


@pytest.fixture
async def operator(world: World) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser on the same app, signed in as a platform operator."""
    async with httpx.AsyncClient(transport=world.client._transport, base_url="http://testserver") as op:
        await sign_in(op, await make_operator(world.conn))
        yield op


def hex_socket_screw() -> dict[str, Any]:
    return {
        "sku": f"ISO4762-{uuid.uuid4().hex[:6]}",
        "title": "Hex socket cap screw ISO 4762 M6x20",
        "brand": "Bossard",
        "unit": "pcs",
        "variants": [{"sku": f"V-{uuid.uuid4().hex[:6]}", "prices": [{"min_qty": 1, "unit_price_minor": 25}]}],
    }


# ------------------------------------------------------------------ synonyms


async def test_a_synonym_added_on_the_page_finds_products_until_it_is_deleted(
    world: World, operator: httpx.AsyncClient
) -> None:
    vendor = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]})
    await world.put(vendor, hex_socket_screw())
    await world.sync()
    token = await make_token(world.conn, await make_company(world.conn, kind="buyer"))
    assert (await world.find(token, q="inbus"))["total"] == 0

    page = await operator.get(SYNONYMS)
    assert page.status_code == 200
    assert "No synonyms yet." in page.text
    assert 'aria-current="page">Synonyms' in page.text
    r = await post_form(operator, SYNONYMS, {"terms": " Inbus ,  hex   socket "})
    assert r.status_code == 303
    assert r.headers["location"] == f"{SYNONYMS}?done=added"
    page = await operator.get(r.headers["location"])
    assert "Synonym added." in page.text
    row = table_rows(page.text, "synonyms")[1]
    assert row[0] == "inbus hex socket"
    assert row[1] == "both ways"

    assert await world.sync() == 1  # the push job the page enqueued, through its real handler
    found = await world.find(token, q="inbus")
    assert [h["title"] for h in found["hits"]] == ["Hex socket cap screw ISO 4762 M6x20"]

    synonym_id = re.search(r'action="/operator/search/synonyms/(\d+)/delete"', page.text).group(1)  # type: ignore[union-attr]
    audited = "SELECT count(*) FROM audit_log WHERE action = $1 AND target_id = $2"
    assert await world.conn.fetchval(audited, "search.synonym_added", synonym_id) == 1
    assert "Yes, delete" in page.text  # behind a <details> confirmation, no script needed
    r = await post_form(operator, f"{SYNONYMS}/{synonym_id}/delete", {})
    assert r.status_code == 303
    page = await operator.get(r.headers["location"])
    assert "Synonym deleted." in page.text
    assert "No synonyms yet." in page.text
    assert await world.sync() == 1
    assert (await world.find(token, q="inbus"))["total"] == 0
    assert await world.conn.fetchval(audited, "search.synonym_deleted", synonym_id) == 1
    assert (await post_form(operator, f"{SYNONYMS}/{synonym_id}/delete", {})).status_code == 404


async def test_a_one_way_synonym_finds_only_from_its_first_term(world: World, operator: httpx.AsyncClient) -> None:
    vendor = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]})
    await world.put(vendor, bearing("B-6204", "6204-2RS"))
    await world.put(vendor, bearing("K-6300", "6300-ZZ", title="Kugellager 6300-ZZ"))
    await world.sync()
    token = await make_token(world.conn, await make_company(world.conn, kind="buyer"))
    r = await post_form(operator, SYNONYMS, {"terms": "kugellager, ball bearing", "one_way": "on"})
    assert r.status_code == 303
    page = await operator.get(SYNONYMS)
    assert table_rows(page.text, "synonyms")[1] == [
        "kugellager → ball bearing",
        "one way: kugellager finds the others",
        table_rows(page.text, "synonyms")[1][2],
        "Delete… Delete kugellager → ball bearing? Searches stop finding products by these words. Yes, delete",
    ]
    await world.sync()
    found = await world.find(token, q="kugellager", sort="newest")
    assert sorted(h["title"] for h in found["hits"]) == ["Deep groove ball bearing 6204-2RS", "Kugellager 6300-ZZ"]
    reverse = await world.find(token, q="ball bearing")
    assert [h["title"] for h in reverse["hits"]] == ["Deep groove ball bearing 6204-2RS"]


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ("inbus", "give at least two different terms"),
        ("inbus, INBUS ,inbus", "give at least two different terms"),
        (", ,", "give at least two different terms"),
        (",".join(f"t{n}" for n in range(21)), "give at most 20 terms"),
        ("inbus, " + "x" * 61, "each term has at most 60 characters"),
        ("a," * 1500, "Too long; at most 2000 characters."),
    ],
)
async def test_bad_synonyms_re_render_the_form_with_a_message(
    world: World, operator: httpx.AsyncClient, terms: str, message: str
) -> None:
    r = await post_form(operator, SYNONYMS, {"terms": terms, "one_way": "on"})
    assert r.status_code == 422
    assert f'<small id="e-terms" class="field-error">{message}</small>' in r.text
    assert 'aria-invalid="true"' in r.text
    assert 'name="one_way" checked' in r.text  # what was ticked stays ticked
    assert await world.conn.fetchval("SELECT count(*) FROM search_synonym") == 0
    assert await world.conn.fetchval("SELECT count(*) FROM pgqueuer WHERE entrypoint = 'search.push_synonyms'") == 0


async def test_search_operator_pages_do_not_exist_for_anyone_else(world: World) -> None:
    company = await make_company(world.conn, kind="both", people={"admin": ["admin"]})
    await world.conn.execute("INSERT INTO search_synonym (terms) VALUES ('{inbus,hex socket}')")
    synonym_id = await world.conn.fetchval("SELECT id FROM search_synonym")
    anonymous = await world.client.get(ANALYTICS)
    assert anonymous.status_code in (302, 303)
    assert anonymous.headers["location"].startswith("/login")
    await sign_in(world.client, company.emails["admin"])
    for url in (SYNONYMS, ANALYTICS, f"{ANALYTICS}?days=7", INDEXING):
        r = await world.client.get(url)
        assert r.status_code == 404, url
        assert "inbus" not in r.text
    for url, form in [
        (SYNONYMS, {"terms": "a, b"}),
        (f"{SYNONYMS}/{synonym_id}/delete", {}),
        (f"{INDEXING}/rebuild", {}),
        (f"{INDEXING}/drift", {}),
    ]:
        assert (await post_form(world.client, url, form)).status_code == 404, url
    assert await world.conn.fetchval("SELECT count(*) FROM search_synonym") == 1
    assert await world.conn.fetchval("SELECT count(*) FROM pgqueuer WHERE entrypoint LIKE 'search.%'") == 0
    home = await world.client.get("/company")
    assert "/operator/search" not in home.text


# ------------------------------------------------------------------ analytics


async def _page_search(conn: Connection, query: str, total: int, *, clicked: bool = False, days_ago: int = 0) -> None:
    """A search as the buyer results page records it (that page records clicks; the API has none)."""
    search_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO search_event (search_id, at, query, normalized, total, source)"
        " VALUES ($1, now() - make_interval(days => $4), $2, lower($2), $3, 'page')",
        search_id,
        query,
        total,
        days_ago,
    )
    if clicked:
        await conn.execute(
            "INSERT INTO search_click (search_id, product_id, position) VALUES ($1, 1, 1)",
            search_id,
        )


async def test_analytics_count_top_zero_result_and_unclicked_queries_per_period(
    world: World, operator: httpx.AsyncClient
) -> None:
    vendor = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]})
    await world.put(vendor, bearing("B-6204", "6204-2RS"))
    await world.sync()
    token = await make_token(world.conn, await make_company(world.conn, kind="buyer"))
    for q in ("bearing", "Bearing", "  BEARING  ", "6204-2RS", "flux capacitor", "flux   capacitor"):
        await world.find(token, q=q)
    await world.find(token, q="flux capacitor", brand="SKF")  # with a filter
    await world.find(token)  # browsing without a query: a search, but no query to list
    await _page_search(world.conn, "bearing", 1, clicked=True)
    await _page_search(world.conn, "bearing", 1)
    await _page_search(world.conn, "6204-2RS", 1)
    await _page_search(world.conn, "6204-2RS", 1)
    await _page_search(world.conn, "flux capacitor", 0)
    await _page_search(world.conn, "old favourite", 3, days_ago=12)
    await world.client.get("/api/v1/search/suggest", params={"q": "bea"}, headers={"authorization": f"Bearer {token}"})

    r = await operator.get(f"{ANALYTICS}?days=7")
    assert r.status_code == 200
    assert re.search(r'id="total-searches">13<', r.text)  # 8 through the API, 5 from the page
    assert re.search(r'id="total-zero">4<', r.text)
    assert re.search(r'id="total-clicked">1<', r.text)
    assert body_rows(r.text, "top-queries") == {
        "bearing": ["5", "0"],
        "6204-2rs": ["3", "0"],
        "flux capacitor": ["4", "4"],
    }
    zero = body_rows(r.text, "zero-result-queries")
    assert list(zero) == ["flux capacitor"]
    assert zero["flux capacitor"][:2] == ["4", "1"]  # 4 searches, 1 with filters
    assert body_rows(r.text, "unclicked-queries") == {"6204-2rs": ["2", "2"], "bearing": ["1", "2"]}
    per_day = table_rows(r.text, "per-day")[1:]
    assert len(per_day) == 7
    today = await world.conn.fetchval("SELECT (now() AT TIME ZONE 'UTC')::date")
    assert per_day[0] == [today.isoformat(), "13", "4", "31%"]
    assert all(row[1:] == ["0", "0", "—"] for row in per_day[1:])
    assert '<title id="searches-per-day-title">Searches per day and share that found nothing</title>' in r.text
    assert 'aria-labelledby="searches-per-day-title searches-per-day-desc"' in r.text
    assert f"to {today.isoformat()}: 13 in all, most on {today.isoformat()} (13)" in r.text
    assert r.text.count("<rect ") == 7
    assert '<option value="7" selected>' in r.text

    month = await operator.get(ANALYTICS)  # 30 days by default: the old search is in
    assert '<option value="30" selected>' in month.text
    assert body_rows(month.text, "top-queries")["old favourite"] == ["1", "0"]
    assert len(table_rows(month.text, "per-day")) == 31
    assert month.text.count("<rect ") == 30
    assert len(table_rows((await operator.get(f"{ANALYTICS}?days=90")).text, "per-day")) == 91


@pytest.mark.parametrize("days", ["8", "0", "-7", "abc", "9" * 40, "7.5", ""])
async def test_an_unknown_analytics_period_is_a_400_page(operator: httpx.AsyncClient, days: str) -> None:
    r = await operator.get(ANALYTICS, params={"days": days})
    assert r.status_code == 400
    assert "choose one of 7, 30, 90" in r.text


async def test_analytics_of_an_empty_period(operator: httpx.AsyncClient) -> None:
    r = await operator.get(f"{ANALYTICS}?days=7")
    assert r.status_code == 200
    assert "No searches in this period." in r.text
    assert "<path " not in r.text  # no share line without searches


# ------------------------------------------------------------------ indexing state

# A known queue: jobs other tests committed to this worker's database vanish until the rollback.
CLEAR_SEARCH_JOBS = "DELETE FROM pgqueuer WHERE entrypoint LIKE 'search.%'"


async def _fail_job(conn: Connection, entrypoint: str, *, attempts: int = 3) -> int:
    """A job the worker gave up on (what pgqueuer leaves after the last attempt)."""
    job_id: int = await conn.fetchval(
        "INSERT INTO pgqueuer (priority, status, entrypoint, payload, attempts, created, updated)"
        " VALUES (0, 'failed', $1, convert_to($2, 'UTF8'), $3, now() - interval '1 hour', now()) RETURNING id",
        entrypoint,
        f'{{"job":"{entrypoint}"}}',
        attempts,
    )
    return job_id


async def test_indexing_page_shows_queue_lag_and_failed_jobs_with_retry(
    world: World, operator: httpx.AsyncClient
) -> None:
    await world.conn.execute(CLEAR_SEARCH_JOBS)
    r = await operator.get(INDEXING)
    assert r.status_code == 200
    assert re.search(r'id="queue-length">0<', r.text)
    assert re.search(r'id="lag">none<', r.text)
    assert re.search(r'id="live-documents">0<', r.text)  # the fresh, empty index
    assert "No failed search jobs." in r.text

    vendor = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]})
    await world.put(vendor, bearing("B-6204", "6204-2RS"))  # enqueues indexing jobs, not yet run
    queued = await world.conn.fetchval("SELECT count(*) FROM pgqueuer WHERE entrypoint LIKE 'search.%'")
    assert queued >= 1
    await world.conn.execute(
        "UPDATE pgqueuer SET created = clock_timestamp() - interval '5 minutes 3 seconds'"
        " WHERE id = (SELECT min(id) FROM pgqueuer WHERE entrypoint LIKE 'search.%')"
    )
    search_job = await _fail_job(world.conn, "search.rebuild")
    other_job = await _fail_job(world.conn, "mail.send")
    r = await operator.get(INDEXING)
    assert re.search(rf'id="queue-length">{queued}<', r.text)
    assert re.search(r'id="lag">5 min [0-9]+ s<', r.text)
    failed = table_rows(r.text, "failed-jobs")[1:]
    assert [row[:3] for row in failed] == [[f"#{search_job}", "search.rebuild", "3"]]
    assert f'action="/operator/search/indexing/jobs/{search_job}/retry"' in r.text

    assert (await post_form(operator, f"{INDEXING}/jobs/{other_job}/retry", {})).status_code == 404
    r = await post_form(operator, f"{INDEXING}/jobs/{search_job}/retry", {})
    assert r.status_code == 303
    page = await operator.get(r.headers["location"])
    assert f"Job {search_job} queued again" in page.text
    assert "No failed search jobs." in page.text
    assert re.search(rf'id="queue-length">{queued + 1}<', page.text)
    row = await world.conn.fetchrow("SELECT status, attempts FROM pgqueuer WHERE id = $1", search_job)
    assert (row["status"], row["attempts"]) == ("queued", 0)
    assert await world.conn.fetchval("SELECT status::text FROM pgqueuer WHERE id = $1", other_job) == "failed"
    assert (await post_form(operator, f"{INDEXING}/jobs/{search_job}/retry", {})).status_code == 404  # not failed


async def test_rebuild_now_queues_one_rebuild_that_swaps_in_a_fresh_index(
    world: World, operator: httpx.AsyncClient
) -> None:
    vendor = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]})
    await world.put(vendor, bearing("B-6204", "6204-2RS"))
    await world.put(vendor, bearing("B-6205", "6205-2RS"))
    await world.conn.execute("DELETE FROM search_index_state")
    await world.conn.execute(CLEAR_SEARCH_JOBS)  # the two products stay unsynced
    page = await operator.get(INDEXING)
    state = dict(table_rows(page.text, "index-state"))
    assert state["Settings of the live index"] == "never built differs from code"
    assert state["Settings in code"] == settings_hash()
    assert state["Last rebuild"] == "never"

    requests = "SELECT count(*) FROM audit_log WHERE action = 'search.rebuild_requested'"
    before = await world.conn.fetchval(requests)
    r = await post_form(operator, f"{INDEXING}/rebuild", {})
    assert r.headers["location"] == f"{INDEXING}?rebuild=queued"
    r = await post_form(operator, f"{INDEXING}/rebuild", {})
    assert r.headers["location"] == f"{INDEXING}?rebuild=pending"
    assert await world.conn.fetchval("SELECT count(*) FROM pgqueuer WHERE entrypoint = 'search.rebuild'") == 1
    page = await operator.get(r.headers["location"])
    assert "A rebuild is already queued or running" in page.text
    assert re.search(r"<button type=\"submit\" disabled[^>]*>Rebuild now</button>", page.text)
    assert dict(table_rows(page.text, "index-state"))["Rebuild running"] == "queued"

    assert await world.sync() == 1  # the worker's turn: the real rebuild handler
    page = await operator.get(INDEXING)
    state = dict(table_rows(page.text, "index-state"))
    assert state["Settings of the live index"] == f"{settings_hash()} current"
    assert state["Rebuild running"] == "no"
    assert re.search(r'<button type="submit"\s*>Rebuild now</button>', page.text)
    assert await world.conn.fetchval(requests) == before + 2
    # Everything visible is in (this worker's database may hold live products other tests committed).
    documents = re.search(r", ([0-9,]+) documents$", state["Last rebuild"]).group(1)  # type: ignore[union-attr]
    assert re.search(rf'id="live-documents">{documents}<', page.text)
    drift = await post_form(operator, f"{INDEXING}/drift", {})
    assert "In sync" in drift.text
    assert body_rows(drift.text, "drift-result")["Index"][0] == documents.replace(",", "")
    token = await make_token(world.conn, await make_company(world.conn, kind="buyer"))
    for mpn in ("6204-2RS", "6205-2RS"):
        assert (await world.find(token, q=mpn))["total"] == 1


async def test_check_drift_shows_counts_and_checksums_and_repairs_nothing(
    world: World, operator: httpx.AsyncClient
) -> None:
    vendor = await make_company(world.conn, kind="vendor", people={"admin": ["admin"]})
    await world.put(vendor, bearing("B-6204", "6204-2RS"))
    await post_form(operator, f"{INDEXING}/rebuild", {})  # this worker's database may hold other live products
    await world.sync()
    r = await post_form(operator, f"{INDEXING}/drift", {})
    assert r.status_code == 200
    assert "In sync" in r.text
    rows = body_rows(r.text, "drift-result")
    indexed = int(rows["Index"][0])
    assert indexed >= 1
    assert rows["PostgreSQL"] == rows["Index"]

    await world.put(vendor, bearing("B-6205", "6205-2RS"))  # live, but its indexing job has not run
    r = await post_form(operator, f"{INDEXING}/drift", {})
    assert "Drift found" in r.text
    rows = body_rows(r.text, "drift-result")
    assert (rows["PostgreSQL"][0], rows["Index"][0]) == (str(indexed + 1), str(indexed))
    assert rows["PostgreSQL"][1] != rows["Index"][1]
    assert re.search(r'id="drift-missing">1<', r.text)
    assert re.search(r'id="drift-extra">0<', r.text)
    assert "demo-size catalogs" in r.text
    token = await make_token(world.conn, await make_company(world.conn, kind="buyer"))
    assert (await world.find(token, q="6205-2RS"))["total"] == 0  # checked, not repaired


@pytest.fixture
async def search_down(conn: Connection, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with Meilisearch unreachable: a port on which nothing listens (the system edge, not a mock)."""
    down = create_search_client(msgspec.structs.replace(settings, meili_url=f"http://127.0.0.1:{free_port()}"))
    app = create_app(settings, resources=Resources(db=SharedConnectionDatabase(conn), search=down))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        await sign_in(c, await make_operator(conn))
        yield c
    await down.aclose()


async def test_with_meilisearch_down_the_indexing_page_says_so(
    conn: Connection, search_down: httpx.AsyncClient
) -> None:
    await conn.execute(CLEAR_SEARCH_JOBS)
    r = await search_down.get(INDEXING)
    assert r.status_code == 200
    assert re.search(r'id="live-documents">unknown<', r.text)
    assert "Search is not reachable right now" in r.text
    assert re.search(r'id="queue-length">0<', r.text)  # the database side still answers
    r = await post_form(search_down, f"{INDEXING}/drift", {})
    assert r.status_code == 200
    assert "Could not check: Search is not reachable right now" in r.text
    r = await post_form(search_down, f"{INDEXING}/rebuild", {})  # queued for when it is back
    assert r.headers["location"] == f"{INDEXING}?rebuild=queued"
