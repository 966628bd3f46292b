"""SQL of bids and their versions, scores and awards. No statement here touches the ``rfq`` row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from marketplace.core.db import Connection
from rfq.models import (
    Bid,
    BidContent,
    BidVersion,
)

# --- bids -----------------------------------------------------------------------------------------------

BID_COLUMNS = """b.id, b.rfq_id, b.vendor_id, b.status, b.rfq_revision, b.current_version, b.turn, b.round,
    b.respond_by, b.shortlisted, b.created_at"""

CREATE_BID = """
INSERT INTO bid (rfq_id, vendor_id, rfq_revision, current_version, turn)
VALUES ($1, $2, $3, 0, 'vendor')
ON CONFLICT ON CONSTRAINT bid_one_per_vendor DO NOTHING
"""
LOCK_BID = f"SELECT {BID_COLUMNS} FROM bid b WHERE b.rfq_id = $1 AND b.vendor_id = $2 FOR UPDATE"


async def lock_or_create_bid(conn: Connection, rfq_id: int, *, vendor_id: int, revision: int) -> Bid:
    """The vendor's one bid on this RFQ, locked; concurrent first submissions create exactly one."""
    await conn.execute(CREATE_BID, rfq_id, vendor_id, revision)
    row = await conn.fetchrow(LOCK_BID, rfq_id, vendor_id)
    assert row is not None
    return Bid(**dict(row))


GET_OWN_BID = f"SELECT {BID_COLUMNS} FROM bid b WHERE b.rfq_id = $1 AND b.vendor_id = $2"


async def get_own_bid(conn: Connection, rfq_id: int, *, vendor_id: int, lock: bool = False) -> Bid | None:
    row = await conn.fetchrow(GET_OWN_BID + (" FOR UPDATE" if lock else ""), rfq_id, vendor_id)
    return Bid(**dict(row)) if row else None


GET_BID_OF_RFQ = f"SELECT {BID_COLUMNS} FROM bid b WHERE b.id = $1 AND b.rfq_id = $2"


async def get_bid_of_rfq(conn: Connection, bid_id: int, rfq_id: int, *, lock: bool = False) -> Bid | None:
    row = await conn.fetchrow(GET_BID_OF_RFQ + (" FOR UPDATE" if lock else ""), bid_id, rfq_id)
    return Bid(**dict(row)) if row else None


LIST_BIDS = f"""
SELECT {BID_COLUMNS}, c.legal_name AS vendor_name
FROM bid b JOIN company c ON c.id = b.vendor_id
WHERE b.rfq_id = $1 ORDER BY b.id
"""


async def list_bids(conn: Connection, rfq_id: int) -> list[tuple[Bid, str]]:
    rows = await conn.fetch(LIST_BIDS, rfq_id)
    return [(Bid(**{k: r[k] for k in Bid.__struct_fields__}), r["vendor_name"]) for r in rows]


FIND_BY_IDEMPOTENCY_KEY = """
SELECT version, submitted_at, content_sha256 FROM bid_version WHERE bid_id = $1 AND idempotency_key = $2
"""


async def find_version_by_key(conn: Connection, bid_id: int, key: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(FIND_BY_IDEMPOTENCY_KEY, bid_id, key)
    return dict(row) if row else None


# The deadline is judged here, on the referee clock, in the statement that writes the version (and again
# at commit by the bid_version_on_time trigger): no row comes back when the bid is late.
INSERT_VERSION = """
INSERT INTO bid_version (bid_id, version, author, round, rfq_revision, submitted_by, submitted_at, opens_at,
                         content, sealed, content_sha256, idempotency_key, note)
SELECT $1, $2, $3, $4, $5, $6, rfq_clock(), $7, $8, $9, $10, $11, $12
WHERE $3 = 'buyer' OR rfq_clock() < $7
RETURNING submitted_at
"""


async def insert_version(conn: Connection, **f: Any) -> datetime | None:
    """Insert a bid version stamped with the referee clock; None if it arrived at or after ``opens_at``."""
    value: datetime | None = await conn.fetchval(
        INSERT_VERSION,
        f["bid_id"],
        f["version"],
        f["author"],
        f["round"],
        f["rfq_revision"],
        f["submitted_by"],
        f["opens_at"],
        f.get("content"),
        f.get("sealed"),
        f["content_sha256"],
        f.get("idempotency_key"),
        f.get("note"),
    )
    return value


UPDATE_BID = """
UPDATE bid SET status = $2, current_version = $3, rfq_revision = $4, turn = $5, round = $6, respond_by = $7,
    shortlisted = $8
WHERE id = $1
"""


async def update_bid(conn: Connection, bid: Bid) -> None:
    await conn.execute(
        UPDATE_BID,
        bid.id,
        bid.status,
        bid.current_version,
        bid.rfq_revision,
        bid.turn,
        bid.round,
        bid.respond_by,
        bid.shortlisted,
    )


INSERT_BID_HISTORY = """
INSERT INTO bid_status_history (bid_id, from_status, to_status, actor_user_id, reason) VALUES ($1, $2, $3, $4, $5)
"""


async def insert_bid_history(
    conn: Connection, bid_id: int, source: str | None, target: str, user_id: int | None, reason: str | None
) -> None:
    await conn.execute(INSERT_BID_HISTORY, bid_id, source, target, user_id, reason)


# Versions a reader may open: all for the vendor that owns the bid; for anyone else only those whose
# deadline has passed on the referee clock (or that were never sealed).
LIST_VERSIONS = """
SELECT v.id, v.bid_id, v.version, v.author, v.round, v.rfq_revision, v.submitted_by, v.submitted_at, v.opens_at,
       v.content_sha256, v.note, v.content, v.sealed
FROM bid_version v JOIN bid b ON b.id = v.bid_id
WHERE v.bid_id = any($1::bigint[])
  AND (b.vendor_id = $2 OR v.sealed IS NULL OR rfq_clock() >= v.opens_at)
ORDER BY v.bid_id, v.version
"""


async def list_readable_versions(
    conn: Connection, bid_ids: Sequence[int], *, reader_vendor_id: int | None
) -> list[tuple[BidVersion, bytes | None, Any]]:
    """Versions with (record without content, sealed bytes, plaintext content json)."""
    rows = await conn.fetch(LIST_VERSIONS, list(bid_ids), reader_vendor_id if reader_vendor_id is not None else -1)
    out = []
    for r in rows:
        data = {k: r[k] for k in BidVersion.__struct_fields__ if k not in ("content", "target_prices")}
        out.append((BidVersion(**data, content=None), r["sealed"], r["content"]))
    return out


def plain_content(value: Any) -> BidContent:
    return msgspec.convert(value, BidContent)


COUNT_VALID_BIDS = """
SELECT count(*) FROM bid b JOIN rfq r ON r.id = b.rfq_id
WHERE b.rfq_id = $1 AND b.status = 'submitted' AND b.rfq_revision = r.revision AND b.current_version >= 1
"""


async def count_valid_bids(conn: Connection, rfq_id: int) -> int:
    return int(await conn.fetchval(COUNT_VALID_BIDS, rfq_id))


MARK_NEEDS_RECONFIRMATION = """
WITH changed AS (
    UPDATE bid SET status = 'needs_reconfirmation' WHERE rfq_id = $1 AND status = 'submitted' AND rfq_revision < $2
    RETURNING id
)
INSERT INTO bid_status_history (bid_id, from_status, to_status, actor_user_id, reason)
SELECT id, 'submitted', 'needs_reconfirmation', $3, $4 FROM changed
RETURNING bid_id
"""


async def mark_needs_reconfirmation(conn: Connection, rfq_id: int, *, revision: int, user_id: int, reason: str) -> int:
    return len(await conn.fetch(MARK_NEEDS_RECONFIRMATION, rfq_id, revision, user_id, reason))


UNANSWERED_QUESTIONS = "SELECT count(*) FROM rfq_question WHERE rfq_id = $1 AND answered_at IS NULL"


async def count_unanswered(conn: Connection, rfq_id: int) -> int:
    return int(await conn.fetchval(UNANSWERED_QUESTIONS, rfq_id))


DUE_FOR_CLOSING = """
SELECT r.id, r.buyer_id FROM rfq r
WHERE r.status = 'published' AND r.next_check IS NOT NULL AND r.next_check <= rfq_clock()
ORDER BY r.next_check, r.id
LIMIT $1
FOR UPDATE SKIP LOCKED
"""


async def lock_due_for_closing(conn: Connection, limit: int) -> list[tuple[int, int]]:
    return [(r["id"], r["buyer_id"]) for r in await conn.fetch(DUE_FOR_CLOSING, limit)]


PASSED = "SELECT rfq_clock() >= $1::timestamptz"


async def has_passed(conn: Connection, instant: datetime) -> bool:
    """Whether ``instant`` is now or in the past on the referee clock."""
    return bool(await conn.fetchval(PASSED, instant))


CLOCK = "SELECT rfq_clock()"


async def clock(conn: Connection) -> datetime:
    value: datetime = await conn.fetchval(CLOCK)
    return value


PARTICIPANTS = """
SELECT DISTINCT vendor_id FROM (
    SELECT i.vendor_id FROM rfq_invitation i JOIN company c ON c.id = i.vendor_id AND c.status = 'verified'
    WHERE i.rfq_id = $1 AND i.status <> 'declined'
    UNION SELECT vendor_id FROM bid WHERE rfq_id = $1
    UNION SELECT vendor_id FROM rfq_question WHERE rfq_id = $1
) v
"""


async def participant_vendor_ids(conn: Connection, rfq_id: int) -> list[int]:
    """Vendors that take part: invited (verified, and not declined), bidding, or asking."""
    return [r["vendor_id"] for r in await conn.fetch(PARTICIPANTS, rfq_id)]


VENDOR_NAMES = "SELECT id, legal_name FROM company WHERE id = any($1::bigint[])"


async def company_names(conn: Connection, ids: Sequence[int]) -> dict[int, str]:
    return {r["id"]: r["legal_name"] for r in await conn.fetch(VENDOR_NAMES, list(ids))}


# --- scores and awards ----------------------------------------------------------------------------------

UPSERT_SCORE = """
INSERT INTO bid_score (bid_id, criterion, score, scored_by) VALUES ($1, $2, $3, $4)
ON CONFLICT (bid_id, criterion) DO UPDATE SET score = EXCLUDED.score, scored_by = EXCLUDED.scored_by, scored_at = now()
"""


async def set_score(conn: Connection, bid_id: int, criterion: str, score: int, user_id: int) -> None:
    await conn.execute(UPSERT_SCORE, bid_id, criterion, score, user_id)


LIST_SCORES = """
SELECT s.bid_id, s.criterion, s.score FROM bid_score s JOIN bid b ON b.id = s.bid_id WHERE b.rfq_id = $1
"""


async def list_scores(conn: Connection, rfq_id: int) -> dict[int, dict[str, int]]:
    scores: dict[int, dict[str, int]] = {}
    for r in await conn.fetch(LIST_SCORES, rfq_id):
        scores.setdefault(r["bid_id"], {})[r["criterion"]] = r["score"]
    return scores


INSERT_AWARD = """
INSERT INTO award (rfq_id, justification, decided_by, final_at, evaluation)
VALUES ($1, $2, $3, rfq_clock() + make_interval(hours => $4), $5)
RETURNING id, decided_at, final_at
"""


async def insert_award(
    conn: Connection, rfq_id: int, *, justification: str, decided_by: int, standstill_hours: int, evaluation: Any
) -> dict[str, Any]:
    row = await conn.fetchrow(INSERT_AWARD, rfq_id, justification, decided_by, standstill_hours, evaluation)
    assert row is not None
    return dict(row)


INSERT_AWARD_LINES = """
INSERT INTO award_line (award_id, rfq_id, line_id, bid_id, vendor_id, bid_version, quantity, currency, unit_price_minor,
                        price_basis, line_total_minor, lead_time_days)
SELECT $1, $2, x.line_id, x.bid_id, x.vendor_id, x.version, x.quantity, $3, x.price, x.basis, x.total, x.lead
FROM unnest($4::bigint[], $5::bigint[], $6::bigint[], $7::int[], $8::bigint[], $9::bigint[], $10::int[], $11::bigint[],
            $12::int[]) AS x(line_id, bid_id, vendor_id, version, quantity, price, basis, total, lead)
"""


async def insert_award_lines(
    conn: Connection, award_id: int, rfq_id: int, currency: str, lines: Sequence[dict[str, Any]]
) -> None:
    keys = (
        "line_id",
        "bid_id",
        "vendor_id",
        "bid_version",
        "quantity",
        "unit_price_minor",
        "price_basis",
        "line_total_minor",
        "lead_time_days",
    )
    await conn.execute(INSERT_AWARD_LINES, award_id, rfq_id, currency, *[[ln[k] for ln in lines] for k in keys])


GET_AWARD = """
SELECT id, rfq_id, justification, decided_by, decided_at, final_at, evaluation FROM award WHERE rfq_id = $1
"""
LIST_AWARD_LINES = """
SELECT a.line_id, a.bid_id, a.vendor_id, c.legal_name AS vendor_name, a.bid_version, a.quantity, a.currency,
       a.unit_price_minor, a.price_basis, a.line_total_minor, a.lead_time_days
FROM award_line a JOIN company c ON c.id = a.vendor_id JOIN rfq_line l ON l.id = a.line_id
WHERE a.award_id = $1 AND ($2::bigint IS NULL OR a.vendor_id = $2)
ORDER BY l.position, a.id
"""


async def get_award(conn: Connection, rfq_id: int, *, vendor_id: int | None = None) -> dict[str, Any] | None:
    """The award and its lines (only this vendor's lines when ``vendor_id`` is given)."""
    row = await conn.fetchrow(GET_AWARD, rfq_id)
    if row is None:
        return None
    lines = [dict(r) for r in await conn.fetch(LIST_AWARD_LINES, row["id"], vendor_id)]
    return {**dict(row), "lines": lines}
