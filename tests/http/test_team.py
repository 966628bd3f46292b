"""Invitations (accept, expiry, reuse), role changes, the last-admin rule, company switching."""

from __future__ import annotations

import re

import httpx

from marketplace.core.db import Connection
from marketplace.core.security import new_token
from tests.support.accounts import PASSWORD, make_company, post_form, sign_in, unique_email


async def _invite(client: httpx.AsyncClient, conn: Connection, email: str, roles: list[str]) -> str:
    """Invite through the page; read the link from the queued email job (the SMTP path is tested elsewhere)."""
    r = await post_form(client, "/company/team/invite", {"email": email, "roles": roles})
    assert r.status_code == 303, r.text[:300]
    payload = await conn.fetchval(
        "SELECT convert_from(payload, 'UTF8') FROM pgqueuer"
        " WHERE entrypoint = 'core.send_email' ORDER BY id DESC LIMIT 1"
    )
    match = re.search(r"/invitations/accept\?token=([\w-]+)", payload)
    assert match is not None
    assert email in payload
    return match.group(1)


async def test_invitation_is_accepted_once_and_grants_its_roles(
    client: httpx.AsyncClient,
    app_factory,
    conn: Connection,  # type: ignore[no-untyped-def]
) -> None:
    company = await make_company(conn)
    await sign_in(client, company.emails["admin"])
    newcomer = unique_email("newcomer")
    token = await _invite(client, conn, newcomer, ["buyer", "approver"])

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_factory()), base_url="http://testserver"
    ) as guest:
        page = await guest.get("/invitations/accept", params={"token": token})
        assert "Join your colleagues" in page.text
        r = await post_form(
            guest, "/invitations/accept", {"token": token, "full_name": "Nora New", "password": PASSWORD}
        )
        assert r.status_code == 303
        team = await guest.get("/company/team")
        assert "Nora New" in team.text
        again = await post_form(guest, "/invitations/accept", {"token": token, "full_name": "X", "password": PASSWORD})
        assert again.status_code == 409
        assert "already used" in again.text
    roles = await conn.fetchval(
        "SELECT roles FROM membership m JOIN app_user u ON u.id = m.user_id WHERE u.email = $1 AND m.company_id = $2",
        newcomer,
        company.id,
    )
    assert sorted(roles) == ["approver", "buyer"]


async def test_expired_and_unknown_invitations_are_refused(client: httpx.AsyncClient, conn: Connection) -> None:
    company = await make_company(conn)
    raw, digest = new_token()
    await conn.execute(
        "INSERT INTO invitation (company_id, email, roles, token_hash, invited_by, expires_at)"
        " VALUES ($1, $2, '{buyer}', $3, $4, now() - interval '1 second')",
        company.id,
        unique_email("late"),
        digest,
        company.users["admin"],
    )
    r = await post_form(client, "/invitations/accept", {"token": raw, "full_name": "Late", "password": PASSWORD})
    assert r.status_code == 409
    assert "expired" in r.text
    r = await post_form(client, "/invitations/accept", {"token": "x" * 43, "full_name": "Nobody", "password": PASSWORD})
    assert r.status_code == 404


async def test_roles_for_the_company_kind_only_and_the_last_admin_stays(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    company = await make_company(conn, people={"admin": ["admin"], "buyer": ["buyer"]})
    await sign_in(client, company.emails["admin"])
    admin_id, buyer_id = company.users["admin"], company.users["buyer"]

    r = await post_form(client, f"/company/team/{buyer_id}", {"roles": ["sales"]})
    assert r.status_code == 422
    assert "Not a role in this company: sales" in r.text

    r = await post_form(client, f"/company/team/{admin_id}", {"roles": ["buyer"]})
    assert r.status_code == 422
    assert "at least one admin" in r.text
    r = await post_form(client, f"/company/team/{admin_id}/remove", {})
    assert r.status_code == 422

    r = await post_form(
        client,
        f"/company/team/{buyer_id}",
        {"roles": ["buyer", "admin"], "spending_limit_minor": "500000", "spending_limit_currency": "EUR"},
    )
    assert r.status_code == 303
    assert "€5,000.00" in (await client.get("/company/team")).text
    # Now there is another admin, so the first may step down.
    assert (await post_form(client, f"/company/team/{admin_id}", {"roles": ["viewer"]})).status_code == 303
    changes = await conn.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'membership.changed' AND company_id = $1", company.id
    )
    assert changes == 2
    # A viewer may not manage the team.
    r = await post_form(client, f"/company/team/{buyer_id}", {"roles": ["buyer"]})
    assert r.status_code == 403


async def test_switch_between_own_companies_only(client: httpx.AsyncClient, conn: Connection) -> None:
    first = await make_company(conn, kind="buyer")
    second = await make_company(conn, kind="vendor")
    stranger = await make_company(conn)
    await conn.execute(
        "INSERT INTO membership (user_id, company_id, roles) VALUES ($1, $2, '{sales}')",
        first.users["admin"],
        second.id,
    )
    await sign_in(client, first.emails["admin"])
    page = await client.get("/company/switch")
    assert "Test vendor" in page.text
    r = await post_form(client, "/company/switch", {"company_id": str(second.id)})
    assert r.status_code == 303
    assert "vendor" in (await client.get("/company")).text
    r = await post_form(client, "/company/switch", {"company_id": str(stranger.id)})
    assert r.status_code == 404
