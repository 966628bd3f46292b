"""Imports from the page run as jobs: upload, progress fragment, report, error CSV; then bulk actions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import msgspec
import pytest
from pgqueuer.types import QueueExecutionMode

from marketplace.app import Resources, create_app
from marketplace.core.db import Connection, Database
from marketplace.core.jobs import JobContext
from marketplace.settings import Settings
from marketplace.worker import build_queue
from tests.support.accounts import csrf, make_company, post_form, sign_in
from tests.support.bmecat import JPEG, PDF, package
from tests.support.catalog import make_screw_category
from vendors.jobs import catalog_jobs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bmecat"


def _file(category: str, gtin: str = "4006381333931") -> bytes:
    return (
        "product_sku;title;category;variant_sku;gtin;prices;attr:length\n"
        f"P-1;Hex screw M8x40;{category};P-1-A;{gtin};1:25/1;40 mm\n"
        f"P-2;Hex screw M8x50;{category};P-2-A;;1:27/1;50 mm\n"
    ).encode()


@pytest.fixture
def job_settings(settings: Settings, tmp_path: Path) -> Settings:
    return msgspec.structs.replace(settings, storage_dir=str(tmp_path / "storage"))


@pytest.fixture
async def live(job_settings: Settings, committing_db: Database, search) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    app = create_app(job_settings, resources=Resources(db=committing_db, search=search))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


async def run_jobs(listen_conn: Connection, db: Database, settings: Settings) -> None:
    ctx = JobContext(db=db, settings=settings, resources={})
    pgq = build_queue(listen_conn, ctx, catalog_jobs, retry_initial_delay=timedelta(0))
    await pgq.run(mode=QueueExecutionMode.drain, dequeue_timeout=timedelta(seconds=1))


async def test_upload_progress_report_and_bulk_submit(
    live: httpx.AsyncClient, committing_db: Database, listen_conn: Connection, job_settings: Settings
) -> None:
    async with committing_db.transaction() as c:
        vendor = await make_company(c, kind="vendor", people={"admin": ["admin"]})
        category = await make_screw_category(c)
    await sign_in(live, vendor.emails["admin"])

    async def upload(data: bytes, name: str = "screws.csv", **fields: str) -> str:
        r = await live.post(
            "/vendor/catalog/import", files={"file": (name, data, "text/csv")}, data=fields, headers=csrf(live)
        )
        assert r.status_code == 303, r.text[:300]
        return r.headers["location"]

    page = await upload(_file(category, gtin="4006381333932"), dry_run="on", mode="all")
    waiting = await live.get(page, headers={"hx-request": "true"})
    assert 'hx-trigger="every 1s"' in waiting.text  # polls while queued
    assert "<html" not in waiting.text
    await run_jobs(listen_conn, committing_db, job_settings)
    done = await live.get(page)
    assert "The check digit should be 1." in done.text
    assert "Nothing was written (dry run)." in done.text
    assert 'hx-trigger="every 1s"' not in done.text
    errors = await live.get(page + "/errors.csv")
    assert errors.text.splitlines() == ["row;column;reason", "2;gtin;The check digit should be 1."]

    page = await upload(_file(category), mode="all")
    await run_jobs(listen_conn, committing_db, job_settings)
    assert "<strong>2</strong> new" in (await live.get(page)).text

    page = await upload((FIXTURES / "new_catalog.xml").read_bytes(), name="catalog.xml", mode="partial")
    await run_jobs(listen_conn, committing_db, job_settings)
    report = (await live.get(page)).text
    assert "<strong>3</strong> new" in report
    assert "decimal comma" in report

    listing = await live.get("/vendor/catalog", params={"q": "M8x50"})
    assert "P-2" in listing.text
    assert "P-1-A" not in listing.text
    async with committing_db.connection() as c:
        ids = [
            r["id"] for r in await c.fetch("SELECT id FROM product WHERE vendor_id = $1 AND sku LIKE 'P-%'", vendor.id)
        ]
    r = await post_form(live, "/vendor/catalog/bulk", {"action": "submit", "product_id": [str(i) for i in ids]})
    assert "done=2" in r.headers["location"]


async def test_another_vendors_import_is_404(client: httpx.AsyncClient, conn: Connection) -> None:
    owner = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    other = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    run_id = await conn.fetchval(
        "INSERT INTO catalog_import (vendor_id, created_by, format, filename, storage_key, dry_run, mode)"
        " VALUES ($1, $2, 'csv', 'secret.csv', 'x', true, 'all') RETURNING id",
        owner.id,
        owner.users["admin"],
    )
    await sign_in(client, other.emails["admin"])
    assert (await client.get(f"/vendor/catalog/imports/{run_id}")).status_code == 404
    assert (await client.get(f"/vendor/catalog/imports/{run_id}/errors.csv")).status_code == 404


async def test_a_bmecat_package_uploaded_on_the_page_attaches_its_media(
    live: httpx.AsyncClient, committing_db: Database, listen_conn: Connection, job_settings: Settings
) -> None:
    async with committing_db.transaction() as c:
        vendor = await make_company(c, kind="vendor", people={"admin": ["admin"]})
    await sign_in(live, vendor.emails["admin"])
    body = package(
        {
            "catalog.xml": (FIXTURES / "new_catalog.xml").read_bytes(),
            "bilder/din933_m8x40_a2.jpg": JPEG,
            "datenblaetter/din933_a2.pdf": PDF,
        }
    )
    # Named .zip or not, the first bytes say it is a package.
    r = await live.post(
        "/vendor/catalog/import",
        files={"file": ("nordtechnik-2025.bin", body, "application/octet-stream")},
        data={"mode": "partial"},
        headers=csrf(live),
    )
    assert r.status_code == 303, r.text[:300]
    await run_jobs(listen_conn, committing_db, job_settings)
    report = (await live.get(r.headers["location"])).text
    assert "<strong>3</strong> new" in report
    assert "BMECAT" in report
    async with committing_db.connection() as c:
        kinds = await c.fetch(
            "SELECT m.kind FROM product_media m JOIN product p ON p.id = m.product_id"
            " WHERE p.vendor_id = $1 ORDER BY m.kind",
            vendor.id,
        )
    assert [k["kind"] for k in kinds] == ["document", "image"]
