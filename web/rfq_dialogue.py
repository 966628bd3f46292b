"""What the RFQ pages show of the dialogue between a buyer and its vendors: questions and answers, the
amendments field by field (old → new), and for vendors the re-confirmation they owe and the outcome.

Shared by the buyer page (``web/buyer/rfqs.py``) and the vendor page (``web/vendor/rfqs.py``), whose
contexts merge these dictionaries; the forms that post to them live in ``web/*/rfq_dialogue.py``. Reads go
through the same ``rfq`` services as the JSON API, so the tenancy and secrecy rules are theirs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

import msgspec

from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from rfq import amendments, awards, questions, rules
from rfq.models import Amendment, Bid, BidStatus, Line, Question, Rfq, Status
from rfq.service import VENDOR_ROLES
from web.templating import localtime, money

LINE_FIELD_LABELS = {
    "description": "description",
    "quantity": "quantity",
    "unit": "unit",
    "required_by": "required by",
    "delivery_address_id": "delivery address",
    "target_price_minor": "target unit price",
    "target_price_basis": "target price per",
}
NOTHING = "—"


class ChangeRow(msgspec.Struct, frozen=True, kw_only=True):
    """One changed field of an amendment as people read it: values formatted, instants in their zone."""

    label: str
    before: str
    after: str
    material: bool
    """A change of this kind forces submitted offers to be re-confirmed (``rules.is_material``)."""


class AmendmentView(msgspec.Struct, frozen=True, kw_only=True):
    amendment: Amendment
    rows: list[ChangeRow]


def _instant(value: Any, time_zone: str) -> str:
    return localtime(datetime.fromisoformat(value), time_zone) if isinstance(value, str) and value else NOTHING


def _line_value(field: str, value: Any, currency: str) -> str:
    if value is None or value == "":
        return NOTHING
    if field == "target_price_minor" and isinstance(value, int):
        return money(value, currency)
    if field == "delivery_address_id":
        return f"address #{value}"
    return str(value)


def _new_line(fields: Mapping[str, Any], currency: str) -> str:
    parts = [str(fields.get("description", "")), f"{fields.get('quantity', '')} {fields.get('unit', '')}".strip()]
    if fields.get("required_by"):
        parts.append(f"required by {fields['required_by']}")
    if fields.get("target_price_minor") is not None:
        basis = fields.get("target_price_basis") or 1
        parts.append(
            f"target {money(fields['target_price_minor'], currency)}" + (f" per {basis}" if basis != 1 else "")
        )
    return " · ".join(p for p in parts if p)


def change_rows(
    changes: Mapping[str, Any], *, currency: str, time_zone: str, positions: Mapping[int, int] | None = None
) -> list[ChangeRow]:
    """An amendment's ``changes`` (see ``rfq.amendments``) as rows of label, old value and new value;
    ``positions`` (line id → position) names the line a file belongs to."""
    rows: list[ChangeRow] = []
    for entry in changes.get("lines", []):
        position = entry.get("position")
        if entry["change"] == "added":
            after = _new_line({f: v["to"] for f, v in entry.get("fields", {}).items()}, currency)
            rows.append(ChangeRow(label=f"Line {position} added", before=NOTHING, after=after, material=True))
        elif entry["change"] == "removed":
            rows.append(
                ChangeRow(
                    label=f"Line {position} removed",
                    before=str(entry.get("description", "")),
                    after=NOTHING,
                    material=True,
                )
            )
        else:
            for field, value in entry.get("fields", {}).items():
                rows.append(
                    ChangeRow(
                        label=f"Line {position}: {LINE_FIELD_LABELS.get(field, field)}",
                        before=_line_value(field, value["from"], currency),
                        after=_line_value(field, value["to"], currency),
                        material=field in rules.MATERIAL_LINE_FIELDS,
                    )
                )
    for entry in changes.get("attachments", []):
        line = (positions or {}).get(entry.get("line_id") or 0)
        where = f" (line {line})" if line else (" (a line)" if entry.get("line_id") else "")
        name = str(entry.get("filename", ""))
        added = entry.get("change") == "added"
        rows.append(
            ChangeRow(
                label=("File added" if added else "File withdrawn") + where,
                before=NOTHING if added else name,
                after=name if added else NOTHING,
                material=bool(entry.get("material")),
            )
        )
    for field, label in (("title", "Title"), ("description", "Description")):
        if field in changes:
            rows.append(
                ChangeRow(
                    label=label,
                    before=str(changes[field]["from"] or NOTHING),
                    after=str(changes[field]["to"] or NOTHING),
                    material=False,
                )
            )
    for field, label in (("closes_at", "Deadline"), ("questions_close_at", "Questions close")):
        if field in changes:
            before, after = changes[field]["from"], changes[field]["to"]
            shortened = field == "closes_at" and datetime.fromisoformat(after) < datetime.fromisoformat(before)
            rows.append(
                ChangeRow(
                    label=label,
                    before=_instant(before, time_zone),
                    after=_instant(after, time_zone),
                    material=shortened,
                )
            )
    return rows


def amendment_views(found: Sequence[Amendment], rfq: Rfq, time_zone: str, lines: Sequence[Line]) -> list[AmendmentView]:
    """The amendments newest first, each with its rows."""
    positions = {ln.id: ln.position for ln in lines}
    return [
        AmendmentView(
            amendment=a,
            rows=change_rows(a.changes, currency=rfq.currency, time_zone=time_zone, positions=positions),
        )
        for a in sorted(found, key=lambda a: a.revision, reverse=True)
    ]


def line_labels(lines: Sequence[Line]) -> dict[int, str]:
    """Line id → "line 3: Ball bearing …" for questions about one line (removed lines say so)."""
    return {
        ln.id: f"line {ln.position}: {ln.description}" + (" (removed)" if ln.removed_in is not None else "")
        for ln in lines
    }


# --- the buyer ------------------------------------------------------------------------------------------


def unanswered_first(found: Sequence[Question]) -> list[Question]:
    return sorted(found, key=lambda q: (q.answered_at is not None, q.asked_at, q.id))


async def buyer_questions_context(conn: Connection, actor: Actor, rfq: Rfq, lines: Sequence[Line]) -> dict[str, Any]:
    """The buyer's Q&A section: every question (askers by alias only), unanswered first, and the rule that
    unanswered questions hold the deadline (tender: closing waits; RFQ: the deadline moves)."""
    found = await questions.buyer_questions(conn, actor, rfq.id)
    return {
        "questions": unanswered_first(found),
        "unanswered": sum(q.answered_at is None for q in found),
        "can_answer": rfq.status == Status.PUBLISHED and actor.has_any(*questions.ANSWER_ROLES),
        "closing_held": await questions.closing_held(conn, rfq),
        "line_labels": line_labels(lines),
    }


async def buyer_dialogue(conn: Connection, actor: Actor, rfq: Rfq, lines: Sequence[Line]) -> dict[str, Any]:
    """Everything of the dialogue the buyer's detail page shows."""
    return {
        **await buyer_questions_context(conn, actor, rfq, lines),
        "amendments": amendment_views(
            await amendments.buyer_amendments(conn, actor, rfq.id), rfq, actor.time_zone, lines
        ),
        "can_amend": rfq.status == Status.PUBLISHED and actor.has_any(*amendments.AMEND_ROLES),
    }


# --- the vendor -----------------------------------------------------------------------------------------

Reconfirm = Literal["material", "wording"] | None


def reconfirmation(rfq: Rfq, bid: Bid | None) -> Reconfirm:
    """What the vendor's offer owes the latest amendment while the request is open: ``material`` (it no longer
    counts until re-confirmed or revised), ``wording`` (it stays valid; one click confirms it was read)."""
    if bid is None or rfq.status != Status.PUBLISHED or bid.status == BidStatus.WITHDRAWN:
        return None
    if bid.status == BidStatus.NEEDS_RECONFIRMATION:
        return "material"
    if bid.status == BidStatus.SUBMITTED and bid.rfq_revision < rfq.revision:
        return "wording"
    return None


async def vendor_questions_context(conn: Connection, actor: Actor, rfq: Rfq, lines: Sequence[Line]) -> dict[str, Any]:
    """The vendor's Q&A section: its own questions (answered or not) and every published answer."""
    window = await questions.questions_open(conn, rfq)
    return {
        "questions": await questions.vendor_questions(conn, actor, rfq.id),
        "questions_open": window,
        "can_ask": window and actor.has_any(*VENDOR_ROLES) and actor.company_status == "verified",
        "line_labels": line_labels(lines),
    }


async def vendor_dialogue(
    conn: Connection, actor: Actor, rfq: Rfq, lines: Sequence[Line], bid: Bid | None
) -> dict[str, Any]:
    """Everything of the dialogue the vendor's request page shows, with the outcome once decided."""
    views = amendment_views(await amendments.vendor_amendments(conn, actor, rfq.id), rfq, actor.time_zone, lines)
    owed = reconfirmation(rfq, bid)
    return {
        **await vendor_questions_context(conn, actor, rfq, lines),
        "amendments": views,
        "reconfirm": owed,
        "outcome": await awards.vendor_outcome(conn, actor, rfq.id),
    }
