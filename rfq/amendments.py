"""Amendments of published requests: versioned, shown to vendors field by field, fair about deadlines.

A material amendment (items, quantities, units, delivery, criteria, a shorter deadline) moves every
submitted bid on an older revision to ``needs_reconfirmation`` and extends the deadline so that the
procedure's minimum time remains; a non-material one (wording) leaves bids valid, and vendors may
re-confirm with one click. Deadlines are instants: all arithmetic here is on UTC instants.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    current = await get_own(conn, actor, rfq_id, lock=True)
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
    line_changes = await _apply_lines(conn, actor, current, cmd.lines, revision=revision)
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
    amended = await repo.amend_rfq(
        conn,
        current.id,
        version=current.version,
        title=str(after["title"]),
        description=str(after["description"]),
        closes_at=closes_at,
        questions_close_at=questions_close_at,
    )
    if amended is None:
        raise StaleWrite("rfq.stale", "Someone else changed this request; reload it and try again.")
    amendment = await repo.insert_amendment(
        conn,
        current.id,
        revision=amended.revision,
        material=material,
        summary=cmd.summary,
        changes=changes,
        closes_at_before=current.closes_at,
        closes_at_after=closes_at,
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


async def _apply_lines(
    conn: Connection, actor: Actor, current: Rfq, changes: list[LineChangeIn], *, revision: int
) -> list[dict[str, Any]]:
    lines = {ln.id: ln for ln in await repo.list_lines(conn, current.id) if ln.removed_in is None}
    addresses = await repo.own_address_ids(
        conn,
        buyer_of(actor),
        [c.delivery_address_id for c in changes if isinstance(c.delivery_address_id, int)],
    )
    errors: dict[str, str] = {}
    for i, change in enumerate(changes):
        if change.action != "add" and change.line_id not in lines:
            errors[f"lines[{i}].line_id"] = "Not a current line of this request."
        if isinstance(change.delivery_address_id, int) and change.delivery_address_id not in addresses:
            errors[f"lines[{i}].delivery_address_id"] = "Not one of your company's addresses."
    removed = {c.line_id for c in changes if c.action == "remove"}
    if not errors and len(lines) - len(removed) + sum(c.action == "add" for c in changes) < 1:
        errors["lines"] = "A request keeps at least one line."
    if errors:
        raise FieldErrors(errors, code="rfq.invalid")
    out: list[dict[str, Any]] = []
    for change in changes:
        if change.action == "add":
            fields = _line_fields(None, change)
            line_id, position = await repo.insert_line(conn, current.id, fields)
            out.append(
                {
                    "change": "added",
                    "line_id": line_id,
                    "position": position,
                    "fields": rules.diff({}, fields, fields=LINE_FIELDS),
                }
            )
        elif change.action == "remove":
            assert change.line_id is not None
            line = lines[change.line_id]
            await repo.remove_line(conn, current.id, line.id, revision=revision)
            out.append(
                {"change": "removed", "line_id": line.id, "position": line.position, "description": line.description}
            )
        else:
            assert change.line_id is not None
            line = lines[change.line_id]
            before = msgspec.structs.asdict(line)
            fields = _line_fields(line, change)
            diff = rules.diff(before, fields, fields=LINE_FIELDS)
            if diff:
                await repo.update_line(conn, current.id, line.id, fields)
                out.append({"change": "changed", "line_id": line.id, "position": line.position, "fields": diff})
    return out


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
