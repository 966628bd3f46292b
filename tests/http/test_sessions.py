"""Sign-in, session rotation, sign-out and password change invalidation, rate limits, CSRF."""

from __future__ import annotations

import httpx

from marketplace.accounts.auth import LOGIN_LIMIT_PER_ACCOUNT
from marketplace.core.db import Connection
from tests.support.accounts import PASSWORD, csrf, make_company, post_form, sign_in


async def test_sign_in_issues_a_new_session_id_and_sign_out_invalidates_it(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    company = await make_company(conn)
    await sign_in(client, company.emails["admin"])
    first = client.cookies["ty_session"]
    await sign_in(client, company.emails["admin"])
    second = client.cookies["ty_session"]
    assert first != second  # a new id at every sign-in (no fixation)
    cookie_header = next(
        h
        for h in (await _login_response(client, company.emails["admin"])).headers.get_list("set-cookie")
        if h.startswith("ty_session=")
    )
    assert "HttpOnly" in cookie_header
    assert "SameSite=Lax" in cookie_header or "samesite=lax" in cookie_header.lower()
    assert "Secure" not in cookie_header  # plain-http localhost only

    current = client.cookies["ty_session"]
    assert (await client.get("/company")).status_code == 200
    r = await post_form(client, "/logout", {})
    assert r.status_code == 303
    # The old cookie no longer works even if someone kept it.
    stale = httpx.AsyncClient(
        transport=client._transport, base_url="http://testserver", cookies={"ty_session": current}
    )
    async with stale:
        r = await stale.get("/company")
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")


async def _login_response(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await post_form(client, "/login", {"email": email, "password": PASSWORD, "next": "/company"})


async def test_wrong_password_is_refused_generically_and_audited(client: httpx.AsyncClient, conn: Connection) -> None:
    company = await make_company(conn)
    r = await post_form(client, "/login", {"email": company.emails["admin"], "password": "wrong-password-123"})
    assert r.status_code == 400
    assert "The email or password is not right." in r.text
    r2 = await post_form(client, "/login", {"email": "nobody-here@example.test", "password": "wrong-password-123"})
    assert "The email or password is not right." in r2.text  # same words: no account enumeration
    outcomes = await conn.fetch(
        "SELECT outcome, detail->>'reason' AS reason FROM audit_log"
        " WHERE action = 'auth.sign_in' AND actor_email = any($1::text[]) ORDER BY id",
        [company.emails["admin"], "nobody-here@example.test"],
    )
    assert [(o["outcome"], o["reason"]) for o in outcomes] == [("failure", "password"), ("failure", "unknown")]


async def test_password_change_ends_other_sessions(client: httpx.AsyncClient, app_factory, conn: Connection) -> None:  # type: ignore[no-untyped-def]
    company = await make_company(conn)
    email = company.emails["admin"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_factory()), base_url="http://testserver"
    ) as other:
        await sign_in(other, email)
        await sign_in(client, email)
        new_password = "saffron-kettle-meadow-91"
        r = await post_form(client, "/account/password", {"current_password": PASSWORD, "new_password": new_password})
        assert r.status_code == 303
        assert (await client.get("/company")).status_code == 200  # this browser got a fresh session
        assert (await other.get("/company")).status_code == 303  # the other one is signed out
        assert (await post_form(other, "/login", {"email": email, "password": PASSWORD})).status_code == 400
        await sign_in(other, email, new_password)


async def test_login_rate_limit_per_account_answers_429_with_retry_after(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    company = await make_company(conn)
    for _ in range(LOGIN_LIMIT_PER_ACCOUNT):
        r = await post_form(client, "/login", {"email": company.emails["admin"], "password": "not-the-password"})
        assert r.status_code == 400
    r = await post_form(client, "/login", {"email": company.emails["admin"], "password": PASSWORD})
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 15 * 60
    assert "Too many attempts" in r.text


async def test_unsafe_requests_without_csrf_token_are_rejected(client: httpx.AsyncClient, conn: Connection) -> None:
    company = await make_company(conn)
    await client.get("/login")
    r = await client.post("/login", data={"email": company.emails["admin"], "password": PASSWORD})
    assert r.status_code == 403
    r = await client.post(
        "/login", data={"email": company.emails["admin"], "password": PASSWORD}, headers={"x-csrftoken": "forged"}
    )
    assert r.status_code == 403
    r = await client.post("/login", data={"email": company.emails["admin"], "password": PASSWORD}, headers=csrf(client))
    assert r.status_code == 303


async def test_suspended_company_cannot_be_entered(client: httpx.AsyncClient, conn: Connection) -> None:
    from marketplace.accounts.models import CompanyStatus

    company = await make_company(conn, status=CompanyStatus.SUSPENDED)
    r = await post_form(client, "/login", {"email": company.emails["admin"], "password": PASSWORD})
    assert r.status_code == 400
    assert "suspended" in r.text


async def test_pages_need_a_session(client: httpx.AsyncClient) -> None:
    for path in ("/company", "/company/team", "/company/tokens", "/account/password"):
        r = await client.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"] == f"/login?next={path.replace('/', '%2F')}"
    r = await client.get("/company", headers={"hx-request": "true"})
    assert r.headers["hx-redirect"].startswith("/login?next=")


async def test_idle_and_absolute_expiry_end_a_session(client: httpx.AsyncClient, conn: Connection) -> None:
    company = await make_company(conn)
    await sign_in(client, company.emails["admin"])
    assert (await client.get("/company")).status_code == 200
    await conn.execute(
        "UPDATE user_session SET last_seen_at = now() - interval '3 hours' WHERE user_id = $1", company.users["admin"]
    )
    assert (await client.get("/company")).status_code == 303
    await sign_in(client, company.emails["admin"])
    await conn.execute(
        "UPDATE user_session SET expires_at = now() - interval '1 second' WHERE user_id = $1", company.users["admin"]
    )
    assert (await client.get("/company")).status_code == 303
    from marketplace.accounts.auth import purge_expired_sessions

    assert await purge_expired_sessions(conn) == 1  # the idle one was ended by signing in again
    assert await conn.fetchval("SELECT count(*) FROM user_session WHERE user_id = $1", company.users["admin"]) == 0


async def test_outdated_hash_parameters_are_upgraded_at_sign_in(client: httpx.AsyncClient, conn: Connection) -> None:
    from argon2 import PasswordHasher

    company = await make_company(conn)
    old = PasswordHasher(time_cost=1, memory_cost=16, parallelism=1).hash(PASSWORD)
    await conn.execute("UPDATE app_user SET password_hash = $2 WHERE id = $1", company.users["admin"], old)
    await sign_in(client, company.emails["admin"])
    new = await conn.fetchval("SELECT password_hash FROM app_user WHERE id = $1", company.users["admin"])
    assert new != old
    assert "m=8,t=1,p=1" in new  # the parameters in force (cheap ones under test)
