"""API tokens: created by admins, shown once, stored hashed, scoped by roles, expiring, revocable."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx

from marketplace.core.db import Connection
from marketplace.core.security import hash_token
from tests.support.accounts import make_company, post_form, sign_in


async def _create(client: httpx.AsyncClient, roles: list[str], name: str = "ERP sync") -> str:
    expires = (date.today() + timedelta(days=30)).isoformat()  # noqa: DTZ011 - a date input, judged by the db
    r = await post_form(client, "/company/tokens", {"name": name, "roles": roles, "expires_on": expires})
    assert r.status_code == 201, r.text[:300]
    assert r.headers["cache-control"] == "no-store"
    match = re.search(r'id="token-secret">([^<]+)<', r.text)
    assert match is not None
    return match.group(1)


async def test_token_is_shown_once_stored_hashed_and_scoped(client: httpx.AsyncClient, conn: Connection) -> None:
    company = await make_company(conn, people={"admin": ["admin"], "buyer": ["buyer"]})
    await sign_in(client, company.emails["admin"])
    secret = await _create(client, ["viewer"])
    assert secret.startswith("ty_")
    stored = await conn.fetchrow("SELECT token_hash, prefix FROM api_token WHERE company_id = $1", company.id)
    assert bytes(stored["token_hash"]) == hash_token(secret)
    assert secret[:10] == stored["prefix"]
    listing = await client.get("/company/tokens")
    assert secret not in listing.text
    assert stored["prefix"] in listing.text

    api = {"authorization": f"Bearer {secret}"}
    me = await client.get("/api/v1/me", headers=api)
    assert me.status_code == 200
    assert me.json()["roles"] == ["viewer"]
    assert me.json()["company_id"] == company.id
    # A viewer token reads members but cannot change roles (an admin-only action).
    assert (await client.get("/api/v1/company/members", headers=api)).status_code == 200
    r = await client.patch(
        f"/api/v1/company/members/{company.users['buyer']}", json={"roles": ["approver"]}, headers=api
    )
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "membership.admin_required"

    admin_secret = await _create(client, ["admin"], name="Admin sync")
    r = await client.patch(
        f"/api/v1/company/members/{company.users['buyer']}",
        json={"roles": ["approver"]},
        headers={"authorization": f"Bearer {admin_secret}"},
    )
    assert r.status_code == 200
    assert r.json()["roles"] == ["approver"]
    used = await conn.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'api_token.used' AND company_id = $1", company.id
    )
    assert used == 2  # once per token within the hour


async def test_revoked_and_expired_tokens_are_refused(client: httpx.AsyncClient, conn: Connection) -> None:
    company = await make_company(conn)
    await sign_in(client, company.emails["admin"])
    secret = await _create(client, ["admin"])
    api = {"authorization": f"Bearer {secret}"}
    assert (await client.get("/api/v1/company", headers=api)).status_code == 200
    token_id = await conn.fetchval("SELECT id FROM api_token WHERE company_id = $1", company.id)

    await conn.execute("UPDATE api_token SET expires_at = now() - interval '1 second' WHERE id = $1", token_id)
    r = await client.get("/api/v1/company", headers=api)
    assert r.status_code == 401
    assert r.json()["code"] == "auth.required"

    await conn.execute("UPDATE api_token SET expires_at = now() + interval '1 day' WHERE id = $1", token_id)
    assert (await post_form(client, f"/company/tokens/{token_id}/revoke", {})).status_code == 303
    assert (await client.get("/api/v1/company", headers=api)).status_code == 401


async def test_api_needs_a_bearer_token_and_ignores_cookies(client: httpx.AsyncClient, conn: Connection) -> None:
    company = await make_company(conn)
    await sign_in(client, company.emails["admin"])
    r = await client.get("/api/v1/company")  # the session cookie is sent, but the API does not accept it
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert (await client.get("/api/v1/company", headers={"authorization": "Bearer nonsense"})).status_code == 401


async def test_only_admins_create_tokens_and_expiry_is_checked(client: httpx.AsyncClient, conn: Connection) -> None:
    company = await make_company(conn, people={"admin": ["admin"], "buyer": ["buyer"]})
    await sign_in(client, company.emails["admin"])
    r = await post_form(client, "/company/tokens", {"name": "Old", "roles": ["buyer"], "expires_on": "2020-01-01"})
    assert r.status_code == 422
    assert 'id="e-expires_on"' in r.text
    await sign_in(client, company.emails["buyer"])
    assert (await client.get("/company/tokens")).status_code == 403


async def test_a_token_acts_in_its_owners_time_zone(client: httpx.AsyncClient, conn: Connection) -> None:
    company = await make_company(conn, people={"admin": ["admin"], "buyer": ["buyer"]})
    await conn.execute("UPDATE app_user SET time_zone = 'America/New_York' WHERE id = $1", company.users["admin"])
    await sign_in(client, company.emails["admin"])
    api = {"authorization": f"Bearer {await _create(client, ['buyer'])}"}

    me = await client.get("/api/v1/me", headers=api)
    assert me.json()["time_zone"] == "America/New_York"
    body = {
        "title": "Zone probe",
        "closes_at": "2031-01-01T10:00:00+00:00",
        "lines": [{"description": "Hex bolt M8", "quantity": 10}],
    }
    drafted = await client.post("/api/v1/rfqs", json=body, headers=api)
    assert drafted.status_code == 201, drafted.text
    assert drafted.json()["buyer_time_zone"] == "America/New_York"

    # Read on every request: the owner's new zone applies to the token at once.
    await conn.execute("UPDATE app_user SET time_zone = 'Asia/Tokyo' WHERE id = $1", company.users["admin"])
    assert (await client.get("/api/v1/me", headers=api)).json()["time_zone"] == "Asia/Tokyo"
    again = await client.post("/api/v1/rfqs", json=body, headers=api)
    assert again.json()["buyer_time_zone"] == "Asia/Tokyo"
