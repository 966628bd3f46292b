"""JSON API shapes of RFQs and tenders. Vendors get ``VendorRfqOut``: public fields only, never other bids."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import msgspec

from rfq.models import (
    Bid,
    BidContent,
    BidVersion,
    Criterion,
    HistoryEntry,
    Invitation,
    Line,
    Lot,
    ProcedureRules,
    Rfq,
)
from rfq.service import RfqDetail


class LineOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    position: int
    lot_id: int | None
    product_id: int | None
    description: str
    quantity: int
    unit: str
    required_by: date | None
    delivery_address_id: int | None
    target_price_minor: int | None
    target_price_basis: int
    removed: bool

    @classmethod
    def from_record(cls, ln: Line) -> LineOut:
        return cls(**_declared(cls, ln, skip=("removed",)), removed=ln.removed_in is not None)


def _declared(out: type[msgspec.Struct], record: object, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The record's values for the fields an output shape declares (the shape decides what is shown)."""
    return {f: getattr(record, f) for f in out.__struct_fields__ if f not in skip}


class RfqOut(msgspec.Struct, frozen=True, kw_only=True):
    """An RFQ as its buyer company sees it."""

    id: int
    kind: str
    title: str
    description: str
    currency: str
    visibility: str
    category_ids: list[int]
    status: str
    status_reason: str | None
    revision: int
    closes_at: datetime
    questions_close_at: datetime
    buyer_time_zone: str
    bafo_closes_at: datetime | None
    rules: ProcedureRules
    criteria: list[Criterion]
    version: int
    published_at: datetime | None
    created_at: datetime
    lots: list[Lot]
    lines: list[LineOut]

    @classmethod
    def from_detail(cls, d: RfqDetail) -> RfqOut:
        return cls(
            **_declared(cls, d.rfq, skip=("lots", "lines")),
            lots=d.lots,
            lines=[LineOut.from_record(ln) for ln in d.lines],
        )


class RfqSummaryOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: str
    title: str
    status: str
    closes_at: datetime
    currency: str

    @classmethod
    def from_record(cls, r: Rfq) -> RfqSummaryOut:
        return cls(**_declared(cls, r))


class VendorRfqOut(msgspec.Struct, frozen=True, kw_only=True):
    """An RFQ as a vendor sees it: what is asked, by when, under which rules and criteria."""

    id: int
    kind: str
    title: str
    description: str
    currency: str
    status: str
    revision: int
    closes_at: datetime
    questions_close_at: datetime
    buyer_time_zone: str
    bafo_closes_at: datetime | None
    rules: ProcedureRules
    criteria: list[Criterion]
    lots: list[Lot]
    lines: list[LineOut]

    @classmethod
    def from_detail(cls, d: RfqDetail) -> VendorRfqOut:
        return cls(
            **_declared(cls, d.rfq, skip=("lots", "lines")),
            lots=d.lots,
            lines=[LineOut.from_record(ln) for ln in d.lines if ln.removed_in is None],
        )


class InboxItemOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: str
    title: str
    status: str
    closes_at: datetime
    invitation: str | None
    bid_status: str | None


class TransitionIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    to: Literal[
        "pending_approval", "approved", "draft", "published", "evaluated", "unsuccessful", "cancelled", "closed"
    ]
    reason: str | None = msgspec.field(default=None)


class InvitationAnswerIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    accept: bool
    reason: str | None = None


class BidVersionOut(msgspec.Struct, frozen=True, kw_only=True):
    version: int
    author: str
    round: int
    rfq_revision: int
    submitted_at: datetime
    content_sha256: str
    note: str | None
    content: BidContent | None
    target_prices: dict[str, int] | None

    @classmethod
    def from_record(cls, v: BidVersion) -> BidVersionOut:
        return cls(**_declared(cls, v))


class OwnBidOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    status: str
    rfq_revision: int
    turn: str
    round: int
    respond_by: datetime | None
    shortlisted: bool
    versions: list[BidVersionOut]

    @classmethod
    def from_records(cls, bid: Bid, versions: list[BidVersion]) -> OwnBidOut:
        return cls(
            id=bid.id,
            status=bid.status,
            rfq_revision=bid.rfq_revision,
            turn=bid.turn,
            round=bid.round,
            respond_by=bid.respond_by,
            shortlisted=bid.shortlisted,
            versions=[BidVersionOut.from_record(v) for v in versions],
        )


class OpenedBidOut(msgspec.Struct, frozen=True, kw_only=True):
    bid_id: int
    vendor_id: int
    vendor_name: str
    status: str
    version: int
    submitted_at: datetime
    valid_for_revision: bool
    turn: str
    round: int
    content: BidContent


class RfqHistoryOut(msgspec.Struct, frozen=True, kw_only=True):
    invitations: list[Invitation]
    history: list[HistoryEntry]


class ScoresIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    scores: dict[str, int]
