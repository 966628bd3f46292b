"""SQL of RFQs themselves: the rows, lots and lines, status and schedule, sealing key, invitations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from marketplace.core.db import Connection
from rfq.models import (
    Criterion,
    HistoryEntry,
    Invitation,
    Line,
    Lot,
    ProcedureRules,
    Rfq,
    Status,
)

RFQ_COLUMNS = """r.id, r.buyer_id, r.created_by, r.kind, r.title, r.description, r.currency, r.visibility,
    r.category_ids, r.status, r.rules, r.criteria, r.revision, r.closes_at, r.questions_close_at,
    r.buyer_time_zone, r.bafo_closes_at, r.standstill_until, r.next_check, r.proceed_below_minimum,
    r.status_reason, r.published_at, r.closed_at, r.version, r.created_at, r.updated_at"""


def rfq_from(row: Any) -> Rfq:
    data = dict(row)
    data["rules"] = msgspec.convert(data["rules"], ProcedureRules)
    data["criteria"] = msgspec.convert(data["criteria"], list[Criterion])
    data["category_ids"] = list(data["category_ids"])
    return Rfq(**{k: data[k] for k in Rfq.__struct_fields__})


INSERT_RFQ = f"""
WITH r AS (
    INSERT INTO rfq (buyer_id, created_by, kind, title, description, currency, visibility, category_ids, rules,
                     criteria, closes_at, questions_close_at, buyer_time_zone)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    RETURNING *
)
SELECT {RFQ_COLUMNS} FROM r
"""


async def insert_rfq(conn: Connection, **f: Any) -> Rfq:
    row = await conn.fetchrow(
        INSERT_RFQ,
        f["buyer_id"],
        f["created_by"],
        f["kind"],
        f["title"],
        f["description"],
        f["currency"],
        f["visibility"],
        f["category_ids"],
        msgspec.to_builtins(f["rules"]),
        msgspec.to_builtins(f["criteria"]),
        f["closes_at"],
        f["questions_close_at"],
        f["buyer_time_zone"],
    )
    return rfq_from(row)


UPDATE_DRAFT = f"""
WITH r AS (
    UPDATE rfq SET kind = $3, title = $4, description = $5, currency = $6, visibility = $7, category_ids = $8,
        rules = $9, criteria = $10, closes_at = $11, questions_close_at = $12, version = version + 1, updated_at = now()
    WHERE id = $1 AND buyer_id = $2 AND version = $13
    RETURNING *
)
SELECT {RFQ_COLUMNS} FROM r
"""


async def update_draft(conn: Connection, rfq_id: int, *, buyer_id: int, version: int, **f: Any) -> Rfq | None:
    row = await conn.fetchrow(
        UPDATE_DRAFT,
        rfq_id,
        buyer_id,
        f["kind"],
        f["title"],
        f["description"],
        f["currency"],
        f["visibility"],
        f["category_ids"],
        msgspec.to_builtins(f["rules"]),
        msgspec.to_builtins(f["criteria"]),
        f["closes_at"],
        f["questions_close_at"],
        version,
    )
    return rfq_from(row) if row else None


GET_FOR_BUYER = f"SELECT {RFQ_COLUMNS} FROM rfq r WHERE r.id = $1 AND r.buyer_id = $2"


async def get_for_buyer(conn: Connection, rfq_id: int, *, buyer_id: int, lock: bool = False) -> Rfq | None:
    row = await conn.fetchrow(GET_FOR_BUYER + (" FOR UPDATE" if lock else ""), rfq_id, buyer_id)
    return rfq_from(row) if row else None


# What a vendor may see: published (or later) RFQs it was invited to (once verified: a supplier invited by
# email links its invitations when it signs up, pending) or has bid on, and public ones in categories it
# sells in (any category when the RFQ names none), if the vendor is verified.
VENDOR_VISIBLE = """
r.status NOT IN ('draft', 'pending_approval', 'approved')
AND r.buyer_id <> $2
AND (
    EXISTS (SELECT 1 FROM rfq_invitation i JOIN company c ON c.id = i.vendor_id
            WHERE i.rfq_id = r.id AND i.vendor_id = $2 AND c.status = 'verified')
    OR EXISTS (SELECT 1 FROM bid b WHERE b.rfq_id = r.id AND b.vendor_id = $2)
    OR (r.visibility = 'public'
        AND EXISTS (SELECT 1 FROM company c WHERE c.id = $2 AND c.status = 'verified')
        AND (cardinality(r.category_ids) = 0 OR EXISTS (
            SELECT 1 FROM product p WHERE p.vendor_id = $2 AND p.category_id = ANY (r.category_ids))))
)
"""

GET_FOR_VENDOR = f"SELECT {RFQ_COLUMNS} FROM rfq r WHERE r.id = $1 AND {VENDOR_VISIBLE}"


async def get_for_vendor(conn: Connection, rfq_id: int, *, vendor_id: int, share_lock: bool = False) -> Rfq | None:
    """The RFQ if this vendor may see it. ``share_lock`` holds off amendments and closing until commit."""
    row = await conn.fetchrow(GET_FOR_VENDOR + (" FOR SHARE OF r" if share_lock else ""), rfq_id, vendor_id)
    return rfq_from(row) if row else None


LIST_FOR_BUYER = f"""
SELECT {RFQ_COLUMNS}, count(*) OVER () AS total
FROM rfq r
WHERE r.buyer_id = $1 AND ($2::rfq_status IS NULL OR r.status = $2)
ORDER BY r.created_at DESC, r.id DESC
LIMIT $3 OFFSET $4
"""


async def list_for_buyer(
    conn: Connection, *, buyer_id: int, status: Status | None, limit: int, offset: int
) -> tuple[list[Rfq], int]:
    rows = await conn.fetch(LIST_FOR_BUYER, buyer_id, status, limit, offset)
    return [rfq_from(r) for r in rows], (rows[0]["total"] if rows else 0)


LIST_FOR_VENDOR = f"""
SELECT {RFQ_COLUMNS}, count(*) OVER () AS total,
       (SELECT i.status FROM rfq_invitation i WHERE i.rfq_id = r.id AND i.vendor_id = $2) AS invitation,
       (SELECT b.status FROM bid b WHERE b.rfq_id = r.id AND b.vendor_id = $2) AS bid_status
FROM rfq r
WHERE $1::bigint IS NULL AND {VENDOR_VISIBLE}
  AND ($3::boolean IS NOT TRUE OR r.status = 'published')
ORDER BY r.closes_at, r.id
LIMIT $4 OFFSET $5
"""


async def list_for_vendor(
    conn: Connection, *, vendor_id: int, open_only: bool, limit: int, offset: int
) -> tuple[list[tuple[Rfq, str | None, str | None]], int]:
    """Visible RFQs with this vendor's invitation and bid status."""
    rows = await conn.fetch(LIST_FOR_VENDOR, None, vendor_id, open_only, limit, offset)
    return [(rfq_from(r), r["invitation"], r["bid_status"]) for r in rows], (rows[0]["total"] if rows else 0)


SET_STATUS = f"""
WITH r AS (
    UPDATE rfq SET status = $3::rfq_status, status_reason = $4, version = version + 1, updated_at = now(),
        published_at = CASE WHEN $3::rfq_status = 'published' THEN coalesce(published_at, now()) ELSE published_at END,
        closed_at = CASE WHEN $3::rfq_status = 'closed' THEN coalesce(closed_at, rfq_clock()) ELSE closed_at END,
        next_check = CASE WHEN $3::rfq_status = 'published' THEN closes_at
                          WHEN $3::rfq_status IN ('cancelled', 'unsuccessful') THEN NULL
                          WHEN $3::rfq_status = 'closed' THEN NULL ELSE next_check END
    WHERE id = $1 AND status = $2 AND version = $5
    RETURNING *
)
SELECT {RFQ_COLUMNS} FROM r
"""


async def set_status(
    conn: Connection, rfq_id: int, *, source: Status, target: Status, reason: str | None, version: int
) -> Rfq | None:
    """Compare-and-set on status and version; None when someone else changed the RFQ first."""
    row = await conn.fetchrow(SET_STATUS, rfq_id, source, target, reason, version)
    return rfq_from(row) if row else None


INSERT_HISTORY = """
INSERT INTO rfq_status_history (rfq_id, from_status, to_status, actor_user_id, actor_role, reason)
VALUES ($1, $2, $3, $4, $5, $6)
"""


async def insert_history(
    conn: Connection,
    rfq_id: int,
    source: Status | None,
    target: Status,
    user_id: int | None,
    role: str,
    reason: str | None,
) -> None:
    await conn.execute(INSERT_HISTORY, rfq_id, source, target, user_id, role, reason)


LIST_HISTORY = """
SELECT from_status, to_status, actor_user_id, actor_role, reason, at
FROM rfq_status_history WHERE rfq_id = $1 ORDER BY id
"""


async def list_history(conn: Connection, rfq_id: int) -> list[HistoryEntry]:
    return [HistoryEntry(**dict(r)) for r in await conn.fetch(LIST_HISTORY, rfq_id)]


SET_SEALING_KEY = "UPDATE rfq SET sealing_key = $2 WHERE id = $1 AND sealing_key IS NULL"


async def set_sealing_key(conn: Connection, rfq_id: int, wrapped: bytes) -> None:
    await conn.execute(SET_SEALING_KEY, rfq_id, wrapped)


# The referee: the wrapped key comes out only once the deadline has passed on the database clock,
# or for a vendor that has a bid on this RFQ (to read its own bid).
SEALING_KEY_FOR = """
SELECT r.sealing_key FROM rfq r
WHERE r.id = $1 AND r.sealing_key IS NOT NULL
  AND (rfq_clock() >= r.closes_at
       OR ($2::bigint IS NOT NULL AND EXISTS (SELECT 1 FROM bid b WHERE b.rfq_id = r.id AND b.vendor_id = $2)))
"""


async def sealing_key_for(conn: Connection, rfq_id: int, *, own_vendor_id: int | None) -> bytes | None:
    value: bytes | None = await conn.fetchval(SEALING_KEY_FOR, rfq_id, own_vendor_id)
    return value


SET_SCHEDULE = """
UPDATE rfq SET closes_at = $2, questions_close_at = $3,
    next_check = CASE WHEN status = 'published' THEN $2 ELSE next_check END, version = version + 1, updated_at = now()
WHERE id = $1
"""


async def set_schedule(conn: Connection, rfq_id: int, *, closes_at: datetime, questions_close_at: datetime) -> None:
    await conn.execute(SET_SCHEDULE, rfq_id, closes_at, questions_close_at)


# Closing waits for answers: the clock job stops revisiting the RFQ until an answer (or an amendment,
# which sets a new deadline) brings it back. Only the first caller gets the row back.
HOLD_FOR_ANSWERS = """
UPDATE rfq SET next_check = NULL WHERE id = $1 AND status = 'published' AND next_check IS NOT NULL RETURNING id
"""


async def hold_for_answers(conn: Connection, rfq_id: int) -> bool:
    """Clear ``next_check`` of a published RFQ whose closing is blocked; True if this call cleared it."""
    return await conn.fetchval(HOLD_FOR_ANSWERS, rfq_id) is not None


SET_PUBLISH_FIELDS = """
UPDATE rfq SET rules = $2, criteria = $3, buyer_time_zone = $4 WHERE id = $1
"""


async def freeze_for_publication(
    conn: Connection, rfq_id: int, *, rules: ProcedureRules, criteria: list[Criterion], time_zone: str
) -> None:
    await conn.execute(SET_PUBLISH_FIELDS, rfq_id, msgspec.to_builtins(rules), msgspec.to_builtins(criteria), time_zone)


# --- lots and lines -------------------------------------------------------------------------------------

DELETE_LINES = "DELETE FROM rfq_line WHERE rfq_id = $1"
DELETE_LOTS = "DELETE FROM rfq_lot WHERE rfq_id = $1"
INSERT_LOTS = """
INSERT INTO rfq_lot (rfq_id, position, title)
SELECT $1, p, t FROM unnest($2::text[]) WITH ORDINALITY AS x(t, p)
RETURNING id, position
"""
INSERT_LINES = """
INSERT INTO rfq_line (rfq_id, lot_id, position, product_id, variant_id, description, quantity, unit, required_by,
                      delivery_address_id, target_price_minor, target_price_basis)
SELECT $1, x.lot_id, x.position, x.product_id, x.variant_id, x.description, x.quantity, x.unit, x.required_by,
       x.address_id, x.target, x.basis
FROM unnest($2::bigint[], $3::int[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[], $8::text[], $9::date[],
            $10::bigint[], $11::bigint[], $12::int[])
     AS x(lot_id, position, product_id, variant_id, description, quantity, unit, required_by, address_id, target, basis)
"""


# A line's files follow its position when a draft's lines are replaced; without a line there any more,
# they become files of the whole request (the foreign key sets line_id to NULL).
LINE_FILE_POSITIONS = """
SELECT a.id, l.position FROM rfq_attachment a JOIN rfq_line l ON l.id = a.line_id WHERE a.rfq_id = $1
"""
RELINK_LINE_FILES = """
UPDATE rfq_attachment a SET line_id = l.id
FROM unnest($2::bigint[], $3::int[]) AS x(id, position) JOIN rfq_line l ON l.rfq_id = $1 AND l.position = x.position
WHERE a.id = x.id AND a.rfq_id = $1
"""


async def replace_lines(conn: Connection, rfq_id: int, *, lots: Sequence[str], lines: Sequence[dict[str, Any]]) -> None:
    """Drafts only: the lots and lines are replaced as a whole (``lot`` is a 1-based lot position)."""
    line_files = await conn.fetch(LINE_FILE_POSITIONS, rfq_id)
    await conn.execute(DELETE_LINES, rfq_id)
    await conn.execute(DELETE_LOTS, rfq_id)
    lot_ids = {r["position"]: r["id"] for r in await conn.fetch(INSERT_LOTS, rfq_id, list(lots))} if lots else {}
    cols: dict[str, list[Any]] = {
        k: [] for k in ("lot", "pos", "product", "variant", "desc", "qty", "unit", "by", "addr", "target", "basis")
    }
    for position, line in enumerate(lines, start=1):
        cols["lot"].append(lot_ids.get(line["lot"]) if line["lot"] else None)
        cols["pos"].append(position)
        cols["product"].append(line["product_id"])
        cols["variant"].append(line["variant_id"])
        cols["desc"].append(line["description"])
        cols["qty"].append(line["quantity"])
        cols["unit"].append(line["unit"])
        cols["by"].append(line["required_by"])
        cols["addr"].append(line["delivery_address_id"])
        cols["target"].append(line["target_price_minor"])
        cols["basis"].append(line["target_price_basis"])
    await conn.execute(INSERT_LINES, rfq_id, *cols.values())
    if line_files:
        await conn.execute(
            RELINK_LINE_FILES, rfq_id, [r["id"] for r in line_files], [r["position"] for r in line_files]
        )


LINE_COLUMNS = """id, rfq_id, lot_id, position, product_id, variant_id, description, quantity, unit, required_by,
    delivery_address_id, target_price_minor, target_price_basis, removed_in"""
LIST_LINES = f"SELECT {LINE_COLUMNS} FROM rfq_line WHERE rfq_id = $1 ORDER BY position"
LIST_LOTS = "SELECT id, rfq_id, position, title FROM rfq_lot WHERE rfq_id = $1 ORDER BY position"


async def list_lines(conn: Connection, rfq_id: int) -> list[Line]:
    """All lines, including those an amendment removed (``removed_in``); the caller scoped the RFQ."""
    return [Line(**dict(r)) for r in await conn.fetch(LIST_LINES, rfq_id)]


async def list_lots(conn: Connection, rfq_id: int) -> list[Lot]:
    return [Lot(**dict(r)) for r in await conn.fetch(LIST_LOTS, rfq_id)]


# A catalog product a line may reference: live, of a verified vendor, and visible to this buyer.
PRODUCT_FOR_LINE = """
SELECT p.id, (SELECT v.id FROM variant v WHERE v.product_id = p.id ORDER BY v.position, v.id LIMIT 1) AS variant_id
FROM product p JOIN company c ON c.id = p.vendor_id AND c.status = 'verified'
WHERE p.id = $1 AND p.status = 'live'
  AND (NOT EXISTS (SELECT 1 FROM product_audience a WHERE a.product_id = p.id)
       OR EXISTS (SELECT 1 FROM product_audience a WHERE a.product_id = p.id AND a.buyer_id = $2))
"""


async def product_for_line(conn: Connection, product_id: int, *, buyer_id: int) -> tuple[int, int | None] | None:
    row = await conn.fetchrow(PRODUCT_FOR_LINE, product_id, buyer_id)
    return (row["id"], row["variant_id"]) if row else None


OWN_ADDRESSES = "SELECT id FROM address WHERE company_id = $1 AND id = any($2::bigint[])"


async def own_address_ids(conn: Connection, company_id: int, ids: Sequence[int]) -> set[int]:
    return {r["id"] for r in await conn.fetch(OWN_ADDRESSES, company_id, list(ids))}


COMPANY_FLAGS = "SELECT status, kind, legal_name, rfq_approval_required FROM company WHERE id = $1"


async def company_flags(conn: Connection, company_id: int) -> dict[str, Any]:
    row = await conn.fetchrow(COMPANY_FLAGS, company_id)
    assert row is not None
    return dict(row)


# --- invitations ----------------------------------------------------------------------------------------

INVITE_VENDORS = """
INSERT INTO rfq_invitation (rfq_id, vendor_id, invited_by)
SELECT $1, c.id, $3 FROM company c
WHERE c.id = any($2::bigint[]) AND c.kind IN ('vendor', 'both') AND c.status = 'verified' AND c.id <> $4
ON CONFLICT DO NOTHING
RETURNING vendor_id
"""


async def invite_vendors(
    conn: Connection, rfq_id: int, vendor_ids: Sequence[int], *, invited_by: int, buyer_id: int
) -> list[int]:
    """Invite verified vendor companies; returns the newly invited ids (unknown or unverified ones are skipped)."""
    return [r["vendor_id"] for r in await conn.fetch(INVITE_VENDORS, rfq_id, list(vendor_ids), invited_by, buyer_id)]


KNOWN_VENDORS = """
SELECT id FROM company WHERE id = any($1::bigint[]) AND kind IN ('vendor', 'both') AND status = 'verified'
"""


async def known_vendor_ids(conn: Connection, ids: Sequence[int]) -> set[int]:
    return {r["id"] for r in await conn.fetch(KNOWN_VENDORS, list(ids))}


# An address already invited to this request (pending, or linked to the company that signed up with it)
# is not invited again.
INVITE_EMAILS = """
INSERT INTO rfq_invitation (rfq_id, email, invited_by)
SELECT $1, e, $3 FROM unnest($2::text[]) AS e
WHERE NOT EXISTS (SELECT 1 FROM rfq_invitation o WHERE o.rfq_id = $1 AND lower(o.email) = e)
ON CONFLICT DO NOTHING
RETURNING id, email
"""


async def invite_emails(
    conn: Connection, rfq_id: int, emails: Sequence[str], *, invited_by: int
) -> list[tuple[int, str]]:
    """Invite suppliers by address; returns the new invitations as (id, email)."""
    rows = await conn.fetch(INVITE_EMAILS, rfq_id, sorted({e.lower() for e in emails}), invited_by)
    return [(r["id"], r["email"]) for r in rows]


# The pending email invitation a sign-up link names, with what the sign-up page tells about it.
GET_EMAIL_INVITATION = """
SELECT i.id, i.email, r.id AS rfq_id, r.kind, r.title, r.closes_at, r.buyer_time_zone, c.legal_name AS buyer_name
FROM rfq_invitation i JOIN rfq r ON r.id = i.rfq_id JOIN company c ON c.id = r.buyer_id
WHERE i.id = $1 AND i.vendor_id IS NULL AND i.email IS NOT NULL
  AND r.status NOT IN ('draft', 'pending_approval', 'approved')
"""


async def get_email_invitation(conn: Connection, invitation_id: int) -> dict[str, Any] | None:
    row = await conn.fetchrow(GET_EMAIL_INVITATION, invitation_id)
    return dict(row) if row else None


# Every pending invitation to the address goes to the company (not where that company is invited already).
LINK_EMAIL_INVITATIONS = """
UPDATE rfq_invitation i SET vendor_id = $2
FROM rfq r
WHERE r.id = i.rfq_id AND lower(i.email) = lower($1) AND i.vendor_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM rfq_invitation o WHERE o.rfq_id = i.rfq_id AND o.vendor_id = $2)
RETURNING i.id, i.rfq_id, r.buyer_id, r.title
"""


async def link_email_invitations(conn: Connection, email: str, *, vendor_id: int) -> list[dict[str, Any]]:
    """Link the address's pending invitations to ``vendor_id``; returns them (id, rfq_id, buyer_id, title)."""
    return [dict(r) for r in await conn.fetch(LINK_EMAIL_INVITATIONS, email, vendor_id)]


LIST_INVITATIONS = """
SELECT i.id, i.rfq_id, i.vendor_id, c.legal_name AS vendor_name, i.email, i.status, i.decline_reason, i.created_at,
       i.responded_at
FROM rfq_invitation i LEFT JOIN company c ON c.id = i.vendor_id
WHERE i.rfq_id = $1 ORDER BY i.id
"""


async def list_invitations(conn: Connection, rfq_id: int) -> list[Invitation]:
    return [Invitation(**dict(r)) for r in await conn.fetch(LIST_INVITATIONS, rfq_id)]


RESPOND_INVITATION = """
UPDATE rfq_invitation SET status = $3, decline_reason = $4, responded_at = now()
WHERE rfq_id = $1 AND vendor_id = $2
RETURNING id
"""


async def respond_invitation(conn: Connection, rfq_id: int, vendor_id: int, status: str, reason: str | None) -> bool:
    return await conn.fetchval(RESPOND_INVITATION, rfq_id, vendor_id, status, reason) is not None
