"""Amendments of published requests: versioned, shown to vendors field by field, fair about deadlines.

A material amendment (items, quantities, units, delivery, criteria, a shorter deadline) moves every
submitted bid on an older revision to ``needs_reconfirmation`` and extends the deadline so that the
procedure's minimum time remains; a non-material one (wording) leaves bids valid, and vendors may
re-confirm with one click. Deadlines are instants: all arithmetic here is on UTC instants.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec

from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from marketplace.core.errors import FieldErrors, Forbidden, RuleViolation, StaleWrite
from marketplace.core.events import rfq_changed
from marketplace.settings import Settings
from rfq import repository as repo
from rfq import rules
from rfq.commands import AmendmentIn, LineChangeIn
from rfq.models import Amendment, Line, Rfq, Status
from rfq.service import buyer_of, close_if_due, deadline_text, get_own, get_visible, tell_vendors

AMEND_ROLES = ("buyer", "admin")
FROZEN_FIELDS = ("kind", "currency", "criteria", "visibility")
RFQ_FIELDS = ("title", "description", "closes_at", "questions_close_at")
LINE_FIELDS = (
    "description",
    "quantity",
    "unit",
    "required_by",
    "delivery_address_id",
    "target_price_minor",
    "target_price_basis",
)


class AmendmentPreview(msgspec.Struct, frozen=True, kw_only=True):
    """What an amendment would do, worked out by the same checks as ``amend`` but written nowhere.

    ``closes_at_after`` is judged on the database clock now; confirming a moment later may extend a
    material amendment's deadline by that moment.
    """

    rfq_id: int
    revision: int
    material: bool
    changes: dict[str, Any]
    closes_at_before: datetime
    closes_at_after: datetime


class _LineWrite(msgspec.Struct, frozen=True, kw_only=True):
    action: str
    line_id: int | None
    fields: dict[str, Any]


class _Plan(msgspec.Struct, frozen=True, kw_only=True):
    rfq: Rfq
    preview: AmendmentPreview
    title: str
    description: str
    questions_close_at: datetime
    line_writes: list[_LineWrite]


async def _plan(
    conn: Connection,
    actor: Actor,
    rfq_id: int,
    cmd: AmendmentIn,
    *,
    settings: Settings,
    lock: bool,
    file_changes: Sequence[Mapping[str, Any]] = (),
) -> _Plan:
    """Every check of an amendment and its field-by-field diff, without writing it."""
    current = await get_own(conn, actor, rfq_id, lock=lock)
    if not actor.has_any(*AMEND_ROLES):
        raise Forbidden("rfq.role_required", "Only buyers and admins amend published requests.")
    current = await close_if_due(conn, current, settings=settings)
    if current.status != Status.PUBLISHED:
        raise RuleViolation("rfq.not_amendable", f"A {current.status} request cannot be amended.", field="status")
    for field in FROZEN_FIELDS:
        if getattr(cmd, field) is not msgspec.UNSET:
            raise RuleViolation(
                "rfq.frozen_field", f"The {field} of a request is fixed when it is published.", field=field
            )
    now = await repo.clock(conn)
    revision = current.revision + 1
    line_changes, line_writes = await _plan_lines(conn, actor, current, cmd.lines)
    requested_close = current.closes_at if cmd.closes_at is msgspec.UNSET else cmd.closes_at
    errors: dict[str, str] = {}
    if requested_close <= now:
        errors["closes_at"] = "The new deadline has already passed."
    changes: dict[str, Any] = {}
    if line_changes:
        changes["lines"] = line_changes
    if file_changes:
        changes["attachments"] = [dict(c) for c in file_changes]
    material = rules.is_material(changes, closes_at_before=current.closes_at, closes_at_after=requested_close)
    closes_at = rules.extended_deadline(current.rules, material=material, now=now, requested=requested_close)
    questions_close_at = (
        current.questions_close_at if cmd.questions_close_at is msgspec.UNSET else cmd.questions_close_at
    )
    if questions_close_at > closes_at:
        errors["questions_close_at"] = "Questions must close before the deadline."
    if errors:
        raise FieldErrors(errors, code="rfq.invalid_schedule")
    before = {f: getattr(current, f) for f in RFQ_FIELDS}
    after = {
        "title": current.title if cmd.title is msgspec.UNSET else cmd.title,
        "description": current.description if cmd.description is msgspec.UNSET else cmd.description,
        "closes_at": closes_at,
        "questions_close_at": questions_close_at,
    }
    changes.update(rules.diff(before, after, fields=RFQ_FIELDS))
    if not changes:
        raise RuleViolation("rfq.amendment_empty", "This amendment changes nothing.", field="summary")
    return _Plan(
        rfq=current,
        preview=AmendmentPreview(
            rfq_id=current.id,
            revision=revision,
            material=material,
            changes=changes,
            closes_at_before=current.closes_at,
            closes_at_after=closes_at,
        ),
        title=str(after["title"]),
        description=str(after["description"]),
        questions_close_at=questions_close_at,
        line_writes=line_writes,
    )


async def preview_amendment(
    conn: Connection, actor: Actor, rfq_id: int, cmd: AmendmentIn, *, settings: Settings
) -> AmendmentPreview:
    """What ``amend`` would change, whether it is material and the deadline it would leave; nothing is written.

    Raises exactly what ``amend`` raises for the same input.
    """
    return (await _plan(conn, actor, rfq_id, cmd, settings=settings, lock=False)).preview


async def amend(
    conn: Connection,
    actor: Actor,
    rfq_id: int,
    cmd: AmendmentIn,
    *,
    settings: Settings,
    file_changes: Sequence[Mapping[str, Any]] = (),
) -> Amendment:
    """Publish a new revision of one of the buyer's open RFQs.

    ``file_changes`` records files added or withdrawn with this revision (rfq/attachments.py makes them,
    each ``{"change": "added"|"removed", "attachment_id", "filename", "line_id", "material"}``).

    Raises ``NotFound`` (not the buyer's), ``Forbidden`` (role), ``RuleViolation`` (not published; a frozen
    field; nothing changed), ``FieldErrors`` (invalid lines or deadlines), ``StaleWrite`` (changed meanwhile).
    """
    plan = await _plan(conn, actor, rfq_id, cmd, settings=settings, lock=True, file_changes=file_changes)
    current, preview = plan.rfq, plan.preview
    changes = preview.changes
    added = iter([c for c in changes.get("lines", []) if c["change"] == "added"])
    for write in plan.line_writes:
        if write.action == "add":
            line_id, position = await repo.insert_line(conn, current.id, write.fields)
            entry = next(added)
            entry["line_id"], entry["position"] = line_id, position
        elif write.action == "remove":
            assert write.line_id is not None
            await repo.remove_line(conn, current.id, write.line_id, revision=preview.revision)
        else:
            assert write.line_id is not None
            await repo.update_line(conn, current.id, write.line_id, write.fields)
    amended = await repo.amend_rfq(
        conn,
        current.id,
        version=current.version,
        title=plan.title,
        description=plan.description,
        closes_at=preview.closes_at_after,
        questions_close_at=plan.questions_close_at,
    )
    if amended is None:
        raise StaleWrite("rfq.stale", "Someone else changed this request; reload it and try again.")
    material = preview.material
    amendment = await repo.insert_amendment(
        conn,
        current.id,
        revision=amended.revision,
        material=material,
        summary=cmd.summary,
        changes=changes,
        closes_at_before=current.closes_at,
        closes_at_after=preview.closes_at_after,
        created_by=actor.user_id,
    )
    if material:
        await repo.mark_needs_reconfirmation(
            conn, current.id, revision=amended.revision, user_id=actor.user_id, reason=f"amendment {amended.revision}"
        )
    if amended.visibility == "public":
        await rfq_changed(conn, amended.id)
    await tell_vendors(
        conn,
        amended,
        kind="rfq.amended",
        settings=settings,
        key=f"amendment:{amended.revision}",
        subject=f"Request amended: {amended.title}",
        body=f"'{amended.title}' was amended (revision {amended.revision}): {cmd.summary}\n"
        + (
            "This change is material: re-confirm or revise your offer before "
            if material
            else "Your offer stays valid; you may re-confirm it with one click. The deadline is "
        )
        + f"{deadline_text(amended.closes_at, amended.buyer_time_zone)}.",
    )
    return amendment


async def _plan_lines(
    conn: Connection, actor: Actor, current: Rfq, changes: list[LineChangeIn]
) -> tuple[list[dict[str, Any]], list[_LineWrite]]:
    """The line changes as the amendment records them, and the writes that make them (in order)."""
    all_lines = await repo.list_lines(conn, current.id)
    lines = {ln.id: ln for ln in all_lines if ln.removed_in is None}
    addresses = await repo.own_address_ids(
        conn,
        buyer_of(actor),
        [c.delivery_address_id for c in changes if isinstance(c.delivery_address_id, int)],
    )
    errors: dict[str, str] = {}
    seen: set[int] = set()
    for i, change in enumerate(changes):
        if change.action != "add" and change.line_id not in lines:
            errors[f"lines[{i}].line_id"] = "Not a current line of this request."
        elif change.line_id is not None:
            if change.line_id in seen:
                errors[f"lines[{i}].line_id"] = "Change each line once per amendment."
            seen.add(change.line_id)
        if isinstance(change.delivery_address_id, int) and change.delivery_address_id not in addresses:
            errors[f"lines[{i}].delivery_address_id"] = "Not one of your company's addresses."
    removed = {c.line_id for c in changes if c.action == "remove"}
    if not errors and len(lines) - len(removed) + sum(c.action == "add" for c in changes) < 1:
        errors["lines"] = "A request keeps at least one line."
    if errors:
        raise FieldErrors(errors, code="rfq.invalid")
    # New lines go to the end, after every line ever used (removed ones keep their positions).
    next_position = max((ln.position for ln in all_lines), default=0) + 1
    out: list[dict[str, Any]] = []
    writes: list[_LineWrite] = []
    for change in changes:
        if change.action == "add":
            fields = _line_fields(None, change)
            out.append(
                {
                    "change": "added",
                    "line_id": None,
                    "position": next_position,
                    "fields": rules.diff({}, fields, fields=LINE_FIELDS),
                }
            )
            writes.append(_LineWrite(action="add", line_id=None, fields=fields))
            next_position += 1
        elif change.action == "remove":
            assert change.line_id is not None
            line = lines[change.line_id]
            out.append(
                {"change": "removed", "line_id": line.id, "position": line.position, "description": line.description}
            )
            writes.append(_LineWrite(action="remove", line_id=line.id, fields={}))
        else:
            assert change.line_id is not None
            line = lines[change.line_id]
            fields = _line_fields(line, change)
            diff = rules.diff(msgspec.structs.asdict(line), fields, fields=LINE_FIELDS)
            if diff:
                out.append({"change": "changed", "line_id": line.id, "position": line.position, "fields": diff})
                writes.append(_LineWrite(action="change", line_id=line.id, fields=fields))
    return out, writes


def _line_fields(line: Line | None, change: LineChangeIn) -> dict[str, Any]:
    """The line's fields after the change (a new line starts from the defaults of ``LineIn``)."""
    base: dict[str, Any] = (
        {f: getattr(line, f) for f in LINE_FIELDS}
        if line is not None
        else {f: None for f in LINE_FIELDS} | {"unit": "piece", "target_price_basis": 1}
    )
    for f in LINE_FIELDS:
        value = getattr(change, f)
        if value is not msgspec.UNSET:
            base[f] = value
    return base


async def buyer_amendments(conn: Connection, actor: Actor, rfq_id: int) -> list[Amendment]:
    current = await get_own(conn, actor, rfq_id)
    return await repo.list_amendments(conn, current.id)


async def vendor_amendments(conn: Connection, actor: Actor, rfq_id: int) -> list[Amendment]:
    """What changed, revision by revision, for a vendor that may see the request."""
    current = await get_visible(conn, actor, rfq_id)
    return await repo.list_amendments(conn, current.id)
