"""Records, statuses, the procedures as configuration and the RFQ transition table as data."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

import msgspec


class Kind(StrEnum):
    RFQ = "rfq"
    TENDER = "tender"


class Status(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    PUBLISHED = "published"
    CLOSED = "closed"
    EVALUATED = "evaluated"
    AWARDED = "awarded"
    UNSUCCESSFUL = "unsuccessful"
    CANCELLED = "cancelled"


FINAL = frozenset({Status.AWARDED, Status.UNSUCCESSFUL, Status.CANCELLED})
# Before publication only the buyer company knows the RFQ exists.
UNPUBLISHED = frozenset({Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED})


class Visibility(StrEnum):
    PUBLIC = "public"
    INVITED = "invited"


class BidStatus(StrEnum):
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    NEEDS_RECONFIRMATION = "needs_reconfirmation"
    REJECTED = "rejected"


# Who may act on an RFQ: the buyer company's roles, and the clock (the job that applies deadlines).
SYSTEM = "system"
ACTOR_ROLES = ("requester", "buyer", "approver", "admin", "viewer", SYSTEM)

# (from, to) → the roles that may make that move. Everything not listed is refused by ``rules.transition``.
# Approval: a company with ``rfq_approval_required`` cannot go draft → published directly (rules.py).
TRANSITIONS: dict[tuple[Status, Status], frozenset[str]] = {
    (Status.DRAFT, Status.PENDING_APPROVAL): frozenset({"requester", "buyer", "admin"}),
    (Status.DRAFT, Status.PUBLISHED): frozenset({"buyer", "admin"}),
    (Status.PENDING_APPROVAL, Status.APPROVED): frozenset({"approver", "admin"}),
    (Status.PENDING_APPROVAL, Status.DRAFT): frozenset({"requester", "buyer", "approver", "admin"}),
    (Status.APPROVED, Status.PUBLISHED): frozenset({"buyer", "admin"}),
    (Status.APPROVED, Status.DRAFT): frozenset({"buyer", "approver", "admin"}),
    (Status.PUBLISHED, Status.CLOSED): frozenset({SYSTEM}),
    (Status.CLOSED, Status.EVALUATED): frozenset({"buyer", "approver", "admin"}),
    (Status.CLOSED, Status.UNSUCCESSFUL): frozenset({"buyer", "approver", "admin", SYSTEM}),
    (Status.EVALUATED, Status.AWARDED): frozenset({"approver", "admin"}),
    (Status.EVALUATED, Status.UNSUCCESSFUL): frozenset({"buyer", "approver", "admin"}),
    (Status.EVALUATED, Status.CLOSED): frozenset({"buyer", "approver", "admin"}),
    **{
        (source, Status.CANCELLED): frozenset({"buyer", "approver", "admin"})
        for source in Status
        if source not in FINAL
    },
}


class ProcedureRules(msgspec.Struct, frozen=True, kw_only=True):
    """One procedure's rules. Copied onto each RFQ at creation, so later changes never alter it."""

    procedure: Literal["rfq", "tender"]
    sealed: bool
    """Bids are encrypted and unreadable by anyone but their vendor until the deadline."""
    min_open_hours: int
    """Shortest time between publication and the deadline."""
    questions_close_hours: int
    """Default: questions close this many hours before the deadline."""
    unanswered_questions: Literal["block", "extend"]
    """At the deadline, unanswered questions either block closing (the buyer must answer first) or
    extend the deadline by ``extend_hours``."""
    extend_hours: int
    min_remaining_after_amendment_hours: int
    """A material amendment moves the deadline so that at least this much time remains."""
    min_bids: int
    """Fewer valid bids at closing make the procedure unsuccessful unless the buyer proceeds (logged)."""
    negotiation_rounds: int
    """How many revised quotes the buyer may ask each vendor for (RFQ)."""
    bafo: bool
    """A best-and-final-offer round with a shortlist is allowed (tender)."""
    bafo_min_hours: int
    standstill_hours: int
    """Time between the award decision and its becoming final (losers may object)."""
    abnormally_low_percent: int
    """A bid this many percent below the mean of the others is flagged for the buyer."""
    max_bids_per_vendor_per_hour: int
    max_rfqs_per_buyer_per_day: int


PROCEDURES: dict[Kind, ProcedureRules] = {
    Kind.RFQ: ProcedureRules(
        procedure="rfq",
        sealed=False,
        min_open_hours=24,
        questions_close_hours=12,
        unanswered_questions="extend",
        extend_hours=24,
        min_remaining_after_amendment_hours=24,
        min_bids=1,
        negotiation_rounds=3,
        bafo=False,
        bafo_min_hours=0,
        standstill_hours=0,
        abnormally_low_percent=40,
        max_bids_per_vendor_per_hour=60,
        max_rfqs_per_buyer_per_day=50,
    ),
    Kind.TENDER: ProcedureRules(
        procedure="tender",
        sealed=True,
        min_open_hours=72,
        questions_close_hours=48,
        unanswered_questions="block",
        extend_hours=48,
        min_remaining_after_amendment_hours=72,
        min_bids=2,
        negotiation_rounds=0,
        bafo=True,
        bafo_min_hours=24,
        standstill_hours=240,
        abnormally_low_percent=40,
        max_bids_per_vendor_per_hour=60,
        max_rfqs_per_buyer_per_day=20,
    ),
}


class Criterion(msgspec.Struct, frozen=True, kw_only=True):
    """A weighted evaluation criterion. ``price`` and ``lead_time`` are scored by formula (lowest is
    best); any other code is scored by the buyer from 0 to 100 per vendor."""

    code: str
    label: str
    weight: int
    """Percent; the weights of an RFQ add up to 100."""


class Rfq(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    buyer_id: int
    created_by: int
    kind: Kind
    title: str
    description: str
    currency: str
    visibility: Visibility
    category_ids: list[int]
    status: Status
    rules: ProcedureRules
    criteria: list[Criterion]
    revision: int
    closes_at: datetime
    questions_close_at: datetime
    buyer_time_zone: str
    bafo_closes_at: datetime | None
    standstill_until: datetime | None
    next_check: datetime | None
    proceed_below_minimum: bool
    status_reason: str | None
    published_at: datetime | None
    closed_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class Lot(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    rfq_id: int
    position: int
    title: str


class Line(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    rfq_id: int
    lot_id: int | None
    position: int
    product_id: int | None
    variant_id: int | None
    description: str
    quantity: int
    unit: str
    required_by: date | None
    delivery_address_id: int | None
    target_price_minor: int | None
    target_price_basis: int
    removed_in: int | None


class HistoryEntry(msgspec.Struct, frozen=True, kw_only=True):
    from_status: Status | None
    to_status: Status
    actor_user_id: int | None
    actor_role: str
    reason: str | None
    at: datetime


class Invitation(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    rfq_id: int
    vendor_id: int | None
    vendor_name: str | None
    email: str | None
    status: Literal["invited", "accepted", "declined"]
    decline_reason: str | None
    created_at: datetime
    responded_at: datetime | None


class BidLine(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A vendor's offer for one RFQ line. Prices are integer minor units per ``price_basis`` units."""

    line_id: int
    unit_price_minor: int
    price_basis: int = 1
    lead_time_days: int
    moq: int = 1
    """Minimum order quantity; an awarded quantity below it is rounded up in the landed cost."""
    pack_size: int = 1
    """The vendor sells in packs of this many units; quantities are rounded up to whole packs."""
    deviation: str | None = None
    """How the offer deviates from the specification (empty: as specified)."""
    alternative: str | None = None
    """An alternative product offered instead, with a note."""


class BidContent(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What a bid version says. For sealed procedures this whole structure is encrypted at rest.

    ``salt`` is random per version, so the content hash in a receipt cannot be used to guess the prices.
    """

    lines: list[BidLine]
    valid_until: date
    delivery_cost_minor: int = 0
    note: str | None = None
    scores: dict[str, int] = msgspec.field(default_factory=dict)
    """Buyer-side only (never in a vendor's bid): scores 0-100 for non-formula criteria."""
    salt: str = ""


class Bid(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    rfq_id: int
    vendor_id: int
    status: BidStatus
    rfq_revision: int
    current_version: int
    turn: Literal["buyer", "vendor"]
    round: int
    respond_by: datetime | None
    shortlisted: bool
    created_at: datetime


class BidVersion(msgspec.Struct, frozen=True, kw_only=True):
    """One immutable version of a bid. ``content`` is None while the version is sealed for the reader."""

    id: int
    bid_id: int
    version: int
    author: Literal["vendor", "buyer"]
    round: int
    rfq_revision: int
    submitted_by: int
    submitted_at: datetime
    opens_at: datetime
    content_sha256: str
    note: str | None
    content: BidContent | None
    target_prices: dict[str, int] | None = None
    """Buyer versions (a request for a revised quote): target unit prices by line id."""


class OpenedBid(msgspec.Struct, frozen=True, kw_only=True):
    """A bid as the buyer sees it once it may be read: its vendor and the content of its live version."""

    bid: Bid
    vendor_name: str
    version: int
    submitted_at: datetime
    content: BidContent
    valid_for_revision: bool
    """Whether the live version answers the RFQ's current revision (false: needs re-confirmation)."""


class Receipt(msgspec.Struct, frozen=True, kw_only=True):
    """A signed submission receipt: the server's timestamp and the hash of the bid content."""

    rfq_id: int
    bid_id: int
    version: int
    submitted_at: datetime
    content_sha256: str
    signature: str
    """HMAC-SHA256 (hex) over the fields above, with a key derived from the server's secret."""


class AwardLine(msgspec.Struct, frozen=True, kw_only=True):
    line_id: int
    bid_id: int
    vendor_id: int
    vendor_name: str
    bid_version: int
    quantity: int
    currency: str
    unit_price_minor: int
    price_basis: int
    line_total_minor: int
    lead_time_days: int | None


class Award(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    rfq_id: int
    justification: str
    decided_by: int
    decided_at: datetime
    final_at: datetime
    evaluation: dict[str, Any]
    lines: list[AwardLine]


class Question(msgspec.Struct, frozen=True, kw_only=True):
    """A vendor's question. Readers never learn the asking company: only its per-RFQ ``alias``."""

    id: int
    rfq_id: int
    alias: str
    line_id: int | None
    body: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None
    mine: bool = False
    """For a vendor reader: its own company asked this question."""


class Amendment(msgspec.Struct, frozen=True, kw_only=True):
    """One published change of an RFQ: what changed field by field, and whether bids must be re-confirmed."""

    id: int
    rfq_id: int
    revision: int
    material: bool
    summary: str
    changes: dict[str, Any]
    closes_at_before: datetime
    closes_at_after: datetime
    created_at: datetime


class RfqAttachment(msgspec.Struct, frozen=True, kw_only=True):
    """A document or drawing of a request (``line_id`` None) or of one of its lines."""

    id: int
    rfq_id: int
    line_id: int | None
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    added_in: int
    """The revision that added the file: 1 for files of the draft, later ones came with an amendment."""
    removed_in: int | None
    """The revision (amendment) that withdrew the file; vendors no longer see it."""
    created_at: datetime


class FileMeta(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What a sealed bid file's row keeps encrypted: nothing of it is readable before opening."""

    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    ref: str
    """Random, bound into the encryption of the file's bytes: the bytes open only with this metadata."""


class BidAttachment(msgspec.Struct, frozen=True, kw_only=True):
    """A file of a bid, as a reader that may open it sees it."""

    id: int
    bid_id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    sealed: bool
    opens_at: datetime
    created_at: datetime
