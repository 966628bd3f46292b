"""Buyer pages of the dialogue with vendors: answering their questions inline on the request page, and
amending a published request with a preview (what changes field by field, whether it is material, the
deadline it leaves) before confirming.

The answer form posts with htmx and gets its section back (refusals as 422, which htmx swaps in for
forms marked ``data-swap-invalid``, see static/app.js); without JavaScript it posts normally and the page
comes back with the message and the refusal's own status. The amend page is one form: "Preview"
re-renders it with the preview, "Confirm" amends if the form and the request are still what was
previewed (a digest of both travels with it).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

import msgspec
from babel.numbers import get_currency_precision
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.response import Template

from marketplace.core.actor import Actor, CurrentActor
from marketplace.core.db import Connection, PathId, Tx
from marketplace.core.errors import DomainError, FieldErrors
from rfq import amendments, questions, service
from rfq.commands import AmendmentIn, AnswerIn
from rfq.models import Line, Rfq, Status
from web.buyer.rfqs import detail_context, instant_from_local, zone_of
from web.forms import FormErrors, errors_of, major_units, minor_units, parse, parse_nested, read_form, render_form
from web.rfq_dialogue import buyer_questions_context, change_rows
from web.session import redirect

AnyRequest = Request[Any, Any, Any]
LINE_INPUTS = ("description", "quantity", "unit", "required_by", "target_price")
MAX_NEW_LINES = 50
COMMAND_LINE = re.compile(r"^lines\[(\d+)\]\.?(.*)$")
# Posted frozen fields that differ from the request are passed on, so the service refuses them by name.
FROZEN_INPUTS = ("currency", "kind", "visibility")
PREVIEW_CHANGED = "The form or the request changed after the preview. Check the preview below and confirm again."


def _htmx(request: AnyRequest) -> bool:
    return request.headers.get("hx-request") == "true"


# --- questions ------------------------------------------------------------------------------------------


@get("/buyer/rfqs/{rfq_id:int}/questions", name="buyer_rfq_questions")
async def questions_page(conn: Tx, actor: CurrentActor, rfq_id: PathId) -> Response[Any]:
    """Where "new question" notifications point: the questions on the request page."""
    current = await service.get_own(conn, actor, rfq_id)
    return redirect(f"/buyer/rfqs/{current.id}#questions")


async def _questions_fragment(
    conn: Connection, actor: Actor, rfq: Rfq, *, status_code: int = 200, **extra: Any
) -> Template:
    detail = await service.detail(conn, rfq)
    context = {
        "actor": actor,
        "rfq": rfq,
        "errors": {},
        "values": {},
        **await buyer_questions_context(conn, actor, rfq, detail.lines),
        **extra,
    }
    return Template(
        template_name="buyer/_rfq_questions.html",
        context=context,
        status_code=status_code,
        headers={"Vary": "HX-Request"},
    )


@post("/buyer/rfqs/{rfq_id:int}/questions/{question_id:int}/answer")
async def answer(
    request: AnyRequest, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, question_id: PathId
) -> Response[Any] | Template:
    """Answer once, for every vendor. htmx gets the questions section back; plain posts the page."""
    current = await service.get_own(conn, actor, rfq_id)
    data = await read_form(request)
    key = f"answer-{question_id}"
    try:
        cmd = parse(AnswerIn, {"answer": data.get("answer", "")})
        async with conn.transaction():
            await questions.answer_question(conn, actor, rfq_id, question_id, cmd, settings=state.settings)
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status in (403, 404):
            raise
        fields, summary = errors_of(exc)  # every message of this form belongs next to its one field
        fields = {key: "; ".join([*fields.values(), *([summary] if summary else [])])}
        status = exc.status if isinstance(exc, DomainError) else 422
        values = {key: str(data.get("answer", ""))}
        if _htmx(request):  # 422 is what htmx swaps in for a form marked data-swap-invalid (static/app.js)
            return await _questions_fragment(conn, actor, current, status_code=422, errors=fields, values=values)
        context = await detail_context(conn, actor, rfq_id, state.settings)
        context.pop("values"), context.pop("errors")
        return render_form("buyer/rfq_detail.html", FormErrors(fields), values=values, status_code=status, **context)
    after = await service.get_own(conn, actor, rfq_id)
    if not _htmx(request):
        return redirect(f"/buyer/rfqs/{rfq_id}?done=answered#questions")
    if after.status != current.status:  # the last answer let a held tender close: the whole page changed
        return redirect(f"/buyer/rfqs/{rfq_id}?done=answered", htmx=True)
    return await _questions_fragment(conn, actor, after, answered=question_id)


# --- amendments -----------------------------------------------------------------------------------------


def _local(instant: datetime, time_zone: str) -> str:
    return instant.astimezone(zone_of(time_zone)).strftime("%Y-%m-%dT%H:%M")


def amend_values(rfq: Rfq, lines: list[Line], time_zone: str) -> dict[str, str]:
    """The amend form filled with the request as it is (deadlines as local times in ``time_zone``)."""
    digits = get_currency_precision(rfq.currency)
    values = {
        "title": rfq.title,
        "description": rfq.description,
        "currency": rfq.currency,
        "closes_at": _local(rfq.closes_at, time_zone),
        "questions_close_at": _local(rfq.questions_close_at, time_zone),
    }
    for ln in lines:
        prefix = f"line-{ln.id}"
        values[f"{prefix}-description"] = ln.description
        values[f"{prefix}-quantity"] = str(ln.quantity)
        values[f"{prefix}-unit"] = ln.unit
        values[f"{prefix}-required_by"] = ln.required_by.isoformat() if ln.required_by else ""
        values[f"{prefix}-target_price"] = (
            major_units(ln.target_price_minor, digits) if ln.target_price_minor is not None else ""
        )
    return values


def _text(data: dict[str, Any], key: str) -> str:
    """A posted field, stripped, with the CRLF line breaks browsers send from text areas as LF."""
    value = data.get(key, "")
    return (value[-1] if isinstance(value, list) else str(value)).replace("\r\n", "\n").strip()


def _same(typed: str, current: str) -> bool:
    """Whether a typed value is the request's value as the form showed it (so it is not a change)."""
    return typed == current.replace("\r\n", "\n").strip()


def new_line_count(data: dict[str, Any]) -> int:
    try:
        count = int(_text(data, "new_lines") or "1")
    except ValueError:
        count = 1
    return max(1, min(count, MAX_NEW_LINES))


def amendment_command(
    data: dict[str, Any], rfq: Rfq, lines: list[Line], time_zone: str
) -> tuple[AmendmentIn, list[str]]:
    """The amend form as an ``AmendmentIn`` carrying only what differs from the request, and for each line
    change of the command the form row it came from (``line-<id>`` or ``new-<n>``). Raises ``FormErrors``
    keyed by the form's input names."""
    digits = get_currency_precision(rfq.currency)
    current = amend_values(rfq, lines, time_zone)
    errors: dict[str, str] = {}
    raw: dict[str, Any] = {"summary": _text(data, "summary")}
    if not raw["summary"]:
        errors["summary"] = "Tell the vendors what changed and why."
    for field in ("title", "description"):
        if field in data and not _same(_text(data, field), current[field]):
            raw[field] = _text(data, field)
    for field in ("closes_at", "questions_close_at"):
        typed = _text(data, field)
        if not typed:
            errors[field] = "This field is required."
        elif not _same(typed, current[field]):
            try:
                raw[field] = instant_from_local(typed[:40], time_zone)
            except ValueError as exc:
                errors[field] = str(exc)
    for field in FROZEN_INPUTS:
        if field in data and _text(data, field) != str(getattr(rfq, field)):
            raw[field] = _text(data, field)
    changes: list[dict[str, Any]] = []
    order: list[str] = []
    for ln in lines:
        prefix = f"line-{ln.id}"
        if data.get(f"{prefix}-remove"):
            changes.append({"action": "remove", "line_id": ln.id})
            order.append(prefix)
            continue
        change: dict[str, Any] = {}
        for name in LINE_INPUTS:
            key = f"{prefix}-{name}"
            typed = _text(data, key)
            if key not in data or _same(typed, current[key]):
                continue
            if name == "target_price":
                try:
                    change["target_price_minor"] = minor_units(typed, digits) if typed else None
                except ValueError as exc:
                    errors[key] = str(exc)
            elif name == "required_by":
                change["required_by"] = typed or None
            else:
                change[name] = typed
        if change:
            changes.append({"action": "change", "line_id": ln.id, **change})
            order.append(prefix)
    for i in range(new_line_count(data)):
        prefix = f"new-{i}"
        cells = {name: _text(data, f"{prefix}-{name}") for name in LINE_INPUTS}
        if not any(v for name, v in cells.items() if name != "unit"):
            continue
        if not cells["description"]:
            errors[f"{prefix}-description"] = "Describe the new line."
        if not cells["quantity"]:
            errors[f"{prefix}-quantity"] = "How many?"
        added: dict[str, Any] = {
            "action": "add",
            "description": cells["description"],
            "quantity": cells["quantity"],
            "unit": cells["unit"] or "piece",
        }
        if cells["required_by"]:
            added["required_by"] = cells["required_by"]
        if cells["target_price"]:
            try:
                added["target_price_minor"] = minor_units(cells["target_price"], digits)
            except ValueError as exc:
                errors[f"{prefix}-target_price"] = str(exc)
        changes.append(added)
        order.append(prefix)
    if errors:
        raise FormErrors(errors)
    raw["lines"] = changes
    try:
        return parse_nested(AmendmentIn, raw), order
    except FormErrors as exc:
        raise FormErrors(form_fields(exc.fields, order)) from None


def form_fields(fields: dict[str, str], order: list[str]) -> dict[str, str]:
    """``lines[2].quantity`` of the command is ``line-<id>-quantity`` (or ``new-<n>-quantity``) of the form."""
    out: dict[str, str] = {}
    for key, message in fields.items():
        match = COMMAND_LINE.match(key)
        if match and int(match.group(1)) < len(order):
            name = match.group(2).split(".", 1)[0].split("[", 1)[0]
            name = {"target_price_minor": "target_price", "": "description"}.get(name, name)
            if name not in LINE_INPUTS:
                name = "description"
            key = f"{order[int(match.group(1))]}-{name}"
        out[key] = message
    return out


def preview_key(cmd: AmendmentIn, rfq: Rfq) -> str:
    """A digest of the command and the request's version: "confirm" applies only what was previewed."""
    return hashlib.sha256(msgspec.json.encode(cmd) + f"|{rfq.id}|{rfq.version}".encode()).hexdigest()[:32]


async def _amend_target(conn: Connection, actor: Actor, rfq_id: int, settings: Any) -> tuple[Rfq, list[Line]]:
    current = await service.close_if_due(conn, await service.get_own(conn, actor, rfq_id), settings=settings)
    detail = await service.detail(conn, current)
    return current, [ln for ln in detail.lines if ln.removed_in is None]


def _amend_context(actor: Actor, rfq: Rfq, lines: list[Line], data: dict[str, Any]) -> dict[str, Any]:
    return {
        "actor": actor,
        "rfq": rfq,
        "lines": lines,
        "new_lines": new_line_count(data),
        "amendable": rfq.status == Status.PUBLISHED and actor.has_any(*amendments.AMEND_ROLES),
        "preview": None,
        "preview_rows": [],
        "preview_key": "",
    }


@get("/buyer/rfqs/{rfq_id:int}/amend", name="buyer_rfq_amend")
async def amend_page(conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId) -> Template:
    current, lines = await _amend_target(conn, actor, rfq_id, state.settings)
    context = _amend_context(actor, current, lines, {})
    return Template(
        template_name="buyer/rfq_amend.html",
        context={**context, "values": amend_values(current, lines, actor.time_zone), "errors": {}},
    )


@post("/buyer/rfqs/{rfq_id:int}/amend")
async def amend(
    request: AnyRequest, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId
) -> Response[Any] | Template:
    """Preview (the default), add a row for a new line, or confirm what was previewed."""
    current, lines = await _amend_target(conn, actor, rfq_id, state.settings)
    data = await read_form(request)
    step = _text(data, "step")
    if step == "add_line":
        data["new_lines"] = str(new_line_count(data) + 1)
    context = _amend_context(actor, current, lines, data)
    if step == "add_line":
        return Template(template_name="buyer/rfq_amend.html", context={**context, "values": data, "errors": {}})
    order: list[str] = []
    try:
        cmd, order = amendment_command(data, current, lines, actor.time_zone)
        key = preview_key(cmd, current)
        if step == "confirm" and _text(data, "preview_key") == key:
            async with conn.transaction():
                await amendments.amend(conn, actor, rfq_id, cmd, settings=state.settings)
            return redirect(f"/buyer/rfqs/{rfq_id}?done=amended", htmx=_htmx(request))
        preview = await amendments.preview_amendment(conn, actor, rfq_id, cmd, settings=state.settings)
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status in (403, 404):
            raise
        if isinstance(exc, FieldErrors):
            exc = FormErrors(form_fields(dict(exc.errors), order))
        status = 422 if _htmx(request) or not isinstance(exc, DomainError) else exc.status
        return render_form("buyer/rfq_amend.html", exc, values=data, status_code=status, **context)
    stale = step == "confirm"  # confirmed, but not what was previewed
    context |= {
        "preview": preview,
        "preview_rows": change_rows(preview.changes, currency=current.currency, time_zone=actor.time_zone),
        "preview_key": key,
    }
    return Template(
        template_name="buyer/rfq_amend.html",
        context={**context, "values": data, "errors": {}, "summary": PREVIEW_CHANGED if stale else None},
        status_code=(422 if _htmx(request) else 409) if stale else 200,
    )


ROUTES = [questions_page, answer, amend_page, amend]
