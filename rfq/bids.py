"""Quotes and sealed bids: submit (a new immutable version each time), withdraw, re-confirm, negotiate.

The deadline is judged by the database clock in the statement that stores the version and again when
the transaction commits (trigger ``bid_version_on_time``); closing jobs play no part in it. Nothing here
writes to the ``rfq`` row, so bid activity is invisible from the RFQ's public attributes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from marketplace.core.errors import Conflict, FieldErrors, Forbidden, NotFound, RuleViolation
from marketplace.core.notifications import notify
from marketplace.core.ratelimit import hit
from marketplace.settings import Settings
from rfq import repository as repo
from rfq import sealing
from rfq.commands import BafoIn, BidIn, BidLineIn, RevisionRequestIn
from rfq.models import Bid, BidContent, BidLine, BidStatus, BidVersion, OpenedBid, Receipt, Rfq, Status
from rfq.rules import DeadlinePassed
from rfq.service import (
    VENDOR_AUDIENCE,
    close_if_due,
    deadline_text,
    get_own,
    get_visible,
    require_vendor_role,
    require_verified,
    vendor_of,
)


def late(rfq: Rfq, deadline: datetime) -> DeadlinePassed:
    return DeadlinePassed(
        "rfq.deadline_passed",
        f"Offers are accepted only before {deadline_text(deadline, rfq.buyer_time_zone)}; "
        "this one arrived at or after it.",
        deadline=deadline.isoformat(),
    )


class Round(msgspec.Struct, frozen=True):
    deadline: datetime
    round: int


async def round_for(conn: Connection, rfq: Rfq, bid: Bid | None) -> Round:
    """Which deadline a vendor's submission (or bid file) must make now: the RFQ's, a BAFO round's or a
    negotiation's. Raises ``DeadlinePassed`` after it, ``RuleViolation`` when the request takes no offers."""
    if rfq.status == Status.PUBLISHED:
        if await repo.has_passed(conn, rfq.closes_at):
            raise late(rfq, rfq.closes_at)
        return Round(rfq.closes_at, 1)
    if bid is not None and bid.turn == "vendor" and bid.respond_by is not None and rfq.status == Status.CLOSED:
        if await repo.has_passed(conn, bid.respond_by):
            raise late(rfq, bid.respond_by)
        return Round(bid.respond_by, bid.round)
    if rfq.status in (Status.CLOSED, Status.EVALUATED, Status.AWARDED, Status.UNSUCCESSFUL):
        raise late(rfq, rfq.closes_at)
    raise RuleViolation("rfq.not_open", f"This request is {rfq.status}; it takes no offers.")


def _content(cmd: BidIn) -> BidContent:
    return BidContent(
        lines=[BidLine(**msgspec.structs.asdict(line)) for line in cmd.lines],
        valid_until=cmd.valid_until,
        delivery_cost_minor=cmd.delivery_cost_minor,
        note=cmd.note,
        salt=sealing.new_salt(),
    )


async def data_key(conn: Connection, rfq: Rfq, *, settings: Settings, own_vendor_id: int | None) -> bytes:
    """The tender's data key, released by the database only after the deadline or to a vendor with a bid on
    it (``own_vendor_id``); raises ``NotFound`` otherwise."""
    wrapped = await repo.sealing_key_for(conn, rfq.id, own_vendor_id=own_vendor_id)
    if wrapped is None:
        raise NotFound("rfq.sealed", "Sealed offers cannot be read before the deadline.")
    return sealing.unwrap_data_key(sealing.sealing_master_key(settings), wrapped, rfq.id)


async def submit_bid(
    conn: Connection,
    actor: Actor,
    rfq_id: int,
    cmd: BidIn,
    *,
    settings: Settings,
    idempotency_key: str | None = None,
) -> Receipt:
    """Store a new version of the vendor's one bid and return the signed receipt.

    Raises ``DeadlinePassed`` (422) at or after the deadline, ``FieldErrors`` for lines that are not part of
    the request or an expired validity, ``NotFound`` when the vendor cannot see the request.
    """
    rfq = await get_visible(conn, actor, rfq_id, share_lock=True)
    require_vendor_role(actor)
    require_verified(actor)
    vendor_id = vendor_of(actor)
    # Lock order, always: the vendor's rate-limit row, then its bid row (the other order deadlocks two
    # submissions of one vendor, one holding the bid and waiting for the counter, the other the reverse).
    await hit(conn, f"rfq-bid:{vendor_id}", limit=rfq.rules.max_bids_per_vendor_per_hour, window=timedelta(hours=1))
    bid = await repo.get_own_bid(conn, rfq.id, vendor_id=vendor_id, lock=True)
    round_ = await round_for(conn, rfq, bid)
    lines = {ln.id: ln for ln in await repo.list_lines(conn, rfq.id) if ln.removed_in is None}
    errors = {
        f"lines[{i}].line_id": "Not a line of this request."
        for i, line in enumerate(cmd.lines)
        if line.line_id not in lines
    }
    if cmd.valid_until < round_.deadline.date():
        errors["valid_until"] = "The offer must stay valid at least until the deadline."
    if errors:
        raise FieldErrors(errors, code="rfq.invalid_bid")
    bid = bid or await repo.lock_or_create_bid(conn, rfq.id, vendor_id=vendor_id, revision=rfq.revision)
    if idempotency_key:
        earlier = await repo.find_version_by_key(conn, bid.id, idempotency_key)
        if earlier is not None:
            return _receipt(
                settings, rfq.id, bid.id, earlier["version"], earlier["submitted_at"], earlier["content_sha256"]
            )
    content = _content(cmd)
    data = sealing.canonical(content)
    digest = sealing.content_hash(data)
    version = bid.current_version + 1
    sealed = None
    if rfq.rules.sealed:
        key = await data_key(conn, rfq, settings=settings, own_vendor_id=vendor_id)
        sealed = sealing.seal_content(key, data, bid_id=bid.id, version=version)
    submitted_at = await repo.insert_version(
        conn,
        bid_id=bid.id,
        version=version,
        author="vendor",
        round=round_.round,
        rfq_revision=rfq.revision,
        submitted_by=actor.user_id,
        opens_at=round_.deadline,
        content=None if sealed else msgspec.to_builtins(content),
        sealed=sealed,
        content_sha256=digest,
        idempotency_key=idempotency_key,
        note=None,
    )
    if submitted_at is None:
        raise late(rfq, round_.deadline)
    updated = msgspec.structs.replace(
        bid,
        status=BidStatus.SUBMITTED,
        current_version=version,
        rfq_revision=rfq.revision,
        turn="buyer",
        respond_by=None,
    )
    await repo.update_bid(conn, updated)
    await repo.insert_bid_history(
        conn, bid.id, str(bid.status) if bid.current_version else None, "submitted", actor.user_id, f"version {version}"
    )
    receipt = _receipt(settings, rfq.id, bid.id, version, submitted_at, digest)
    # The receipt goes to the vendor only; it holds the time and hash, never amounts.
    await notify(
        conn,
        company_id=vendor_id,
        roles=VENDOR_AUDIENCE,
        kind="rfq.bid_received",
        subject=f"Receipt: your offer for '{rfq.title}' (version {version})",
        body=f"Received {deadline_text(submitted_at, rfq.buyer_time_zone)}. SHA-256 of the offer: {digest}. "
        f"Signature: {receipt.signature}.",
        link=f"/vendor/rfqs/{rfq.id}",
        dedupe_key=f"bid:{bid.id}:receipt:{version}",
        base_url=settings.public_base_url,
    )
    return receipt


def _receipt(settings: Settings, rfq_id: int, bid_id: int, version: int, at: datetime, digest: str) -> Receipt:
    key = sealing.receipt_key(settings)
    return Receipt(
        rfq_id=rfq_id,
        bid_id=bid_id,
        version=version,
        submitted_at=at,
        content_sha256=digest,
        signature=sealing.sign_receipt(key, rfq_id, bid_id, version, at, digest),
    )


async def withdraw_bid(conn: Connection, actor: Actor, rfq_id: int, *, settings: Settings) -> Bid:
    """Withdraw the vendor's bid before the deadline (its versions stay, for the audit)."""
    rfq = await get_visible(conn, actor, rfq_id, share_lock=True)
    require_vendor_role(actor)
    bid = await repo.get_own_bid(conn, rfq.id, vendor_id=vendor_of(actor), lock=True)
    if bid is None or bid.status == BidStatus.WITHDRAWN:
        raise NotFound("rfq.bid_not_found", "Your company has no live offer on this request.")
    if rfq.status != Status.PUBLISHED or await repo.has_passed(conn, rfq.closes_at):
        raise late(rfq, rfq.closes_at)
    updated = msgspec.structs.replace(bid, status=BidStatus.WITHDRAWN)
    await repo.update_bid(conn, updated)
    await repo.insert_bid_history(conn, bid.id, bid.status, "withdrawn", actor.user_id, None)
    return updated


async def reconfirm_bid(
    conn: Connection, actor: Actor, rfq_id: int, *, settings: Settings, idempotency_key: str | None = None
) -> Receipt:
    """One click after an amendment: the live offer, unchanged, for the RFQ's current revision (a new version)."""
    rfq = await get_visible(conn, actor, rfq_id, share_lock=True)
    own = await own_bid(conn, actor, rfq.id, settings=settings)
    latest = own[1][-1] if own[1] else None
    if latest is None or latest.content is None or own[0].status == BidStatus.WITHDRAWN:
        raise NotFound("rfq.bid_not_found", "Your company has no live offer on this request.")
    live = {ln.id for ln in await repo.list_lines(conn, rfq.id) if ln.removed_in is None}
    kept = [ln for ln in latest.content.lines if ln.line_id in live]
    if not kept:
        raise RuleViolation(
            "rfq.reconfirm_impossible", "None of your offered lines is still requested; send a new offer."
        )
    cmd = BidIn(
        lines=[msgspec.convert(msgspec.to_builtins(ln), type=BidLineIn) for ln in kept],
        valid_until=latest.content.valid_until,
        delivery_cost_minor=latest.content.delivery_cost_minor,
        note=latest.content.note,
    )
    return await submit_bid(conn, actor, rfq_id, cmd, settings=settings, idempotency_key=idempotency_key)


async def _open_versions(
    conn: Connection, rfq: Rfq, bid_ids: list[int], *, settings: Settings, reader_vendor_id: int | None
) -> dict[int, list[BidVersion]]:
    rows = await repo.list_readable_versions(conn, bid_ids, reader_vendor_id=reader_vendor_id)
    key: bytes | None = None
    out: dict[int, list[BidVersion]] = {}
    for version, sealed, plain in rows:
        content: BidContent | None = None
        target_prices = None
        if sealed is not None:
            if key is None:
                key = await data_key(conn, rfq, settings=settings, own_vendor_id=reader_vendor_id)
            content = sealing.open_content(key, sealed, bid_id=version.bid_id, version=version.version)
        elif version.author == "buyer":
            target_prices = dict(plain.get("target_prices", {}))
        else:
            content = repo.plain_content(plain)
        out.setdefault(version.bid_id, []).append(
            msgspec.structs.replace(version, content=content, target_prices=target_prices)
        )
    return out


async def own_bid(conn: Connection, actor: Actor, rfq_id: int, *, settings: Settings) -> tuple[Bid, list[BidVersion]]:
    """The vendor's own bid with every version, readable by its vendor at any time."""
    rfq = await get_visible(conn, actor, rfq_id)
    vendor_id = vendor_of(actor)
    bid = await repo.get_own_bid(conn, rfq.id, vendor_id=vendor_id)
    if bid is None:
        raise NotFound("rfq.bid_not_found", "Your company has not made an offer on this request.")
    versions = await _open_versions(conn, rfq, [bid.id], settings=settings, reader_vendor_id=vendor_id)
    return bid, versions.get(bid.id, [])


async def opened_bids(conn: Connection, rfq: Rfq, *, settings: Settings) -> list[OpenedBid]:
    """The bids the buyer may read now, each with its live vendor version.

    Sealed procedures: nothing before the deadline (the versions' ``opens_at`` on the database clock);
    withdrawn bids are left out. Callers have already scoped ``rfq`` to the buyer.
    """
    if rfq.rules.sealed and rfq.status in (Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED, Status.PUBLISHED):
        return []
    bids = [(b, name) for b, name in await repo.list_bids(conn, rfq.id) if b.status != BidStatus.WITHDRAWN]
    versions = await _open_versions(conn, rfq, [b.id for b, _ in bids], settings=settings, reader_vendor_id=None)
    opened = []
    for bid, name in bids:
        vendor_versions = [v for v in versions.get(bid.id, []) if v.author == "vendor" and v.content is not None]
        if not vendor_versions:
            continue
        live = vendor_versions[-1]
        assert live.content is not None
        opened.append(
            OpenedBid(
                bid=bid,
                vendor_name=name,
                version=live.version,
                submitted_at=live.submitted_at,
                content=live.content,
                valid_for_revision=live.rfq_revision == rfq.revision and bid.status == BidStatus.SUBMITTED,
            )
        )
    return opened


async def request_revision(
    conn: Connection, actor: Actor, rfq_id: int, bid_id: int, cmd: RevisionRequestIn, *, settings: Settings
) -> Bid:
    """Negotiation (RFQ): the buyer, holding the turn, asks one vendor for a revised quote by ``respond_by``.

    The request is itself an immutable version (author ``buyer``) with the target prices; the turn passes
    to the vendor, who alone may then change the offer.
    """
    rfq = await close_if_due(conn, await get_own(conn, actor, rfq_id, lock=True), settings=settings)
    if not actor.has_any("buyer", "admin"):
        raise Forbidden("rfq.role_required", "Only buyers negotiate offers.")
    if rfq.status not in (Status.CLOSED, Status.EVALUATED):
        raise RuleViolation(
            "rfq.not_negotiable", "Revised quotes can be asked for after the deadline, before the award."
        )
    bid = await repo.get_bid_of_rfq(conn, bid_id, rfq.id, lock=True)
    if bid is None or bid.status == BidStatus.WITHDRAWN:
        raise NotFound("rfq.bid_not_found", "No such offer on this request.")
    if bid.turn != "buyer":
        raise Conflict("rfq.not_your_turn", "The vendor holds the turn: wait for the revised quote.")
    if bid.round > rfq.rules.negotiation_rounds:
        raise RuleViolation(
            "rfq.no_more_rounds", f"This procedure allows {rfq.rules.negotiation_rounds} revision round(s)."
        )
    if await repo.has_passed(conn, cmd.respond_by):
        raise FieldErrors({"respond_by": "Give the vendor a time in the future."}, code="rfq.invalid")
    if rfq.status == Status.EVALUATED:
        rfq = await _reopen_for_negotiation(conn, actor, rfq, settings=settings)
    version = bid.current_version + 1
    content = {"target_prices": cmd.target_prices}
    await repo.insert_version(
        conn,
        bid_id=bid.id,
        version=version,
        author="buyer",
        round=bid.round + 1,
        rfq_revision=rfq.revision,
        submitted_by=actor.user_id,
        opens_at=cmd.respond_by,
        content=content,
        sealed=None,
        content_sha256=sealing.content_hash(msgspec.json.encode(content)),
        note=cmd.message,
    )
    updated = msgspec.structs.replace(
        bid, current_version=version, turn="vendor", round=bid.round + 1, respond_by=cmd.respond_by
    )
    await repo.update_bid(conn, updated)
    await repo.insert_bid_history(
        conn, bid.id, bid.status, bid.status, actor.user_id, f"revision requested (round {updated.round})"
    )
    await notify(
        conn,
        company_id=bid.vendor_id,
        roles=VENDOR_AUDIENCE,
        kind="rfq.revision_requested",
        subject=f"Revised quote requested: {rfq.title}",
        body=f"The buyer asks for a revised quote by {deadline_text(cmd.respond_by, rfq.buyer_time_zone)}: "
        f"{cmd.message}",
        link=f"/vendor/rfqs/{rfq.id}",
        dedupe_key=f"bid:{bid.id}:revision:{updated.round}",
        base_url=settings.public_base_url,
    )
    return updated


async def _reopen_for_negotiation(conn: Connection, actor: Actor, rfq: Rfq, *, settings: Settings) -> Rfq:
    from rfq.service import move

    return await move(conn, actor, rfq.id, Status.CLOSED, reason="negotiation round", settings=settings)


async def start_bafo(conn: Connection, actor: Actor, rfq_id: int, cmd: BafoIn, *, settings: Settings) -> Rfq:
    """Tenders: a best-and-final-offer round for a shortlist, sealed until its own deadline."""
    rfq = await close_if_due(conn, await get_own(conn, actor, rfq_id, lock=True), settings=settings)
    if not actor.has_any("buyer", "admin"):
        raise Forbidden("rfq.role_required", "Only buyers run a best-and-final-offer round.")
    if not rfq.rules.bafo:
        raise RuleViolation("rfq.no_bafo", "This procedure has no best-and-final-offer round.")
    if rfq.status != Status.CLOSED or rfq.bafo_closes_at is not None:
        raise RuleViolation("rfq.bafo_not_possible", "A best-and-final-offer round runs once, after the deadline.")
    now = await repo.clock(conn)
    if cmd.closes_at < now + timedelta(hours=rfq.rules.bafo_min_hours):
        raise FieldErrors(
            {"closes_at": f"Leave the shortlisted vendors at least {rfq.rules.bafo_min_hours} hours."},
            code="rfq.invalid",
        )
    bids = {b.id: b for b, _ in await repo.list_bids(conn, rfq.id) if b.status == BidStatus.SUBMITTED}
    unknown = [b for b in cmd.bid_ids if b not in bids]
    if unknown:
        raise FieldErrors({"bid_ids": "Only valid offers of this tender can be shortlisted."}, code="rfq.invalid")
    await conn.execute(
        "UPDATE rfq SET bafo_closes_at = $2, version = version + 1, updated_at = now() WHERE id = $1",
        rfq.id,
        cmd.closes_at,
    )
    for bid_id in cmd.bid_ids:
        bid = bids[bid_id]
        await repo.update_bid(
            conn,
            msgspec.structs.replace(
                bid, shortlisted=True, turn="vendor", round=bid.round + 1, respond_by=cmd.closes_at
            ),
        )
        await repo.insert_bid_history(conn, bid.id, bid.status, bid.status, actor.user_id, "shortlisted for BAFO")
        await notify(
            conn,
            company_id=bid.vendor_id,
            roles=VENDOR_AUDIENCE,
            kind="rfq.bafo",
            subject=f"Best and final offer: {rfq.title}",
            body="You are shortlisted. Send your best and final offer before "
            f"{deadline_text(cmd.closes_at, rfq.buyer_time_zone)}.",
            link=f"/vendor/rfqs/{rfq.id}",
            dedupe_key=f"bid:{bid.id}:bafo",
            base_url=settings.public_base_url,
        )
    await repo.insert_history(
        conn,
        rfq.id,
        rfq.status,
        rfq.status,
        actor.user_id,
        "buyer",
        f"best-and-final-offer round until {cmd.closes_at.isoformat()}",
    )
    reloaded = await repo.get_for_buyer(conn, rfq.id, buyer_id=rfq.buyer_id)
    assert reloaded is not None
    return reloaded
