"""Fuzzing the JSON API from its own OpenAPI document (schemathesis): no input ever yields a 500, and
every error is problem+json. Runs against the live server, authenticated as a company admin's token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from marketplace.accounts import repository as repo
from marketplace.app import create_app
from marketplace.core.db import connect
from marketplace.core.security import new_token
from marketplace.settings import Settings
from tests.conftest import run_in_thread
from tests.support.accounts import make_company


@pytest.fixture(scope="session")
def admin_token(settings: Settings) -> str:
    async def make() -> str:
        conn = await connect(settings.database_url)
        try:
            async with conn.transaction():
                company = await make_company(conn, people={"admin": ["admin"], "buyer": ["buyer"]})
                raw, digest = new_token("ty_")
                await repo.insert_api_token(
                    conn,
                    company_id=company.id,
                    name="fuzz",
                    prefix=raw[:10],
                    token_hash=digest,
                    roles=["admin"],
                    created_by=company.users["admin"],
                    expires_at=datetime.now(UTC) + timedelta(days=1),
                )
            return raw
        finally:
            await conn.close()

    return run_in_thread(make())


# Loaded at collection from the app's own OpenAPI document (conftest has set the environment by then).
# schemathesis' lazy `from_fixture` loader breaks on pytest 9 (it reads a removed `_nodeid`).
schema = schemathesis.openapi.from_dict(create_app(Settings.from_env()).openapi_schema.to_schema())


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_never_answers_500_and_errors_are_problem_json(case: Any, server_url: str, admin_token: str) -> None:
    response = case.call(base_url=server_url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=10)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    if response.status_code >= 400:
        content_type = response.headers.get("content-type") or response.headers.get("Content-Type")
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        assert content_type == "application/problem+json", response.text[:300]
        body = response.json()
        assert body["status"] == response.status_code
        assert body["code"]
