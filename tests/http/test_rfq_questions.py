"""Questions and answers: private until answered, then for every vendor at once, askers only by alias."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from marketplace.core.db import Connection
from tests.support.notices import notifications_of, queued_emails
from tests.support.rfq import Party, buyer_party, freeze_clock, pass_deadline, published_rfq, vendor_party

IDENTIFYING = {"vendor_id", "vendor_name", "asked_by", "answered_by", "company_id", "legal_name"}


async def ask(
    client: httpx.AsyncClient, vendor: Party, rfq: dict[str, Any], body: str = "Sealed type?"
) -> httpx.Response:
    return await client.post(
        f"/api/v1/vendor/rfqs/{rfq['id']}/questions", json={"body": body}, headers=vendor.auth("sales")
    )


async def answer(
    client: httpx.AsyncClient, buyer: Party, rfq: dict[str, Any], qid: int, label: str = "buyer"
) -> httpx.Response:
    return await client.post(
        f"/api/v1/rfqs/{rfq['id']}/questions/{qid}/answer",
        json={"answer": "2RS, both sides."},
        headers=buyer.auth(label),
    )


def assert_anonymous(questions: list[dict[str, Any]], *names: str, text: str) -> None:
    for q in questions:
        assert not IDENTIFYING & set(q), q
        assert q["alias"].startswith("Bidder ")
    for name in names:
        assert name not in text


async def test_question_is_private_until_answered_then_everyone_reads_it_by_alias(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    v1, v2 = await vendor_party(conn, name="Alpha Bearings"), await vendor_party(conn, name="Beta Bearings")
    rfq = await published_rfq(client, buyer, [v1, v2])

    asked = await ask(client, v1, rfq)
    assert asked.status_code == 201, asked.text
    q1 = asked.json()
    assert_anonymous([q1], "Alpha Bearings", text=asked.text)
    assert (q1["mine"], q1["answer"]) == (True, None)

    # Private: the other vendor neither lists it nor reaches it by guessing its id.
    assert (await client.get(f"/api/v1/vendor/rfqs/{rfq['id']}/questions", headers=v2.auth("sales"))).json() == []
    guessed = await client.get(f"/api/v1/vendor/rfqs/{rfq['id']}/questions/{q1['id']}", headers=v2.auth("sales"))
    assert guessed.status_code == 404
    assert guessed.headers["content-type"].startswith("application/problem+json")
    mine = await client.get(f"/api/v1/vendor/rfqs/{rfq['id']}/questions/{q1['id']}", headers=v1.auth("sales"))
    assert mine.status_code == 200
    assert mine.json()["mine"] is True

    # The buyer sees every question, but not who asked.
    listed = await client.get(f"/api/v1/rfqs/{rfq['id']}/questions", headers=buyer.auth("buyer"))
    assert [q["id"] for q in listed.json()] == [q1["id"]]
    assert_anonymous(listed.json(), "Alpha Bearings", "Beta Bearings", text=listed.text)

    # Stable alias within the RFQ.
    again = (await ask(client, v1, rfq, "And the cage material?")).json()
    assert again["alias"] == q1["alias"]

    # Only buyers and admins answer; another company gets 404.
    assert (await answer(client, buyer, rfq, q1["id"], "viewer")).status_code == 403
    assert (await answer(client, v2, rfq, q1["id"], "admin")).status_code == 404
    answered = await answer(client, buyer, rfq, q1["id"])
    assert answered.status_code == 200, answered.text
    assert (await answer(client, buyer, rfq, q1["id"])).status_code == 409

    seen = await client.get(f"/api/v1/vendor/rfqs/{rfq['id']}/questions", headers=v2.auth("sales"))
    assert [(q["id"], q["answer"], q["mine"]) for q in seen.json()] == [(q1["id"], "2RS, both sides.", False)]
    assert seen.json()[0]["alias"] == q1["alias"]
    assert_anonymous(seen.json(), "Alpha Bearings", text=seen.text)

    # Every participant hears about the answer, in-app and by email; no content beyond the title.
    for vendor in (v1, v2):
        notes = await notifications_of(conn, vendor.id, "rfq.question_answered")
        assert {n["user_id"] for n in notes} == {vendor.company.users["admin"], vendor.company.users["sales"]}
    emails = [e for e in await queued_emails(conn) if e.subject.startswith("Question answered")]
    assert {e.to for e in emails} == {v2.company.emails["admin"], v2.company.emails["sales"]} | {
        v1.company.emails["admin"],
        v1.company.emails["sales"],
    }
    assert all("Alpha" not in e.text and "2RS" not in e.text for e in emails)


async def test_alias_differs_across_requests(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer = await buyer_party(conn)
    v1 = await vendor_party(conn)
    first = await published_rfq(client, buyer, [v1])
    second = await published_rfq(client, buyer, [v1])
    a1 = (await ask(client, v1, first)).json()["alias"]
    a2 = (await ask(client, v1, second)).json()["alias"]
    assert a1 != a2


async def test_a_question_after_the_question_deadline_is_refused(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer = await buyer_party(conn)
    v1 = await vendor_party(conn)
    rfq = await published_rfq(client, buyer, [v1])
    closes = datetime.fromisoformat(rfq["questions_close_at"])

    await freeze_clock(conn, closes - timedelta(microseconds=1))
    assert (await ask(client, v1, rfq)).status_code == 201
    await freeze_clock(conn, closes)
    late = await ask(client, v1, rfq)
    assert late.status_code == 422
    assert late.json()["code"] == "rfq.questions_closed"
    assert late.json()["errors"][0]["field"] == "body"


async def test_unanswered_questions_block_closing_a_tender(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer = await buyer_party(conn)
    v1 = await vendor_party(conn)
    tender = await published_rfq(client, buyer, [v1], kind="tender")
    qid = (await ask(client, v1, tender)).json()["id"]

    await pass_deadline(conn, tender["id"])
    held = await client.get(f"/api/v1/rfqs/{tender['id']}", headers=buyer.auth("buyer"))
    assert (held.json()["status"], held.json()["closes_at"]) == ("published", tender["closes_at"])

    assert (await answer(client, buyer, tender, qid)).status_code == 200
    closed = await client.get(f"/api/v1/rfqs/{tender['id']}", headers=buyer.auth("buyer"))
    assert closed.json()["status"] == "closed"


async def test_unanswered_questions_extend_an_rfq_deadline(client: httpx.AsyncClient, conn: Connection) -> None:
    buyer = await buyer_party(conn)
    v1 = await vendor_party(conn)
    rfq = await published_rfq(client, buyer, [v1])
    await ask(client, v1, rfq)

    await pass_deadline(conn, rfq["id"])
    now: datetime = await conn.fetchval("SELECT rfq_clock()")
    got = (await client.get(f"/api/v1/rfqs/{rfq['id']}", headers=buyer.auth("buyer"))).json()
    assert got["status"] == "published"
    assert datetime.fromisoformat(got["closes_at"]) == now + timedelta(hours=24)
    notes = await notifications_of(conn, v1.id, "rfq.deadline_extended")
    assert notes
