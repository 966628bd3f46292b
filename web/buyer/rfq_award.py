"""The award page: split each line between vendors from the comparison, review what will be locked, confirm.

- ``GET /buyer/rfqs/{id}/award``: the editor, each line prefilled whole to its best-value offer, with the
  totals per vendor and what is left unallocated.
- ``POST …/award/draft``: the editor again with what was typed: quick actions ("every line it offers" or
  "lot L" to one vendor, back to best value) and fresh totals. htmx asks for the editor (``HX-Target:
  award-editor``) or, while quantities are typed, only the totals (``award-summary``).
- ``POST …/award/review``: every rule of the award without writing (``rfq.awards.plan_award``): the
  confirm step showing what will be locked, or the editor with the rule's messages next to the fields.
- ``POST …/award``: the confirmation (``rfq.awards.award``, as ``POST /api/v1/rfqs/{id}/award``).
- ``POST …/award/evaluate``: closed → evaluated from here; below the procedure's minimum number of
  offers only with "proceed anyway" and a reason (logged).

Only approvers and admins award; everyone else of the buyer company sees the page and why not.
Every form works without JavaScript; htmx only saves round trips.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.response import Template

from marketplace.core.actor import Actor, CurrentActor
from marketplace.core.db import Connection, PathId, Tx
from marketplace.core.errors import DomainError, FieldErrors
from rfq import awards, service
from rfq.awards import Allocation, AwardPlan, allocation, best_value_split, give_to
from rfq.commands import AwardIn
from rfq.compare import RfqComparison, comparison
from rfq.models import UNPUBLISHED, Award, BidStatus, Lot, Rfq, Status
from web.forms import FormErrors, parse_nested, read_form, render_form
from web.session import redirect

AnyRequest = Request[Any, Any, Any]
QUANTITY_TEXT = re.compile(r"^\d{1,10}$")
ENTRY_KEY = re.compile(r"^lines\[(\d+)\]")
SPLIT_KEY = re.compile(r"^lines\.(\d+)$")
Split = dict[tuple[int, int], int]


def quantity_key(line_id: int, bid_id: int) -> str:
    """The input (and error) name of the quantity of one line given to one offer."""
    return f"q-{line_id}-{bid_id}"


def award_note(rfq: Rfq, actor: Actor) -> str | None:
    """Why the actor cannot award this request now (None: the editor is live)."""
    if rfq.status == Status.AWARDED:
        return "This request has been awarded."
    if rfq.status in (Status.UNSUCCESSFUL, Status.CANCELLED):
        return f"This request was {rfq.status}; there is nothing to award."
    if rfq.status in UNPUBLISHED or rfq.status == Status.PUBLISHED:
        return "Offers are awarded after the deadline, once they have been evaluated."
    if not actor.has_any(*awards.AWARD_ROLES):
        held = ", ".join(sorted(actor.roles)) or "none"
        return f"Only approvers and admins award (your roles: {held}). You can read the split; an approver confirms it."
    if rfq.status == Status.CLOSED:
        return "Evaluate the offers first (above); then award them here."
    return None


def read_split(data: dict[str, Any], found: RfqComparison) -> tuple[Split, dict[str, str]]:
    """The quantities typed per (line, offer) over the comparison's offers, and a message per unreadable one."""
    split: Split = {}
    errors: dict[str, str] = {}
    comparison_ = found.evaluation.comparison
    for row in comparison_.rows:
        for vendor, cell in zip(comparison_.vendors, row.cells, strict=True):
            if cell is None:
                continue
            key = quantity_key(row.line.id, vendor.bid_id)
            text = str(data.get(key, "")).strip()
            if not text:
                continue
            if not QUANTITY_TEXT.match(text):
                errors[key] = "Enter a whole number (0 for none)."
            elif int(text):
                split[(row.line.id, vendor.bid_id)] = int(text)
    return split, errors


def award_command(data: dict[str, Any], found: RfqComparison) -> tuple[AwardIn, list[str]]:
    """The editor as an ``AwardIn``: one entry per (line, offer) with a quantity, in the page's order, and
    the input name of each entry (to put the award rules' messages next to their field).

    Raises ``FormErrors`` keyed by input names.
    """
    split, errors = read_split(data, found)
    if errors:
        raise FormErrors(errors)
    if not split:
        raise FormErrors({}, "Give at least one line (or part of one) to an offer.")
    keys = [quantity_key(line_id, bid_id) for line_id, bid_id in split]
    entries = [{"line_id": line_id, "bid_id": bid_id, "quantity": q} for (line_id, bid_id), q in split.items()]
    raw = {"lines": entries, "justification": str(data.get("justification", "")).strip()}
    try:
        return parse_nested(AwardIn, raw), keys
    except FormErrors as exc:
        raise FormErrors(form_fields(exc.fields, keys), exc.summary) from None


def form_fields(fields: dict[str, str], keys: list[str]) -> dict[str, str]:
    """The award rules' field names (``lines[2].bid_id``, ``lines.<line id>``) as the editor's input names."""
    out: dict[str, str] = {}
    for field, message in fields.items():
        entry, split = ENTRY_KEY.match(field), SPLIT_KEY.match(field)
        if entry and int(entry.group(1)) < len(keys):
            field = keys[int(entry.group(1))]
        elif split:
            field = f"line-{split.group(1)}"
        out[field] = message
    return out


def apply_quick_action(data: dict[str, Any], found: RfqComparison, split: Split, lots: list[Lot]) -> tuple[Split, str]:
    """ "Every line it offers" or "lot L" to one vendor, or back to the best value per line; and what was done."""
    comparison_ = found.evaluation.comparison
    if data.get("action") == "reset":
        return best_value_split(comparison_), "Each line is given whole to its best-value offer again."
    vendor = next((v for v in comparison_.vendors if str(v.bid_id) == str(data.get("quick_bid", ""))), None)
    if vendor is None:
        return split, "Choose a vendor first."
    scope = str(data.get("quick_scope", "all"))
    lot = next((lot for lot in lots if scope == f"lot:{lot.id}"), None)
    line_ids = None if lot is None else {r.line.id for r in comparison_.rows if r.line.lot_id == lot.id}
    where = "every line it offers" if lot is None else f"lot {lot.position} ({lot.title})"
    return give_to(comparison_, split, vendor.bid_id, line_ids=line_ids), f"{vendor.vendor_name} gets {where}."


async def _context(
    conn: Connection,
    actor: Actor,
    rfq_id: int,
    settings: Any,
    *,
    split: Split | None = None,
    found: RfqComparison | None = None,
    **extra: Any,
) -> dict[str, Any]:
    found = found or await comparison(conn, actor, rfq_id, settings=settings)
    rfq = found.rfq
    comparison_ = found.evaluation.comparison
    lots = (await service.detail(conn, rfq)).lots
    allocated: Allocation = allocation(comparison_, best_value_split(comparison_) if split is None else split)
    note = award_note(rfq, actor)
    award: Award | None = await awards.get_award(conn, actor, rfq.id) if rfq.status == Status.AWARDED else None
    valid = sum(1 for v in comparison_.vendors if v.status == BidStatus.SUBMITTED and v.valid_for_revision)
    labels = {"justification": "Justification", "reason": "Reason"}
    for row in allocated.rows:
        labels[f"line-{row.line.id}"] = f"Line {row.line.position}"
        for o in row.offers:
            labels[quantity_key(row.line.id, o.bid_id)] = f"Line {row.line.position}, {o.vendor_name}"
    return {
        "actor": actor,
        "rfq": rfq,
        "found": found,
        "comparison": comparison_,
        "lots": lots,
        "allocation": allocated,
        "quantity_key": quantity_key,
        "note": note,
        "editable": note is None,
        "award": award,
        "can_evaluate": rfq.status == Status.CLOSED and actor.has_any("buyer", "approver", "admin"),
        "valid_offers": valid,
        "below_minimum": valid < rfq.rules.min_bids,
        "labels": labels,
        "quick_done": None,
        "oob_status": False,
        "errors": {},
        "values": {},
        "summary": None,
        **extra,
    }


@get("/buyer/rfqs/{rfq_id:int}/award", name="buyer_rfq_award")
async def award_page(conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId) -> Template:
    return Template(template_name="buyer/rfq_award.html", context=await _context(conn, actor, rfq_id, state.settings))


def _editor_response(request: AnyRequest, context: dict[str, Any], *, status_code: int = 200) -> Template:
    """The page, or for htmx the block it asked for: the editor, or only the totals while typing."""
    target = request.headers.get("hx-target") if request.headers.get("hx-request") == "true" else None
    context["oob_status"] = target == "award-summary"
    template = {
        "award-editor": "buyer/_rfq_award_editor.html",
        "award-summary": "buyer/_rfq_award_summary.html",
    }.get(target or "", "buyer/rfq_award.html")
    return Template(
        template_name=template,
        context=context,
        status_code=status_code,
        headers={"Vary": "HX-Request, HX-Target", "Cache-Control": "no-store"},
    )


@post("/buyer/rfqs/{rfq_id:int}/award/draft", name="buyer_rfq_award_draft")
async def award_draft(request: AnyRequest, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId) -> Template:
    """The editor with what was typed: new totals, or a quick action applied. Writes nothing."""
    data = await read_form(request)
    found = await comparison(conn, actor, rfq_id, settings=state.settings)
    split, errors = read_split(data, found)
    quick_done = None
    if data.get("action") in ("quick", "reset"):
        lots = (await service.detail(conn, found.rfq)).lots
        split, quick_done = apply_quick_action(data, found, split, lots)
        errors = {}  # the quick action rewrote the quantities
        data = {k: v for k, v in data.items() if not k.startswith("q-")}
    context = await _context(
        conn, actor, rfq_id, state.settings, split=split, found=found, values=data, errors=errors, quick_done=quick_done
    )
    return _editor_response(request, context)


async def _refused(
    request: AnyRequest,
    conn: Connection,
    actor: Actor,
    rfq_id: int,
    settings: Any,
    exc: DomainError | FormErrors,
    data: dict[str, Any],
    keys: list[str],
) -> Template:
    """The page again with the award rules' messages next to the fields they concern."""
    if isinstance(exc, FieldErrors):
        exc = FormErrors(form_fields(dict(exc.errors), keys))
    found = await comparison(conn, actor, rfq_id, settings=settings)
    split, _ = read_split(data, found)
    context = await _context(conn, actor, rfq_id, settings, split=split, found=found)
    context.pop("errors"), context.pop("values"), context.pop("summary")
    return render_form("buyer/rfq_award.html", exc, values=data, **context)


@post("/buyer/rfqs/{rfq_id:int}/award/review", name="buyer_rfq_award_review")
async def award_review(request: AnyRequest, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId) -> Template:
    """The confirm step: what the award would lock, after every rule of the award passed."""
    data = await read_form(request)
    found = await comparison(conn, actor, rfq_id, settings=state.settings)
    keys: list[str] = []
    try:
        cmd, keys = award_command(data, found)
        plan: AwardPlan = await awards.plan_award(conn, actor, rfq_id, cmd, settings=state.settings)
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status == 404:
            raise
        return await _refused(request, conn, actor, rfq_id, state.settings, exc, data, keys)
    split, _ = read_split(data, found)
    context = await _context(conn, actor, rfq_id, state.settings, split=split, found=found)
    lines = {row.line.id: row.line for row in found.evaluation.comparison.rows}
    return Template(
        template_name="buyer/rfq_award_confirm.html",
        context={
            **context,
            "plan": plan,
            "plan_rows": [(lines[al.line_id], al, cmd.lines[i].quantity) for i, al in enumerate(plan.lines)],
            "justification": cmd.justification,
            "hidden": {quantity_key(e.line_id, e.bid_id): e.quantity for e in cmd.lines},
        },
        headers={"Cache-Control": "no-store"},
    )


@post("/buyer/rfqs/{rfq_id:int}/award", name="buyer_rfq_award_confirm")
async def award_confirm(
    request: AnyRequest, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId
) -> Response[Any] | Template:
    """Award as reviewed: the same rules again, on the locked request, then the decision."""
    data = await read_form(request)
    found = await comparison(conn, actor, rfq_id, settings=state.settings)
    keys: list[str] = []
    try:
        cmd, keys = award_command(data, found)
        async with conn.transaction():
            await awards.award(conn, actor, rfq_id, cmd, settings=state.settings)
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status == 404:
            raise
        return await _refused(request, conn, actor, rfq_id, state.settings, exc, data, keys)
    return redirect(f"/buyer/rfqs/{rfq_id}?done=awarded")


@post("/buyer/rfqs/{rfq_id:int}/award/evaluate", name="buyer_rfq_award_evaluate")
async def award_evaluate(
    request: AnyRequest, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId
) -> Response[Any] | Template:
    """closed → evaluated; with fewer valid offers than the procedure asks for, only when proceeding (logged)."""
    data = await read_form(request)
    proceed = data.get("proceed") == "yes"
    reason = str(data.get("reason", "")).strip() or None
    try:
        async with conn.transaction():
            await service.move(
                conn,
                actor,
                rfq_id,
                Status.EVALUATED,
                reason=f"Proceeding below the minimum competition: {reason}" if proceed and reason else reason,
                proceed_below_minimum=proceed,
                settings=state.settings,
            )
    except DomainError as exc:
        if exc.status == 404:
            raise
        context = await _context(conn, actor, rfq_id, state.settings)
        context.pop("errors"), context.pop("values"), context.pop("summary")
        shown: DomainError | FormErrors = exc
        if exc.code == "rfq.below_minimum_competition":
            context["below_minimum"] = True  # whatever the page counted: the service is the referee
            shown = FormErrors(
                {},
                f"Only {exc.data.get('valid_bids')} valid offer(s) arrived; the procedure asks for "
                f"{exc.data.get('min_bids')}. Tick “Proceed anyway” and give a reason, "
                "or mark the request unsuccessful.",
            )
        return render_form("buyer/rfq_award.html", shown, values=data, status_code=exc.status, **context)
    return redirect(f"/buyer/rfqs/{rfq_id}/award?done=evaluated")


ROUTES = [award_page, award_draft, award_review, award_confirm, award_evaluate]
