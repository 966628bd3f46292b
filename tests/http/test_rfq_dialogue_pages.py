"""The dialogue on the RFQ pages through HTTP: vendors ask on the request page, the buyer answers inline (htmx
and plain posts), amendments are previewed before they are confirmed and vendors see them field by field,
re-confirm or revise, and once decided each vendor sees its own outcome and nothing of the others'."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from marketplace.core.db import Connection
from tests.support.accounts import csrf, post_form, prime_csrf, sign_in
from tests.support.html import body_rows, table_rows
from tests.support.notices import notifications_of
from tests.support.rfq import (
    buyer_party,
    db_now,
    freeze_clock,
    move,
    pass_deadline,
    published_rfq,
    submit,
    vendor_party,
)

HX = {"HX-Request": "true"}


@asynccontextmanager
async def browser(app_factory: Callable[[], Any], email: str) -> AsyncIterator[httpx.AsyncClient]:
    """A signed-in person with their own cookies, on the test's transaction."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app_factory()), base_url="http://test") as c:
        await sign_in(c, email)
        yield c


async def post_htmx(client: httpx.AsyncClient, url: str, data: dict[str, object]) -> httpx.Response:
    """A form posted by htmx: the CSRF token in the header (hx-headers on <body>) and HX-Request."""
    await prime_csrf(client)
    return await client.post(url, data=data, headers=csrf(client) | HX)


def section(html: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}".*?</section>', html, re.S)
    assert match, f"no section {section_id}"
    return match.group(0)


async def test_vendor_asks_privately_and_the_buyer_answers_inline_for_everyone(
    app_factory: Callable[[], Any], conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    alpha, beta = await vendor_party(conn, name="Alpha Bearings"), await vendor_party(conn, name="Beta Bearings")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app_factory()), base_url="http://test") as api:
        rfq = await published_rfq(api, buyer, [alpha, beta])
    rfq_id, line2 = rfq["id"], rfq["lines"][1]
    await conn.execute("UPDATE app_user SET time_zone = 'Asia/Tokyo' WHERE id = $1", alpha.company.users["sales"])
    async with (
        browser(app_factory, alpha.company.emails["sales"]) as a,
        browser(app_factory, beta.company.emails["sales"]) as b,
        browser(app_factory, buyer.company.emails["buyer"]) as buy,
    ):
        page = await a.get(f"/vendor/rfqs/{rfq_id}")
        assert page.status_code == 200
        qa = section(page.text, "questions")
        assert 'id="question-form"' in qa
        closes = datetime.fromisoformat(rfq["questions_close_at"]).astimezone(ZoneInfo("Asia/Tokyo"))
        assert re.search(rf"Questions close <time [^>]+>{closes:%Y-%m-%d %H:%M} JST</time>", qa)

        # Invalid: the page comes back with the message next to the field, and the quote form is still there.
        empty = await post_form(a, f"/vendor/rfqs/{rfq_id}/questions", {"body": "  ", "line_id": ""})
        assert empty.status_code == 422
        assert 'id="e-body"' in empty.text
        assert 'id="quote-form"' in empty.text
        wrong_line = await post_form(a, f"/vendor/rfqs/{rfq_id}/questions", {"body": "Which?", "line_id": "x1"})
        assert wrong_line.status_code == 422
        assert 'id="e-line_id"' in wrong_line.text

        asked = await post_form(
            a, f"/vendor/rfqs/{rfq_id}/questions", {"body": "Is a rubber seal acceptable?", "line_id": line2["id"]}
        )
        assert asked.status_code == 303
        assert asked.headers["location"] == f"/vendor/rfqs/{rfq_id}?done=question%20sent#questions"
        fragment = await post_htmx(a, f"/vendor/rfqs/{rfq_id}/questions", {"body": "Packed per 10?", "line_id": ""})
        assert fragment.status_code == 200
        assert fragment.text.lstrip().startswith('<section id="questions"')
        assert "<html" not in fragment.text
        assert "Question sent" in fragment.text
        assert fragment.text.count('<span class="badge term">you</span>') == 2
        assert f"about line 2: {line2['description']}" in fragment.text
        invalid = await post_htmx(a, f"/vendor/rfqs/{rfq_id}/questions", {"body": ""})
        assert invalid.status_code == 422  # swapped by the page (data-swap-invalid), with the message
        assert invalid.text.lstrip().startswith('<section id="questions"')
        assert 'id="e-body"' in invalid.text

        # Private until answered: Beta sees neither question.
        other = section((await b.get(f"/vendor/rfqs/{rfq_id}")).text, "questions")
        assert "rubber seal" not in other
        assert "Packed per 10" not in other

        # The buyer sees both, by alias only, unanswered first, and the rule of the procedure.
        listing = (await buy.get(f"/buyer/rfqs/{rfq_id}")).text
        qa = section(listing, "questions")
        assert "Alpha" not in qa
        assert "Beta" not in qa
        aliases = set(re.findall(r"<strong>(Bidder [A-Z2-7]+)</strong>", qa))
        assert len(aliases) == 1
        assert "2 unanswered" in qa
        assert "the deadline moves on by 24 hours" in qa
        qids = [int(x) for x in re.findall(r'<li id="q-(\d+)" class="question unanswered">', qa)]
        assert len(qids) == 2
        assert (await buy.get(f"/buyer/rfqs/{rfq_id}/questions")).headers["location"] == (
            f"/buyer/rfqs/{rfq_id}#questions"
        )

        blank = await post_htmx(buy, f"/buyer/rfqs/{rfq_id}/questions/{qids[0]}/answer", {"answer": " "})
        assert blank.status_code == 422
        assert f'id="e-answer-{qids[0]}"' in blank.text
        plain = await post_form(
            buy, f"/buyer/rfqs/{rfq_id}/questions/{qids[0]}/answer", {"answer": "Yes, rubber seals."}
        )
        assert plain.status_code == 303
        assert plain.headers["location"] == f"/buyer/rfqs/{rfq_id}?done=answered#questions"
        inline = await post_htmx(buy, f"/buyer/rfqs/{rfq_id}/questions/{qids[1]}/answer", {"answer": "Packs of 10."})
        assert inline.status_code == 200
        assert "Answer published" in inline.text
        assert "unanswered" not in inline.text
        again = await post_htmx(buy, f"/buyer/rfqs/{rfq_id}/questions/{qids[1]}/answer", {"answer": "Or 20."})
        assert again.status_code == 422  # htmx swaps 422 into a data-swap-invalid form; plain posts get 409
        assert "already been answered" in again.text
        again_plain = await post_form(buy, f"/buyer/rfqs/{rfq_id}/questions/{qids[1]}/answer", {"answer": "Or 20."})
        assert again_plain.status_code == 409
        assert f'id="e-answer-{qids[1]}"' in again_plain.text
        assert 'id="rfq-lines"' in again_plain.text

        # Now every vendor reads both answers, with the same alias and without the asker's name.
        seen = section((await b.get(f"/vendor/rfqs/{rfq_id}")).text, "questions")
        assert "Yes, rubber seals." in seen
        assert "Packs of 10." in seen
        assert aliases == set(re.findall(r"<strong>(Bidder [A-Z2-7]+)</strong>", seen))
        assert "Alpha" not in seen
        assert '<span class="badge term">you</span>' not in seen

    # Viewers read, but have no answer form, and answering is refused.
    async with browser(app_factory, buyer.company.emails["viewer"]) as viewer:
        read_only = section((await viewer.get(f"/buyer/rfqs/{rfq_id}")).text, "questions")
        assert "answer-form" not in read_only
        r = await post_form(viewer, f"/buyer/rfqs/{rfq_id}/questions/{qids[0]}/answer", {"answer": "x"})
        assert r.status_code == 403


async def test_unanswered_questions_hold_a_tender_open_and_the_last_answer_closes_it(
    app_factory: Callable[[], Any], conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    vendor = await vendor_party(conn)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app_factory()), base_url="http://test") as api:
        tender = await published_rfq(api, buyer, [vendor], kind="tender")
    async with (
        browser(app_factory, vendor.company.emails["admin"]) as v,
        browser(app_factory, buyer.company.emails["admin"]) as b,
    ):
        assert (await post_form(v, f"/vendor/rfqs/{tender['id']}/questions", {"body": "Drawings?"})).status_code == 303
        qa = section((await b.get(f"/buyer/rfqs/{tender['id']}")).text, "questions")
        assert "Unanswered questions block closing" in qa

        await pass_deadline(conn, tender["id"])
        held = (await b.get(f"/buyer/rfqs/{tender['id']}")).text
        assert '<span class="badge rfq-status status-published">published</span>' in held
        assert "stays open until every question is answered" in section(held, "questions")
        (qid,) = re.findall(r'<li id="q-(\d+)"', section(held, "questions"))
        # Questions are closed for the vendor now.
        closed = (await v.get(f"/vendor/rfqs/{tender['id']}")).text
        assert 'id="questions-closed"' in closed
        assert 'id="question-form"' not in closed
        late = await post_form(v, f"/vendor/rfqs/{tender['id']}/questions", {"body": "One more?"})
        assert late.status_code == 422
        assert "Questions closed at" in late.text or "while the request is open" in late.text

        answered = await post_htmx(b, f"/buyer/rfqs/{tender['id']}/questions/{qid}/answer", {"answer": "Attached."})
        assert answered.status_code == 204  # the tender closed: htmx loads the whole page again
        assert answered.headers["HX-Redirect"] == f"/buyer/rfqs/{tender['id']}?done=answered"
        assert "status-closed" in (await b.get(f"/buyer/rfqs/{tender['id']}")).text


async def test_questions_close_at_the_question_deadline(app_factory: Callable[[], Any], conn: Connection) -> None:
    buyer = await buyer_party(conn)
    vendor = await vendor_party(conn)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app_factory()), base_url="http://test") as api:
        rfq = await published_rfq(api, buyer, [vendor])
    closes = datetime.fromisoformat(rfq["questions_close_at"])
    async with browser(app_factory, vendor.company.emails["sales"]) as v:
        await freeze_clock(conn, closes - timedelta(microseconds=1))
        assert 'id="question-form"' in (await v.get(f"/vendor/rfqs/{rfq['id']}")).text
        await freeze_clock(conn, closes)
        page = (await v.get(f"/vendor/rfqs/{rfq['id']}")).text
        assert 'id="question-form"' not in page
        assert "Questions are closed." in page
        late = await post_htmx(v, f"/vendor/rfqs/{rfq['id']}/questions", {"body": "Too late?"})
        assert late.status_code == 422
        assert "Questions closed at" in late.text
    assert await conn.fetchval("SELECT count(*) FROM rfq_question WHERE rfq_id = $1", rfq["id"]) == 0


def amend_form(page: str) -> dict[str, str]:
    """The amend form's fields as the page filled them in."""
    fields = dict(re.findall(r'<input id="f-[^"]+" name="([^"]+)"[^>]*?value="([^"]*)"', page))
    fields |= dict(re.findall(r'<textarea id="f-[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>', page))
    fields["new_lines"] = re.search(r'name="new_lines" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    return {k: v.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&") for k, v in fields.items()}


async def test_buyer_previews_and_confirms_amendments_and_vendors_see_them_and_reconfirm(
    app_factory: Callable[[], Any], conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    alpha = await vendor_party(conn, name="Alpha Bearings")
    now = await db_now(conn)
    await conn.execute("UPDATE app_user SET time_zone = 'Europe/Berlin' WHERE id = $1", buyer.company.users["buyer"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app_factory()), base_url="http://test") as api:
        rfq = await published_rfq(api, buyer, [alpha], now=now, closes_in=timedelta(hours=30))
        assert (await submit(api, alpha, rfq)).status_code == 201
    rfq_id, (line1, line2) = rfq["id"], rfq["lines"]
    async with (
        browser(app_factory, buyer.company.emails["buyer"]) as b,
        browser(app_factory, alpha.company.emails["sales"]) as v,
    ):
        detail = (await b.get(f"/buyer/rfqs/{rfq_id}")).text
        assert f'href="/buyer/rfqs/{rfq_id}/amend"' in section(detail, "amendments")
        page = await b.get(f"/buyer/rfqs/{rfq_id}/amend")
        assert page.status_code == 200
        form = amend_form(page.text)
        assert form[f"line-{line1['id']}-quantity"] == "100"
        assert form["currency"] == "EUR"
        assert 'name="currency" value="EUR" readonly' in page.text
        berlin = datetime.fromisoformat(rfq["closes_at"]).astimezone(ZoneInfo("Europe/Berlin"))
        assert form["closes_at"] == f"{berlin:%Y-%m-%dT%H:%M}"

        # Nothing typed: the preview says so at the summary; a wording change previews as not material.
        nothing = await post_form(b, f"/buyer/rfqs/{rfq_id}/amend", {**form, "summary": "Nothing"})
        assert nothing.status_code == 422
        assert "This amendment changes nothing." in nothing.text
        wording = {**form, "title": "Bearings for the packaging line", "summary": "Clearer title"}
        preview = await post_form(b, f"/buyer/rfqs/{rfq_id}/amend", {**wording, "step": "preview"})
        assert preview.status_code == 200, preview.text[:3000]
        assert "Not material" in section(preview.text, "amend-preview")
        assert body_rows(preview.text, "preview-changes")["Title"] == [rfq["title"], "Bearings for the packaging line"]
        assert "Deadline:\n      unchanged" in preview.text or "unchanged," in preview.text
        key = re.search(r'name="preview_key" value="([0-9a-f]+)"', preview.text)
        assert key
        assert await conn.fetchval("SELECT revision FROM rfq WHERE id = $1", rfq_id) == 1  # a preview writes nothing
        done = await post_form(
            b, f"/buyer/rfqs/{rfq_id}/amend", {**wording, "step": "confirm", "preview_key": key.group(1)}
        )
        assert done.status_code == 303
        assert done.headers["location"] == f"/buyer/rfqs/{rfq_id}?done=amended"

        # The vendor: what changed, and a one-click re-confirmation (its offer stays valid).
        vendor_page = (await v.get(f"/vendor/rfqs/{rfq_id}")).text
        assert body_rows(vendor_page, "changes-2")["Title"] == [rfq["title"], "Bearings for the packaging line"]
        assert "Not material" in section(vendor_page, "amendments")
        callout = section(vendor_page, "reconfirm")
        assert "Re-confirm my offer" in callout
        assert "Revise your quote" not in callout
        reconfirmed = await post_form(v, f"/vendor/rfqs/{rfq_id}/bid/reconfirm", {"idempotency_key": "k-1"})
        assert reconfirmed.status_code == 201
        assert 'id="reconfirm"' not in reconfirmed.text

        # 20 hours later a material change: line 1 doubled, line 2 dropped, a line added.
        later = now + timedelta(hours=20)
        await freeze_clock(conn, later)
        form = amend_form((await b.get(f"/buyer/rfqs/{rfq_id}/amend")).text)
        material = {
            **form,
            f"line-{line1['id']}-quantity": "200",
            f"line-{line2['id']}-remove": "1",
            "new-0-description": "Shaft seal 30x42x7",
            "new-0-quantity": "50",
            "new-0-target_price": "0.80",
            "summary": "More bearings, seals instead of the 6201.",
        }
        preview = await post_form(b, f"/buyer/rfqs/{rfq_id}/amend", material)
        assert preview.status_code == 200, preview.text[:3000]
        box = section(preview.text, "amend-preview")
        assert "Material" in box
        assert "Every submitted offer will have to be re-confirmed" in box
        rows = body_rows(preview.text, "preview-changes")
        assert rows["Line 1: quantity material"] == ["100", "200"]
        assert rows["Line 2 removed material"] == [line2["description"], "—"]
        assert rows["Line 3 added material"] == ["—", "Shaft seal 30x42x7 · 50 piece · target €0.80"]
        extended = (later + timedelta(hours=24)).astimezone(ZoneInfo("Europe/Berlin"))
        assert rows["Deadline"][1] == f"{extended:%Y-%m-%d %H:%M %Z}"
        key = re.search(r'name="preview_key" value="([0-9a-f]+)"', preview.text)
        assert key
        # Changed after the preview: not applied, previewed again.
        changed = {**material, "new-0-quantity": "60", "step": "confirm", "preview_key": key.group(1)}
        stale = await post_form(b, f"/buyer/rfqs/{rfq_id}/amend", changed)
        assert stale.status_code == 409
        assert "changed after the preview" in stale.text
        assert body_rows(stale.text, "preview-changes")["Line 3 added material"][1].startswith(
            "Shaft seal 30x42x7 · 60"
        )
        assert await conn.fetchval("SELECT revision FROM rfq WHERE id = $1", rfq_id) == 2
        # htmx: the confirmation answers with HX-Redirect to the request.
        confirmed = await post_htmx(
            b, f"/buyer/rfqs/{rfq_id}/amend", {**material, "step": "confirm", "preview_key": key.group(1)}
        )
        assert confirmed.status_code == 204, confirmed.text[:2000]
        assert confirmed.headers["HX-Redirect"] == f"/buyer/rfqs/{rfq_id}?done=amended"
        stored = await conn.fetchrow("SELECT revision, closes_at FROM rfq WHERE id = $1", rfq_id)
        assert (stored["revision"], stored["closes_at"]) == (3, later + timedelta(hours=24))

        history = section((await b.get(f"/buyer/rfqs/{rfq_id}")).text, "amendments")
        assert history.index('id="amendment-3"') < history.index('id="amendment-2"')  # newest first

        vendor_page = (await v.get(f"/vendor/rfqs/{rfq_id}")).text
        callout = section(vendor_page, "reconfirm")
        assert "must be confirmed again" in callout
        assert 'href="#quote-form"' in callout
        assert "Re-confirm unchanged" in callout
        assert body_rows(vendor_page, "changes-3")["Line 1: quantity material"] == ["100", "200"]
        assert "After your offer" in section(vendor_page, "amendments")
        # The quote form now asks for the new line.
        assert f'name="q-{line2["id"]}-unit_price"' not in vendor_page
        assert len(re.findall(r'name="q-(\d+)-unit_price"', vendor_page)) == 2


async def test_amend_form_errors_frozen_fields_and_roles(app_factory: Callable[[], Any], conn: Connection) -> None:
    buyer = await buyer_party(conn)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app_factory()), base_url="http://test") as api:
        rfq = await published_rfq(api, buyer, [])
        draft = (await api.post("/api/v1/rfqs", json=_draft_body(rfq), headers=buyer.auth("buyer"))).json()
    rfq_id, line1 = rfq["id"], rfq["lines"][0]
    async with browser(app_factory, buyer.company.emails["admin"]) as b:
        form = amend_form((await b.get(f"/buyer/rfqs/{rfq_id}/amend")).text)
        cases: list[tuple[dict[str, str], str, str]] = [
            (
                {"currency": "USD", "summary": "x"},
                "e-currency",
                "The currency of a request is fixed when it is published.",
            ),
            ({"summary": ""}, "e-summary", "Tell the vendors what changed and why."),
            (
                {f"line-{line1['id']}-quantity": "lots", "summary": "x"},
                f"e-line-{line1['id']}-quantity",
                "Enter a whole number.",
            ),
            (
                {f"line-{line1['id']}-target_price": "1.234", "summary": "x"},
                f"e-line-{line1['id']}-target_price",
                "At most 2 decimal place(s).",
            ),
            ({"new-0-description": "Seal", "summary": "x"}, "e-new-0-quantity", "How many?"),
            ({"closes_at": "2001-01-01T10:00", "summary": "x"}, "e-closes_at", "The new deadline has already passed."),
            ({"closes_at": "soon", "summary": "x"}, "e-closes_at", "Enter a date and time."),
        ]
        for change, error_id, message in cases:
            r = await post_form(b, f"/buyer/rfqs/{rfq_id}/amend", {**form, **change})
            assert r.status_code == 422, (change, r.status_code)
            assert f'id="{error_id}"' in r.text, change
            assert message in r.text, change
            assert 'id="amend-preview"' not in r.text
        removed_all = {**form, **{f"line-{ln['id']}-remove": "1" for ln in rfq["lines"]}, "summary": "All gone"}
        r = await post_form(b, f"/buyer/rfqs/{rfq_id}/amend", removed_all)
        assert r.status_code == 422
        assert "A request keeps at least one line." in r.text

        more = await post_form(b, f"/buyer/rfqs/{rfq_id}/amend", {**form, "step": "add_line", "summary": "kept"})
        assert more.status_code == 200
        assert 'name="new-1-description"' in more.text
        assert ">kept</textarea>" in more.text

        # A draft is edited, not amended.
        not_yet = await b.get(f"/buyer/rfqs/{draft['id']}/amend")
        assert not_yet.status_code == 200
        assert "Only published requests are amended" in not_yet.text
        assert 'id="amend-form"' not in not_yet.text
    async with browser(app_factory, buyer.company.emails["requester"]) as requester:
        page = await requester.get(f"/buyer/rfqs/{rfq_id}/amend")
        assert "Only buyers and admins amend requests." in page.text
        assert f'href="/buyer/rfqs/{rfq_id}/amend"' not in (await requester.get(f"/buyer/rfqs/{rfq_id}")).text
        r = await post_form(requester, f"/buyer/rfqs/{rfq_id}/amend", {**form, "title": "Mine now", "summary": "x"})
        assert r.status_code == 403
    assert await conn.fetchval("SELECT count(*) FROM rfq_amendment WHERE rfq_id = $1", rfq_id) == 0


def _draft_body(rfq: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": "A draft",
        "closes_at": rfq["closes_at"],
        "lines": [{"description": "Washer", "quantity": 5}],
    }


async def test_amendment_preview_api_writes_nothing(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer = await buyer_party(conn)
    rfq = await published_rfq(client, buyer, [])
    line = rfq["lines"][0]
    body = {"summary": "More", "lines": [{"action": "change", "line_id": line["id"], "quantity": 7}]}
    r = await client.post(f"/api/v1/rfqs/{rfq['id']}/amendments/preview", json=body, headers=buyer.auth("buyer"))
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["revision"], got["material"]) == (2, True)
    assert got["changes"]["lines"] == [
        {"change": "changed", "line_id": line["id"], "position": 1, "fields": {"quantity": {"from": 100, "to": 7}}}
    ]
    assert (await client.get(f"/api/v1/rfqs/{rfq['id']}", headers=buyer.auth("buyer"))).json()["revision"] == 1
    frozen = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/amendments/preview", json={"summary": "x", "currency": "USD"}, headers=buyer.auth()
    )
    assert frozen.status_code == 422
    assert frozen.headers["content-type"].startswith("application/problem+json")
    assert frozen.json()["errors"] == [
        {"field": "currency", "reason": "The currency of a request is fixed when it is published."}
    ]
    assert await conn.fetchval("SELECT count(*) FROM rfq_amendment WHERE rfq_id = $1", rfq["id"]) == 0
    assert await conn.fetchval("SELECT quantity FROM rfq_line WHERE id = $1", line["id"]) == 100


async def test_each_vendor_sees_its_own_outcome_and_nothing_of_the_others(
    app_factory: Callable[[], Any], conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    alpha, beta, gamma = (
        await vendor_party(conn, name="Alpha Bearings"),
        await vendor_party(conn, name="Beta Bearings"),
        await vendor_party(conn, name="Gamma Bearings"),
    )
    outsider = await vendor_party(conn, name="Outsider")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app_factory()), base_url="http://test") as api:
        rfq = await published_rfq(api, buyer, [alpha, beta, gamma])
        for vendor, price in ((alpha, 1111), (beta, 2222), (gamma, 3333)):
            assert (await submit(api, vendor, rfq, price=price)).status_code == 201
        await pass_deadline(conn, rfq["id"])
        assert (await move(api, buyer, rfq["id"], "evaluated")).status_code == 200
        offers = (await api.get(f"/api/v1/rfqs/{rfq['id']}/bids", headers=buyer.auth())).json()
        bid_of = {o["vendor_name"]: o["bid_id"] for o in offers}
        line1, line2 = rfq["lines"]
        award = await api.post(
            f"/api/v1/rfqs/{rfq['id']}/award",
            json={
                "justification": "Alpha cheapest; Beta for the rest",
                "lines": [
                    {"line_id": line1["id"], "bid_id": bid_of["Alpha Bearings"], "quantity": 100},
                    {"line_id": line2["id"], "bid_id": bid_of["Alpha Bearings"], "quantity": 50},
                    {"line_id": line2["id"], "bid_id": bid_of["Beta Bearings"], "quantity": 150},
                ],
            },
            headers=buyer.auth("approver"),
        )
        assert award.status_code == 201, award.text
    prices = {"Alpha": ("€11.12", "€11.13"), "Beta": ("€22.23", "€22.24"), "Gamma": ("€33.34", "€33.35")}

    async with browser(app_factory, alpha.company.emails["sales"]) as a:
        outcome = section((await a.get(f"/vendor/rfqs/{rfq['id']}")).text, "outcome")
        assert "Your offer was awarded" in outcome
        assert "standstill" not in outcome  # an RFQ has none: the award is final at once
        rows = table_rows(outcome, "awarded-lines")[1:]
        assert [r[:4] for r in rows] == [
            [f"1. {line1['description']}", "100 piece", "€11.12", "€1,112.00"],
            [f"2. {line2['description']}", "50 piece", "€11.13", "€556.50"],
        ]
        assert not any(p in outcome for p in (*prices["Beta"], *prices["Gamma"]))
        assert "Beta" not in outcome
        assert "Alpha cheapest" not in outcome
    async with browser(app_factory, beta.company.emails["sales"]) as b:
        outcome = section((await b.get(f"/vendor/rfqs/{rfq['id']}")).text, "outcome")
        assert [r[:4] for r in table_rows(outcome, "awarded-lines")[1:]] == [
            [f"2. {line2['description']}", "150 piece", "€22.24", "€3,336.00"]
        ]
        assert not any(p in outcome for p in (*prices["Alpha"], *prices["Gamma"]))
    async with browser(app_factory, gamma.company.emails["admin"]) as g:
        page = (await g.get(f"/vendor/rfqs/{rfq['id']}")).text
        outcome = section(page, "outcome")
        assert "Not awarded to you" in outcome
        assert 'id="awarded-lines"' not in outcome
        standing = re.search(r'<p id="standing">([^<]+)</p>', outcome)
        assert standing
        assert standing.group(1).startswith("Your rank: 3 of 3, score ")
        (note, *_) = await notifications_of(conn, gamma.id, "rfq.lost")
        assert standing.group(1) in str(note["body"])  # the same as the loss notification
        assert not any(p in page for p in (*prices["Alpha"], *prices["Beta"]))
        assert "Alpha" not in page
        assert "Beta" not in page
    async with browser(app_factory, outsider.company.emails["admin"]) as o:
        assert (await o.get(f"/vendor/rfqs/{rfq['id']}")).status_code == 404


async def test_cancelled_request_shows_the_reason_to_vendors(app_factory: Callable[[], Any], conn: Connection) -> None:
    buyer = await buyer_party(conn)
    vendor = await vendor_party(conn)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app_factory()), base_url="http://test") as api:
        rfq = await published_rfq(api, buyer, [vendor])
        assert (await move(api, buyer, rfq["id"], "cancelled", reason="Budget frozen until Q3")).status_code == 200
    async with browser(app_factory, vendor.company.emails["sales"]) as v:
        outcome = section((await v.get(f"/vendor/rfqs/{rfq['id']}")).text, "outcome")
        assert "The buyer cancelled this request" in outcome
        assert "Reason: Budget frozen until Q3" in outcome


async def test_an_untouched_field_is_no_change_whatever_line_breaks_the_browser_sends(
    app_factory: Callable[[], Any], conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app_factory()), base_url="http://test") as api:
        rfq = await published_rfq(api, buyer, [], description="Two lots.\nDelivery to gate 4.")
    async with browser(app_factory, buyer.company.emails["buyer"]) as b:
        form = amend_form((await b.get(f"/buyer/rfqs/{rfq['id']}/amend")).text)
        posted = {**form, "description": "Two lots.\r\nDelivery to gate 4.", "title": "Bearings, two lots"}
        preview = await post_form(b, f"/buyer/rfqs/{rfq['id']}/amend", {**posted, "summary": "Title"})
        assert preview.status_code == 200
        assert list(body_rows(preview.text, "preview-changes")) == ["Title"]
