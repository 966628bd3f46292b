"""Vendor pages of RFQs and tenders: the inbox, one request with the quote form, the signed receipt.

Prices are typed in major units with a price basis (per 1, 10, 100 or 1000 units) and converted to
integer minor units from the decimal string. The form carries an idempotency key made when it is
rendered, so submitting it twice stores one version.
"""

from __future__ import annotations

import uuid
from typing import Any

from babel.numbers import get_currency_precision
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.response import Template

from marketplace.core.actor import Actor, CurrentActor
from marketplace.core.db import Connection, PathId, Tx
from marketplace.core.errors import DomainError, FieldErrors, NotFound
from rfq import bids, service
from rfq.commands import BidIn
from rfq.models import Bid, BidStatus, BidVersion, Receipt, Status
from web.forms import FormErrors, major_units, minor_units, parse_nested, read_form, render_form
from web.rfq_dialogue import vendor_dialogue
from web.session import redirect
from web.vendor import rfq_files

AnyRequest = Request[Any, Any, Any]
BASES = (1, 10, 100, 1000)
QUOTE_FIELDS = ("unit_price", "price_basis", "lead_time_days", "moq", "pack_size", "deviation", "alternative")


@get("/vendor/rfqs", name="vendor_rfqs")
async def inbox(conn: Tx, actor: CurrentActor) -> Template:
    items, total = await service.list_inbox(conn, actor, limit=100)
    return Template(template_name="vendor/rfq_inbox.html", context={"actor": actor, "items": items, "total": total})


@post("/vendor/rfqs/{rfq_id:int}/invitation")
async def answer_invitation(request: AnyRequest, conn: Tx, actor: CurrentActor, rfq_id: PathId) -> Response[Any]:
    data = await read_form(request)
    accept = data.get("answer") == "accept"
    reason = str(data.get("reason", "")).strip()[:1000] or None
    await service.respond_to_invitation(conn, actor, rfq_id, accept=accept, reason=reason)
    back = "/vendor/rfqs" if data.get("back") == "inbox" else f"/vendor/rfqs/{rfq_id}"
    return redirect(f"{back}?done={'accepted' if accept else 'declined'}")


def quote_command(data: dict[str, Any], line_ids: list[int], currency: str) -> BidIn:
    """The quote form as a ``BidIn``: lines without a unit price are not offered. Raises ``FormErrors``
    keyed by the form's input names (``q-<line id>-<field>``)."""
    digits = get_currency_precision(currency)
    errors: dict[str, str] = {}
    lines: list[dict[str, Any]] = []
    order: list[int] = []
    for line_id in line_ids:
        cells = {f: str(data.get(f"q-{line_id}-{f}", "")).strip() for f in QUOTE_FIELDS}
        if not cells["unit_price"]:
            continue
        line: dict[str, Any] = {"line_id": line_id}
        try:
            line["unit_price_minor"] = minor_units(cells["unit_price"], digits)
        except ValueError as exc:
            errors[f"q-{line_id}-unit_price"] = str(exc)
        basis = cells["price_basis"] or "1"
        if basis not in {str(b) for b in BASES}:
            errors[f"q-{line_id}-price_basis"] = "Choose per 1, 10, 100 or 1000 units."
        line["price_basis"] = basis
        for name in ("lead_time_days", "moq", "pack_size", "deviation", "alternative"):
            if cells[name]:
                line[name] = cells[name]
        if not cells["lead_time_days"]:
            errors[f"q-{line_id}-lead_time_days"] = "How many days until delivery?"
        lines.append(line)
        order.append(line_id)
    if not lines and not errors:
        errors["_form"] = "Enter a unit price for at least one line."
    raw: dict[str, Any] = {"lines": lines}
    if str(data.get("valid_until", "")).strip():
        raw["valid_until"] = str(data["valid_until"]).strip()
    else:
        errors["valid_until"] = "Until when does your offer hold?"
    if str(data.get("delivery_cost", "")).strip():
        try:
            raw["delivery_cost_minor"] = minor_units(str(data["delivery_cost"]), digits)
        except ValueError as exc:
            errors["delivery_cost"] = str(exc)
    if str(data.get("note", "")).strip():
        raw["note"] = str(data["note"]).strip()
    if errors:
        raise FormErrors(errors)
    try:
        return parse_nested(BidIn, raw)
    except FormErrors as exc:
        raise FormErrors(quote_fields(exc.fields, order)) from None


def quote_fields(fields: dict[str, str], order: list[int]) -> dict[str, str]:
    """``lines[2].moq`` of the command is ``q-<line id>-moq`` of the form."""
    out: dict[str, str] = {}
    for key, message in fields.items():
        if key.startswith("lines[") and "]" in key:
            index, _, rest = key[6:].partition("]")
            name = rest.lstrip(".").replace("unit_price_minor", "unit_price") or "unit_price"
            if index.isdigit() and int(index) < len(order):
                key = f"q-{order[int(index)]}-{name}"
        key = {"delivery_cost_minor": "delivery_cost"}.get(key, key)
        out[key] = message
    return out


async def _own(conn: Connection, actor: Actor, rfq_id: int, settings: Any) -> tuple[Bid | None, list[BidVersion]]:
    try:
        return await bids.own_bid(conn, actor, rfq_id, settings=settings)
    except NotFound:
        return None, []


async def detail_context(
    conn: Connection, actor: Actor, rfq_id: int, settings: Any, *, receipt: Receipt | None = None
) -> dict[str, Any]:
    current = await service.get_visible(conn, actor, rfq_id)
    detail = await service.detail(conn, current)
    bid, versions = await _own(conn, actor, rfq_id, settings)
    vendor_versions = [v for v in versions if v.author == "vendor" and v.content is not None]
    latest = vendor_versions[-1] if vendor_versions else None
    digits = get_currency_precision(current.currency)
    prefill: dict[str, Any] = {}
    if latest is not None and latest.content is not None:  # the form starts from the live offer
        for ol in latest.content.lines:
            prefill[f"q-{ol.line_id}-unit_price"] = major_units(ol.unit_price_minor, digits)
            prefill[f"q-{ol.line_id}-price_basis"] = str(ol.price_basis)
            prefill[f"q-{ol.line_id}-lead_time_days"] = str(ol.lead_time_days)
            prefill[f"q-{ol.line_id}-moq"] = str(ol.moq)
            prefill[f"q-{ol.line_id}-pack_size"] = str(ol.pack_size)
            prefill[f"q-{ol.line_id}-deviation"] = ol.deviation or ""
            prefill[f"q-{ol.line_id}-alternative"] = ol.alternative or ""
        prefill["valid_until"] = latest.content.valid_until.isoformat()
        prefill["delivery_cost"] = major_units(latest.content.delivery_cost_minor, digits)
        prefill["note"] = latest.content.note or ""
    bid_open = current.status == Status.PUBLISHED or (
        bid is not None and bid.turn == "vendor" and bid.respond_by is not None and current.status == Status.CLOSED
    )
    return {
        "actor": actor,
        "rfq": current,
        "lines": [ln for ln in detail.lines if ln.removed_in is None],
        "invitation": await service.own_invitation(conn, actor, rfq_id),
        "bid": bid,
        "versions": versions,
        "receipt": receipt,
        "bid_open": bid_open,
        "can_withdraw": bid is not None and bid.status != BidStatus.WITHDRAWN and current.status == Status.PUBLISHED,
        "needs_reconfirmation": bid is not None and bid.status == BidStatus.NEEDS_RECONFIRMATION,
        **await vendor_dialogue(conn, actor, current, detail.lines, bid),
        "idempotency_key": uuid.uuid4().hex,
        "files": await rfq_files.files_view(conn, actor, current, settings=settings),
        "bases": BASES,
        "values": prefill,
        "errors": {},
    }


@get("/vendor/rfqs/{rfq_id:int}", name="vendor_rfq")
async def detail_page(conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId) -> Template:
    return Template(
        template_name="vendor/rfq_detail.html", context=await detail_context(conn, actor, rfq_id, state.settings)
    )


@post("/vendor/rfqs/{rfq_id:int}/bid")
async def submit(request: AnyRequest, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId) -> Template:
    """Submit the quote; the page comes back with the signed receipt (a repeat with the same key: the same one)."""
    data = await read_form(request)
    current = await service.get_visible(conn, actor, rfq_id)
    detail = await service.detail(conn, current)
    key = str(data.get("idempotency_key", ""))[:100] or None
    try:
        cmd = quote_command(data, [ln.id for ln in detail.lines if ln.removed_in is None], current.currency)
        async with conn.transaction():
            receipt = await bids.submit_bid(conn, actor, rfq_id, cmd, settings=state.settings, idempotency_key=key)
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status == 404:
            raise
        if isinstance(exc, FieldErrors):
            exc = FormErrors(quote_fields(dict(exc.errors), []))
        context = await detail_context(conn, actor, rfq_id, state.settings)
        context.pop("values"), context.pop("errors")
        if key:
            context["idempotency_key"] = key  # the same attempt, corrected: still at most one version
        return render_form("vendor/rfq_detail.html", exc, values=data, **context)
    context = await detail_context(conn, actor, rfq_id, state.settings, receipt=receipt)
    return Template(template_name="vendor/rfq_detail.html", context=context, status_code=201)


@post("/vendor/rfqs/{rfq_id:int}/bid/withdraw")
async def withdraw(conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId) -> Response[Any] | Template:
    try:
        async with conn.transaction():
            await bids.withdraw_bid(conn, actor, rfq_id, settings=state.settings)
    except DomainError as exc:
        if exc.status == 404:
            raise
        context = await detail_context(conn, actor, rfq_id, state.settings)
        context.pop("values"), context.pop("errors")
        return render_form("vendor/rfq_detail.html", exc, values={}, **context)
    return redirect(f"/vendor/rfqs/{rfq_id}?done=withdrawn")


@post("/vendor/rfqs/{rfq_id:int}/bid/reconfirm")
async def reconfirm(request: AnyRequest, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId) -> Template:
    data = await read_form(request)
    key = str(data.get("idempotency_key", ""))[:100] or None
    try:
        async with conn.transaction():
            receipt = await bids.reconfirm_bid(conn, actor, rfq_id, settings=state.settings, idempotency_key=key)
    except DomainError as exc:
        if exc.status == 404:
            raise
        context = await detail_context(conn, actor, rfq_id, state.settings)
        context.pop("values"), context.pop("errors")
        return render_form("vendor/rfq_detail.html", exc, values={}, **context)
    context = await detail_context(conn, actor, rfq_id, state.settings, receipt=receipt)
    return Template(template_name="vendor/rfq_detail.html", context=context, status_code=201)


ROUTES = [inbox, answer_invitation, detail_page, submit, withdraw, reconfirm]
