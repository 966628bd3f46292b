"""A supplier invited by email joins: the invitation email carries a signed sign-up link, registering with it
links the invitation to the new company, and once an operator has verified the company the request is in its
inbox and it can quote. Forged, altered and used links link nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from marketplace.core.db import Connection
from marketplace.settings import Settings
from tests.support.accounts import PASSWORD, make_operator, post_form, sign_in, unique_email
from tests.support.notices import deliver_emails, notifications_of
from tests.support.rfq import Party, bid_body, buyer_party, create_rfq, move, vendor_party
from tests.support.smtp import SmtpSink


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


def signup_form(email: str, **overrides: str) -> dict[str, str]:
    return {
        "legal_name": "Kugellager Neumann KG",
        "kind": "vendor",
        "country": "DE",
        "full_name": "Nina Neumann",
        "email": email,
        "password": PASSWORD,
    } | overrides


async def invite_by_email(client: httpx.AsyncClient, buyer: Party, *emails: str, **kw: Any) -> dict[str, Any]:
    """A request published with suppliers invited by email (the emails go out at publication)."""
    rfq = await create_rfq(client, buyer, **kw)
    r = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/invitations", json={"emails": list(emails)}, headers=buyer.auth("buyer")
    )
    assert r.status_code == 200, r.text
    published = await move(client, buyer, rfq["id"], "published")
    assert published.status_code == 200, published.text
    return dict(published.json())


def signup_link(message: Any) -> str:
    match = re.search(r"https?://[^/\s]+(/signup\?invitation=[0-9]+\.[0-9a-f]{32})\s", message.get_content())
    assert match, message.get_content()
    return match.group(1)


async def test_invited_supplier_signs_up_is_verified_and_quotes(
    client: httpx.AsyncClient, app_factory: Any, conn: Connection, settings: Settings, smtp: SmtpSink
) -> None:
    buyer = await buyer_party(conn)
    address = unique_email("sales").upper()  # addresses are matched without regard to case
    rfq = await invite_by_email(client, buyer, address, title="Bearings for the new press")

    (mail,) = [m for m in await deliver_emails(conn, settings, smtp) if m["To"] == address.lower()]
    assert mail["Subject"] == "Invitation to quote: Bearings for the new press"
    link = signup_link(mail)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_factory()), base_url="http://t") as newcomer:
        page = await newcomer.get(link)
        assert page.status_code == 200
        assert "invites your company to quote" in page.text
        assert "Bearings for the new press" in page.text
        assert f'value="{address.lower()}"' in page.text  # the invited address, prefilled
        token = link.split("=", 1)[1]
        assert f'name="invitation" value="{token}"' in page.text

        signed_up = await post_form(newcomer, "/signup", signup_form(address.lower(), invitation=token))
        assert signed_up.status_code == 303, signed_up.text[:2000]
        assert signed_up.headers["location"] == "/company?welcome=1&invited=1"
        company_id = await conn.fetchval(
            "SELECT m.company_id FROM membership m JOIN app_user u ON u.id = m.user_id WHERE u.email = $1",
            address.lower(),
        )
        welcome = await newcomer.get("/company?welcome=1&invited=1")
        assert 'id="invitation-linked"' in welcome.text
        assert "Awaiting verification" in welcome.text
        assert await conn.fetchval("SELECT vendor_id FROM rfq_invitation WHERE rfq_id = $1", rfq["id"]) == company_id
        # The buying center learns who registered with its invitation.
        notes = await notifications_of(conn, buyer.id, "rfq.supplier_registered")
        assert {n["user_id"] for n in notes} == {
            buyer.company.users[p] for p in ("admin", "buyer", "approver", "requester")
        }
        assert all("Kugellager Neumann KG registered with your invitation" in str(n["body"]) for n in notes)

        # Pending: not in the inbox yet, and the request itself is not reachable.
        assert "Bearings for the new press" not in (await newcomer.get("/vendor/rfqs")).text
        assert (await newcomer.get(f"/vendor/rfqs/{rfq['id']}")).status_code == 404

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_factory()), base_url="http://t") as op:
            await sign_in(op, await make_operator(conn))
            decided = await post_form(op, f"/operator/companies/{company_id}/decision", {"action": "approve"})
            assert decided.status_code == 303

        inbox = await newcomer.get("/vendor/rfqs")
        assert "Bearings for the new press" in inbox.text
        accepted = await post_form(newcomer, f"/vendor/rfqs/{rfq['id']}/invitation", {"answer": "accept"})
        assert accepted.status_code == 303
        offer_page = await newcomer.get(f"/vendor/rfqs/{rfq['id']}")
        key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', offer_page.text)
        assert key
        body = bid_body(rfq)
        quote = {"idempotency_key": key.group(1), "valid_until": body["valid_until"]}
        for line in rfq["lines"]:
            quote |= {f"q-{line['id']}-unit_price": "4.20", f"q-{line['id']}-lead_time_days": "7"}
        receipt = await post_form(newcomer, f"/vendor/rfqs/{rfq['id']}/bid", quote)
        assert receipt.status_code == 201, receipt.text[:2000]
        assert "Offer received — version 1" in receipt.text

    detail = (await client.get(f"/api/v1/rfqs/{rfq['id']}/history", headers=buyer.auth("buyer"))).json()
    (invitation,) = detail["invitations"]
    assert (invitation["vendor_id"], invitation["vendor_name"], invitation["status"]) == (
        company_id,
        "Kugellager Neumann KG",
        "accepted",
    )
    assert invitation["email"] == address.lower()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_factory()), base_url="http://t") as b:
        await sign_in(b, buyer.company.emails["buyer"])
        page = (await b.get(f"/buyer/rfqs/{rfq['id']}")).text
        assert f'Kugellager Neumann KG <small class="muted">(invited as {address.lower()})</small> — accepted' in page


async def test_links_that_are_altered_used_or_for_a_buying_company_link_nothing(
    client: httpx.AsyncClient, app_factory: Any, conn: Connection, settings: Settings, smtp: SmtpSink
) -> None:
    buyer = await buyer_party(conn)
    address = unique_email("quotes")
    rfq = await invite_by_email(client, buyer, address)
    (mail,) = [m for m in await deliver_emails(conn, settings, smtp) if m["To"] == address]
    link = signup_link(mail)
    token = link.split("=", 1)[1]
    invitation_id, signature = token.split(".")
    other = await invite_by_email(client, buyer, unique_email("other"))
    other_id = await conn.fetchval("SELECT id FROM rfq_invitation WHERE rfq_id = $1", other["id"])

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_factory()), base_url="http://t") as c:
        # Altered: another invitation's id with this signature, a changed signature, garbage.
        for forged in (f"{other_id}.{signature}", f"{invitation_id}.{'0' * 32}", "1.x", "<script>"):
            page = await c.get("/signup", params={"invitation": forged})
            assert page.status_code == 200
            assert "This invitation link is not valid any more" in page.text
            assert 'name="invitation"' not in page.text
        forged_post = await post_form(c, "/signup", signup_form(unique_email(), invitation=f"{other_id}.{signature}"))
        assert forged_post.status_code == 422
        assert "This invitation link is not valid any more" in forged_post.text
        # A buying company cannot take an invitation to quote; the form says why and keeps the link.
        buying = await post_form(c, "/signup", signup_form(address, kind="buyer", invitation=token))
        assert buying.status_code == 422
        assert 'id="e-kind"' in buying.text
        assert f'name="invitation" value="{token}"' in buying.text
    assert await conn.fetchval("SELECT count(*) FROM app_user WHERE email = $1", address) == 0
    assert await conn.fetchval("SELECT vendor_id FROM rfq_invitation WHERE rfq_id = $1", rfq["id"]) is None

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_factory()), base_url="http://t") as c:
        first = await post_form(c, "/signup", signup_form(address, kind="both", invitation=token))
        assert first.status_code == 303
        assert first.headers["location"].endswith("&invited=1")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_factory()), base_url="http://t") as c:
        used = await c.get(link)
        assert "This invitation link is not valid any more" in used.text
        second = await post_form(c, "/signup", signup_form(unique_email(), invitation=token))
        assert second.status_code == 422
    linked = await conn.fetch("SELECT vendor_id FROM rfq_invitation WHERE rfq_id = $1", rfq["id"])
    assert len(linked) == 1
    assert linked[0]["vendor_id"] is not None
    assert await conn.fetchval("SELECT vendor_id FROM rfq_invitation WHERE rfq_id = $1", other["id"]) is None


async def test_a_linked_pending_supplier_hears_nothing_until_verified(
    client: httpx.AsyncClient, app_factory: Any, conn: Connection, settings: Settings, smtp: SmtpSink
) -> None:
    """Only verified companies take part: amendments and answers reach a linked supplier once it is verified."""
    buyer = await buyer_party(conn)
    known = await vendor_party(conn)
    address = unique_email("later")
    rfq = await create_rfq(client, buyer)
    await client.post(
        f"/api/v1/rfqs/{rfq['id']}/invitations",
        json={"emails": [address], "vendor_ids": [known.id]},
        headers=buyer.auth("buyer"),
    )
    rfq = (await move(client, buyer, rfq["id"], "published")).json()
    (mail,) = [m for m in await deliver_emails(conn, settings, smtp) if m["To"] == address]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_factory()), base_url="http://t") as c:
        token = signup_link(mail).split("=", 1)[1]
        assert (await post_form(c, "/signup", signup_form(address, invitation=token))).status_code == 303
    company_id = await conn.fetchval("SELECT vendor_id FROM rfq_invitation WHERE lower(email) = $1", address)
    amended = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/amendments",
        json={"summary": "Typo", "title": "Bearings, corrected"},
        headers=buyer.auth("buyer"),
    )
    assert amended.status_code == 201
    assert await notifications_of(conn, known.id, "rfq.amended")
    assert await notifications_of(conn, company_id, "rfq.amended") == []
    # Invited again by address: not a second invitation for the same supplier.
    again = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/invitations", json={"emails": [address]}, headers=buyer.auth("buyer")
    )
    assert [i["email"] for i in again.json()].count(address) == 1
