"""RFQ pages through HTTP: the buyer drafts by form and publishes, the vendor quotes by form and gets a
signed receipt, form errors come back with messages, and other companies' requests answer 404."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from marketplace.core.db import Connection
from tests.support.accounts import post_form, sign_in
from tests.support.html import table_rows
from tests.support.rfq import buyer_party, pass_deadline, published_rfq, submit, vendor_party
from web.buyer.rfqs import instant_from_local
from web.forms import minor_units


def _local(days: int, zone: str = "UTC") -> str:
    return (datetime.now(UTC) + timedelta(days=days)).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def _rfq_form(vendor_id: int, **overrides: str) -> dict[str, object]:
    form: dict[str, object] = {
        "kind": "rfq",
        "visibility": "invited",
        "title": "Bearings for the packaging line",
        "description": "Deep groove ball bearings.",
        "currency": "EUR",
        "closes_at": _local(5),
        "line_count": "3",
        "lines[0].description": "Ball bearing 6204-2RS",
        "lines[0].quantity": "100",
        "lines[0].unit": "piece",
        "lines[0].target_price": "1.25",
        "lines[1].description": "",
        "lines[1].quantity": "",
        "lines[1].unit": "piece",
        "lines[2].description": "Ball bearing 6205-2RS",
        "lines[2].quantity": "40",
        "lines[2].unit": "piece",
        "vendor_ids": str(vendor_id),
        "emails": "",
    }
    form.update(overrides)
    return form


def _id_of(response: httpx.Response) -> int:
    match = re.match(r"^/buyer/rfqs/(\d+)", response.headers["location"])
    assert match, response.headers.get("location")
    return int(match.group(1))


async def test_buyer_drafts_and_publishes_vendor_quotes_and_gets_a_receipt(
    app_factory: Callable[[], Any],
    conn: Connection,
) -> None:
    buyer = await buyer_party(conn)
    vendor = await vendor_party(conn, name="Alpha Bearings")
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app_factory()), base_url="http://test") as b,
        httpx.AsyncClient(transport=httpx.ASGITransport(app_factory()), base_url="http://test") as v,
    ):
        await sign_in(b, buyer.company.emails["admin"])
        assert (await b.get("/buyer/rfqs/new")).status_code == 200
        created = await post_form(b, "/buyer/rfqs", _rfq_form(vendor.id))
        assert created.status_code == 303, created.text[:2000]
        rfq_id = _id_of(created)
        page = await b.get(f"/buyer/rfqs/{rfq_id}")
        assert page.status_code == 200
        rows = table_rows(page.text, "rfq-lines")
        assert rows[1][1:3] == ["Ball bearing 6204-2RS", "100 piece"]
        assert "€1.25" in rows[1][4]
        assert rows[2][1] == "Ball bearing 6205-2RS"  # the empty middle row was left out
        assert "Alpha Bearings" in page.text
        assert "UTC" in page.text
        assert "Publish" in page.text

        published = await post_form(b, f"/buyer/rfqs/{rfq_id}/transitions", {"to": "published"})
        assert published.status_code == 303, published.text[:2000]
        listing = await b.get("/buyer/rfqs")
        assert "published" in table_rows(listing.text, "rfq-list")[1][2]

        await sign_in(v, vendor.company.emails["sales"])
        inbox = await v.get("/vendor/rfqs")
        assert "Bearings for the packaging line" in inbox.text
        accepted = await post_form(v, f"/vendor/rfqs/{rfq_id}/invitation", {"answer": "accept"})
        assert accepted.status_code == 303
        offer_page = await v.get(f"/vendor/rfqs/{rfq_id}")
        assert offer_page.status_code == 200
        key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', offer_page.text)
        assert key
        line_ids = [int(x) for x in re.findall(r'name="q-(\d+)-unit_price"', offer_page.text)]
        assert len(line_ids) == 2
        valid_until = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()
        quote = {
            "idempotency_key": key.group(1),
            f"q-{line_ids[0]}-unit_price": "112.50",
            f"q-{line_ids[0]}-price_basis": "100",
            f"q-{line_ids[0]}-lead_time_days": "10",
            f"q-{line_ids[1]}-unit_price": "",
            "valid_until": valid_until,
            "delivery_cost": "25",
        }
        bad = await post_form(v, f"/vendor/rfqs/{rfq_id}/bid", {**quote, f"q-{line_ids[0]}-unit_price": "1.005"})
        assert bad.status_code == 422
        assert "At most 2 decimal place(s)." in bad.text
        assert key.group(1) in bad.text  # the corrected form is still the same attempt

        first = await post_form(v, f"/vendor/rfqs/{rfq_id}/bid", quote)
        assert first.status_code == 201, first.text[:2000]
        assert "Offer received — version 1" in first.text
        digest = re.search(r"SHA-256 of your offer</dt><dd><code class=\"secret\">([0-9a-f]{64})<", first.text)
        assert digest
        again = await post_form(v, f"/vendor/rfqs/{rfq_id}/bid", quote)  # a double submit: the same version
        assert "Offer received — version 1" in again.text
        assert digest.group(1) in again.text
        stored = await conn.fetch(
            "SELECT v.content FROM bid_version v JOIN bid b ON b.id = v.bid_id WHERE b.rfq_id = $1", rfq_id
        )
        assert len(stored) == 1
        line = stored[0]["content"]["lines"][0]
        assert (line["unit_price_minor"], line["price_basis"]) == (11250, 100)

        await pass_deadline(conn, rfq_id)
        closed = await b.get(f"/buyer/rfqs/{rfq_id}")
        offers = table_rows(closed.text, "offers")
        assert offers[1][0] == "Alpha Bearings"
        assert offers[1][3] == "€137.50"  # 100 × 112.50/100 + 25 delivery
        assert (await post_form(b, f"/buyer/rfqs/{rfq_id}/transitions", {"to": "evaluated"})).status_code == 303
        assert f'href="/buyer/rfqs/{rfq_id}/award"' in (await b.get(f"/buyer/rfqs/{rfq_id}")).text
        form = (await b.get(f"/buyer/rfqs/{rfq_id}/award")).text
        quantity = re.search(rf'name="(q-{line_ids[0]}-\d+)"', form)
        assert quantity
        awarded = await post_form(
            b, f"/buyer/rfqs/{rfq_id}/award", {quantity.group(1): "100", "justification": "Only offer"}
        )
        assert awarded.status_code == 303, awarded.text[:2000]
        final = await b.get(f"/buyer/rfqs/{rfq_id}")
        assert table_rows(final.text, "award-lines")[1][1:3] == ["Alpha Bearings", "100"]


async def test_form_errors_come_back_with_messages(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer = await buyer_party(conn)
    await sign_in(client, buyer.company.emails["buyer"])
    r = await post_form(
        client,
        "/buyer/rfqs",
        _rfq_form(999_999_999, title="ab", **{"lines[0].quantity": "lots", "lines[2].target_price": "1.2.3"}),
    )
    assert r.status_code == 422
    assert 'aria-describedby="e-lines[2].target_price"' in r.text
    assert "Enter an amount like 12.50." in r.text
    assert "Bearings for the packaging line" not in r.text or 'value="ab"' in r.text
    r = await post_form(client, "/buyer/rfqs", _rfq_form(999_999_999, **{"lines[0].quantity": "lots"}))
    assert r.status_code == 422
    assert 'id="e-lines[0].quantity"' in r.text
    r = await post_form(client, "/buyer/rfqs", _rfq_form(999_999_999))
    assert r.status_code == 422
    assert "Not verified vendor companies: 999999999." in r.text
    assert await conn.fetchval("SELECT count(*) FROM rfq WHERE buyer_id = $1", buyer.id) == 0

    more = await post_form(client, "/buyer/rfqs", {**_rfq_form(1), "add_line": "1"})
    assert more.status_code == 200
    assert 'name="lines[3].description"' in more.text
    assert 'value="Ball bearing 6205-2RS"' in more.text

    # Publishing with a deadline too soon: the detail page answers with the reason.
    created = await post_form(client, "/buyer/rfqs", _rfq_form(1, vendor_ids="", closes_at=_local(0)))
    rfq_id = _id_of(created)
    r = await post_form(client, f"/buyer/rfqs/{rfq_id}/transitions", {"to": "published"})
    assert r.status_code == 422
    assert "at least 24 hours" in r.text
    r = await post_form(client, f"/buyer/rfqs/{rfq_id}/transitions", {"to": "cancelled", "reason": ""})
    assert r.status_code == 422
    assert "Say why the request is cancelled" in r.text


async def test_other_companies_requests_answer_404(client: httpx.AsyncClient, conn: Connection) -> None:
    owner, other_buyer = await buyer_party(conn), await buyer_party(conn)
    outsider = await vendor_party(conn)
    await sign_in(client, owner.company.emails["buyer"])
    created = await post_form(client, "/buyer/rfqs", _rfq_form(1, vendor_ids=""))
    rfq_id = _id_of(created)
    await sign_in(client, other_buyer.company.emails["admin"])
    assert (await client.get(f"/buyer/rfqs/{rfq_id}")).status_code == 404
    assert (await post_form(client, f"/buyer/rfqs/{rfq_id}/transitions", {"to": "published"})).status_code == 404
    assert (await post_form(client, f"/buyer/rfqs/{rfq_id}/award", {"justification": "mine"})).status_code == 404
    await sign_in(client, outsider.company.emails["admin"])
    assert (await client.get(f"/vendor/rfqs/{rfq_id}")).status_code == 404
    assert (await post_form(client, f"/vendor/rfqs/{rfq_id}/bid", {"valid_until": "2030-01-01"})).status_code == 404


async def test_an_invited_vendor_that_sent_an_offer_is_not_asked_to_accept_the_invitation(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer, vendor = await buyer_party(conn), await vendor_party(conn)
    rfq = await published_rfq(client, buyer, [vendor], kind="tender")
    await sign_in(client, vendor.company.emails["sales"])
    assert "Accept invitation" in (await client.get(f"/vendor/rfqs/{rfq['id']}")).text
    assert (await submit(client, vendor, rfq)).status_code == 201
    page = await client.get(f"/vendor/rfqs/{rfq['id']}")
    assert "Your offer" in page.text
    assert "Accept invitation" not in page.text
    # The invitation itself is unchanged: for a sealed tender a change would tell the buyer an offer exists.
    assert await conn.fetchval("SELECT status FROM rfq_invitation WHERE rfq_id = $1", rfq["id"]) == "invited"


def test_local_deadlines_become_instants_and_prices_minor_units() -> None:
    assert instant_from_local("2027-01-15T14:00", "Europe/Berlin") == datetime(2027, 1, 15, 13, 0, tzinfo=UTC)
    assert instant_from_local("2027-07-15T14:00", "Europe/Berlin") == datetime(2027, 7, 15, 12, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="does not exist"):
        instant_from_local("2027-03-28T02:30", "Europe/Berlin")  # skipped by the change to summer time
    assert minor_units("12.5", 2) == 1250
    assert minor_units("0.07", 2) == 7
    assert minor_units("1500", 0) == 1500
    assert minor_units("19,99", 2) == 1999
    for bad in ("1.005", "-1", "1e3", "12.", "abc", ""):
        with pytest.raises(ValueError, match=r"\."):
            minor_units(bad, 2)
