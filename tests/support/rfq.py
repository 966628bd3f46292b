"""Builders for RFQ tests: buyer and vendor companies with API tokens, drafts, published requests, bids.

Deadlines are judged by ``rfq_clock()``; tests move time by freezing it in their own transaction
(``freeze_clock``), which the app under test shares, or by moving an RFQ's deadline into the past.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from marketplace.core.db import Connection
from tests.support.accounts import Company, bearer, make_company, make_token


@dataclass
class Party:
    company: Company
    tokens: dict[str, str]
    """member label → bearer token"""

    def auth(self, label: str = "admin") -> dict[str, str]:
        return bearer(self.tokens[label])

    @property
    def id(self) -> int:
        return self.company.id


BUYING_CENTER = {
    "admin": ["admin"],
    "requester": ["requester"],
    "buyer": ["buyer"],
    "approver": ["approver"],
    "viewer": ["viewer"],
}


async def buyer_party(conn: Connection, *, people: dict[str, list[str]] | None = None, **kw: Any) -> Party:
    people = people or BUYING_CENTER
    company = await make_company(conn, kind="buyer", people=people, **kw)
    tokens = {label: await make_token(conn, company, label, roles=roles) for label, roles in people.items()}
    return Party(company, tokens)


async def vendor_party(conn: Connection, *, name: str | None = None, **kw: Any) -> Party:
    people = {"admin": ["admin"], "sales": ["sales"], "catalog": ["catalog_manager"]}
    company = await make_company(conn, kind="vendor", people=people, name=name, **kw)
    tokens = {label: await make_token(conn, company, label, roles=roles) for label, roles in people.items()}
    return Party(company, tokens)


async def db_now(conn: Connection) -> datetime:
    value: datetime = await conn.fetchval("SELECT clock_timestamp()")
    return value


async def freeze_clock(conn: Connection, at: datetime | None) -> None:
    """Freeze the referee clock for the rest of this test's transaction (None: back to the real clock)."""
    await conn.execute("SELECT set_config('tradeyard.clock', $1, true)", at.isoformat() if at else "")


def rfq_body(
    *,
    kind: str = "rfq",
    closes_in: timedelta = timedelta(days=5),
    now: datetime | None = None,
    lines: int = 2,
    **overrides: Any,
) -> dict[str, Any]:
    base = now or datetime.now(UTC)
    body: dict[str, Any] = {
        "kind": kind,
        "title": f"Bearings for line {lines}",
        "description": "Deep groove ball bearings for the packaging line.",
        "currency": "EUR",
        "closes_at": (base + closes_in).isoformat(),
        "lines": [
            {"description": f"Ball bearing 620{i}-2RS", "quantity": 100 * (i + 1), "unit": "piece"}
            for i in range(lines)
        ],
    }
    body.update(overrides)
    return body


async def create_rfq(client: httpx.AsyncClient, buyer: Party, label: str = "buyer", **kw: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/rfqs", json=rfq_body(**kw), headers=buyer.auth(label))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def move(
    client: httpx.AsyncClient, buyer: Party, rfq_id: int, to: str, label: str = "buyer", reason: str | None = None
) -> httpx.Response:
    return await client.post(
        f"/api/v1/rfqs/{rfq_id}/transitions", json={"to": to, "reason": reason}, headers=buyer.auth(label)
    )


async def published_rfq(client: httpx.AsyncClient, buyer: Party, vendors: list[Party], **kw: Any) -> dict[str, Any]:
    """A published RFQ (or tender) to which ``vendors`` are invited."""
    created = await create_rfq(client, buyer, **kw)
    if vendors:
        r = await client.post(
            f"/api/v1/rfqs/{created['id']}/invitations",
            json={"vendor_ids": [v.id for v in vendors]},
            headers=buyer.auth("buyer"),
        )
        assert r.status_code == 200, r.text
    r = await move(client, buyer, created["id"], "published")
    assert r.status_code == 200, r.text
    return dict(r.json())


def bid_body(
    rfq: dict[str, Any],
    *,
    price: int = 1000,
    lead: int = 10,
    valid_days: int = 60,
    only: list[int] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    lines = [ln for ln in rfq["lines"] if only is None or ln["position"] in only]
    body: dict[str, Any] = {
        "lines": [
            {"line_id": ln["id"], "unit_price_minor": price + ln["position"], "lead_time_days": lead} for ln in lines
        ],
        "valid_until": (datetime.fromisoformat(rfq["closes_at"]) + timedelta(days=valid_days)).date().isoformat(),
    }
    body.update(overrides)
    return body


async def submit(
    client: httpx.AsyncClient,
    vendor: Party,
    rfq: dict[str, Any],
    label: str = "sales",
    key: str | None = None,
    **kw: Any,
) -> httpx.Response:
    headers = vendor.auth(label) | ({"Idempotency-Key": key} if key else {})
    return await client.put(f"/api/v1/vendor/rfqs/{rfq['id']}/bid", json=bid_body(rfq, **kw), headers=headers)


async def pass_deadline(conn: Connection, rfq_id: int) -> None:
    """Move the referee clock past the RFQ's deadline for the rest of this test's transaction."""
    closes_at: datetime = await conn.fetchval("SELECT closes_at FROM rfq WHERE id = $1", rfq_id)
    await freeze_clock(conn, closes_at + timedelta(seconds=1))
