"""Sign-up → pending → an operator verifies → the company can trade; forms keep input and explain errors."""

from __future__ import annotations

import httpx

from marketplace.core.db import Connection
from tests.support.accounts import PASSWORD, make_operator, post_form, sign_in, unique_email


def _signup_form(email: str, **overrides: str) -> dict[str, str]:
    return {
        "legal_name": "Brandt Hydraulik GmbH",
        "kind": "buyer",
        "country": "DE",
        "vat_id": "DE 136 695 976",
        "registration_number": "HRB 4711",
        "full_name": "Hanna Brandt",
        "email": email,
        "password": PASSWORD,
    } | overrides


async def test_sign_up_verify_and_trade(client: httpx.AsyncClient, app_factory, conn: Connection) -> None:  # type: ignore[no-untyped-def]
    email = unique_email("founder")
    form = _signup_form(email)
    r = await post_form(client, "/signup", form)
    assert r.status_code == 303
    assert r.headers["location"] == "/company?welcome=1"
    assert "ty_session" in r.cookies
    page = await client.get("/company")
    assert page.status_code == 200
    assert "Awaiting verification" in page.text
    assert "Brandt Hydraulik GmbH" in page.text
    company_id = await conn.fetchval(
        "SELECT company_id FROM membership m JOIN app_user u ON u.id = m.user_id WHERE u.email = $1", email
    )
    assert await conn.fetchval("SELECT status::text FROM company WHERE id = $1", company_id) == "pending"
    assert await conn.fetchval("SELECT vat_id FROM company WHERE id = $1", company_id) == form["vat_id"].replace(
        " ", ""
    )

    operator_email = await make_operator(conn)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_factory()), base_url="http://testserver") as op:
        await sign_in(op, operator_email)
        queue = await op.get("/operator/companies")
        assert "Brandt Hydraulik GmbH" in queue.text
        file = await op.get(f"/operator/companies/{company_id}")
        assert "Format and check digits are valid." in file.text
        decided = await post_form(op, f"/operator/companies/{company_id}/decision", {"action": "approve"})
        assert decided.status_code == 303
        audit = await op.get("/operator/audit", params={"action": "company.approve"})
        assert "company.approve" in audit.text

    page = await client.get("/company")
    assert "Awaiting verification" not in page.text
    assert await conn.fetchval("SELECT status::text FROM company WHERE id = $1", company_id) == "verified"
    history = await conn.fetch(
        "SELECT from_status::text, to_status::text FROM company_status_history WHERE company_id = $1 ORDER BY id",
        company_id,
    )
    assert [(h["from_status"], h["to_status"]) for h in history] == [(None, "pending"), ("pending", "verified")]


async def test_signup_errors_are_shown_next_to_fields_and_input_is_kept(client: httpx.AsyncClient) -> None:
    email = unique_email("typo")
    r = await post_form(client, "/signup", _signup_form(email, vat_id="DE136695977"))  # wrong check digit
    assert r.status_code == 422
    assert 'id="e-vat_id"' in r.text
    assert "checksum or check digit is invalid" in r.text
    assert 'value="Brandt Hydraulik GmbH"' in r.text  # kept
    assert PASSWORD not in r.text  # never echoed

    r = await post_form(client, "/signup", _signup_form(email, password="qwerty123456"))
    assert r.status_code == 422
    assert 'id="e-password"' in r.text
    assert "commonly used" in r.text

    r = await post_form(client, "/signup", _signup_form(email, country="Germany"))
    assert r.status_code == 422
    assert 'id="e-country"' in r.text


async def test_pending_company_cannot_be_entered_by_other_operators_routes(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    """Operator pages do not exist for people who are not operators."""
    email = unique_email("founder")
    await post_form(client, "/signup", _signup_form(email))
    assert (await client.get("/operator/companies")).status_code == 404
    assert (await client.get("/operator/audit")).status_code == 404


async def test_operator_suspends_with_reason_reinstates_and_stale_decisions_conflict(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    from tests.support.accounts import make_company

    company = await make_company(conn)
    await sign_in(client, await make_operator(conn))
    url = f"/operator/companies/{company.id}/decision"
    r = await post_form(client, url, {"action": "suspend"})
    assert r.status_code == 422
    assert "Give a reason" in r.text
    version = await conn.fetchval("SELECT version FROM company WHERE id = $1", company.id)
    assert (
        await post_form(client, url, {"action": "suspend", "reason": "Unpaid invoices", "expected_version": version})
    ).status_code == 303
    assert (await post_form(client, url, {"action": "reinstate", "expected_version": version})).status_code == 409
    assert (await post_form(client, url, {"action": "approve"})).status_code == 409  # not from suspended
    assert (await post_form(client, url, {"action": "reinstate"})).status_code == 303
    history = await conn.fetch(
        "SELECT to_status::text, reason FROM company_status_history WHERE company_id = $1 ORDER BY id", company.id
    )
    assert [(h["to_status"], h["reason"]) for h in history] == [("suspended", "Unpaid invoices"), ("verified", None)]
    mails = await conn.fetchval(
        "SELECT count(*) FROM pgqueuer WHERE entrypoint = 'core.send_email' AND convert_from(payload, 'UTF8') LIKE $1",
        f"%{company.emails['admin']}%",
    )
    assert mails == 2  # the admin hears of both decisions
