"""The buyer's comparison page and CSV: sealed until the deadline, then the table, scores, flags and export."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from typing import Any

import httpx

from marketplace.core.db import Connection
from tests.support.accounts import post_form, sign_in
from tests.support.html import table_rows
from tests.support.rfq import (
    Party,
    buyer_party,
    freeze_clock,
    move,
    pass_deadline,
    published_rfq,
    submit,
    vendor_party,
)

CRITERIA = [
    {"code": "price", "label": "Price", "weight": 70},
    {"code": "lead_time", "label": "Lead time", "weight": 10},
    {"code": "quality", "label": "Quality", "weight": 20},
]


def vendor_order(html: str) -> list[str]:
    return re.findall(r'<span class="vendor-name">([^<]*)</span>', html)


async def _tender_with_offers(client: httpx.AsyncClient, conn: Connection) -> tuple[Party, dict[str, Any]]:
    buyer = await buyer_party(conn)
    names = ["Alpha Bearings", "Beta Bearings", "=Cheap Bearings", "Delta Partial"]
    vendors = [await vendor_party(conn, name=name) for name in names]
    tender = await published_rfq(client, buyer, vendors, kind="tender", criteria=CRITERIA)
    offers = [
        submit(client, vendors[0], tender, price=1000, lead=10),
        submit(client, vendors[1], tender, price=1100, lead=5, delivery_cost_minor=2500),
        submit(client, vendors[2], tender, price=100, lead=20),
        submit(client, vendors[3], tender, price=900, lead=3, only=[1]),
    ]
    for pending in offers:
        r = await pending
        assert r.status_code == 201, r.text
    await sign_in(client, buyer.company.emails["buyer"])
    return buyer, tender


async def test_sealed_tender_shows_nothing_before_the_deadline(client: httpx.AsyncClient, conn: Connection) -> None:
    _, tender = await _tender_with_offers(client, conn)
    page = await client.get(f"/buyer/rfqs/{tender['id']}/compare")
    assert page.status_code == 200
    assert 'id="sealed"' in page.text
    for secret in ("Alpha Bearings", "€3,005.00", "comparison-table", "Download CSV"):
        assert secret not in page.text
    exported = await client.get(f"/buyer/rfqs/{tender['id']}/compare.csv")
    assert exported.status_code == 200
    assert len(list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))) == 1  # the header only


async def test_after_the_deadline_the_buyer_compares_scores_and_exports(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer, tender = await _tender_with_offers(client, conn)
    await pass_deadline(conn, tender["id"])
    bids = (await client.get(f"/api/v1/rfqs/{tender['id']}/bids", headers=buyer.auth("buyer"))).json()
    bid_of = {b["vendor_name"]: b["bid_id"] for b in bids}
    scored = await client.put(
        f"/api/v1/rfqs/{tender['id']}/bids/{bid_of['Alpha Bearings']}/scores",
        json={"scores": {"quality": 80}},
        headers=buyer.auth("buyer"),
    )
    assert scored.status_code == 200, scored.text

    page = await client.get(f"/buyer/rfqs/{tender['id']}/compare")
    assert page.status_code == 200, page.text
    assert page.headers["vary"] == "HX-Request"
    html = page.text
    rows = table_rows(html, "comparison-table")
    header = rows[0]
    # Complete offers by total landed cost (30,500 < 300,500 < 333,000), the partial one last.
    assert vendor_order(html) == [
        "=Cheap Bearings", "Alpha Bearings", "Beta Bearings", "Delta Partial",
    ]  # fmt: skip
    assert "Abnormally low" in header[1]
    assert "1 of 2 lines" in header[4]
    by_label = {r[0]: r[1:] for r in rows[1:]}
    assert by_label["Total landed cost"] == ["€305.00", "€3,005.00", "€3,330.00", "€901.00"]
    assert by_label["Delivery"][2] == "€25.00"
    line_1 = rows[1]
    assert "Best value" in line_1[1]
    assert "Best value" not in line_1[4]  # the partial offer is dearer on line 1
    assert "Not offered" in rows[2][4]
    assert 'id="abnormally-low"' in html
    assert "=Cheap Bearings</strong>: €305.00" in html

    scores = table_rows(html, "scores")
    assert scores[0] == ["Rank", "Vendor", "Price (70 %)", "Lead time (10 %)", "Quality (20 %)", "Total"]
    ranked = {r[1].split(" The bid")[0]: r for r in scores[1:]}
    assert ranked["Alpha Bearings"][0] == "#2"
    assert ranked["Alpha Bearings"][4] == "80.00 → 16.00"
    assert ranked["Beta Bearings"][4] == "not scored"
    assert ranked["Delta Partial"][0] == "—"
    assert "covers 1 of 2 lines" in ranked["Delta Partial"][1]
    assert '<svg viewBox="0 0 720' in html
    assert 'href="/buyer/rfqs/{}/compare.csv?sort=total"'.format(tender["id"]) in html

    by_vendor = await client.get(f"/buyer/rfqs/{tender['id']}/compare", params={"sort": "vendor", "order": "desc"})
    assert vendor_order(by_vendor.text) == ["Delta Partial", "Beta Bearings", "Alpha Bearings", "=Cheap Bearings"]

    fragment = await client.get(
        f"/buyer/rfqs/{tender['id']}/compare",
        params={"sort": "lead_time"},
        headers={"HX-Request": "true", "HX-Target": "comparison"},
    )
    assert "<html" not in fragment.text
    assert fragment.headers["hx-push-url"] == f"/buyer/rfqs/{tender['id']}/compare?sort=lead_time&order=asc"
    assert vendor_order(fragment.text) == ["Delta Partial", "Beta Bearings", "Alpha Bearings", "=Cheap Bearings"]

    exported = await client.get(f"/buyer/rfqs/{tender['id']}/compare.csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"), newline="")))
    assert len(table) == 1 + 2 * 4 + 4
    assert table[1][4] == "'=Cheap Bearings"  # formula injection defused


async def test_another_company_cannot_see_the_comparison(client: httpx.AsyncClient, conn: Connection) -> None:
    _, tender = await _tender_with_offers(client, conn)
    await pass_deadline(conn, tender["id"])
    stranger = await buyer_party(conn)
    await sign_in(client, stranger.company.emails["buyer"])
    assert (await client.get(f"/buyer/rfqs/{tender['id']}/compare")).status_code == 404
    assert (await client.get(f"/buyer/rfqs/{tender['id']}/compare.csv")).status_code == 404


async def test_rfq_quotes_compare_as_they_arrive_and_an_expired_quote_wins_nothing(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    short, long = await vendor_party(conn, name="Short Validity"), await vendor_party(conn, name="Long Validity")
    rfq = await published_rfq(client, buyer, [short, long])
    assert (await submit(client, short, rfq, price=500, valid_days=1)).status_code == 201
    assert (await submit(client, long, rfq, price=900, valid_days=60)).status_code == 201
    await sign_in(client, buyer.company.emails["viewer"])

    open_page = await client.get(f"/buyer/rfqs/{rfq['id']}/compare")
    assert open_page.status_code == 200
    assert vendor_order(open_page.text) == ["Short Validity", "Long Validity"]  # visible before the deadline
    assert "Best value" in table_rows(open_page.text, "comparison-table")[1][1]
    assert "Total landed cost per vendor" in open_page.text  # plain RFQs chart the cost

    await freeze_clock(conn, datetime.fromisoformat(rfq["closes_at"]) + timedelta(days=3))
    later = await client.get(f"/buyer/rfqs/{rfq['id']}/compare")
    rows = table_rows(later.text, "comparison-table")
    assert "Expired" in rows[0][1]
    assert "Best value" not in rows[1][1]
    assert "Best value" in rows[1][2]
    scores = {r[1].split(" The quote")[0]: r for r in table_rows(later.text, "scores")[1:]}
    assert scores["Long Validity"][0] == "#1"
    assert "The quote expired on" in scores["Short Validity"][1]


def _csrf_headers(client: httpx.AsyncClient, **extra: str) -> dict[str, str]:
    return {"x-csrftoken": client.cookies.get("ty_csrf") or "", **extra}


HTMX = {"HX-Request": "true", "HX-Target": "evaluation"}


async def test_the_buyer_scores_offers_on_the_compare_page(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer, tender = await _tender_with_offers(client, conn)
    await pass_deadline(conn, tender["id"])
    bids = (await client.get(f"/api/v1/rfqs/{tender['id']}/bids", headers=buyer.auth("buyer"))).json()
    bid_of = {b["vendor_name"]: b["bid_id"] for b in bids}
    alpha, beta = bid_of["Alpha Bearings"], bid_of["Beta Bearings"]
    url = f"/buyer/rfqs/{tender['id']}/compare/scores"

    page = await client.get(f"/buyer/rfqs/{tender['id']}/compare")
    for bid in bid_of.values():
        assert f'id="score-form-{bid}"' in page.text
        assert f'<label for="f-s-{bid}-quality">Quality' in page.text
    assert f'name="s-{alpha}-price"' not in page.text  # price and lead time are computed, not scored
    assert f'hx-post="{url}/{alpha}"' in page.text

    # htmx: the evaluation comes back re-ranked, the comparison table out of band, focus on the saved form.
    saved = await client.post(
        f"{url}/{alpha}", data={f"s-{alpha}-quality": "90", "sort": "vendor"}, headers=_csrf_headers(client, **HTMX)
    )
    assert saved.status_code == 200, saved.text[:2000]
    assert "<html" not in saved.text
    assert saved.text.lstrip().startswith('<section aria-labelledby="scores-h" id="evaluation">')
    ranked = {r[1].split(" The bid")[0]: r for r in table_rows(saved.text, "scores")[1:]}
    assert ranked["Alpha Bearings"][4] == "90.00 → 18.00"
    assert 'id="comparison" hx-swap-oob="true"' in saved.text
    assert vendor_order(saved.text)[0] == "=Cheap Bearings"  # sorted as the page was: by vendor, "=" first
    assert 'id="score-saved"' in saved.text
    alpha_form = saved.text.split(f'id="score-form-{alpha}"')[1].split("</form>")[0]
    assert re.search(r"<button[^>]*autofocus", alpha_form)  # keyboard focus stays on the form just saved
    assert 'value="90"' in re.search(rf'<input id="f-s-{alpha}-quality"[^>]*>', saved.text).group(0)  # type: ignore[union-attr]

    # Out of range: the service's rule, next to the field; htmx swaps the 422 in (data-swap-invalid).
    bad = await client.post(f"{url}/{beta}", data={f"s-{beta}-quality": "150"}, headers=_csrf_headers(client, **HTMX))
    assert bad.status_code == 422
    assert "<html" not in bad.text
    assert f'<small id="e-s-{beta}-quality" class="field-error">A score is 0 to 100.</small>' in bad.text
    field = re.search(rf'<input id="f-s-{beta}-quality"[^>]*>', bad.text).group(0)  # type: ignore[union-attr]
    assert 'aria-invalid="true"' in field
    assert 'value="150"' in field
    assert "autofocus" in field
    assert "data-swap-invalid" in bad.text
    ranked = {r[1].split(" The bid")[0]: r for r in table_rows(bad.text, "scores")[1:]}
    assert ranked["Beta Bearings"][4] == "not scored"

    # Without JavaScript: a redirect back to the page (kept sorted), or the page with the message.
    typed = await post_form(client, f"{url}/{beta}", {f"s-{beta}-quality": "good"})
    assert typed.status_code == 422
    assert "<html" in typed.text
    assert f'id="e-s-{beta}-quality"' in typed.text
    assert "Enter a whole number from 0 to 100." in typed.text
    empty = await post_form(client, f"{url}/{beta}", {f"s-{beta}-quality": " "})
    assert empty.status_code == 422
    assert "Enter at least one score." in empty.text
    plain = await post_form(client, f"{url}/{beta}", {f"s-{beta}-quality": "75", "sort": "score", "order": "desc"})
    assert plain.status_code == 303
    assert plain.headers["location"] == (
        f"/buyer/rfqs/{tender['id']}/compare?sort=score&order=desc&scored={beta}#score-form-{beta}"
    )
    after = await client.get(plain.headers["location"].split("#")[0])
    ranked = {r[1].split(" The bid")[0]: r for r in table_rows(after.text, "scores")[1:]}
    assert ranked["Beta Bearings"][4] == "75.00 → 15.00"
    assert "Saved; the ranking is up to date." in after.text
    stored = await conn.fetch("SELECT bid_id, score FROM bid_score WHERE bid_id = any($1::bigint[])", [alpha, beta])
    assert sorted((r["bid_id"], r["score"]) for r in stored) == sorted([(alpha, 90), (beta, 75)])


async def test_only_buyers_approvers_and_admins_score_and_only_in_evaluation(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer, tender = await _tender_with_offers(client, conn)
    bids = (await client.get(f"/api/v1/rfqs/{tender['id']}/bids", headers=buyer.auth("buyer"))).json()
    assert bids == []  # sealed until the deadline
    some_bid = await conn.fetchval("SELECT min(id) FROM bid WHERE rfq_id = $1", tender["id"])
    url = f"/buyer/rfqs/{tender['id']}/compare/scores/{some_bid}"
    # Before the deadline there is nothing to score: the sealed offer does not exist for the page.
    assert (await post_form(client, url, {f"s-{some_bid}-quality": "50"})).status_code == 404

    await pass_deadline(conn, tender["id"])
    await sign_in(client, buyer.company.emails["requester"])
    page = await client.get(f"/buyer/rfqs/{tender['id']}/compare")
    assert 'id="scoring-read-only"' in page.text
    assert "score-form-" not in page.text
    refused = await post_form(client, url, {f"s-{some_bid}-quality": "50"})
    assert refused.status_code == 403
    assert "Your role may not score offers." in refused.text
    assert await conn.fetchval("SELECT count(*) FROM bid_score WHERE bid_id = $1", some_bid) == 0

    await sign_in(client, buyer.company.emails["approver"])
    assert f'id="score-form-{some_bid}"' in (await client.get(f"/buyer/rfqs/{tender['id']}/compare")).text
    assert (await move(client, buyer, tender["id"], "cancelled", reason="Budget withdrawn")).status_code == 200
    closed = await client.get(f"/buyer/rfqs/{tender['id']}/compare")
    assert "Scoring is closed: the request is cancelled." in closed.text


async def test_scoring_through_the_api_applies_a_passed_deadline_first(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer, tender = await _tender_with_offers(client, conn)
    await pass_deadline(conn, tender["id"])  # nobody has read the tender since: it is still 'published' in the table
    bid = await conn.fetchval("SELECT min(id) FROM bid WHERE rfq_id = $1", tender["id"])
    scored = await client.put(
        f"/api/v1/rfqs/{tender['id']}/bids/{bid}/scores", json={"scores": {"quality": 60}}, headers=buyer.auth("buyer")
    )
    assert scored.status_code == 200, scored.text
    assert scored.json() == {str(bid): {"quality": 60}}
    assert await conn.fetchval("SELECT status::text FROM rfq WHERE id = $1", tender["id"]) == "closed"
