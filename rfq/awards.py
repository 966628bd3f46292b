"""Evaluation and award: scores for the buyer's own criteria, and the award per line, lot or whole.

An award is one decision per RFQ (``award_one_per_rfq``): two concurrent awards produce exactly one
winner, the other gets 409. Prices and quantities are locked into ``award_line`` from the bid version the
award was made against; ordering (issue 7) turns award lines into orders after the standstill.

``plan_award`` applies every rule of an award without writing (the award page's review step shows its
result); ``award`` is the same plan, then the decision. ``allocation`` and its helpers are pure: the
award page's split of each line between vendors, with totals per vendor and what is left unallocated.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime

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
from rfq.evaluation import Cell, Comparison, VendorScore, evaluate, excluded_reason
from rfq.models import FINAL, Award, AwardLine, Line, OpenedBid, Rfq, Status
from rfq.service import VENDOR_AUDIENCE, apply_transition, close_if_due, get_own, get_visible, vendor_of

AWARD_ROLES = ("approver", "admin")
SCORE_ROLES = ("buyer", "approver", "admin")
SCORING_STATUSES = (Status.CLOSED, Status.EVALUATED)


async def set_scores(
    conn: Connection, actor: Actor, rfq_id: int, bid_id: int, scores: dict[str, int], *, settings: Settings
) -> dict[int, dict[str, int]]:
    """The buyer's 0-100 scores of one bid on the criteria that are not computed (tenders, after opening).

    A passed deadline is applied first, as every reader does. Raises ``NotFound`` (another company's
    request or bid, whatever the status), ``Forbidden`` (role), ``RuleViolation`` and ``FieldErrors``.
    """
    rfq = await close_if_due(conn, await get_own(conn, actor, rfq_id), settings=settings)
    if await repo.get_bid_of_rfq(conn, bid_id, rfq.id) is None:
        raise NotFound("rfq.bid_not_found", "No such offer on this request.")
    if not actor.has_any(*SCORE_ROLES):
        raise Forbidden("rfq.role_required", "Your role may not score offers.")
    if rfq.status not in SCORING_STATUSES:
        raise RuleViolation("rfq.not_in_evaluation", "Offers are scored after the deadline and before the award.")
    manual = {c.code for c in rfq.criteria if c.code not in rules.FORMULA_CRITERIA}
    errors = {f"scores.{code}": "Not a scored criterion of this tender." for code in scores if code not in manual}
    errors.update({f"scores.{code}": "A score is 0 to 100." for code, v in scores.items() if not 0 <= v <= 100})
    if errors:
        raise FieldErrors(errors, code="rfq.invalid")
    for code, value in scores.items():
        await repo.set_score(conn, bid_id, code, value, actor.user_id)
    return await repo.list_scores(conn, rfq.id)


class AwardPlan(msgspec.Struct, frozen=True, kw_only=True):
    """What an award would lock, after every rule passed; nothing written yet."""

    rfq: Rfq
    lines: list[AwardLine]
    """In the order of the command: the quantity ordered (MOQ and packs applied), prices and totals."""
    current_lines: list[Line]
    bids: list[OpenedBid]
    today: date
    """The buyer's date (quote validity)."""


async def plan_award(
    conn: Connection, actor: Actor, rfq_id: int, cmd: AwardIn, *, settings: Settings, lock: bool = False
) -> AwardPlan:
    """Check an award against the live, valid bid versions and price what it would lock.

    Only approvers and admins award, only after evaluation; a bid that answers an older revision, or whose
    validity has ended (in the buyer's zone), cannot be accepted; per line, the split quantities add up to
    at most what was requested. Raises ``Forbidden``, ``RuleViolation`` (``rfq.not_evaluated``),
    ``Conflict`` (``rfq.already_awarded``) and ``FieldErrors`` (``rfq.invalid_award``) by entry.
    """
    rfq = await get_own(conn, actor, rfq_id, lock=lock)
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
    locked: list[AwardLine] = []
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
            AwardLine(
                line_id=line.id,
                bid_id=opened.bid.id,
                vendor_id=opened.bid.vendor_id,
                vendor_name=opened.vendor_name,
                bid_version=opened.version,
                quantity=quantity,
                currency=rfq.currency,
                unit_price_minor=offer.unit_price_minor,
                price_basis=offer.price_basis,
                line_total_minor=line_total_minor(quantity, offer.unit_price_minor, offer.price_basis),
                lead_time_days=offer.lead_time_days,
            )
        )
    errors.update(rules.check_award_split({lid: ln.quantity for lid, ln in lines.items()}, split))
    if errors:
        raise FieldErrors(errors, code="rfq.invalid_award")
    return AwardPlan(rfq=rfq, lines=locked, current_lines=list(lines.values()), bids=list(bids.values()), today=today)


async def award(conn: Connection, actor: Actor, rfq_id: int, cmd: AwardIn, *, settings: Settings) -> Award:
    """Award lines (split between vendors if wanted) against the live, valid bid versions (``plan_award``'s
    rules, on the locked RFQ), lock them into ``award_line`` and move the RFQ to ``awarded``."""
    plan = await plan_award(conn, actor, rfq_id, cmd, settings=settings, lock=True)
    rfq = plan.rfq
    # The inputs and outputs of the evaluation are stored with the decision, so every vendor's rank can be
    # recomputed later (criteria and weights were frozen at publication).
    evaluated = evaluate(
        rfq, plan.current_lines, plan.bids, today=plan.today, manual_scores=await repo.list_scores(conn, rfq.id)
    )
    evaluation = {
        "bids": {str(b.bid.id): {"vendor": b.vendor_name, "version": b.version} for b in plan.bids},
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
    await repo.insert_award_lines(
        conn, created["id"], rfq.id, rfq.currency, [msgspec.structs.asdict(ln) for ln in plan.lines]
    )
    awarded = await apply_transition(
        conn,
        rfq,
        Status.AWARDED,
        user_id=actor.user_id,
        role="approver" if actor.has_any("approver") else "admin",
        reason=cmd.justification,
        settings=settings,
    )
    await _tell_outcome(conn, awarded, plan.bids, plan.lines, evaluated.scores, settings=settings)
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
    bids: list[OpenedBid],
    locked: list[AwardLine],
    scores: list[VendorScore],
    *,
    settings: Settings,
) -> None:
    """Winners learn their lines; others learn they lost, with their own rank and score (never others')."""
    winners = {entry.vendor_id for entry in locked}
    for opened in bids:
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


# ------------------------------------------------------------------ the award page's split (pure)

Quantities = Mapping[tuple[int, int], int]
"""(line id, bid id) → the quantity of that line given to that bid (0 or absent: none)."""


class AllocatedOffer(msgspec.Struct, frozen=True, kw_only=True):
    """One vendor's offer for one line and how much of the line it gets."""

    bid_id: int
    vendor_name: str
    cell: Cell
    quantity: int
    """As entered; what will be ordered is ``landed_quantity`` (MOQ, whole packs)."""
    landed_quantity: int
    line_total_minor: int
    unavailable: str | None
    """Why this offer cannot be awarded (expired, answers an earlier revision...); None: it can."""


class AllocationRow(msgspec.Struct, frozen=True, kw_only=True):
    line: Line
    offers: list[AllocatedOffer]
    """Only the vendors that offered this line, in the comparison's order."""
    allocated: int

    @property
    def remaining(self) -> int:
        """Requested minus allocated: negative when more is given out than was requested."""
        return self.line.quantity - self.allocated


class VendorAllocation(msgspec.Struct, frozen=True, kw_only=True):
    bid_id: int
    vendor_name: str
    lines: int
    goods_total_minor: int
    """Σ line totals of the lines given to this vendor (what the award locks)."""
    delivery_cost_minor: int
    """The delivery cost the vendor quoted for its offer."""

    @property
    def total_minor(self) -> int:
        return self.goods_total_minor + self.delivery_cost_minor


class Allocation(msgspec.Struct, frozen=True, kw_only=True):
    """The award being prepared: every line with its offers and split, the totals per vendor."""

    currency: str
    rows: list[AllocationRow]
    vendors: list[VendorAllocation]
    """Vendors that get at least one line, in the comparison's order."""

    @property
    def goods_total_minor(self) -> int:
        return sum(v.goods_total_minor for v in self.vendors)

    @property
    def total_minor(self) -> int:
        return sum(v.total_minor for v in self.vendors)

    @property
    def over_allocated(self) -> list[AllocationRow]:
        return [r for r in self.rows if r.remaining < 0]

    @property
    def unallocated(self) -> list[AllocationRow]:
        return [r for r in self.rows if r.remaining > 0]

    def quantity(self, line_id: int, bid_id: int) -> int:
        row = next((r for r in self.rows if r.line.id == line_id), None)
        return next((o.quantity for o in row.offers if o.bid_id == bid_id), 0) if row else 0


def allocation(comparison: Comparison, quantities: Quantities) -> Allocation:
    """The split ``quantities`` over the comparison's lines and offers, priced as the award will lock them
    (landed quantity, one rounding per line). Quantities for offers not in the comparison are ignored."""
    rows: list[AllocationRow] = []
    goods: dict[int, int] = {}
    lines: dict[int, int] = {}
    for row in comparison.rows:
        offers: list[AllocatedOffer] = []
        for vendor, cell in zip(comparison.vendors, row.cells, strict=True):
            if cell is None:
                continue
            quantity = max(quantities.get((row.line.id, vendor.bid_id), 0), 0)
            landed = rules.landed_quantity(quantity, moq=cell.moq, pack_size=cell.pack_size) if quantity else 0
            total = line_total_minor(landed, cell.unit_price_minor, cell.price_basis) if quantity else 0
            offers.append(
                AllocatedOffer(
                    bid_id=vendor.bid_id,
                    vendor_name=vendor.vendor_name,
                    cell=cell,
                    quantity=quantity,
                    landed_quantity=landed,
                    line_total_minor=total,
                    unavailable=None if cell.eligible else excluded_reason(vendor, len(comparison.rows)),
                )
            )
            if quantity:
                goods[vendor.bid_id] = goods.get(vendor.bid_id, 0) + total
                lines[vendor.bid_id] = lines.get(vendor.bid_id, 0) + 1
        rows.append(AllocationRow(line=row.line, offers=offers, allocated=sum(o.quantity for o in offers)))
    vendors = [
        VendorAllocation(
            bid_id=v.bid_id,
            vendor_name=v.vendor_name,
            lines=lines[v.bid_id],
            goods_total_minor=goods[v.bid_id],
            delivery_cost_minor=v.delivery_cost_minor,
        )
        for v in comparison.vendors
        if v.bid_id in goods
    ]
    return Allocation(currency=comparison.currency, rows=rows, vendors=vendors)


def best_value_split(comparison: Comparison) -> dict[tuple[int, int], int]:
    """The starting point of an award: each line whole to its best-value offer (the first, if tied)."""
    split: dict[tuple[int, int], int] = {}
    for row in comparison.rows:
        best = next(
            (v for v, c in zip(comparison.vendors, row.cells, strict=True) if c is not None and c.best_value), None
        )
        if best is not None:
            split[(row.line.id, best.bid_id)] = row.line.quantity
    return split


def give_to(
    comparison: Comparison, quantities: Quantities, bid_id: int, *, line_ids: Collection[int] | None = None
) -> dict[tuple[int, int], int]:
    """``quantities`` with every line in ``line_ids`` (None: all lines) that ``bid_id`` validly offers given
    whole to it and taken from the others ("whole to vendor X", "lot L to vendor X"). Lines the vendor did
    not offer, or offers it cannot win, keep their split."""
    column = next((i for i, v in enumerate(comparison.vendors) if v.bid_id == bid_id), None)
    split = {key: q for key, q in quantities.items() if q > 0}
    if column is None:
        return split
    for row in comparison.rows:
        cell = row.cells[column]
        if (line_ids is not None and row.line.id not in line_ids) or cell is None or not cell.eligible:
            continue
        for key in [k for k in split if k[0] == row.line.id]:
            del split[key]
        split[(row.line.id, bid_id)] = row.line.quantity
    return split
