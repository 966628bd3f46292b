"""Pure rules of RFQs and tenders: the transition guard, deadlines, amendments. No I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marketplace.core.errors import Forbidden, InvalidTransition, RuleViolation
from rfq.models import SYSTEM, TRANSITIONS, Criterion, ProcedureRules, Status

FORMULA_CRITERIA = ("price", "lead_time")


def allowed_roles(source: Status, target: Status) -> frozenset[str]:
    return TRANSITIONS.get((source, target), frozenset())


def transition(source: Status, target: Status, roles: Iterable[str], *, approval_required: bool = False) -> str:
    """The role under which ``roles`` may move an RFQ from ``source`` to ``target``.

    Raises ``InvalidTransition`` (409) when the move does not exist or needs an approval first, and
    ``Forbidden`` (403) when it exists but none of ``roles`` may make it.
    """
    allowed = allowed_roles(source, target)
    if not allowed:
        raise InvalidTransition("rfq.invalid_transition", f"An RFQ cannot go from {source} to {target}.")
    held = [r for r in roles if r in allowed]
    if not held:
        raise Forbidden(
            "rfq.role_required",
            f"Moving an RFQ from {source} to {target} needs one of the roles: {', '.join(sorted(allowed))}.",
        )
    if source == Status.DRAFT and target == Status.PUBLISHED and approval_required:
        raise InvalidTransition(
            "rfq.approval_required", "Your company requires an approver's approval before publishing."
        )
    # Prefer a person's role over the clock's in the history, and the most specific one.
    order = ("approver", "buyer", "requester", "admin", "viewer", SYSTEM)
    return min(held, key=lambda r: order.index(r) if r in order else len(order))


def check_schedule(
    rules: ProcedureRules, *, now: datetime, closes_at: datetime, questions_close_at: datetime
) -> dict[str, str]:
    """Problems with the deadlines at publication, by field (empty: fine)."""
    errors: dict[str, str] = {}
    earliest = now + timedelta(hours=rules.min_open_hours)
    if closes_at < earliest:
        errors["closes_at"] = (
            f"The deadline must leave at least {rules.min_open_hours} hours for offers "
            f"(no earlier than {earliest:%Y-%m-%d %H:%M} UTC)."
        )
    if questions_close_at > closes_at:
        errors["questions_close_at"] = "Questions must close before the deadline."
    elif questions_close_at <= now:
        errors["questions_close_at"] = "The question deadline has already passed."
    return errors


def default_questions_close(rules: ProcedureRules, closes_at: datetime, now: datetime) -> datetime:
    """Questions close ``questions_close_hours`` before the deadline, but not before half the open time."""
    candidate = closes_at - timedelta(hours=rules.questions_close_hours)
    midpoint = now + (closes_at - now) / 2
    return max(candidate, midpoint) if closes_at > now else closes_at


def check_criteria(criteria: Sequence[Criterion]) -> dict[str, str]:
    """Weights are whole percents adding up to 100, codes are unique; price must be one of them."""
    errors: dict[str, str] = {}
    if not criteria:
        return errors
    codes = [c.code for c in criteria]
    if len(set(codes)) != len(codes):
        errors["criteria"] = "Each criterion appears once."
    if any(c.weight <= 0 for c in criteria):
        errors["criteria"] = "Each criterion weighs more than 0 %."
    elif sum(c.weight for c in criteria) != 100:
        errors["criteria"] = f"The weights add up to {sum(c.weight for c in criteria)} %, not 100 %."
    if "price" not in codes:
        errors["criteria"] = "Price is always one of the criteria."
    return errors


# Changes to these fields after publication are material: bids must be re-confirmed and the deadline
# leaves at least the procedure's minimum time. Anything else (title, description wording) is not.
MATERIAL_LINE_FIELDS = ("quantity", "unit", "product_id", "variant_id", "required_by", "delivery_address_id", "lot_id")


def is_material(changes: Mapping[str, Any], *, closes_at_before: datetime, closes_at_after: datetime) -> bool:
    """Whether an amendment's changes (see ``diff``) force bids to be re-confirmed."""
    if closes_at_after < closes_at_before:
        return True  # shortening the deadline
    if "criteria" in changes or "currency" in changes:
        return True
    # A document or drawing may change what is asked; the buyer says so when adding or withdrawing it.
    if any(file_change.get("material") for file_change in changes.get("attachments", [])):
        return True
    for line_change in changes.get("lines", []):
        if line_change["change"] in ("added", "removed"):
            return True
        if any(field in MATERIAL_LINE_FIELDS for field in line_change.get("fields", {})):
            return True
    return False


def extended_deadline(rules: ProcedureRules, *, material: bool, now: datetime, requested: datetime) -> datetime:
    """The deadline after an amendment: a material one leaves at least the procedure's minimum time."""
    if not material:
        return requested
    return max(requested, now + timedelta(hours=rules.min_remaining_after_amendment_hours))


def diff(before: Mapping[str, Any], after: Mapping[str, Any], *, fields: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Field → {"from": old, "to": new} for each field that differs."""
    return {
        f: {"from": _jsonable(before.get(f)), "to": _jsonable(after.get(f))}
        for f in fields
        if before.get(f) != after.get(f)
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def landed_quantity(quantity: int, *, moq: int, pack_size: int) -> int:
    """What the buyer really has to take: at least the MOQ, rounded up to whole packs."""
    wanted = max(quantity, moq, 1)
    pack = max(pack_size, 1)
    return -(-wanted // pack) * pack


def zone_of(name: str) -> ZoneInfo:
    """A time zone by name; an unknown name falls back to UTC rather than failing a page or an email."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def buyer_today(buyer_time_zone: str, now: datetime) -> date:
    """The date in the buyer's zone: quotes are valid through the end of their ``valid_until`` day there."""
    return now.astimezone(zone_of(buyer_time_zone)).date()


def quote_expired(valid_until: date, today: date) -> bool:
    """A quote is valid through the end of its ``valid_until`` day (in the buyer's zone)."""
    return today > valid_until


def check_award_split(requested: Mapping[int, int], awarded: Mapping[int, list[int]]) -> dict[str, str]:
    """Per line: the split quantities are positive and add up to at most what was requested."""
    errors: dict[str, str] = {}
    for line_id, quantities in awarded.items():
        if line_id not in requested:
            errors[f"lines.{line_id}"] = "This line is not part of the request."
        elif any(q <= 0 for q in quantities):
            errors[f"lines.{line_id}"] = "Awarded quantities are at least 1."
        elif sum(quantities) > requested[line_id]:
            errors[f"lines.{line_id}"] = f"{sum(quantities)} awarded, but only {requested[line_id]} were requested."
    return errors


class DeadlinePassed(RuleViolation):
    """Raised with the window in UTC and in the buyer's zone, whatever the job has done meanwhile."""
