"""RFQ use cases of the buyer: drafts, approval, publication, invitations, closing, cancellation.

Bids live in ``rfq/bids.py`` and evaluation and award in ``rfq/awards.py``. Every state change goes
through ``rules.transition`` (the one guard over the transition table), is a compare-and-set on the
RFQ's version and writes a history row in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec

from marketplace.core import audit
from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from marketplace.core.errors import FieldErrors, Forbidden, NotFound, RuleViolation, StaleWrite
from marketplace.core.events import rfq_changed
from marketplace.core.notifications import notify, notify_address
from marketplace.core.ratelimit import hit
from marketplace.settings import Settings
from rfq import repository as repo
from rfq import rules, sealing
from rfq.commands import InviteIn, RfqIn
from rfq.models import (
    FINAL,
    PROCEDURES,
    SYSTEM,
    UNPUBLISHED,
    Criterion,
    HistoryEntry,
    Invitation,
    Kind,
    Line,
    Lot,
    Rfq,
    Status,
)

BUYER_ROLES = ("requester", "buyer", "approver", "admin", "viewer")
DRAFT_ROLES = ("requester", "buyer", "admin")
VENDOR_ROLES = ("admin", "sales")
NOT_FOUND = "This request does not exist or is not visible to you."
# Buyer-side people who hear about what happens to an RFQ (all but viewers).
BUYER_AUDIENCE = ("requester", "buyer", "approver", "admin")
VENDOR_AUDIENCE = ("admin", "sales")


def buyer_of(actor: Actor) -> int:
    """The buyer company the actor acts for (404-style scope: a non-buyer owns no RFQ)."""
    if actor.company_id is None or actor.company_kind not in ("buyer", "both") or not actor.has_any(*BUYER_ROLES):
        return -1
    return actor.company_id


def vendor_of(actor: Actor) -> int:
    """The vendor company the actor acts for, or -1 (sees nothing)."""
    if actor.company_id is None or actor.company_kind not in ("vendor", "both"):
        return -1
    return actor.company_id


def require_vendor_role(actor: Actor) -> None:
    if not actor.has_any(*VENDOR_ROLES):
        raise Forbidden("rfq.role_required", "Only a vendor's admin or sales people may answer requests.")


def require_verified(actor: Actor) -> None:
    if actor.company_status != "verified":
        raise Forbidden("rfq.company_not_verified", "Only verified companies take part in requests and tenders.")


async def get_own(conn: Connection, actor: Actor, rfq_id: int, *, lock: bool = False) -> Rfq:
    """One of the buyer company's RFQs; raises ``NotFound`` for anything else."""
    found = await repo.get_for_buyer(conn, rfq_id, buyer_id=buyer_of(actor), lock=lock)
    if found is None:
        raise NotFound("rfq.not_found", NOT_FOUND)
    return found


async def get_visible(conn: Connection, actor: Actor, rfq_id: int, *, share_lock: bool = False) -> Rfq:
    """An RFQ as a vendor sees it (published, and invited, bidding or public in its categories)."""
    found = await repo.get_for_vendor(conn, rfq_id, vendor_id=vendor_of(actor), share_lock=share_lock)
    if found is None:
        raise NotFound("rfq.not_found", NOT_FOUND)
    return found


class RfqDetail(msgspec.Struct, frozen=True, kw_only=True):
    rfq: Rfq
    lots: list[Lot]
    lines: list[Line]


async def detail(conn: Connection, rfq: Rfq) -> RfqDetail:
    return RfqDetail(rfq=rfq, lots=await repo.list_lots(conn, rfq.id), lines=await repo.list_lines(conn, rfq.id))


async def _check_lines(conn: Connection, actor: Actor, cmd: RfqIn) -> tuple[list[dict[str, object]], dict[str, str]]:
    errors: dict[str, str] = {}
    addresses = await repo.own_address_ids(
        conn, buyer_of(actor), [ln.delivery_address_id for ln in cmd.lines if ln.delivery_address_id]
    )
    lines: list[dict[str, object]] = []
    for i, line in enumerate(cmd.lines):
        variant_id = None
        if line.product_id is not None:
            found = await repo.product_for_line(conn, line.product_id, buyer_id=buyer_of(actor))
            if found is None:
                errors[f"lines[{i}].product_id"] = "No such product in the catalog."
            else:
                variant_id = found[1]
        if line.delivery_address_id is not None and line.delivery_address_id not in addresses:
            errors[f"lines[{i}].delivery_address_id"] = "Not one of your company's addresses."
        lines.append({**msgspec.structs.asdict(line), "variant_id": variant_id})
    return lines, errors


def _criteria(cmd: RfqIn) -> list[Criterion]:
    if cmd.kind == "tender" and not cmd.criteria:
        return [Criterion(code="price", label="Price", weight=100)]
    return [Criterion(code=c.code, label=c.label, weight=c.weight) for c in cmd.criteria]


async def _validated(conn: Connection, actor: Actor, cmd: RfqIn) -> tuple[dict[str, object], list[dict[str, object]]]:
    lines, errors = await _check_lines(conn, actor, cmd)
    criteria = _criteria(cmd)
    errors.update(rules.check_criteria(criteria))
    if cmd.kind == "rfq" and cmd.criteria:
        errors["criteria"] = "Weighted criteria belong to tenders; an RFQ compares quotes side by side."
    if errors:
        raise FieldErrors(errors, code="rfq.invalid")
    now = await repo.clock(conn)
    procedure = PROCEDURES[Kind(cmd.kind)]
    fields: dict[str, object] = {
        "kind": cmd.kind,
        "title": cmd.title,
        "description": cmd.description,
        "currency": cmd.currency,
        "visibility": cmd.visibility,
        "category_ids": cmd.category_ids,
        "rules": procedure,
        "criteria": criteria,
        "closes_at": cmd.closes_at,
        "questions_close_at": cmd.questions_close_at or rules.default_questions_close(procedure, cmd.closes_at, now),
    }
    if fields["questions_close_at"] > cmd.closes_at:  # type: ignore[operator]
        raise FieldErrors({"questions_close_at": "Questions must close before the deadline."}, code="rfq.invalid")
    return fields, lines


async def create_rfq(conn: Connection, actor: Actor, cmd: RfqIn, *, settings: Settings) -> Rfq:
    """A new draft of the actor's buyer company. Raises ``Forbidden`` for roles that may not draft."""
    buyer_id = buyer_of(actor)
    if buyer_id < 0 or not actor.has_any(*DRAFT_ROLES):
        raise Forbidden("rfq.role_required", "Only requesters, buyers and admins of a buyer company draft requests.")
    procedure = PROCEDURES[Kind(cmd.kind)]
    await hit(conn, f"rfq-create:{buyer_id}", limit=procedure.max_rfqs_per_buyer_per_day, window=timedelta(days=1))
    fields, lines = await _validated(conn, actor, cmd)
    created = await repo.insert_rfq(
        conn, buyer_id=buyer_id, created_by=actor.user_id, buyer_time_zone=actor.time_zone, **fields
    )
    await repo.replace_lines(conn, created.id, lots=[lot.title for lot in cmd.lots], lines=lines)
    await repo.insert_history(conn, created.id, None, Status.DRAFT, actor.user_id, _role(actor), None)
    return created


async def update_draft(conn: Connection, actor: Actor, rfq_id: int, cmd: RfqIn, *, version: int) -> Rfq:
    """Replace a draft's content; only drafts change freely (published ones are amended)."""
    current = await get_own(conn, actor, rfq_id, lock=True)
    if current.status != Status.DRAFT:
        raise RuleViolation("rfq.not_a_draft", "Only drafts can be edited; a published request is amended.")
    if not actor.has_any(*DRAFT_ROLES):
        raise Forbidden("rfq.role_required", "Your role may not edit requests.")
    fields, lines = await _validated(conn, actor, cmd)
    updated = await repo.update_draft(conn, rfq_id, buyer_id=current.buyer_id, version=version, **fields)
    if updated is None:
        raise StaleWrite("rfq.stale", "Someone else changed this request; reload it and try again.")
    await repo.replace_lines(conn, rfq_id, lots=[lot.title for lot in cmd.lots], lines=lines)
    return updated


def _role(actor: Actor) -> str:
    for role in ("approver", "buyer", "requester", "admin", "viewer"):
        if actor.has_any(role):
            return role
    return "none"


async def move(
    conn: Connection,
    actor: Actor,
    rfq_id: int,
    target: Status,
    *,
    reason: str | None = None,
    settings: Settings,
    version: int | None = None,
    proceed_below_minimum: bool = False,
) -> Rfq:
    """Move one of the buyer's RFQs to ``target`` under the transition table (publish, approve, cancel...).

    Evaluating with fewer valid offers than the procedure's minimum needs ``proceed_below_minimum`` and a
    reason (the JSON API says so with a reason containing "proceed"); it is logged.
    """
    current = await get_own(conn, actor, rfq_id, lock=True)
    if version is not None and version != current.version:
        raise StaleWrite("rfq.stale", "Someone else changed this request; reload it and try again.")
    current = await close_if_due(conn, current, settings=settings)
    company = await repo.company_flags(conn, current.buyer_id)
    role = rules.transition(
        current.status, target, actor.roles, approval_required=bool(company["rfq_approval_required"])
    )
    if target == Status.CANCELLED and not (reason and reason.strip()):
        raise FieldErrors({"reason": "Say why the request is cancelled; the vendors will read it."}, code="rfq.invalid")
    if target == Status.PUBLISHED:
        await _prepare_publication(conn, actor, current, settings=settings, company=company)
    if target == Status.EVALUATED:
        if proceed_below_minimum and not (reason and reason.strip()):
            raise FieldErrors({"reason": "Say why you proceed with fewer offers; it is logged."}, code="rfq.invalid")
        proceed = proceed_below_minimum or bool(reason and "proceed" in reason.lower())
        await _check_minimum_competition(conn, actor, current, proceed=proceed)
    return await apply_transition(
        conn, current, target, user_id=actor.user_id, role=role, reason=reason, settings=settings
    )


async def apply_transition(
    conn: Connection,
    current: Rfq,
    target: Status,
    *,
    user_id: int | None,
    role: str,
    reason: str | None,
    settings: Settings,
) -> Rfq:
    moved = await repo.set_status(
        conn, current.id, source=current.status, target=target, reason=reason, version=current.version
    )
    if moved is None:
        raise StaleWrite("rfq.stale", "Someone else changed this request; reload it and try again.")
    await repo.insert_history(conn, current.id, current.status, target, user_id, role, reason)
    if moved.visibility == "public" or current.status == Status.PUBLISHED or target == Status.PUBLISHED:
        await rfq_changed(conn, moved.id)
    await _announce(conn, current, moved, reason=reason, settings=settings)
    return moved


async def _prepare_publication(
    conn: Connection, actor: Actor, current: Rfq, *, settings: Settings, company: dict[str, object]
) -> None:
    if company["status"] != "verified":
        raise Forbidden("rfq.company_not_verified", "Only verified companies publish requests.")
    now = await repo.clock(conn)
    errors = rules.check_schedule(
        current.rules, now=now, closes_at=current.closes_at, questions_close_at=current.questions_close_at
    )
    if errors:
        raise FieldErrors(errors, code="rfq.invalid_schedule")
    # The rules in force and the criteria are frozen now; vendors see both from here on.
    await repo.freeze_for_publication(
        conn, current.id, rules=PROCEDURES[current.kind], criteria=current.criteria, time_zone=actor.time_zone
    )
    if current.rules.sealed:
        master = sealing.sealing_master_key(settings)
        await repo.set_sealing_key(conn, current.id, sealing.wrap_data_key(master, sealing.new_data_key(), current.id))


async def _check_minimum_competition(conn: Connection, actor: Actor, current: Rfq, *, proceed: bool) -> None:
    valid = await repo.count_valid_bids(conn, current.id)
    if valid >= current.rules.min_bids:
        return
    if not proceed:
        raise RuleViolation(
            "rfq.below_minimum_competition",
            f"Only {valid} valid offer(s) arrived; the procedure asks for {current.rules.min_bids}. Mark the request "
            "unsuccessful, or proceed explicitly (give a reason containing 'proceed').",
            valid_bids=valid,
            min_bids=current.rules.min_bids,
        )
    await audit.record(
        conn,
        "rfq.proceed_below_minimum",
        actor=actor,
        target_type="rfq",
        target_id=current.id,
        valid_bids=valid,
        min_bids=current.rules.min_bids,
    )


async def close_if_due(conn: Connection, current: Rfq, *, settings: Settings) -> Rfq:
    """Apply the deadline if it has passed (any reader may; the job does the same): published → closed.

    With unanswered questions the procedure decides: ``block`` keeps the RFQ published (bids are refused
    anyway, the deadline has passed) until the buyer answers; ``extend`` moves the deadline on. Either way
    the open-requests index hears of it: vendors can no longer act on a blocked request, and an extended
    one is open longer.
    """
    if current.status != Status.PUBLISHED or not await repo.has_passed(conn, current.closes_at):
        return current
    unanswered = await repo.count_unanswered(conn, current.id)
    if unanswered:
        if current.rules.unanswered_questions == "block":
            # Once: the clock job stops revisiting it; answering the last question closes it (questions.py).
            if await repo.hold_for_answers(conn, current.id) and current.visibility == "public":
                await rfq_changed(conn, current.id)
            return current
        now = await repo.clock(conn)
        closes_at = now + timedelta(hours=current.rules.extend_hours)
        await repo.set_schedule(conn, current.id, closes_at=closes_at, questions_close_at=current.questions_close_at)
        if current.visibility == "public":
            await rfq_changed(conn, current.id)
        await repo.insert_history(
            conn,
            current.id,
            Status.PUBLISHED,
            Status.PUBLISHED,
            None,
            SYSTEM,
            f"deadline extended to {closes_at.isoformat()}: {unanswered} question(s) unanswered",
        )
        extended = await repo.get_for_buyer(conn, current.id, buyer_id=current.buyer_id)
        assert extended is not None
        await tell_vendors(
            conn,
            extended,
            kind="rfq.deadline_extended",
            settings=settings,
            subject=f"Deadline extended: {extended.title}",
            body=f"The deadline of '{extended.title}' moved to "
            f"{deadline_text(extended.closes_at, extended.buyer_time_zone)} because questions are still open.",
            key=f"extended:{extended.closes_at.isoformat()}",
        )
        return extended
    return await apply_transition(
        conn, current, Status.CLOSED, user_id=None, role=SYSTEM, reason="deadline passed", settings=settings
    )


async def close_due_rfqs(conn: Connection, *, settings: Settings, limit: int = 100) -> int:
    """The clock job: close every published RFQ whose deadline passed. Idempotent, safe to run concurrently
    (rows are taken with SKIP LOCKED and moved by compare-and-set)."""
    closed = 0
    for rfq_id, buyer_id in await repo.lock_due_for_closing(conn, limit):
        current = await repo.get_for_buyer(conn, rfq_id, buyer_id=buyer_id)
        if current is None:
            continue
        after = await close_if_due(conn, current, settings=settings)
        closed += after.status == Status.CLOSED
    return closed


async def invite(conn: Connection, actor: Actor, rfq_id: int, cmd: InviteIn, *, settings: Settings) -> list[Invitation]:
    """Invite vendor companies (verified ones only) and suppliers by email (they are asked to join)."""
    current = await get_own(conn, actor, rfq_id, lock=True)
    if current.status in FINAL or current.status == Status.CLOSED:
        raise RuleViolation("rfq.closed", "Invitations are possible until the deadline.")
    if not actor.has_any("buyer", "admin", "requester"):
        raise Forbidden("rfq.role_required", "Your role may not invite vendors.")
    known = await repo.known_vendor_ids(conn, cmd.vendor_ids)
    unknown = [v for v in cmd.vendor_ids if v not in known]
    if unknown:
        raise FieldErrors(
            {"vendor_ids": f"Not verified vendor companies: {', '.join(map(str, unknown))}."}, code="rfq.invalid"
        )
    new_vendors = await repo.invite_vendors(
        conn, rfq_id, cmd.vendor_ids, invited_by=actor.user_id, buyer_id=current.buyer_id
    )
    new_emails = await repo.invite_emails(conn, rfq_id, cmd.emails, invited_by=actor.user_id)
    if current.status not in UNPUBLISHED:
        await _send_invitations(conn, current, new_vendors, new_emails, settings=settings)
    return await repo.list_invitations(conn, rfq_id)


async def _send_invitations(
    conn: Connection, current: Rfq, vendor_ids: list[int], emails: list[tuple[int, str]], *, settings: Settings
) -> None:
    """Invited companies are notified; invited addresses get a sign-up link that carries their invitation."""
    buyer = await repo.company_flags(conn, current.buyer_id)
    subject = f"Invitation to {'tender' if current.kind == Kind.TENDER else 'quote'}: {current.title}"
    body = (
        f"{buyer['legal_name']} invites you to make an offer for '{current.title}'. "
        f"Deadline: {deadline_text(current.closes_at, current.buyer_time_zone)}."
    )
    for vendor_id in vendor_ids:
        await notify(
            conn,
            company_id=vendor_id,
            roles=VENDOR_AUDIENCE,
            kind="rfq.invitation",
            subject=subject,
            body=body,
            link=f"/vendor/rfqs/{current.id}",
            dedupe_key=f"rfq:{current.id}:invitation",
            base_url=settings.public_base_url,
        )
    link_key = sealing.invitation_link_key(settings)
    for invitation_id, email in emails:
        token = sealing.invitation_token(link_key, invitation_id, email)
        await notify_address(
            conn,
            email=email,
            kind="rfq.invitation",
            subject=subject,
            body=body + " Your company is not on Tradeyard yet: register it with the link below to answer. Once "
            "Tradeyard has verified your company, the request is waiting in your inbox.",
            link=f"{settings.public_base_url}/signup?invitation={token}",
            dedupe_key=f"rfq:{current.id}:invitation",
        )


async def respond_to_invitation(
    conn: Connection, actor: Actor, rfq_id: int, *, accept: bool, reason: str | None
) -> None:
    current = await get_visible(conn, actor, rfq_id)
    require_vendor_role(actor)
    if not await repo.respond_invitation(
        conn, current.id, vendor_of(actor), "accepted" if accept else "declined", reason
    ):
        raise NotFound("rfq.not_invited", "Your company has no invitation to this request.")


def deadline_text(instant: datetime, tz: str) -> str:
    """An instant in the buyer's zone with UTC beside it (for emails, which have no viewer zone)."""
    local = instant.astimezone(rules.zone_of(tz))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({instant.astimezone(ZoneInfo('UTC')):%Y-%m-%d %H:%M} UTC)"


async def tell_vendors(
    conn: Connection, current: Rfq, *, kind: str, subject: str, body: str, key: str, settings: Settings
) -> None:
    for vendor_id in await repo.participant_vendor_ids(conn, current.id):
        await notify(
            conn,
            company_id=vendor_id,
            roles=VENDOR_AUDIENCE,
            kind=kind,
            subject=subject,
            body=body,
            link=f"/vendor/rfqs/{current.id}",
            dedupe_key=f"rfq:{current.id}:{key}",
            base_url=settings.public_base_url,
        )


async def _announce(conn: Connection, before: Rfq, after: Rfq, *, reason: str | None, settings: Settings) -> None:
    """Who hears about a status change. Nothing here carries bid contents."""
    target = after.status
    if target == Status.PENDING_APPROVAL:
        await notify(
            conn,
            company_id=after.buyer_id,
            roles=("approver",),
            kind="rfq.approval_requested",
            subject=f"Approval requested: {after.title}",
            body=f"'{after.title}' waits for your approval.",
            link=f"/buyer/rfqs/{after.id}",
            dedupe_key=f"rfq:{after.id}:approval:{after.version}",
            base_url=settings.public_base_url,
        )
    elif target == Status.PUBLISHED:
        invitations = await repo.list_invitations(conn, after.id)
        await _send_invitations(
            conn,
            after,
            [i.vendor_id for i in invitations if i.vendor_id is not None],
            [(i.id, i.email) for i in invitations if i.vendor_id is None and i.email],
            settings=settings,
        )
    elif target == Status.CLOSED:
        await tell_vendors(
            conn,
            after,
            kind="rfq.opened",
            settings=settings,
            key="opened",
            subject=f"Offers opened: {after.title}",
            body=f"The deadline of '{after.title}' has passed and the offers were opened. "
            "You will hear about the decision.",
        )
        await notify(
            conn,
            company_id=after.buyer_id,
            roles=BUYER_AUDIENCE,
            kind="rfq.closed",
            subject=f"Deadline passed: {after.title}",
            body=f"The offers for '{after.title}' can now be compared.",
            link=f"/buyer/rfqs/{after.id}/compare",
            dedupe_key=f"rfq:{after.id}:closed",
            base_url=settings.public_base_url,
        )
    elif target in (Status.CANCELLED, Status.UNSUCCESSFUL) and before.status not in UNPUBLISHED:
        await tell_vendors(
            conn,
            after,
            kind=f"rfq.{target}",
            settings=settings,
            key=str(target),
            subject=f"Request {target}: {after.title}",
            body=f"'{after.title}' was {target}." + (f" Reason: {reason}" if reason else ""),
        )


# --- reads for the pages (the JSON API reads the repository the same way) ------------------------------
class InboxItem(msgspec.Struct, frozen=True, kw_only=True):
    rfq: Rfq
    invitation: str | None
    """This vendor's invitation status, None for a public request."""
    bid_status: str | None


async def list_own(
    conn: Connection, actor: Actor, *, status: Status | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Rfq], int]:
    """The buyer company's RFQs, newest first, with the total."""
    return await repo.list_for_buyer(conn, buyer_id=buyer_of(actor), status=status, limit=limit, offset=offset)


async def list_inbox(
    conn: Connection, actor: Actor, *, open_only: bool = False, limit: int = 50, offset: int = 0
) -> tuple[list[InboxItem], int]:
    """What a vendor may answer: invitations and public requests in its categories, soonest deadline first."""
    found, total = await repo.list_for_vendor(
        conn, vendor_id=vendor_of(actor), open_only=open_only, limit=limit, offset=offset
    )
    return [InboxItem(rfq=r, invitation=inv, bid_status=bid) for r, inv, bid in found], total


class RfqRecord(msgspec.Struct, frozen=True, kw_only=True):
    invitations: list[Invitation]
    history: list[HistoryEntry]


async def record_of(conn: Connection, actor: Actor, rfq_id: int) -> RfqRecord:
    """Invitations and status history of one of the buyer's RFQs; raises ``NotFound`` for anything else."""
    current = await get_own(conn, actor, rfq_id)
    return RfqRecord(
        invitations=await repo.list_invitations(conn, current.id), history=await repo.list_history(conn, current.id)
    )


async def own_invitation(conn: Connection, actor: Actor, rfq_id: int) -> Invitation | None:
    """The vendor's own invitation to a visible RFQ (None: a public request it was not invited to)."""
    current = await get_visible(conn, actor, rfq_id)
    vendor_id = vendor_of(actor)
    return next((i for i in await repo.list_invitations(conn, current.id) if i.vendor_id == vendor_id), None)
