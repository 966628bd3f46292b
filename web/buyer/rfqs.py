"""Buyer pages of RFQs and tenders: the list, the create form, the detail page with its actions (the award
has its own page: web/buyer/rfq_award.py).

Every page calls the same ``rfq`` services as the JSON API (rfq/api.py). Deadlines are typed as a local
date and time in the person's zone (``actor.time_zone``) and stored as an instant; pages show them in the
viewer's zone with the buyer's zone and UTC beside them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import get_currency_precision
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromQuery
from litestar.response import Template

from marketplace.core.actor import Actor, CurrentActor
from marketplace.core.db import Connection, PathId, Tx
from marketplace.core.errors import DomainError, FieldErrors, NotFound
from rfq import awards, bids, rules, service
from rfq.commands import InviteIn, RfqIn
from rfq.evaluation import build_comparison
from rfq.models import FINAL, TRANSITIONS, UNPUBLISHED, Award, Rfq, Status
from web.buyer import rfq_files
from web.forms import FormErrors, minor_units, parse_nested, read_form, render_form
from web.rfq_dialogue import buyer_dialogue
from web.session import redirect

AnyRequest = Request[Any, Any, Any]
EMPTY_LINES = 3
MAX_FORM_LINES = 200
LINE_FIELDS = ("description", "quantity", "unit", "required_by", "target_price")
ACTION_LABELS: dict[Status, str] = {
    Status.PENDING_APPROVAL: "Submit for approval",
    Status.APPROVED: "Approve",
    Status.PUBLISHED: "Publish",
    Status.DRAFT: "Back to draft",
    Status.EVALUATED: "Evaluate offers",
    Status.UNSUCCESSFUL: "Mark unsuccessful",
    Status.CLOSED: "Reopen evaluation",
    Status.CANCELLED: "Cancel request",
}
LINE_KEY = re.compile(r"^lines\[(\d+)\]")


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def instant_from_local(text: str, tz: str) -> datetime:
    """``2027-03-01T14:00`` typed in zone ``tz`` as an instant; a wall time skipped by DST is refused."""
    try:
        naive = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("Enter a date and time.") from None
    if naive.tzinfo is not None:
        raise ValueError("Enter a local date and time.")
    zone = zone_of(tz)
    local = naive.replace(tzinfo=zone)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise ValueError(f"{naive:%Y-%m-%d %H:%M} does not exist in {tz} (the clocks skip it); choose another time.")
    return local.astimezone(UTC)


def _form_line_count(data: dict[str, Any]) -> int:
    try:
        count = int(str(data.get("line_count", EMPTY_LINES)))
    except ValueError:
        count = EMPTY_LINES
    return max(1, min(count, MAX_FORM_LINES))


def rfq_command(data: dict[str, Any], actor: Actor) -> tuple[RfqIn, list[int]]:
    """The create form as an ``RfqIn``, and for each command line the row of the form it came from.

    Empty rows are left out. Raises ``FormErrors`` keyed by the form's input names.
    """
    errors: dict[str, str] = {}
    currency = str(data.get("currency", "EUR")).strip().upper() or "EUR"
    # An unknown code gets babel's default of 2 digits here; RfqIn then refuses it with a field message.
    digits = get_currency_precision(currency)
    raw: dict[str, Any] = {
        k: str(data.get(k, "")).strip() for k in ("kind", "title", "description", "visibility") if data.get(k)
    }
    raw["currency"] = currency
    closes = str(data.get("closes_at", "")).strip()
    if not closes:
        errors["closes_at"] = "This field is required."
    else:
        try:
            raw["closes_at"] = instant_from_local(closes, actor.time_zone)
        except ValueError as exc:
            errors["closes_at"] = str(exc)
    lines: list[dict[str, Any]] = []
    rows: list[int] = []
    for i in range(_form_line_count(data)):
        cells = {f: str(data.get(f"lines[{i}].{f}", "")).strip() for f in LINE_FIELDS}
        if not any(v for f, v in cells.items() if f != "unit"):
            continue
        line: dict[str, Any] = {k: v for k, v in cells.items() if v and k != "target_price"}
        if cells["target_price"]:
            try:
                line["target_price_minor"] = minor_units(cells["target_price"], digits)
            except ValueError as exc:
                errors[f"lines[{i}].target_price"] = str(exc)
        lines.append(line)
        rows.append(i)
    if not lines:
        errors["lines[0].description"] = "Describe at least one line."
    raw["lines"] = lines
    if errors:
        raise FormErrors(errors)
    try:
        return parse_nested(RfqIn, raw), rows
    except FormErrors as exc:
        raise FormErrors(_rows_to_form(exc.fields, rows), exc.summary) from None


def _rows_to_form(fields: dict[str, str], rows: list[int]) -> dict[str, str]:
    """``lines[1].quantity`` of the command is ``lines[rows[1]].quantity`` of the form."""
    out: dict[str, str] = {}
    for key, message in fields.items():
        match = LINE_KEY.match(key)
        if match and int(match.group(1)) < len(rows):
            key = f"lines[{rows[int(match.group(1))]}]{key[match.end() :]}"
            key = key.replace(".target_price_minor", ".target_price")
        out[key] = message
    return out


def invite_command(data: dict[str, Any]) -> InviteIn:
    """Vendor company ids and emails, separated by commas, spaces or lines."""
    ids_text, emails_text = str(data.get("vendor_ids", "")), str(data.get("emails", ""))
    ids = [p for p in re.split(r"[\s,;]+", ids_text) if p]
    bad = [p for p in ids if not p.isdigit() or len(p) > 18]
    if bad:
        raise FormErrors({"vendor_ids": f"Not company ids: {', '.join(bad[:5])}."})
    emails = [p for p in re.split(r"[\s,;]+", emails_text) if p]
    try:
        return parse_nested(InviteIn, {"vendor_ids": [int(p) for p in ids], "emails": emails})
    except FormErrors as exc:
        field = next(iter(exc.fields))
        raise FormErrors({field.split("[", 1)[0] or "emails": "Check these entries: " + exc.fields[field]}) from None


def _new_context(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    zone = zone_of(actor.time_zone)
    suggested = (datetime.now(UTC) + timedelta(days=7)).astimezone(zone).replace(hour=12, minute=0)
    return {
        "actor": actor,
        **_preview(actor, str(data.get("closes_at", ""))),
        "suggested_deadline": suggested.strftime("%Y-%m-%dT%H:%M"),
        "line_count": _form_line_count(data) if data else EMPTY_LINES,
    }


@get("/buyer/rfqs", name="buyer_rfqs")
async def list_page(conn: Tx, actor: CurrentActor) -> Template:
    found, total = await service.list_own(conn, actor, limit=100)
    return Template(template_name="buyer/rfq_list.html", context={"actor": actor, "rfqs": found, "total": total})


@get("/buyer/rfqs/new", name="buyer_rfq_new")
async def new_page(actor: CurrentActor) -> Template:
    return Template(template_name="buyer/rfq_new.html", context={**_new_context(actor, {}), "values": {}})


@post("/buyer/rfqs")
async def create(request: AnyRequest, conn: Tx, actor: CurrentActor, state: State) -> Response[Any] | Template:
    data = await read_form(request)
    if "add_line" in data:
        data["line_count"] = str(_form_line_count(data) + 1)
        context = {**_new_context(actor, data), "values": data, "errors": {}, "focus_line": _form_line_count(data) - 1}
        return Template(template_name="buyer/rfq_new.html", context=context)
    try:
        cmd, _ = rfq_command(data, actor)
        invite = invite_command(data)
        async with conn.transaction():
            created = await service.create_rfq(conn, actor, cmd, settings=state.settings)
            if invite.vendor_ids or invite.emails:
                await service.invite(conn, actor, created.id, invite, settings=state.settings)
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status in (403, 404):
            raise
        if isinstance(exc, FieldErrors):
            _, rows = _safe_rows(data, actor)
            exc = FormErrors(_rows_to_form(dict(exc.errors), rows))
        return render_form("buyer/rfq_new.html", exc, values=data, **_new_context(actor, data))
    return redirect(f"/buyer/rfqs/{created.id}?done=created")


def _safe_rows(data: dict[str, Any], actor: Actor) -> tuple[RfqIn | None, list[int]]:
    try:
        return rfq_command(data, actor)
    except FormErrors:
        return None, []


def _actions(rfq: Rfq, actor: Actor) -> list[tuple[Status, str]]:
    """The moves the actor's roles allow from here (the guard in the service decides in the end)."""
    return [
        (target, ACTION_LABELS[target])
        for (source, target), roles in TRANSITIONS.items()
        if source == rfq.status and target in ACTION_LABELS and roles.intersection(actor.roles)
    ]


async def detail_context(conn: Connection, actor: Actor, rfq_id: int, settings: Any) -> dict[str, Any]:
    current = await service.get_own(conn, actor, rfq_id)
    current = await service.close_if_due(conn, current, settings=settings)
    detail = await service.detail(conn, current)
    offers = [] if current.status in UNPUBLISHED else await bids.opened_bids(conn, current, settings=settings)
    award: Award | None = None
    if current.status == Status.AWARDED:
        award = await awards.get_award(conn, actor, current.id)
    return {
        "actor": actor,
        "rfq": current,
        "lines": [ln for ln in detail.lines if ln.removed_in is None],
        "record": await service.record_of(conn, actor, current.id),
        "actions": _actions(current, actor),
        "offers": offers,
        # Landed totals (MOQ and pack rounding, delivery) from the same evaluation as the comparison page.
        "totals": {
            v.bid_id: v.landed_total_minor
            for v in build_comparison(
                current, detail.lines, offers, today=rules.buyer_today(current.buyer_time_zone, datetime.now(UTC))
            ).vendors
        },
        "award": award,
        "can_award": current.status == Status.EVALUATED and actor.has_any(*awards.AWARD_ROLES),
        "final": current.status in FINAL,
        "sealed_until_close": current.rules.sealed and current.status == Status.PUBLISHED,
        **await buyer_dialogue(conn, actor, current, detail.lines),
        "files": await rfq_files.files_view(conn, actor, current, settings=settings),
        "values": {},
        "errors": {},
    }


@get("/buyer/rfqs/deadline-preview", name="buyer_rfq_deadline_preview")
async def deadline_preview(actor: CurrentActor, closes_at: FromQuery[str] = "") -> Template:
    """The typed deadline in UTC, beside the form's input (an htmx fragment)."""
    return Template(template_name="buyer/rfq_deadline_preview.html", context=_preview(actor, closes_at))


def _preview(actor: Actor, text: str) -> dict[str, Any]:
    preview = None
    if text.strip():
        try:
            instant = instant_from_local(text[:40], actor.time_zone)
            preview = {
                "local": instant.astimezone(zone_of(actor.time_zone)).strftime("%Y-%m-%d %H:%M %Z"),
                "utc": instant.strftime("%Y-%m-%d %H:%M UTC"),
            }
        except ValueError:
            preview = None
    return {"preview": preview, "zone": actor.time_zone}


@get("/buyer/rfqs/{rfq_id:int}", name="buyer_rfq")
async def detail_page(conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId) -> Template:
    return Template(
        template_name="buyer/rfq_detail.html", context=await detail_context(conn, actor, rfq_id, state.settings)
    )


@post("/buyer/rfqs/{rfq_id:int}/transitions")
async def move(
    request: AnyRequest, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId
) -> Response[Any] | Template:
    data = await read_form(request)
    try:
        target = Status(str(data.get("to", "")))
    except ValueError:
        raise NotFound("rfq.no_such_action", "There is no such action.") from None
    reason = str(data.get("reason", "")).strip() or None
    try:
        async with conn.transaction():
            await service.move(conn, actor, rfq_id, target, reason=reason, settings=state.settings)
    except DomainError as exc:
        if exc.status == 404:
            raise
        context = await detail_context(conn, actor, rfq_id, state.settings)
        context.pop("values"), context.pop("errors")
        return render_form("buyer/rfq_detail.html", exc, values=data, **context)
    return redirect(f"/buyer/rfqs/{rfq_id}?done={target}")


ROUTES = [list_page, new_page, create, deadline_preview, detail_page, move]
