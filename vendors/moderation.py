"""Listing moderation: the operators' review queue, approve or reject, and reports by anyone signed in."""

from __future__ import annotations

from datetime import datetime

import msgspec

from marketplace.core import audit
from marketplace.core.actor import Actor, require_operator
from marketplace.core.db import Connection
from marketplace.core.errors import InvalidTransition, NotFound, RuleViolation
from vendors import repository as repo
from vendors.models import OPERATOR_TRANSITIONS, Product, ProductStatus
from vendors.service import move_status, review_snapshot


async def moderate(conn: Connection, actor: Actor, product_id: int, *, approve: bool, reason: str | None) -> Product:
    """Operators approve (live) or reject (with a reason the vendor sees) a product awaiting review."""
    require_operator(actor)
    vendor_id = await conn.fetchval("SELECT vendor_id FROM product WHERE id = $1", product_id)
    product = await repo.lock_product(conn, product_id, vendor_id=vendor_id) if vendor_id else None
    if product is None:
        raise NotFound("product.not_found", "No such product.")
    target = ProductStatus.LIVE if approve else ProductStatus.REJECTED
    if target not in OPERATOR_TRANSITIONS.get(product.status, frozenset()):
        raise InvalidTransition(
            "product.invalid_transition", "Only products awaiting review (or live ones, to take down) can be moderated."
        )
    if not approve and not reason:
        raise RuleViolation("product.reason_required", "Give a reason; the vendor will see it.", field="reason")
    moved = await move_status(conn, actor, product, target, reason)
    await audit.record(
        conn,
        "product.approved" if approve else "product.rejected",
        actor=actor,
        company_id=product.vendor_id,
        target_type="product",
        target_id=product_id,
        reason=reason,
    )
    return moved


class Change(msgspec.Struct, frozen=True, kw_only=True):
    field: str
    before: str | None
    """None for a listing that was never live."""
    after: str


class ReviewItem(msgspec.Struct, frozen=True, kw_only=True):
    product: Product
    vendor_name: str
    previous_status: str | None
    changes: list[Change]
    """For a listing that was live: what changed since it was approved; for a new one: what it says."""


REVIEW_QUEUE = """
SELECT p.id, p.vendor_id, c.legal_name AS vendor_name, p.live_snapshot,
       (SELECT h.from_status::text FROM product_status_history h
        WHERE h.product_id = p.id AND h.to_status = 'pending_review' ORDER BY h.id DESC LIMIT 1) AS previous_status
FROM product p JOIN company c ON c.id = p.vendor_id
WHERE p.status = 'pending_review'
ORDER BY p.updated_at, p.id
LIMIT $1
"""


async def review_queue(conn: Connection, actor: Actor, *, limit: int = 100) -> list[ReviewItem]:
    """Operators only: products awaiting review, oldest first."""
    require_operator(actor)
    items = []
    for row in await conn.fetch(REVIEW_QUEUE, limit):
        product = await repo.get_product(conn, row["id"], vendor_id=row["vendor_id"])
        assert product is not None
        current = review_snapshot(product)
        before: dict[str, str] | None = row["live_snapshot"]
        if before:
            changes = [
                Change(field=k, before=before.get(k, ""), after=current.get(k, ""))
                for k in sorted(set(before) | set(current))
                if before.get(k, "") != current.get(k, "")
            ]
        else:
            changes = [Change(field=k, before=None, after=v) for k, v in current.items() if v]
        items.append(
            ReviewItem(
                product=product,
                vendor_name=row["vendor_name"],
                previous_status=row["previous_status"],
                changes=changes,
            )
        )
    return items


class OpenReport(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    product_id: int
    product_title: str
    product_status: str
    vendor_name: str
    reason: str
    reporter_email: str
    created_at: datetime


async def report_listing(conn: Connection, actor: Actor, product_id: int, reason: str) -> None:
    """Anyone signed in reports a live listing (one open report per person and listing)."""
    live = await conn.fetchval(
        "SELECT 1 FROM product p JOIN company c ON c.id = p.vendor_id"
        " WHERE p.id = $1 AND p.status = 'live' AND c.status = 'verified'",
        product_id,
    )
    if live is None:
        raise NotFound("product.not_found", "No such product.")
    reason = reason.strip()
    if not 3 <= len(reason) <= 2000:
        raise RuleViolation("report.reason_required", "Tell us in a few words what is wrong.", field="reason")
    await conn.execute(
        "INSERT INTO listing_report (product_id, reporter_user_id, reporter_company_id, reason)"
        " SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM listing_report"
        " WHERE product_id = $1 AND reporter_user_id = $2 AND resolved_at IS NULL)",
        product_id,
        actor.user_id,
        actor.company_id,
        reason,
    )
    await audit.record(conn, "product.reported", actor=actor, target_type="product", target_id=product_id)


OPEN_REPORTS = """
SELECT r.id, r.product_id, p.title AS product_title, p.status::text AS product_status, c.legal_name AS vendor_name,
       r.reason, u.email AS reporter_email, r.created_at
FROM listing_report r JOIN product p ON p.id = r.product_id JOIN company c ON c.id = p.vendor_id
JOIN app_user u ON u.id = r.reporter_user_id
WHERE r.resolved_at IS NULL
ORDER BY r.created_at, r.id
LIMIT 200
"""


async def open_reports(conn: Connection, actor: Actor) -> list[OpenReport]:
    require_operator(actor)
    return [OpenReport(**r) for r in await conn.fetch(OPEN_REPORTS)]


async def resolve_report(
    conn: Connection, actor: Actor, report_id: int, *, take_down: bool, reason: str | None
) -> None:
    """Dismiss a report, or take the listing down (rejected, with the reason the vendor sees)."""
    require_operator(actor)
    product_id = await conn.fetchval(
        "SELECT product_id FROM listing_report WHERE id = $1 AND resolved_at IS NULL FOR UPDATE", report_id
    )
    if product_id is None:
        raise NotFound("report.not_found", "No such open report.")
    if take_down:
        status = await conn.fetchval("SELECT status::text FROM product WHERE id = $1", product_id)
        if status == "live":
            await moderate(conn, actor, product_id, approve=False, reason=reason)
    await conn.execute(
        "UPDATE listing_report SET resolved_at = now(), resolution = $2, resolved_by = $3"
        " WHERE product_id = $1 AND resolved_at IS NULL",
        product_id,
        "taken_down" if take_down else "dismissed",
        actor.user_id,
    )
