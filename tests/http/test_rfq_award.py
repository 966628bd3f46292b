"""The award page through HTTP: prefilled from the comparison, split per line between vendors, quick actions
per request and per lot, live totals for htmx, review and confirm, the award rules' messages next to their
fields, minimum competition with "proceed anyway", and only approvers and admins award."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import httpx

from marketplace.core.db import Connection
from tests.support.accounts import csrf, post_form, prime_csrf, sign_in
from tests.support.html import body_rows, table_rows
from tests.support.rfq import (
    Party,
    buyer_party,
    db_now,
    freeze_clock,
    move,
    pass_deadline,
    published_rfq,
    rfq_body,
    submit,
    vendor_party,
)

HTMX_SUMMARY = {"HX-Request": "true", "HX-Target": "award-summary"}
HTMX_EDITOR = {"HX-Request": "true", "HX-Target": "award-editor"}


def value_of(html: str, name: str) -> str:
    """The value of the input ``name`` ('' when it has none)."""
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert match, f"no input {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


async def htmx_post(
    client: httpx.AsyncClient, url: str, data: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    await prime_csrf(client)
    return await client.post(url, data=data, headers={**csrf(client), **headers})


async def _two_lots(client: httpx.AsyncClient, conn: Connection) -> tuple[Party, dict[str, Any], dict[str, int]]:
    """A closed RFQ: line 1 (100 pieces, lot 1) and line 2 (200 pieces, lot 2); Alpha is cheaper on line 1,
    Beta on line 2, Gamma offers line 1 only, with an MOQ of 150. Returns the buyer, the RFQ, bid ids by name."""
    buyer = await buyer_party(conn)
    alpha, beta, gamma = [await vendor_party(conn, name=n) for n in ("Alpha", "Beta", "Gamma")]
    body = rfq_body()
    body["lots"] = [{"title": "Bearings"}, {"title": "Seals"}]
    body["lines"] = [
        {"description": "Ball bearing 6204-2RS", "quantity": 100, "lot": 1},
        {"description": "Shaft seal 30x42x7", "quantity": 200, "lot": 2},
    ]
    created = await client.post("/api/v1/rfqs", json=body, headers=buyer.auth("buyer"))
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    invited = {"vendor_ids": [alpha.id, beta.id, gamma.id]}
    assert (await client.post(f"/api/v1/rfqs/{rid}/invitations", json=invited, headers=buyer.auth())).is_success
    published = await move(client, buyer, rid, "published")
    assert published.status_code == 200, published.text
    rfq: dict[str, Any] = published.json()
    line1, line2 = (ln["id"] for ln in rfq["lines"])
    offers = [
        (alpha, [(line1, 500), (line2, 300)]),
        (beta, [(line1, 600), (line2, 250)]),
        (gamma, [(line1, 450)]),
    ]
    for vendor, prices in offers:
        lines: list[dict[str, Any]] = [
            {"line_id": lid, "unit_price_minor": price, "lead_time_days": 5} for lid, price in prices
        ]
        if vendor is gamma:
            lines[0]["moq"] = 150
        body = {
            "lines": lines,
            "valid_until": (datetime.fromisoformat(rfq["closes_at"]) + timedelta(days=30)).date().isoformat(),
            "delivery_cost_minor": 1000,
        }
        r = await client.put(f"/api/v1/vendor/rfqs/{rfq['id']}/bid", json=body, headers=vendor.auth("sales"))
        assert r.status_code == 201, r.text
    await pass_deadline(conn, rfq["id"])
    bids = (await client.get(f"/api/v1/rfqs/{rfq['id']}/bids", headers=buyer.auth("buyer"))).json()
    return buyer, rfq, {b["vendor_name"]: b["bid_id"] for b in bids}


async def test_the_award_page_starts_from_best_value_splits_lines_and_awards_after_review(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer, rfq, bid = await _two_lots(client, conn)
    rid, (line1, line2) = rfq["id"], (ln["id"] for ln in rfq["lines"])
    base = f"/buyer/rfqs/{rid}/award"
    await sign_in(client, buyer.company.emails["approver"])

    # From the comparison and the request page there is a way in; the request is closed: evaluate first.
    assert f'href="{base}"' in (await client.get(f"/buyer/rfqs/{rid}/compare")).text
    closed = await client.get(base)
    assert closed.status_code == 200
    assert 'id="evaluate-form"' in closed.text
    assert "Evaluate the offers first" in closed.text
    evaluated = await post_form(client, f"{base}/evaluate", {})
    assert (evaluated.status_code, evaluated.headers["location"]) == (303, f"{base}?done=evaluated")

    page = await client.get(base)
    assert page.status_code == 200
    html = page.text
    assert 'id="evaluate-form"' not in html
    # Best value per line: Gamma's MOQ makes 150 × 4.50 = 675.00 dearer than Alpha's 500.00 on line 1.
    assert value_of(html, f"q-{line1}-{bid['Alpha']}") == "100"
    assert value_of(html, f"q-{line1}-{bid['Gamma']}") == ""
    assert value_of(html, f"q-{line2}-{bid['Beta']}") == "200"
    assert f'name="q-{line2}-{bid["Gamma"]}"' not in html  # Gamma did not offer line 2
    vendors = body_rows(html, "award-vendors")
    assert vendors["Alpha"] == ["1", "€500.00", "€10.00", "€510.00"]
    assert vendors["Beta"] == ["1", "€500.00", "€10.00", "€510.00"]
    assert [r[3] for r in table_rows(html, "award-remaining")[1:]] == ["0", "0"]
    assert "every line fully allocated" in html

    # While typing, htmx gets only the totals (and the status sentence out of band).
    split = {
        f"q-{line1}-{bid['Alpha']}": "60",
        f"q-{line1}-{bid['Gamma']}": "40",
        f"q-{line2}-{bid['Beta']}": "150",
        "justification": "",
    }
    live = await htmx_post(client, f"{base}/draft", split, HTMX_SUMMARY)
    assert live.status_code == 200
    assert "<html" not in live.text
    assert 'id="award-form"' not in live.text
    vendors = body_rows(live.text, "award-vendors")
    assert vendors["Alpha"][1] == "€300.00"
    assert vendors["Gamma"][1] == "€675.00"  # 40 asked, MOQ 150: priced as it will be ordered
    assert vendors["Beta"][1] == "€375.00"
    remaining = body_rows(live.text, "award-remaining")
    assert remaining["2. Shaft seal 30x42x7"][2] == "50"
    assert 'hx-swap-oob="innerHTML"' in live.text
    assert "1 line not fully allocated" in live.text

    # Review: the award's rules, and what would be locked; nothing is written yet.
    split["justification"] = "Alpha and Gamma share the bearings; Beta is cheapest on seals."
    review = await post_form(client, f"{base}/review", split)
    assert review.status_code == 200, review.text[:3000]
    plan = table_rows(review.text, "award-plan")[1:]
    assert [(r[1], r[2].split(" (")[0], r[4]) for r in plan] == [
        ("Alpha", "60 piece", "€300.00"),
        ("Gamma", "150 piece", "€675.00"),
        ("Beta", "150 piece", "€375.00"),
    ]
    assert "2. Shaft seal 30x42x7: 50 of 200 piece" in review.text
    assert await conn.fetchval("SELECT count(*) FROM award WHERE rfq_id = $1", rid) == 0
    hidden = dict(re.findall(r'<input type="hidden" name="(q-[\d-]+|justification)" value="([^"]*)"', review.text))
    assert hidden[f"q-{line1}-{bid['Gamma']}"] == "40"

    confirmed = await post_form(client, base, hidden)
    assert (confirmed.status_code, confirmed.headers["location"]) == (303, f"/buyer/rfqs/{rid}?done=awarded")
    award = (await client.get(f"/api/v1/rfqs/{rid}/award", headers=buyer.auth("approver"))).json()
    assert [(ln["vendor_name"], ln["quantity"], ln["line_total_minor"]) for ln in award["lines"]] == [
        ("Alpha", 60, 30000),
        ("Gamma", 150, 67500),
        ("Beta", 150, 37500),
    ]
    assert award["justification"] == split["justification"]
    done = await client.get(base)
    assert "This request has been awarded." in done.text
    assert 'id="award-form"' not in done.text


async def test_quick_actions_give_every_line_or_one_lot_to_a_vendor(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer, rfq, bid = await _two_lots(client, conn)
    rid, (line1, line2) = rfq["id"], (ln["id"] for ln in rfq["lines"])
    lot1, lot2 = (lot["id"] for lot in rfq["lots"])
    base = f"/buyer/rfqs/{rid}/award"
    await sign_in(client, buyer.company.emails["admin"])
    assert (await post_form(client, f"{base}/evaluate", {})).status_code == 303
    start = {f"q-{line1}-{bid['Alpha']}": "100", f"q-{line2}-{bid['Beta']}": "200", "justification": "Kept"}

    # Without JavaScript: the whole page comes back with the split applied and what typed stays.
    whole = await post_form(client, f"{base}/draft", {**start, "action": "quick", "quick_bid": str(bid["Beta"])})
    assert whole.status_code == 200
    assert "Beta gets every line it offers." in whole.text
    assert (value_of(whole.text, f"q-{line1}-{bid['Beta']}"), value_of(whole.text, f"q-{line1}-{bid['Alpha']}")) == (
        "100",
        "",
    )
    assert value_of(whole.text, f"q-{line2}-{bid['Beta']}") == "200"
    assert ">Kept</textarea>" in whole.text

    # With htmx: only the editor, and the lot of the seals goes to Alpha while line 1 keeps its split.
    data = {**start, "action": "quick", "quick_bid": str(bid["Alpha"]), "quick_scope": f"lot:{lot2}"}
    lot = await htmx_post(client, f"{base}/draft", data, HTMX_EDITOR)
    assert lot.status_code == 200
    assert lot.text.lstrip().startswith('<div id="award-editor">')
    assert "Alpha gets lot 2 (Seals)." in lot.text
    assert value_of(lot.text, f"q-{line2}-{bid['Alpha']}") == "200"
    assert value_of(lot.text, f"q-{line2}-{bid['Beta']}") == ""
    assert value_of(lot.text, f"q-{line1}-{bid['Alpha']}") == "100"
    assert "autofocus" in re.search(r'<button[^>]*id="quick-apply"[^>]*>', lot.text).group(0)  # type: ignore[union-attr]

    # Gamma offers nothing in lot 2: nothing changes there.
    data = {**start, "action": "quick", "quick_bid": str(bid["Gamma"]), "quick_scope": f"lot:{lot2}"}
    same = await post_form(client, f"{base}/draft", data)
    assert value_of(same.text, f"q-{line2}-{bid['Beta']}") == "200"
    back = await post_form(client, f"{base}/draft", {**data, "quick_scope": f"lot:{lot1}", "action": "reset"})
    assert value_of(back.text, f"q-{line1}-{bid['Alpha']}") == "100"


async def test_the_award_rules_come_back_next_to_their_fields(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer, rfq, bid = await _two_lots(client, conn)
    rid, (line1, line2) = rfq["id"], (ln["id"] for ln in rfq["lines"])
    base = f"/buyer/rfqs/{rid}/award"
    await sign_in(client, buyer.company.emails["approver"])

    # Not evaluated yet: the award refuses, with the reason.
    early = await post_form(client, base, {f"q-{line1}-{bid['Alpha']}": "100", "justification": "Cheapest"})
    assert early.status_code == 422
    assert "Evaluate the offers (after the deadline) before awarding." in early.text
    assert (await post_form(client, f"{base}/evaluate", {})).status_code == 303

    over = {
        f"q-{line1}-{bid['Alpha']}": "80",
        f"q-{line1}-{bid['Beta']}": "40",
        f"q-{line2}-{bid['Beta']}": "lots",
        "justification": "",
    }
    typed = await post_form(client, f"{base}/review", over)
    assert typed.status_code == 422
    assert f'id="e-q-{line2}-{bid["Beta"]}"' in typed.text
    assert "Enter a whole number (0 for none)." in typed.text
    assert 'value="lots"' in typed.text  # what was typed stays

    over[f"q-{line2}-{bid['Beta']}"] = "200"
    short = await post_form(client, f"{base}/review", over)
    assert short.status_code == 422
    assert 'id="e-justification"' in short.text
    over["justification"] = "Split to secure supply."
    split = await post_form(client, f"{base}/review", over)
    assert split.status_code == 422
    assert f'id="e-line-{line1}"' in split.text
    assert "120 awarded, but only 100 were requested." in split.text
    assert f'href="#f-line-{line1}">Line 1</a>' in split.text
    assert "over by 20" in split.text

    # A quote that expired since (valid through its last day in the buyer's zone) cannot be accepted.
    valid_until = (datetime.fromisoformat(rfq["closes_at"]) + timedelta(days=30)).date()
    await freeze_clock(conn, datetime.fromisoformat(rfq["closes_at"]) + timedelta(days=32))
    page = await client.get(base)
    assert re.search(rf'<input[^>]*name="q-{line1}-{bid["Alpha"]}"[^>]*disabled', page.text)
    assert f"The quote expired on {valid_until.isoformat()}." in page.text
    expired = await post_form(client, base, {f"q-{line1}-{bid['Alpha']}": "100", "justification": "Cheapest"})
    assert expired.status_code == 422
    assert f'id="e-q-{line1}-{bid["Alpha"]}"' in expired.text
    assert f"This offer was valid until {valid_until.isoformat()}." in expired.text
    assert await conn.fetchval("SELECT status::text FROM rfq WHERE id = $1", rid) == "evaluated"


async def test_offers_on_an_earlier_revision_are_refused(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer = await buyer_party(conn)
    alpha, beta = await vendor_party(conn, name="Alpha"), await vendor_party(conn, name="Beta")
    rfq = await published_rfq(client, buyer, [alpha, beta], now=await db_now(conn))
    assert (await submit(client, alpha, rfq, price=500)).status_code == 201
    assert (await submit(client, beta, rfq, price=600)).status_code == 201
    line1 = rfq["lines"][0]["id"]
    amended = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/amendments",
        json={"summary": "More bearings", "lines": [{"action": "change", "line_id": line1, "quantity": 150}]},
        headers=buyer.auth("buyer"),
    )
    assert amended.status_code == 201, amended.text
    reconfirmed = await client.post(f"/api/v1/vendor/rfqs/{rfq['id']}/bid/reconfirm", headers=beta.auth("sales"))
    assert reconfirmed.status_code == 201
    await pass_deadline(conn, rfq["id"])
    bids = (await client.get(f"/api/v1/rfqs/{rfq['id']}/bids", headers=buyer.auth("buyer"))).json()
    bid = {b["vendor_name"]: b["bid_id"] for b in bids}
    await sign_in(client, buyer.company.emails["approver"])
    base = f"/buyer/rfqs/{rfq['id']}/award"
    assert (await post_form(client, f"{base}/evaluate", {})).status_code == 303

    page = await client.get(base)
    assert value_of(page.text, f"q-{line1}-{bid['Beta']}") == "150"  # Alpha is cheaper but not valid
    refused = await post_form(client, base, {f"q-{line1}-{bid['Alpha']}": "150", "justification": "Cheapest"})
    assert refused.status_code == 422
    assert "This offer answers an earlier version of the request and was not re-confirmed." in refused.text
    assert f'id="e-q-{line1}-{bid["Alpha"]}"' in refused.text


async def test_only_approvers_and_admins_award(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer, rfq, bid = await _two_lots(client, conn)
    line1 = rfq["lines"][0]["id"]
    base = f"/buyer/rfqs/{rfq['id']}/award"
    await sign_in(client, buyer.company.emails["buyer"])
    assert (await post_form(client, f"{base}/evaluate", {})).status_code == 303  # buyers evaluate

    page = await client.get(base)
    assert page.status_code == 200
    assert "Only approvers and admins award (your roles: buyer)." in page.text
    assert re.search(r'<fieldset class="award-editor" disabled>', page.text)
    refused = await post_form(client, f"{base}/review", {f"q-{line1}-{bid['Alpha']}": "100", "justification": "Mine"})
    assert refused.status_code == 403
    assert "Only approvers and admins award." in refused.text
    direct = await post_form(client, base, {f"q-{line1}-{bid['Alpha']}": "100", "justification": "Mine"})
    assert direct.status_code == 403
    assert await conn.fetchval("SELECT count(*) FROM award WHERE rfq_id = $1", rfq["id"]) == 0

    await sign_in(client, buyer.company.emails["viewer"])
    viewer = await client.get(base)
    assert "Only approvers and admins award (your roles: viewer)." in viewer.text
    assert 'id="evaluate-form"' not in viewer.text


async def test_below_the_minimum_competition_the_buyer_proceeds_only_with_a_reason(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    only = await vendor_party(conn, name="Only Supplier")
    tender = await published_rfq(client, buyer, [only], kind="tender")
    assert (await submit(client, only, tender)).status_code == 201
    await pass_deadline(conn, tender["id"])
    await sign_in(client, buyer.company.emails["approver"])
    base = f"/buyer/rfqs/{tender['id']}/award"

    page = await client.get(base)
    assert "1 valid offer answers the current revision; the procedure asks for at least 2." in page.text
    assert 'id="f-proceed"' in page.text
    refused = await post_form(client, f"{base}/evaluate", {"reason": "Only one supplier exists"})
    assert refused.status_code == 422
    assert "Only 1 valid offer(s) arrived; the procedure asks for 2." in refused.text
    no_reason = await post_form(client, f"{base}/evaluate", {"proceed": "yes", "reason": " "})
    assert no_reason.status_code == 422
    assert 'id="e-reason"' in no_reason.text
    assert "Say why you proceed with fewer offers; it is logged." in no_reason.text
    assert await conn.fetchval("SELECT status::text FROM rfq WHERE id = $1", tender["id"]) == "closed"

    proceeded = await post_form(client, f"{base}/evaluate", {"proceed": "yes", "reason": "Only one supplier exists"})
    assert proceeded.status_code == 303
    assert await conn.fetchval("SELECT status::text FROM rfq WHERE id = $1", tender["id"]) == "evaluated"
    logged = await conn.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'rfq.proceed_below_minimum' AND target_id = $1",
        str(tender["id"]),
    )
    assert logged == 1
    reason = await conn.fetchval(
        "SELECT reason FROM rfq_status_history WHERE rfq_id = $1 AND to_status = 'evaluated'", tender["id"]
    )
    assert reason == "Proceeding below the minimum competition: Only one supplier exists"


async def test_another_companys_award_page_is_404(client: httpx.AsyncClient, conn: Connection) -> None:
    _, rfq, bid = await _two_lots(client, conn)
    stranger = await buyer_party(conn)
    await sign_in(client, stranger.company.emails["admin"])
    base = f"/buyer/rfqs/{rfq['id']}/award"
    line1 = rfq["lines"][0]["id"]
    assert (await client.get(base)).status_code == 404
    for path in (base, f"{base}/draft", f"{base}/review", f"{base}/evaluate"):
        r = await post_form(client, path, {f"q-{line1}-{bid['Alpha']}": "100", "justification": "Mine"})
        assert r.status_code == 404, path
        assert "Alpha" not in r.text
