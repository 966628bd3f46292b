"""SQL of questions and answers, amendments, and the time-driven notices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marketplace.core.db import Connection
from rfq.models import (
    Amendment,
    Question,
    Rfq,
)
from rfq.repository.rfqs import RFQ_COLUMNS, rfq_from

# --- questions and answers ------------------------------------------------------------------------------

QUESTION_COLUMNS = "q.id, q.rfq_id, q.alias, q.line_id, q.body, q.asked_at, q.answer, q.answered_at"


def question_from(row: Any) -> Question:
    return Question(**{k: row[k] for k in Question.__struct_fields__})


INSERT_QUESTION = f"""
WITH q AS (
    INSERT INTO rfq_question (rfq_id, vendor_id, asked_by, alias, line_id, body, asked_at)
    VALUES ($1, $2, $3, $4, $5, $6, rfq_clock())
    RETURNING *
)
SELECT {QUESTION_COLUMNS}, true AS mine FROM q
"""


async def insert_question(
    conn: Connection, rfq_id: int, *, vendor_id: int, asked_by: int, alias: str, line_id: int | None, body: str
) -> Question:
    row = await conn.fetchrow(INSERT_QUESTION, rfq_id, vendor_id, asked_by, alias, line_id, body)
    return question_from(row)


# A vendor reads its own questions (answered or not) and every answered one; the buyer reads all ($2 NULL).
LIST_QUESTIONS = f"""
SELECT {QUESTION_COLUMNS}, coalesce(q.vendor_id = $2, false) AS mine
FROM rfq_question q
WHERE q.rfq_id = $1 AND ($2::bigint IS NULL OR q.vendor_id = $2 OR q.answered_at IS NOT NULL)
  AND ($3::bigint IS NULL OR q.id = $3)
ORDER BY q.id
"""


async def list_questions(
    conn: Connection, rfq_id: int, *, reader_vendor_id: int | None, question_id: int | None = None
) -> list[Question]:
    """Questions of one RFQ as a reader may see them (``reader_vendor_id`` None: the buyer, who sees all)."""
    return [question_from(r) for r in await conn.fetch(LIST_QUESTIONS, rfq_id, reader_vendor_id, question_id)]


ANSWER_QUESTION = f"""
WITH q AS (
    UPDATE rfq_question SET answer = $3, answered_by = $4, answered_at = rfq_clock()
    WHERE id = $2 AND rfq_id = $1 AND answered_at IS NULL
    RETURNING *
)
SELECT {QUESTION_COLUMNS}, false AS mine FROM q
"""


async def answer_question(
    conn: Connection, rfq_id: int, question_id: int, *, answer: str, user_id: int
) -> Question | None:
    """Answer an unanswered question once; None when it is not this RFQ's or already answered."""
    row = await conn.fetchrow(ANSWER_QUESTION, rfq_id, question_id, answer, user_id)
    return question_from(row) if row else None


# --- amendments -----------------------------------------------------------------------------------------

AMEND_RFQ = f"""
WITH r AS (
    UPDATE rfq SET title = $3, description = $4, closes_at = $5, questions_close_at = $6, revision = revision + 1,
        next_check = $5, version = version + 1, updated_at = now()
    WHERE id = $1 AND version = $2 AND status = 'published'
    RETURNING *
)
SELECT {RFQ_COLUMNS} FROM r
"""


async def amend_rfq(
    conn: Connection,
    rfq_id: int,
    *,
    version: int,
    title: str,
    description: str,
    closes_at: datetime,
    questions_close_at: datetime,
) -> Rfq | None:
    """Compare-and-set on version: the new public fields and the next revision; None if changed meanwhile."""
    row = await conn.fetchrow(AMEND_RFQ, rfq_id, version, title, description, closes_at, questions_close_at)
    return rfq_from(row) if row else None


INSERT_LINE = """
INSERT INTO rfq_line (rfq_id, position, description, quantity, unit, required_by, delivery_address_id,
                      target_price_minor, target_price_basis)
SELECT $1, coalesce(max(position), 0) + 1, $2, $3, $4, $5, $6, $7, $8 FROM rfq_line WHERE rfq_id = $1
RETURNING id, position
"""


async def insert_line(conn: Connection, rfq_id: int, f: dict[str, Any]) -> tuple[int, int]:
    """Add a line at the end (amendments); returns its id and position."""
    row = await conn.fetchrow(
        INSERT_LINE,
        rfq_id,
        f["description"],
        f["quantity"],
        f["unit"],
        f["required_by"],
        f["delivery_address_id"],
        f["target_price_minor"],
        f["target_price_basis"],
    )
    assert row is not None
    return row["id"], row["position"]


UPDATE_LINE = """
UPDATE rfq_line SET description = $3, quantity = $4, unit = $5, required_by = $6, delivery_address_id = $7,
    target_price_minor = $8, target_price_basis = $9
WHERE id = $2 AND rfq_id = $1 AND removed_in IS NULL
"""


async def update_line(conn: Connection, rfq_id: int, line_id: int, f: dict[str, Any]) -> None:
    await conn.execute(
        UPDATE_LINE,
        rfq_id,
        line_id,
        f["description"],
        f["quantity"],
        f["unit"],
        f["required_by"],
        f["delivery_address_id"],
        f["target_price_minor"],
        f["target_price_basis"],
    )


REMOVE_LINE = "UPDATE rfq_line SET removed_in = $3 WHERE id = $2 AND rfq_id = $1 AND removed_in IS NULL"


async def remove_line(conn: Connection, rfq_id: int, line_id: int, *, revision: int) -> None:
    """Lines are never deleted after publication: the amendment that removed one is recorded."""
    await conn.execute(REMOVE_LINE, rfq_id, line_id, revision)


AMENDMENT_COLUMNS = "id, rfq_id, revision, material, summary, changes, closes_at_before, closes_at_after, created_at"
INSERT_AMENDMENT = f"""
INSERT INTO rfq_amendment (rfq_id, revision, material, summary, changes, closes_at_before, closes_at_after, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING {AMENDMENT_COLUMNS}
"""


async def insert_amendment(conn: Connection, rfq_id: int, **f: Any) -> Amendment:
    row = await conn.fetchrow(
        INSERT_AMENDMENT,
        rfq_id,
        f["revision"],
        f["material"],
        f["summary"],
        f["changes"],
        f["closes_at_before"],
        f["closes_at_after"],
        f["created_by"],
    )
    assert row is not None
    return Amendment(**{k: row[k] for k in Amendment.__struct_fields__})


LIST_AMENDMENTS = f"SELECT {AMENDMENT_COLUMNS} FROM rfq_amendment WHERE rfq_id = $1 ORDER BY revision"


async def list_amendments(conn: Connection, rfq_id: int) -> list[Amendment]:
    """Every amendment of one RFQ, oldest first; the caller scoped the RFQ."""
    return [
        Amendment(**{k: r[k] for k in Amendment.__struct_fields__}) for r in await conn.fetch(LIST_AMENDMENTS, rfq_id)
    ]


# --- time-driven notices --------------------------------------------------------------------------------

# Published RFQs closing within the next 24 h, each with the participating vendors that have no live bid
# (a submitted version answering the current revision).
DUE_REMINDERS = """
SELECT r.id, r.title, r.closes_at, r.buyer_time_zone, p.vendor_id
FROM rfq r
CROSS JOIN LATERAL (
    SELECT i.vendor_id FROM rfq_invitation i JOIN company c ON c.id = i.vendor_id AND c.status = 'verified'
    WHERE i.rfq_id = r.id AND i.status <> 'declined'
    UNION SELECT vendor_id FROM bid WHERE rfq_id = r.id
    UNION SELECT vendor_id FROM rfq_question WHERE rfq_id = r.id
) p
WHERE r.status = 'published' AND r.closes_at > rfq_clock() AND r.closes_at <= rfq_clock() + interval '24 hours'
  AND NOT EXISTS (
    SELECT 1 FROM bid b WHERE b.rfq_id = r.id AND b.vendor_id = p.vendor_id AND b.status = 'submitted'
      AND b.rfq_revision = r.revision AND b.current_version >= 1)
ORDER BY r.id, p.vendor_id
"""


async def list_due_reminders(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(DUE_REMINDERS)]


# Per verified vendor: public RFQs published in the last 24 h that it may see (its products' categories,
# or RFQs that name no category) and that are still open.
DIGEST = """
SELECT c.id AS vendor_id, array_agg(r.title ORDER BY r.closes_at, r.id) AS titles,
       array_agg(r.id ORDER BY r.closes_at, r.id) AS rfq_ids
FROM company c
JOIN rfq r ON r.status = 'published' AND r.visibility = 'public' AND r.buyer_id <> c.id
  AND r.published_at > rfq_clock() - interval '24 hours' AND r.closes_at > rfq_clock()
  AND (cardinality(r.category_ids) = 0 OR EXISTS (
      SELECT 1 FROM product p WHERE p.vendor_id = c.id AND p.category_id = ANY (r.category_ids)))
WHERE c.kind IN ('vendor', 'both') AND c.status = 'verified'
GROUP BY c.id
ORDER BY c.id
"""


async def list_digest(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(DIGEST)]
