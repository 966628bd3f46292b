"""The database layer on the real PostgreSQL: transactions, codecs, clock, constraint mapping."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from marketplace.core.db import Connection, Database
from marketplace.core.errors import Conflict, domain_error_for


async def test_jsonb_round_trips_through_msgspec(conn: Connection) -> None:
    value = {"items": [1, 2, {"keys": "x"}], "price_minor": 1234, "unicode": "Schraube M8 × 40"}
    assert await conn.fetchval("SELECT $1::jsonb", value) == value


async def test_database_clock_is_utc_timestamptz(conn: Connection) -> None:
    now = await conn.fetchval("SELECT now()")
    assert isinstance(now, datetime)
    assert now.utcoffset() == UTC.utcoffset(None)
    assert await conn.fetchval("SHOW timezone") == "UTC"


async def test_transaction_commits_on_success_and_rolls_back_on_error(
    committing_db: Database, owner_conn: Connection
) -> None:
    table = f"probe_{uuid.uuid4().hex[:12]}"
    await owner_conn.execute(f"CREATE TABLE {table} (id int PRIMARY KEY)")
    try:
        async with committing_db.transaction() as c:
            await c.execute(f"INSERT INTO {table} VALUES (1)")
        with pytest.raises(RuntimeError):
            async with committing_db.transaction() as c:
                await c.execute(f"INSERT INTO {table} VALUES (2)")
                raise RuntimeError("boom")
        async with committing_db.connection() as c:
            assert await c.fetch(f"SELECT id FROM {table} ORDER BY id") == [(1,)]
    finally:
        await owner_conn.execute(f"DROP TABLE {table}")


async def test_constraint_violation_maps_to_a_domain_error_by_name(conn: Connection) -> None:
    await conn.execute("CREATE TEMP TABLE probe_company (vat_id text CONSTRAINT probe_company_vat_id_key UNIQUE)")
    await conn.execute("INSERT INTO probe_company VALUES ('DE123456789')")
    constraints = {
        "probe_company_vat_id_key": lambda exc: Conflict(
            "company.vat_id_taken", "A company with this VAT ID is already registered.", field="vat_id"
        )
    }
    with pytest.raises(asyncpg.UniqueViolationError) as caught:
        async with conn.transaction():
            await conn.execute("INSERT INTO probe_company VALUES ('DE123456789')")
    mapped = domain_error_for(caught.value, constraints)
    assert isinstance(mapped, Conflict)
    assert (mapped.code, mapped.field, mapped.status) == ("company.vat_id_taken", "vat_id", 409)
    # An unknown constraint maps to nothing: it stays an unexpected error (500), never a guess.
    assert domain_error_for(caught.value, {}) is None


async def test_the_app_role_cannot_change_the_schema(conn: Connection) -> None:
    assert await conn.fetchval("SELECT current_user") == "tradeyard_app"
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with conn.transaction():
            await conn.execute("CREATE TABLE sneaky (id int)")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with conn.transaction():
            await conn.execute("ALTER TABLE company ADD COLUMN sneaky int")


async def test_every_migration_file_is_applied(conn: Connection) -> None:
    from tests.support.services import ROOT

    files = sorted(p.name.split("_", 1)[0] for p in (ROOT / "migrations").glob("*.sql"))
    applied = sorted(r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations"))
    assert applied == files
