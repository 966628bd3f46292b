"""Evaluation of opened bids: the side-by-side comparison, weighted scores, abnormally low flags, CSV export.

Pure functions, no I/O, integer arithmetic only (money in minor units, scores in hundredths of a point).
The rules below are the published ones (docs/rfq-evaluation.md); vendors can recompute their rank from them.

- **Cells.** A vendor's offer for a line is priced on its *landed quantity*: the requested quantity raised
  to the vendor's MOQ and rounded up to whole packs (``rules.landed_quantity``); the line total is
  ``money.line_total_minor`` of that quantity, rounded once.
- **Eligible offer.** A bid competes (best value per line, price and lead-time scores, abnormally low
  flags) only when it is submitted, answers the RFQ's current revision, and its quote has not expired.
  Other bids are shown, marked, and never win anything.
- **Best value per line**: the lowest line total among eligible offers for that line; ties are all flagged.
- **Complete bids.** Only eligible bids that cover every line compete on price and are ranked: a partial
  bid's total covers less, so comparing it with full totals would reward leaving lines out. Partial bids
  are shown with their covered lines and what is missing, and still win best value on the lines they offer.
- **Price score** = 100 × lowest total landed cost / this vendor's total landed cost (goods + delivery),
  both at least 1 minor unit. **Lead-time score** = 100 × shortest longest-lead-time / this vendor's
  longest lead time, in days, each at least 1 (same-day delivery counts as one day, so no division by
  zero). Other criteria are scored 0-100 by the buyer; an unscored criterion counts 0 and is shown so.
- **Weighted total** = Σ weight × score / 100. Each criterion's contribution is rounded half-up to a
  hundredth of a point, and the total is the sum of the shown contributions, so the breakdown adds up.
- **Rank**: higher total first; a tie goes to the earlier submission of the live version (amending a bid
  loses its tie priority), then to the lower bid id.
- **Abnormally low**: an eligible complete bid whose total landed cost is ``abnormally_low_percent`` %
  or more below the mean of the *other* eligible complete bids' totals, when there are at least two others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Literal

import msgspec

from marketplace.core.errors import RuleViolation
from marketplace.core.money import line_total_minor
from rfq.models import BidStatus, Criterion, Kind, Line, OpenedBid, Rfq
from rfq.rules import FORMULA_CRITERIA, check_criteria, landed_quantity, quote_expired

SortKey = Literal["vendor", "total", "lead_time", "score"]
SORT_KEYS: tuple[SortKey, ...] = ("total", "vendor", "lead_time", "score")
PRICE_ONLY = (Criterion(code="price", label="Price", weight=100),)
"""The criteria of an RFQ that has none of its own (plain RFQs): lowest total landed cost wins."""


class Cell(msgspec.Struct, frozen=True, kw_only=True):
    """One vendor's offer for one line, priced on the landed quantity."""

    line_id: int
    bid_id: int
    unit_price_minor: int
    price_basis: int
    requested_quantity: int
    landed_quantity: int
    """At least the MOQ, rounded up to whole packs: what the buyer really has to take."""
    line_total_minor: int
    lead_time_days: int
    moq: int
    pack_size: int
    deviation: str | None
    alternative: str | None
    eligible: bool
    """The bid is a valid offer (submitted, current revision, not expired): it may win best value."""
    best_value: bool

    @property
    def rounded_up(self) -> bool:
        return self.landed_quantity > self.requested_quantity


class Row(msgspec.Struct, frozen=True, kw_only=True):
    """One RFQ line with the offers for it, in the order of ``Comparison.vendors`` (None: not offered)."""

    line: Line
    cells: list[Cell | None]
    best_total_minor: int | None
    """The lowest line total among eligible offers (None: no eligible offer)."""
    offers: int


class VendorColumn(msgspec.Struct, frozen=True, kw_only=True):
    """One bid as a column of the comparison, with its totals over the compared lines."""

    bid_id: int
    vendor_id: int
    vendor_name: str
    version: int
    submitted_at: datetime
    status: BidStatus
    valid_until: date
    expired: bool
    valid_for_revision: bool
    """False: the bid answers an earlier revision of the RFQ and needs re-confirmation."""
    eligible: bool
    total_minor: int
    """The sum of this bid's line totals over the compared lines it covers."""
    delivery_cost_minor: int
    landed_total_minor: int
    """``total_minor + delivery_cost_minor``: what the buyer pays for everything this bid offers."""
    lines_covered: int
    missing_line_ids: list[int]
    max_lead_time_days: int | None
    best_value_lines: int
    note: str | None

    @property
    def complete(self) -> bool:
        return not self.missing_line_ids

    @property
    def needs_reconfirmation(self) -> bool:
        return not self.valid_for_revision or self.status == BidStatus.NEEDS_RECONFIRMATION

    @property
    def competes(self) -> bool:
        """Competes on price and is ranked: eligible and covering every line."""
        return self.eligible and self.complete


class Comparison(msgspec.Struct, frozen=True, kw_only=True):
    """The side-by-side table: ``rows`` (lines) × ``vendors`` (bids)."""

    rfq_id: int
    kind: Kind
    currency: str
    revision: int
    today: date
    sort: SortKey
    descending: bool
    vendors: list[VendorColumn]
    rows: list[Row]


class CriterionScore(msgspec.Struct, frozen=True, kw_only=True):
    """One criterion of one vendor's score, with the formula's inputs so anyone can recompute it."""

    code: str
    label: str
    weight: int
    score_hundredths: int | None
    """0-10,000 (0.00-100.00 points); None: a manual criterion not yet scored, or the bid does not compete."""
    weighted_hundredths: int
    """This criterion's contribution to the total: weight × score / 100, rounded half-up to a hundredth."""
    best: int | None = None
    """Formula criteria: the best value among competing bids (lowest landed cost, shortest lead time)."""
    own: int | None = None
    """Formula criteria: this bid's value."""


class VendorScore(msgspec.Struct, frozen=True, kw_only=True):
    bid_id: int
    vendor_id: int
    vendor_name: str
    submitted_at: datetime
    rank: int | None
    """1 is best; None: the bid does not compete (see ``excluded_reason``)."""
    total_hundredths: int | None
    breakdown: list[CriterionScore]
    unscored: list[str]
    """Codes of manual criteria the buyer has not scored yet (they count 0)."""
    excluded_reason: str | None


class LowBidFlag(msgspec.Struct, frozen=True, kw_only=True):
    """A bid whose total landed cost is abnormally far below the mean of the other bids."""

    bid_id: int
    vendor_name: str
    landed_total_minor: int
    others_mean_minor: int
    """Mean of the other competing bids' totals, rounded half-up (display only; the test is exact)."""
    others: int
    percent_below_hundredths: int
    """How far below that mean, in hundredths of a percent (rounded down)."""
    threshold_percent: int


class Evaluation(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the comparison page shows: the table, the scores in rank order, the flags."""

    comparison: Comparison
    scores: list[VendorScore]
    flags: list[LowBidFlag]

    def score_for(self, bid_id: int) -> VendorScore | None:
        return next((s for s in self.scores if s.bid_id == bid_id), None)

    def flag_for(self, bid_id: int) -> LowBidFlag | None:
        return next((f for f in self.flags if f.bid_id == bid_id), None)


# ------------------------------------------------------------------ comparison


def _eligible(bid: OpenedBid, expired: bool) -> bool:
    return bid.bid.status == BidStatus.SUBMITTED and bid.valid_for_revision and not expired


def build_comparison(
    rfq: Rfq,
    lines: Sequence[Line],
    bids: Sequence[OpenedBid],
    *,
    today: date,
    sort: SortKey = "total",
    descending: bool = False,
) -> Comparison:
    """The side-by-side table of ``bids`` over the current ``lines`` (removed lines and withdrawn bids
    are left out). ``today`` is the buyer's date (quote validity). Sorting by score needs scores: use
    ``evaluate`` or ``sort_comparison``; here it falls back to the default order by total.
    """
    current = sorted((line for line in lines if line.removed_in is None), key=lambda line: (line.position, line.id))
    shown = sorted((b for b in bids if b.bid.status != BidStatus.WITHDRAWN), key=lambda b: b.bid.id)
    quantities = {line.id: line.quantity for line in current}

    offers: list[dict[int, Cell]] = []
    for b in shown:
        expired = quote_expired(b.content.valid_until, today)
        eligible = _eligible(b, expired)
        by_line: dict[int, Cell] = {}
        for bl in b.content.lines:
            if bl.line_id not in quantities or bl.line_id in by_line:
                continue  # a line removed since, or offered twice (the first offer counts)
            landed = landed_quantity(quantities[bl.line_id], moq=bl.moq, pack_size=bl.pack_size)
            by_line[bl.line_id] = Cell(
                line_id=bl.line_id,
                bid_id=b.bid.id,
                unit_price_minor=bl.unit_price_minor,
                price_basis=bl.price_basis,
                requested_quantity=quantities[bl.line_id],
                landed_quantity=landed,
                line_total_minor=line_total_minor(landed, bl.unit_price_minor, bl.price_basis),
                lead_time_days=bl.lead_time_days,
                moq=bl.moq,
                pack_size=bl.pack_size,
                deviation=bl.deviation or None,
                alternative=bl.alternative or None,
                eligible=eligible,
                best_value=False,
            )
        offers.append(by_line)

    best: dict[int, int] = {}
    for by_line in offers:
        for line_id, cell in by_line.items():
            if cell.eligible and (line_id not in best or cell.line_total_minor < best[line_id]):
                best[line_id] = cell.line_total_minor
    offers = [
        {
            line_id: msgspec.structs.replace(cell, best_value=True)
            if cell.eligible and cell.line_total_minor == best[line_id]
            else cell
            for line_id, cell in by_line.items()
        }
        for by_line in offers
    ]

    vendors: list[VendorColumn] = []
    for b, by_line in zip(shown, offers, strict=True):
        expired = quote_expired(b.content.valid_until, today)
        total = sum(c.line_total_minor for c in by_line.values())
        vendors.append(
            VendorColumn(
                bid_id=b.bid.id,
                vendor_id=b.bid.vendor_id,
                vendor_name=b.vendor_name,
                version=b.version,
                submitted_at=b.submitted_at,
                status=b.bid.status,
                valid_until=b.content.valid_until,
                expired=expired,
                valid_for_revision=b.valid_for_revision,
                eligible=_eligible(b, expired),
                total_minor=total,
                delivery_cost_minor=b.content.delivery_cost_minor,
                landed_total_minor=total + b.content.delivery_cost_minor,
                lines_covered=len(by_line),
                missing_line_ids=[line.id for line in current if line.id not in by_line],
                max_lead_time_days=max((c.lead_time_days for c in by_line.values()), default=None),
                best_value_lines=sum(1 for c in by_line.values() if c.best_value),
                note=b.content.note or None,
            )
        )

    rows = [
        Row(
            line=line,
            cells=[by_line.get(line.id) for by_line in offers],
            best_total_minor=best.get(line.id),
            offers=sum(1 for by_line in offers if line.id in by_line),
        )
        for line in current
    ]
    comparison = Comparison(
        rfq_id=rfq.id,
        kind=rfq.kind,
        currency=rfq.currency,
        revision=rfq.revision,
        today=today,
        sort="total",
        descending=False,
        vendors=vendors,
        rows=rows,
    )
    return sort_comparison(comparison, "total" if sort == "score" else sort, descending=descending)


def _name_key(v: VendorColumn) -> tuple[str, str, int]:
    return (v.vendor_name.casefold(), v.vendor_name, v.bid_id)


def sort_comparison(
    comparison: Comparison,
    by: SortKey,
    *,
    descending: bool = False,
    scores: Sequence[VendorScore] = (),
) -> Comparison:
    """The same table with the vendor columns reordered. Natural directions: vendor A→Z, total and lead
    time low→high, score best→worst; ``descending`` reverses the main key only, ties keep the default
    order (vendor name, then bid id). Partial bids follow complete ones when sorting by total, and bids
    without a lead time or a rank go last, in either direction.
    """
    if by not in SORT_KEYS:
        raise ValueError(f"unknown sort key {by!r}")
    ranks = {s.bid_id: s.rank for s in scores}
    order = sorted(comparison.vendors, key=_name_key)  # the tie-break, applied first (the sorts are stable)

    def last(v: VendorColumn) -> bool:
        if by == "total":
            return not v.complete
        if by == "lead_time":
            return v.max_lead_time_days is None
        if by == "score":
            return ranks.get(v.bid_id) is None
        return False

    def main(v: VendorColumn) -> tuple[str, str] | int:
        if by == "vendor":
            return (v.vendor_name.casefold(), v.vendor_name)
        if by == "total":
            return v.landed_total_minor
        if by == "lead_time":
            return v.max_lead_time_days or 0
        return ranks.get(v.bid_id) or 0

    head = sorted((v for v in order if not last(v)), key=main, reverse=descending)
    tail = sorted((v for v in order if last(v)), key=main, reverse=descending)
    vendors = head + tail
    position = {v.bid_id: i for i, v in enumerate(comparison.vendors)}
    permutation = [position[v.bid_id] for v in vendors]
    rows = [msgspec.structs.replace(r, cells=[r.cells[i] for i in permutation]) for r in comparison.rows]
    return msgspec.structs.replace(comparison, vendors=vendors, rows=rows, sort=by, descending=descending)


# ------------------------------------------------------------------ scores


def _ratio_hundredths(numerator: int, denominator: int, scale: int = 100) -> int:
    """``scale × 100 × numerator / denominator`` rounded half-up (all non-negative)."""
    return (2 * scale * 100 * numerator + denominator) // (2 * denominator)


def _check_manual_scores(criteria: Sequence[Criterion], manual_scores: Mapping[int, Mapping[str, int]]) -> None:
    manual = {c.code for c in criteria if c.code not in FORMULA_CRITERIA}
    for bid_id, scores in manual_scores.items():
        for code, value in scores.items():
            if code not in manual:
                raise RuleViolation(
                    "rfq.score_unknown_criterion",
                    f"“{code}” is not a criterion scored by the buyer.",
                    field=f"scores.{bid_id}.{code}",
                )
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
                raise RuleViolation(
                    "rfq.score_out_of_range", "Scores are whole numbers from 0 to 100.", field=f"scores.{bid_id}.{code}"
                )


def score(
    criteria: Sequence[Criterion],
    comparison: Comparison,
    manual_scores: Mapping[int, Mapping[str, int]],
) -> list[VendorScore]:
    """Weighted scores of every bid in the comparison, best rank first, then the bids that do not compete
    (partial, expired, needing re-confirmation) in the comparison's order. An RFQ without criteria is
    scored on price alone. Raises ``RuleViolation`` for invalid criteria or manual scores.
    """
    criteria = list(criteria) or list(PRICE_ONLY)
    problems = check_criteria(criteria)
    if problems:
        raise RuleViolation("rfq.criteria_invalid", problems["criteria"], field="criteria")
    _check_manual_scores(criteria, manual_scores)

    competing = [v for v in comparison.vendors if v.competes]
    lowest = min((max(v.landed_total_minor, 1) for v in competing), default=None)
    shortest = min((max(v.max_lead_time_days or 0, 1) for v in competing), default=None)

    ranked: list[tuple[tuple[int, datetime, int], VendorScore]] = []
    excluded: list[VendorScore] = []
    for v in comparison.vendors:
        given = manual_scores.get(v.bid_id, {})
        breakdown: list[CriterionScore] = []
        unscored: list[str] = []
        for c in criteria:
            if c.code == "price" or c.code == "lead_time":
                if not v.competes or lowest is None or shortest is None:
                    breakdown.append(CriterionScore(code=c.code, label=c.label, weight=c.weight,
                                                    score_hundredths=None, weighted_hundredths=0))  # fmt: skip
                    continue
                if c.code == "price":
                    best, own = lowest, max(v.landed_total_minor, 1)
                else:
                    best, own = shortest, max(v.max_lead_time_days or 0, 1)
                breakdown.append(
                    CriterionScore(
                        code=c.code,
                        label=c.label,
                        weight=c.weight,
                        score_hundredths=_ratio_hundredths(best, own),
                        weighted_hundredths=_ratio_hundredths(c.weight * best, 100 * own),
                        best=best,
                        own=own,
                    )
                )
            else:
                value = given.get(c.code)
                if value is None:
                    unscored.append(c.code)
                breakdown.append(
                    CriterionScore(
                        code=c.code,
                        label=c.label,
                        weight=c.weight,
                        score_hundredths=None if value is None else 100 * value,
                        weighted_hundredths=0 if value is None else c.weight * value,
                    )
                )
        if v.competes:
            total = sum(part.weighted_hundredths for part in breakdown)
            record = VendorScore(
                bid_id=v.bid_id,
                vendor_id=v.vendor_id,
                vendor_name=v.vendor_name,
                submitted_at=v.submitted_at,
                rank=None,
                total_hundredths=total,
                breakdown=breakdown,
                unscored=unscored,
                excluded_reason=None,
            )
            ranked.append(((-total, v.submitted_at, v.bid_id), record))
        else:
            excluded.append(
                VendorScore(
                    bid_id=v.bid_id,
                    vendor_id=v.vendor_id,
                    vendor_name=v.vendor_name,
                    submitted_at=v.submitted_at,
                    rank=None,
                    total_hundredths=None,
                    breakdown=breakdown,
                    unscored=unscored,
                    excluded_reason=excluded_reason(v, len(comparison.rows)),
                )
            )
    ranked.sort(key=lambda pair: pair[0])
    return [msgspec.structs.replace(s, rank=i) for i, (_, s) in enumerate(ranked, start=1)] + excluded


def excluded_reason(vendor: VendorColumn, lines: int) -> str | None:
    """Why a bid does not compete on price and is not ranked (None: it competes)."""
    if vendor.status == BidStatus.REJECTED:
        return "The bid was rejected."
    if vendor.needs_reconfirmation:
        return "The bid answers an earlier revision of the request and needs re-confirmation."
    if vendor.expired:
        return f"The quote expired on {vendor.valid_until.isoformat()}."
    if vendor.status != BidStatus.SUBMITTED:
        return f"The bid is {vendor.status}."
    if not vendor.complete:
        return f"The bid covers {vendor.lines_covered} of {lines} lines; only complete bids are ranked."
    return None


# ------------------------------------------------------------------ abnormally low bids


def abnormally_low(comparison: Comparison, *, percent: int) -> list[LowBidFlag]:
    """Competing bids whose total landed cost is ``percent`` % or more below the mean of the other
    competing bids' totals (at least two others), in the comparison's order. Exact integer test:
    ``100 × total × n ≤ (100 − percent) × Σ others``.
    """
    competing = [v for v in comparison.vendors if v.competes]
    grand = sum(v.landed_total_minor for v in competing)
    flags: list[LowBidFlag] = []
    for v in competing:
        n = len(competing) - 1
        others = grand - v.landed_total_minor
        if n < 2 or others <= 0:
            continue
        if 100 * v.landed_total_minor * n <= (100 - percent) * others:
            flags.append(
                LowBidFlag(
                    bid_id=v.bid_id,
                    vendor_name=v.vendor_name,
                    landed_total_minor=v.landed_total_minor,
                    others_mean_minor=(2 * others + n) // (2 * n),
                    others=n,
                    percent_below_hundredths=10_000 * (others - n * v.landed_total_minor) // others,
                    threshold_percent=percent,
                )
            )
    return flags


# ------------------------------------------------------------------ everything for the page


def evaluate(
    rfq: Rfq,
    lines: Sequence[Line],
    bids: Sequence[OpenedBid],
    *,
    today: date,
    manual_scores: Mapping[int, Mapping[str, int]] | None = None,
    sort: SortKey = "total",
    descending: bool = False,
) -> Evaluation:
    """The comparison, the scores (``rfq.criteria``, or price alone) and the abnormally low flags, with the
    vendor columns sorted by ``sort``. Raises ``RuleViolation`` for invalid criteria or manual scores.
    """
    comparison = build_comparison(rfq, lines, bids, today=today)
    scores = score(rfq.criteria, comparison, manual_scores or {})
    flags = abnormally_low(comparison, percent=rfq.rules.abnormally_low_percent)
    return Evaluation(
        comparison=sort_comparison(comparison, sort, descending=descending, scores=scores),
        scores=scores,
        flags=flags,
    )
