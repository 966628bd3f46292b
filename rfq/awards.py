"""Evaluation and award: scores for the buyer's own criteria, and the award per line, lot or whole.

An award is one decision per RFQ (``award_one_per_rfq``): two concurrent awards produce exactly one
winner, the other gets 409. Prices and quantities are locked into ``award_line`` from the bid version the
award was made against; ordering (issue 7) turns award lines into orders after the standstill.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from marketplace.core.errors import Conflict, FieldErrors, Forbidden, NotFound, RuleViolation
from marketplace.core.money import line_total_minor
from marketplace.core.notifications import notify
from marketplace.settings import Settings
from rfq import repository as repo
from rfq import rules
from rfq.bids import opened_bids
from rfq.commands import AwardIn
from rfq.evaluation import VendorScore, evaluate
from rfq.models import FINAL, Award, AwardLine, OpenedBid, Rfq, Status
from rfq.service import VENDOR_AUDIENCE, apply_transition, get_own, get_visible, vendor_of

AWARD_ROLES = ("approver", "admin")


async def set_scores(
    conn: Connection, actor: Actor, rfq_id: int, bid_id: int, scores: dict[str, int]
) -> dict[int, dict[str, int]]:
    """The buyer's 0-100 scores of one bid on the criteria that are not computed (tenders, after opening)."""
    rfq = await get_own(conn, actor, rfq_id)
    if not actor.has_any("buyer", "approver", "admin"):
        raise Forbidden("rfq.role_required", "Your role may not score offers.")
    if rfq.status not in (Status.CLOSED, Status.EVALUATED):
        raise RuleViolation("rfq.not_in_evaluation", "Offers are scored after the deadline and before the award.")
    if await repo.get_bid_of_rfq(conn, bid_id, rfq.id) is None:
        raise NotFound("rfq.bid_not_found", "No such offer on this request.")
    manual = {c.code for c in rfq.criteria if c.code not in rules.FORMULA_CRITERIA}
    errors = {f"scores.{code}": "Not a scored criterion of this tender." for code in scores if code not in manual}
    errors.update({f"scores.{code}": "A score is 0 to 100." for code, v in scores.items() if not 0 <= v <= 100})
    if errors:
        raise FieldErrors(errors, code="rfq.invalid")
    for code, value in scores.items():
        await repo.set_score(conn, bid_id, code, value, actor.user_id)
    return await repo.list_scores(conn, rfq.id)


async def award(conn: Connection, actor: Actor, rfq_id: int, cmd: AwardIn, *, settings: Settings) -> Award:
    """Award lines (split between vendors if wanted) against the live, valid bid versions.

    Only approvers and admins award, only after evaluation; a bid that answers an older revision, or whose
    validity has ended (in the buyer's zone), cannot be accepted.
    """
    rfq = await get_own(conn, actor, rfq_id, lock=True)
    if not actor.has_any(*AWARD_ROLES):
        raise Forbidden("rfq.role_required", "Only approvers and admins award.")
    if rfq.status in (Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED, Status.PUBLISHED, Status.CLOSED):
        raise RuleViolation("rfq.not_evaluated", "Evaluate the offers (after the deadline) before awarding.")
    if rfq.status == Status.AWARDED:
        raise Conflict("rfq.already_awarded", "This request has already been awarded.")
    if rfq.status != Status.EVALUATED:
        raise RuleViolation("rfq.not_evaluated", f"A {rfq.status} request cannot be awarded.")
    lines = {ln.id: ln for ln in await repo.list_lines(conn, rfq.id) if ln.removed_in is None}
    bids = {b.bid.id: b for b in await opened_bids(conn, rfq, settings=settings)}
    today = rules.buyer_today(rfq.buyer_time_zone, await repo.clock(conn))
    errors: dict[str, str] = {}
    locked: list[dict[str, object]] = []
    split: dict[int, list[int]] = {}
    for i, entry in enumerate(cmd.lines):
        opened: OpenedBid | None = bids.get(entry.bid_id)
        line = lines.get(entry.line_id)
        if line is None:
            errors[f"lines[{i}].line_id"] = "Not a line of this request."
            continue
        if opened is None:
            errors[f"lines[{i}].bid_id"] = "No such offer on this request."
            continue
        if not opened.valid_for_revision:
            errors[f"lines[{i}].bid_id"] = (
                "This offer answers an earlier version of the request and was not re-confirmed."
            )
            continue
        if rules.quote_expired(opened.content.valid_until, today):
            errors[f"lines[{i}].bid_id"] = f"This offer was valid until {opened.content.valid_until}."
            continue
        offer = next((ol for ol in opened.content.lines if ol.line_id == line.id), None)
        if offer is None:
            errors[f"lines[{i}].bid_id"] = "This vendor made no offer for this line."
            continue
        split.setdefault(line.id, []).append(entry.quantity)
        # What will be ordered: at least the vendor's MOQ, in whole packs, as the comparison prices it.
        quantity = rules.landed_quantity(entry.quantity, moq=offer.moq, pack_size=offer.pack_size)
        locked.append(
            {
                "line_id": line.id,
                "bid_id": opened.bid.id,
                "vendor_id": opened.bid.vendor_id,
                "bid_version": opened.version,
                "quantity": quantity,
                "unit_price_minor": offer.unit_price_minor,
                "price_basis": offer.price_basis,
                "line_total_minor": line_total_minor(quantity, offer.unit_price_minor, offer.price_basis),
                "lead_time_days": offer.lead_time_days,
            }
        )
    errors.update(rules.check_award_split({lid: ln.quantity for lid, ln in lines.items()}, split))
    if errors:
        raise FieldErrors(errors, code="rfq.invalid_award")
    # The inputs and outputs of the evaluation are stored with the decision, so every vendor's rank can be
    # recomputed later (criteria and weights were frozen at publication).
    evaluated = evaluate(
        rfq, list(lines.values()), list(bids.values()), today=today, manual_scores=await repo.list_scores(conn, rfq.id)
    )
    evaluation = {
        "bids": {str(b.bid.id): {"vendor": b.vendor_name, "version": b.version} for b in bids.values()},
        "criteria": msgspec.to_builtins(rfq.criteria),
        "scores": msgspec.to_builtins(evaluated.scores),
        "flags": msgspec.to_builtins(evaluated.flags),
    }
    try:
        async with conn.transaction():  # a savepoint: the unique award per RFQ decides concurrent awards
            created = await repo.insert_award(
                conn,
                rfq.id,
                justification=cmd.justification,
                decided_by=actor.user_id,
                standstill_hours=rfq.rules.standstill_hours,
                evaluation=evaluation,
            )
    except asyncpg.UniqueViolationError:
        raise Conflict("rfq.already_awarded", "This request has already been awarded.") from None
    await repo.insert_award_lines(conn, created["id"], rfq.id, rfq.currency, locked)
    awarded = await apply_transition(
        conn,
        rfq,
        Status.AWARDED,
        user_id=actor.user_id,
        role="approver" if actor.has_any("approver") else "admin",
        reason=cmd.justification,
        settings=settings,
    )
    await _tell_outcome(conn, awarded, bids, locked, evaluated.scores, settings=settings)
    result = await get_award(conn, actor, rfq.id)
    return result


class Standing(msgspec.Struct, frozen=True, kw_only=True):
    """One vendor's own place in the evaluation: all that a losing vendor learns (never others' offers)."""

    rank: int | None
    ranked: int
    """How many offers were ranked."""
    total_hundredths: int | None
    excluded_reason: str | None

    def text(self) -> str:
        if self.rank is not None and self.total_hundredths is not None:
            return (
                f"Your rank: {self.rank} of {self.ranked}, "
                f"score {self.total_hundredths // 100}.{self.total_hundredths % 100:02d} of 100."
            )
        return f"Your offer was not ranked: {self.excluded_reason or 'not evaluated'}."


def standing_of(scores: list[VendorScore], bid_id: int) -> Standing:
    """A bid's standing among ``scores`` (the evaluation stored with the award, or just computed)."""
    own = next((s for s in scores if s.bid_id == bid_id), None)
    return Standing(
        rank=own.rank if own else None,
        ranked=sum(s.rank is not None for s in scores),
        total_hundredths=own.total_hundredths if own else None,
        excluded_reason=own.excluded_reason if own else None,
    )


async def _tell_outcome(
    conn: Connection,
    rfq: Rfq,
    bids: dict[int, OpenedBid],
    locked: list[dict[str, object]],
    scores: list[VendorScore],
    *,
    settings: Settings,
) -> None:
    """Winners learn their lines; others learn they lost, with their own rank and score (never others')."""
    winners = {int(str(entry["vendor_id"])) for entry in locked}
    for opened in bids.values():
        vendor = opened.bid.vendor_id
        if vendor in winners:
            subject, kind = f"Awarded: {rfq.title}", "rfq.awarded"
            body = (
                f"Your offer for '{rfq.title}' was awarded (see the lines on the request page). The award becomes "
                "final after the standstill period."
            )
        else:
            subject, kind = f"Not awarded: {rfq.title}", "rfq.lost"
            body = f"Your offer for '{rfq.title}' was not awarded. {standing_of(scores, opened.bid.id).text()}"
        await notify(
            conn,
            company_id=vendor,
            roles=VENDOR_AUDIENCE,
            kind=kind,
            subject=subject,
            body=body,
            link=f"/vendor/rfqs/{rfq.id}",
            dedupe_key=f"rfq:{rfq.id}:outcome",
            base_url=settings.public_base_url,
        )


class VendorOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """How a decided request ended, as one vendor may see it: its own awarded lines, or its own standing."""

    status: Status
    reason: str | None
    """Why it was cancelled or unsuccessful (the buyer's words, which vendors were told)."""
    offered: bool
    """The vendor's offer was among those evaluated for the award."""
    lines: list[AwardLine]
    """This vendor's awarded lines with the locked prices (empty: nothing awarded to it)."""
    decided_at: datetime | None
    final_at: datetime | None
    standing: Standing | None
    """Own rank and score when the vendor's offer was evaluated but won nothing."""


async def vendor_outcome(conn: Connection, actor: Actor, rfq_id: int) -> VendorOutcome | None:
    """The outcome of a visible request for this vendor; None while it is undecided. Raises ``NotFound``."""
    rfq = await get_visible(conn, actor, rfq_id)
    if rfq.status not in FINAL:
        return None
    if rfq.status != Status.AWARDED:
        return VendorOutcome(
            status=rfq.status,
            reason=rfq.status_reason,
            offered=False,
            lines=[],
            decided_at=None,
            final_at=None,
            standing=None,
        )
    vendor_id = vendor_of(actor)
    found = await repo.get_award(conn, rfq.id, vendor_id=vendor_id)
    assert found is not None  # awarded requests have their award (same transaction)
    bid = await repo.get_own_bid(conn, rfq.id, vendor_id=vendor_id)
    evaluated = found["evaluation"].get("bids", {})
    offered = bid is not None and str(bid.id) in evaluated
    lines = [AwardLine(**ln) for ln in found["lines"]]
    standing = None
    if offered and not lines:
        assert bid is not None
        standing = standing_of(msgspec.convert(found["evaluation"].get("scores", []), list[VendorScore]), bid.id)
    return VendorOutcome(
        status=rfq.status,
        reason=None,
        offered=offered,
        lines=lines,
        decided_at=found["decided_at"],
        final_at=found["final_at"],
        standing=standing,
    )


async def get_award(conn: Connection, actor: Actor, rfq_id: int) -> Award:
    rfq = await get_own(conn, actor, rfq_id)
    found = await repo.get_award(conn, rfq.id)
    if found is None:
        raise NotFound("rfq.award_not_found", "This request has not been awarded.")
    return Award(
        id=found["id"],
        rfq_id=found["rfq_id"],
        justification=found["justification"],
        decided_by=found["decided_by"],
        decided_at=found["decided_at"],
        final_at=found["final_at"],
        evaluation=found["evaluation"],
        lines=[AwardLine(**ln) for ln in found["lines"]],
    )


def award_from(found: dict[str, object]) -> Award:
    return msgspec.convert(found, Award)
