"""Validated input of the RFQ use cases (shared by the JSON API and the pages)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

Text200 = Annotated[str, Meta(min_length=3, max_length=200)]
Id = Annotated[int, Meta(ge=1, le=2**63 - 1)]
Quantity = Annotated[int, Meta(ge=1, le=1_000_000_000)]
Minor = Annotated[int, Meta(ge=0, le=10**13)]
Basis = Annotated[int, Meta(ge=1, le=10_000)]
Note = Annotated[str, Meta(max_length=2000)]


class LotIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    title: Annotated[str, Meta(min_length=1, max_length=200)]


class LineIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    description: Annotated[str, Meta(min_length=1, max_length=4000)]
    quantity: Quantity
    unit: Annotated[str, Meta(min_length=1, max_length=20)] = "piece"
    lot: Annotated[int, Meta(ge=1, le=100)] | None = None
    """Position (1-based) of the lot this line belongs to, in ``lots``."""
    product_id: Id | None = None
    """A catalog product this line asks for (it must be visible to the buyer)."""
    required_by: date | None = None
    delivery_address_id: Id | None = None
    target_price_minor: Minor | None = None
    target_price_basis: Basis = 1


class CriterionIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    code: Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{1,30}$")]
    label: Annotated[str, Meta(min_length=1, max_length=80)]
    weight: Annotated[int, Meta(ge=1, le=100)]


class RfqIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A draft RFQ or tender. ``closes_at`` is an absolute instant: send it with its UTC offset."""

    kind: Literal["rfq", "tender"] = "rfq"
    title: Text200
    description: Annotated[str, Meta(max_length=20000)] = ""
    currency: Annotated[str, Meta(pattern=r"^[A-Z]{3}$")] = "EUR"
    visibility: Literal["public", "invited"] = "invited"
    category_ids: Annotated[list[Id], Meta(max_length=20)] = msgspec.field(default_factory=list)
    closes_at: datetime
    questions_close_at: datetime | None = None
    criteria: Annotated[list[CriterionIn], Meta(max_length=10)] = msgspec.field(default_factory=list)
    lots: Annotated[list[LotIn], Meta(max_length=100)] = msgspec.field(default_factory=list)
    lines: Annotated[list[LineIn], Meta(min_length=1, max_length=1000)]

    def __post_init__(self) -> None:
        for field, value in (("closes_at", self.closes_at), ("questions_close_at", self.questions_close_at)):
            if value is not None and value.tzinfo is None:
                raise msgspec.ValidationError(f"needs a UTC offset (an absolute instant) - at `$.{field}`")
        for i, line in enumerate(self.lines):
            if line.lot is not None and line.lot > len(self.lots):
                raise msgspec.ValidationError(f"there is no lot {line.lot} - at `$.lines[{i}].lot`")


class InviteIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    vendor_ids: Annotated[list[Id], Meta(max_length=200)] = msgspec.field(default_factory=list)
    emails: Annotated[
        list[Annotated[str, Meta(pattern=r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")]], Meta(max_length=200)
    ] = msgspec.field(default_factory=list)


class BidLineIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    line_id: Id
    unit_price_minor: Minor
    price_basis: Basis = 1
    lead_time_days: Annotated[int, Meta(ge=0, le=3650)]
    moq: Quantity = 1
    pack_size: Quantity = 1
    deviation: Note | None = None
    alternative: Note | None = None


class BidIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A quote or bid: at least one line; lines not offered are simply left out."""

    lines: Annotated[list[BidLineIn], Meta(min_length=1, max_length=1000)]
    valid_until: date
    delivery_cost_minor: Minor = 0
    note: Note | None = None

    def __post_init__(self) -> None:
        seen: set[int] = set()
        for i, line in enumerate(self.lines):
            if line.line_id in seen:
                raise msgspec.ValidationError(f"line offered twice - at `$.lines[{i}].line_id`")
            seen.add(line.line_id)


class RevisionRequestIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The buyer asks one vendor for a revised quote (a negotiation round), optionally with target prices."""

    message: Annotated[str, Meta(min_length=1, max_length=2000)]
    respond_by: datetime
    target_prices: dict[str, Minor] = msgspec.field(default_factory=dict)
    """Line id (as a string) → target unit price in minor units per the line's basis."""


class BafoIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Open a best-and-final-offer round for a shortlist (tenders)."""

    bid_ids: Annotated[list[Id], Meta(min_length=1, max_length=50)]
    closes_at: datetime


class AwardLineIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    line_id: Id
    bid_id: Id
    quantity: Quantity


class AwardIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Award whole, per lot or per line: one entry per (line, bid) with the quantity it gets."""

    lines: Annotated[list[AwardLineIn], Meta(min_length=1, max_length=5000)]
    justification: Annotated[str, Meta(min_length=3, max_length=4000)]
    proceed_below_minimum: bool = False


class DeclineIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(max_length=1000)] | None = None


class QuestionIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A vendor's question, about the whole request or one line."""

    body: Annotated[str, Meta(min_length=1, max_length=4000)]
    line_id: Id | None = None


class AnswerIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    answer: Annotated[str, Meta(min_length=1, max_length=8000)]


class LineChangeIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One line change of an amendment: ``add`` a line, ``remove`` one, or ``change`` some of its fields.

    Fields left out stay as they are; ``required_by``, ``delivery_address_id`` and ``target_price_minor``
    may be set to null to clear them."""

    action: Literal["add", "remove", "change"]
    line_id: Id | None = None
    description: Annotated[str, Meta(min_length=1, max_length=4000)] | msgspec.UnsetType = msgspec.UNSET
    quantity: Quantity | msgspec.UnsetType = msgspec.UNSET
    unit: Annotated[str, Meta(min_length=1, max_length=20)] | msgspec.UnsetType = msgspec.UNSET
    required_by: date | msgspec.UnsetType | None = msgspec.UNSET
    delivery_address_id: Id | msgspec.UnsetType | None = msgspec.UNSET
    target_price_minor: Minor | msgspec.UnsetType | None = msgspec.UNSET
    target_price_basis: Basis | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if self.action == "add":
            if self.line_id is not None:
                raise msgspec.ValidationError("a new line has no id yet - at `$.line_id`")
            if self.description is msgspec.UNSET or self.quantity is msgspec.UNSET:
                raise msgspec.ValidationError("a new line needs a description and a quantity - at `$.description`")
        elif self.line_id is None:
            raise msgspec.ValidationError(f"say which line to {self.action} - at `$.line_id`")


class AmendmentIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A change to a published request. ``kind``, ``currency``, ``criteria`` and ``visibility`` are frozen at
    publication: sending them is refused (422) with the field named."""

    summary: Annotated[str, Meta(min_length=1, max_length=2000)]
    title: Text200 | msgspec.UnsetType = msgspec.UNSET
    description: Annotated[str, Meta(max_length=20000)] | msgspec.UnsetType = msgspec.UNSET
    closes_at: datetime | msgspec.UnsetType = msgspec.UNSET
    questions_close_at: datetime | msgspec.UnsetType = msgspec.UNSET
    lines: Annotated[list[LineChangeIn], Meta(max_length=1000)] = msgspec.field(default_factory=list)
    kind: Any = msgspec.UNSET
    currency: Any = msgspec.UNSET
    criteria: Any = msgspec.UNSET
    visibility: Any = msgspec.UNSET

    def __post_init__(self) -> None:
        for field, value in (("closes_at", self.closes_at), ("questions_close_at", self.questions_close_at)):
            if isinstance(value, datetime) and value.tzinfo is None:
                raise msgspec.ValidationError(f"needs a UTC offset (an absolute instant) - at `$.{field}`")


Summary = Annotated[str, Meta(min_length=1, max_length=2000)]


class RfqFileIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The fields sent with a request file (multipart, beside ``file``).

    While the request is a draft only ``line_id`` counts. After publication a file is added with an
    amendment: ``summary`` (required) is what vendors read, and ``material`` says whether the file changes
    what is asked (then offers must be re-confirmed and the deadline leaves the procedure's minimum time).
    """

    line_id: Id | None = None
    summary: Summary | None = None
    material: bool = False


class FileRemovalIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Removing a request file after publication is an amendment too (a draft's file is simply deleted)."""

    summary: Summary | None = None
    material: bool = False
