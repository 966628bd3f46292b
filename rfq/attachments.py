"""Files of requests, their lines and bids: attach, list, download, remove.

Request files (documents, drawings) change freely while the request is a draft. After publication a
file is added or withdrawn only with an amendment (``amendments.amend``): vendors are told, the change
is on record with its revision, and the buyer says whether it is material (then offers must be
re-confirmed and the deadline leaves the procedure's minimum time). Vendors that may see the request
read the files in force; anyone else gets 404.

Bid files belong to the vendor's bid and change while the vendor may change the bid: before the
deadline of its round, judged on the referee clock when the row is stored and again at commit. For
sealed procedures the bytes are encrypted with the tender's key before they reach the storage, and the
name, type, size and hash are sealed together in the row, so before opening nobody but the vendor
learns anything of them, not even how many there are. The buyer reads them when it may read the bid.

Every file's type is decided by its first bytes (``marketplace.core.files``), its name is cleaned, and
its size is limited by ``settings.rfq_file_max_bytes``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from collections.abc import AsyncIterator, Iterator

import msgspec

from marketplace.core import files
from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from marketplace.core.errors import FieldErrors, Forbidden, NotFound, RuleViolation
from marketplace.core.jobs import enqueue
from marketplace.core.storage import Storage, TooLarge
from marketplace.settings import Settings
from rfq import amendments, bids, sealing
from rfq import repository as repo
from rfq.commands import AmendmentIn, FileRemovalIn, RfqFileIn
from rfq.jobs import DeleteStoredFile
from rfq.models import UNPUBLISHED, Bid, BidAttachment, BidStatus, FileMeta, Rfq, RfqAttachment, Status
from rfq.repository import StoredBidFile
from rfq.service import (
    DRAFT_ROLES,
    VENDOR_ROLES,
    close_if_due,
    get_own,
    get_visible,
    require_vendor_role,
    require_verified,
    vendor_of,
)

# Every type the platform recognises: documents, images, scans, CAD drawings and models, office files.
ALLOWED_TYPES = tuple(files.FILE_TYPES)
MAX_FILES_PER_RFQ = 50
MAX_FILES_PER_BID = 20
# A request body may carry the largest file the settings can allow (TRADEYARD_RFQ_FILE_MAX_BYTES, at most
# 100 MiB) and the form around it; the setting itself is checked while the file is stored.
MAX_UPLOAD_BODY = 101 * 1024 * 1024
NO_FILE = "No such file."


@dataclasses.dataclass(frozen=True)
class Download:
    """A file ready to be sent: its safe name, checked type, and its bytes (decrypted, for sealed files)."""

    filename: str
    content_type: str
    size_bytes: int
    chunks: Iterator[bytes]


@dataclasses.dataclass(frozen=True)
class _Received:
    key: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str


# --- receiving an upload ---------------------------------------------------------------------------------


async def _first_and_all(chunks: AsyncIterator[bytes]) -> tuple[bytes, AsyncIterator[bytes]]:
    first = await anext(chunks, b"")

    async def again() -> AsyncIterator[bytes]:
        if first:
            yield first
        async for chunk in chunks:
            yield chunk

    return first, again()


def _checked_type(first: bytes) -> str:
    if not first:
        raise RuleViolation("rfq.file_empty", "The file is empty.", field="file")
    content_type = files.sniff(first, ALLOWED_TYPES)
    if content_type is None:
        raise RuleViolation("rfq.file_type", f"This file is not a {files.labels(ALLOWED_TYPES)} file.", field="file")
    return content_type


def _too_large(exc: TooLarge) -> RuleViolation:
    return RuleViolation("rfq.file_too_large", f"The file is {exc}.", field="file")


async def _store_plain(
    storage: Storage, prefix: str, filename: str, chunks: AsyncIterator[bytes], *, max_bytes: int
) -> _Received:
    """Stream an upload to storage as it is (never whole in memory), checking type and size on the way."""
    first, all_chunks = await _first_and_all(chunks)
    content_type = _checked_type(first)
    digest = hashlib.sha256()

    async def hashed() -> AsyncIterator[bytes]:
        async for chunk in all_chunks:
            digest.update(chunk)
            yield chunk

    try:
        key, size = await storage.save(prefix, hashed(), max_bytes=max_bytes)
    except TooLarge as exc:
        raise _too_large(exc) from None
    return _Received(key, files.safe_filename(filename, content_type), content_type, size, digest.hexdigest())


async def _one(blob: bytes) -> AsyncIterator[bytes]:
    yield blob


# --- files of requests and lines -------------------------------------------------------------------------


async def add_rfq_file(
    conn: Connection,
    actor: Actor,
    rfq_id: int,
    cmd: RfqFileIn,
    *,
    filename: str,
    chunks: AsyncIterator[bytes],
    storage: Storage,
    settings: Settings,
) -> RfqAttachment:
    """Attach a file to one of the buyer's requests, or to one of its lines (``cmd.line_id``).

    Drafts take files freely; a published request takes one only with an amendment (``cmd.summary``).
    Raises ``NotFound`` (not the buyer's), ``Forbidden`` (role), ``RuleViolation`` (state, type, size, count),
    ``FieldErrors`` (a line of another request, a missing summary).
    """
    current = await close_if_due(conn, await get_own(conn, actor, rfq_id, lock=True), settings=settings)
    _check_files_may_change(actor, current, summary=cmd.summary)
    live = {ln.id for ln in await repo.list_lines(conn, current.id) if ln.removed_in is None}
    if cmd.line_id is not None and cmd.line_id not in live:
        raise FieldErrors({"line_id": "Not a line of this request."}, code="rfq.invalid")
    if await repo.count_rfq_files(conn, current.id) >= MAX_FILES_PER_RFQ:
        raise RuleViolation("rfq.too_many_files", f"A request holds at most {MAX_FILES_PER_RFQ} files.", field="file")
    received = await _store_plain(storage, f"rfq/{current.id}", filename, chunks, max_bytes=settings.rfq_file_max_bytes)
    try:
        added = await repo.insert_rfq_file(
            conn,
            current.id,
            line_id=cmd.line_id,
            storage_key=received.key,
            filename=received.filename,
            content_type=received.content_type,
            size_bytes=received.size_bytes,
            sha256=received.sha256,
            uploaded_by=actor.user_id,
            added_in=current.revision if current.status == Status.DRAFT else current.revision + 1,
        )
        if current.status == Status.PUBLISHED:
            assert cmd.summary is not None
            await amendments.amend(
                conn,
                actor,
                current.id,
                AmendmentIn(summary=cmd.summary),
                settings=settings,
                file_changes=[_file_change("added", added, material=cmd.material)],
            )
    except BaseException:
        await storage.delete(received.key)  # nothing refers to the bytes: this request stored them
        raise
    return added


def _check_files_may_change(actor: Actor, current: Rfq, *, summary: str | None) -> None:
    if current.status == Status.DRAFT:
        if not actor.has_any(*DRAFT_ROLES):
            raise Forbidden("rfq.role_required", "Only requesters, buyers and admins change a draft's files.")
        return
    if current.status != Status.PUBLISHED:
        raise RuleViolation(
            "rfq.files_locked",
            f"The files of a {current.status.replace('_', ' ')} request do not change: files change while it is "
            "a draft, and after publication with an amendment until the deadline.",
        )
    if not actor.has_any(*amendments.AMEND_ROLES):
        raise Forbidden("rfq.role_required", "Only buyers and admins amend published requests.")
    if not summary:
        raise FieldErrors(
            {"summary": "Say what the file changes: vendors read it with the amendment."}, code="rfq.invalid"
        )


def _file_change(change: str, file: RfqAttachment, *, material: bool) -> dict[str, object]:
    return {
        "change": change,
        "attachment_id": file.id,
        "filename": file.filename,
        "line_id": file.line_id,
        "material": material,
    }


async def remove_rfq_file(
    conn: Connection, actor: Actor, rfq_id: int, file_id: int, cmd: FileRemovalIn, *, settings: Settings
) -> None:
    """Delete a draft's file, or withdraw a published request's file with an amendment (it stays on record).

    Raises ``NotFound`` (not the buyer's request or file), ``Forbidden``, ``RuleViolation``, ``FieldErrors``.
    """
    current = await close_if_due(conn, await get_own(conn, actor, rfq_id, lock=True), settings=settings)
    found = await repo.get_rfq_file(conn, current.id, file_id, in_force_only=False)
    if found is None or found[0].removed_in is not None:
        raise NotFound("rfq.file_not_found", NO_FILE)
    _check_files_may_change(actor, current, summary=cmd.summary)
    file, _ = found
    if current.status == Status.DRAFT:
        key = await repo.delete_rfq_file(conn, current.id, file.id)
        if key is not None:  # the bytes go once the deletion has committed
            await enqueue(conn, DeleteStoredFile(storage_key=key))
        return
    assert cmd.summary is not None
    await repo.mark_rfq_file_removed(conn, current.id, file.id, revision=current.revision + 1)
    await amendments.amend(
        conn,
        actor,
        current.id,
        AmendmentIn(summary=cmd.summary),
        settings=settings,
        file_changes=[_file_change("removed", file, material=cmd.material)],
    )


async def rfq_files(conn: Connection, actor: Actor, rfq_id: int) -> list[RfqAttachment]:
    """Every file of one of the buyer's requests, those withdrawn by an amendment included (``removed_in``)."""
    current = await get_own(conn, actor, rfq_id)
    return await repo.list_rfq_files(conn, current.id, in_force_only=False)


async def vendor_rfq_files(conn: Connection, actor: Actor, rfq_id: int) -> list[RfqAttachment]:
    """The files in force of a request the vendor may see (404 for any other)."""
    current = await get_visible(conn, actor, rfq_id)
    return await repo.list_rfq_files(conn, current.id, in_force_only=True)


async def rfq_file(conn: Connection, actor: Actor, rfq_id: int, file_id: int, *, storage: Storage) -> Download:
    """One file of the buyer's request, to download."""
    current = await get_own(conn, actor, rfq_id)
    return _plain_download(await repo.get_rfq_file(conn, current.id, file_id, in_force_only=False), storage)


async def vendor_rfq_file(conn: Connection, actor: Actor, rfq_id: int, file_id: int, *, storage: Storage) -> Download:
    """One file in force of a request the vendor may see, to download."""
    current = await get_visible(conn, actor, rfq_id)
    return _plain_download(await repo.get_rfq_file(conn, current.id, file_id, in_force_only=True), storage)


def _plain_download(found: tuple[RfqAttachment, str] | None, storage: Storage) -> Download:
    if found is None:
        raise NotFound("rfq.file_not_found", NO_FILE)
    file, key = found
    return Download(file.filename, file.content_type, file.size_bytes, _read(storage, key))


def _read(storage: Storage, key: str) -> Iterator[bytes]:
    stream = storage.open(key)

    def chunks() -> Iterator[bytes]:
        with stream:  # closed when the response is done, or abandoned
            while chunk := stream.read(256 * 1024):
                yield chunk

    return chunks()


# --- files of bids ---------------------------------------------------------------------------------------


async def add_bid_file(
    conn: Connection,
    actor: Actor,
    rfq_id: int,
    *,
    filename: str,
    chunks: AsyncIterator[bytes],
    storage: Storage,
    settings: Settings,
) -> BidAttachment:
    """Attach a file to the vendor's bid while the vendor may change it.

    Sealed procedures: encrypted with the tender's key before it is stored, its metadata sealed too.
    Raises ``NotFound`` (request not visible), ``Forbidden`` (role, unverified), ``RuleViolation`` (no offer
    yet, type, size, count) and ``DeadlinePassed`` (at or after the round's deadline).
    """
    rfq = await get_visible(conn, actor, rfq_id, share_lock=True)
    require_vendor_role(actor)
    require_verified(actor)
    bid = await repo.get_own_bid(conn, rfq.id, vendor_id=vendor_of(actor), lock=True)
    if bid is None or bid.status == BidStatus.WITHDRAWN or bid.current_version < 1:
        raise RuleViolation("rfq.no_offer", "Send your offer first; files are attached to it.", field="file")
    round_ = await bids.round_for(conn, rfq, bid)
    if await repo.count_bid_files(conn, bid.id) >= MAX_FILES_PER_BID:
        raise RuleViolation("rfq.too_many_files", f"An offer holds at most {MAX_FILES_PER_BID} files.", field="file")
    prefix = f"bids/{rfq.id}"
    if rfq.rules.sealed:
        key = await bids.data_key(conn, rfq, settings=settings, own_vendor_id=bid.vendor_id)
        meta, storage_key = await _store_sealed(
            storage, prefix, key, bid, filename, chunks, max_bytes=settings.rfq_file_max_bytes
        )
        fields: dict[str, object] = {
            "sealed": True,
            "sealed_meta": sealing.seal_file(
                key, msgspec.json.encode(meta), attachment_ref=_meta_ref(bid.id, storage_key)
            ),
        }
    else:
        received = await _store_plain(storage, prefix, filename, chunks, max_bytes=settings.rfq_file_max_bytes)
        storage_key = received.key
        meta = FileMeta(
            filename=received.filename,
            content_type=received.content_type,
            size_bytes=received.size_bytes,
            sha256=received.sha256,
            ref="",
        )
        fields = {
            "sealed": False,
            "filename": meta.filename,
            "content_type": meta.content_type,
            "size_bytes": meta.size_bytes,
            "sha256": meta.sha256,
        }
    try:
        file_id = await repo.insert_bid_file(
            conn, bid.id, storage_key=storage_key, opens_at=round_.deadline, uploaded_by=actor.user_id, **fields
        )
        if file_id is None:
            raise bids.late(rfq, round_.deadline)
    except BaseException:
        await storage.delete(storage_key)
        raise
    stored = await repo.list_own_bid_files(conn, bid.id, file_id=file_id)
    return _as_attachment(stored[0], meta)


async def _store_sealed(
    storage: Storage,
    prefix: str,
    key: bytes,
    bid: Bid,
    filename: str,
    chunks: AsyncIterator[bytes],
    *,
    max_bytes: int,
) -> tuple[FileMeta, str]:
    """Encrypt the whole upload in memory (bounded by ``max_bytes``) and store only the ciphertext."""
    first, all_chunks = await _first_and_all(chunks)
    content_type = _checked_type(first)
    try:
        data = await files.read_all(all_chunks, max_bytes=max_bytes)
    except TooLarge as exc:
        raise _too_large(exc) from None
    ref = secrets.token_hex(16)
    blob = sealing.seal_file(key, data, attachment_ref=_file_ref(bid.id, ref))
    storage_key, _ = await storage.save(prefix, _one(blob), max_bytes=len(blob))
    meta = FileMeta(
        filename=files.safe_filename(filename, content_type),
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        ref=ref,
    )
    return meta, storage_key


def _file_ref(bid_id: int, ref: str) -> str:
    return f"bid:{bid_id}:{ref}"


def _meta_ref(bid_id: int, storage_key: str) -> str:
    return f"bid:{bid_id}:meta:{storage_key}"


def _as_attachment(stored: StoredBidFile, meta: FileMeta) -> BidAttachment:
    return BidAttachment(
        id=stored.id,
        bid_id=stored.bid_id,
        filename=meta.filename,
        content_type=meta.content_type,
        size_bytes=meta.size_bytes,
        sha256=meta.sha256,
        sealed=stored.sealed,
        opens_at=stored.opens_at,
        created_at=stored.created_at,
    )


async def _opened(
    conn: Connection, rfq: Rfq, stored: list[StoredBidFile], *, settings: Settings, reader_vendor_id: int | None
) -> tuple[list[tuple[BidAttachment, FileMeta, StoredBidFile]], bytes | None]:
    """Each row with its metadata, unsealed where needed with the tender's key (asked for once, and
    returned: the database releases it only to the bid's vendor or after the deadline)."""
    key: bytes | None = None
    out = []
    for row in stored:
        if row.sealed:
            assert row.sealed_meta is not None
            if key is None:
                key = await bids.data_key(conn, rfq, settings=settings, own_vendor_id=reader_vendor_id)
            plain = sealing.open_file(key, row.sealed_meta, attachment_ref=_meta_ref(row.bid_id, row.storage_key))
            meta = msgspec.json.decode(plain, type=FileMeta)
        else:
            # bid_attachment_sealed_xor: an unsealed row has every one of these columns.
            meta = FileMeta(
                filename=row.filename or "file",
                content_type=row.content_type or "application/octet-stream",
                size_bytes=row.size_bytes or 0,
                sha256=row.sha256 or "",
                ref="",
            )
        out.append((_as_attachment(row, meta), meta, row))
    return out, key


async def _download_of(
    conn: Connection,
    rfq: Rfq,
    stored: StoredBidFile,
    *,
    storage: Storage,
    settings: Settings,
    reader_vendor_id: int | None,
) -> Download:
    (opened,), key = await _opened(conn, rfq, [stored], settings=settings, reader_vendor_id=reader_vendor_id)
    file, meta, row = opened
    if not row.sealed:
        return Download(file.filename, file.content_type, file.size_bytes, _read(storage, row.storage_key))
    assert key is not None
    with storage.open(row.storage_key) as stream:
        blob = stream.read()
    data = sealing.open_file(key, blob, attachment_ref=_file_ref(row.bid_id, meta.ref))
    return Download(file.filename, file.content_type, len(data), iter((data,)))


async def own_bid_files(conn: Connection, actor: Actor, rfq_id: int, *, settings: Settings) -> list[BidAttachment]:
    """The files of the vendor's own bid (readable by its vendor at any time); empty without a bid."""
    rfq = await get_visible(conn, actor, rfq_id)
    bid = await repo.get_own_bid(conn, rfq.id, vendor_id=vendor_of(actor))
    if bid is None:
        return []
    opened, _ = await _opened(
        conn, rfq, await repo.list_own_bid_files(conn, bid.id), settings=settings, reader_vendor_id=bid.vendor_id
    )
    return [a for a, _, _ in opened]


async def own_bid_file(
    conn: Connection, actor: Actor, rfq_id: int, file_id: int, *, storage: Storage, settings: Settings
) -> Download:
    """One file of the vendor's own bid, decrypted for its vendor."""
    rfq = await get_visible(conn, actor, rfq_id)
    bid = await repo.get_own_bid(conn, rfq.id, vendor_id=vendor_of(actor))
    stored = [] if bid is None else await repo.list_own_bid_files(conn, bid.id, file_id=file_id)
    if bid is None or not stored:
        raise NotFound("rfq.file_not_found", NO_FILE)
    return await _download_of(conn, rfq, stored[0], storage=storage, settings=settings, reader_vendor_id=bid.vendor_id)


async def remove_bid_file(conn: Connection, actor: Actor, rfq_id: int, file_id: int, *, settings: Settings) -> None:
    """Remove a file from the vendor's bid before its deadline (the row and bytes stay for the audit).

    Raises ``NotFound`` (not the vendor's file) and ``DeadlinePassed`` (its deadline has passed).
    """
    rfq = await get_visible(conn, actor, rfq_id, share_lock=True)
    require_vendor_role(actor)
    bid = await repo.get_own_bid(conn, rfq.id, vendor_id=vendor_of(actor), lock=True)
    stored = [] if bid is None else await repo.list_own_bid_files(conn, bid.id, file_id=file_id)
    if bid is None or not stored:
        raise NotFound("rfq.file_not_found", NO_FILE)
    round_ = await bids.round_for(conn, rfq, bid)
    # In a later round (best and final offer, negotiation) the files of earlier rounds are already open.
    if rfq.status != Status.PUBLISHED and stored[0].opens_at != round_.deadline:
        raise bids.late(rfq, stored[0].opens_at)
    if not await repo.remove_bid_file(conn, bid.id, file_id, deadline=round_.deadline):
        raise bids.late(rfq, round_.deadline)


def _offers_sealed(rfq: Rfq) -> bool:
    """Sealed offers stay closed until the request has been closed (as ``bids.opened_bids``)."""
    return rfq.rules.sealed and (rfq.status in UNPUBLISHED or rfq.status == Status.PUBLISHED)


async def offer_files(
    conn: Connection, actor: Actor, rfq_id: int, *, settings: Settings, bid_id: int | None = None
) -> list[BidAttachment]:
    """The bid files the buyer may read now: at once for RFQ quotes, after opening for sealed tenders.

    With ``bid_id``: that offer's files, and ``NotFound`` when the buyer may not read that offer (a sealed
    one before opening answers exactly like one that does not exist).
    """
    rfq = await close_if_due(conn, await get_own(conn, actor, rfq_id), settings=settings)
    if bid_id is not None:
        await _readable_bid(conn, rfq, bid_id)
    if _offers_sealed(rfq):
        return []
    stored = await repo.list_opened_bid_files(conn, rfq.id, bid_id=bid_id)
    opened, _ = await _opened(conn, rfq, stored, settings=settings, reader_vendor_id=None)
    return [a for a, _, _ in opened]


async def offer_file(
    conn: Connection, actor: Actor, rfq_id: int, bid_id: int, file_id: int, *, storage: Storage, settings: Settings
) -> Download:
    """One file of an offer the buyer may read, decrypted after opening."""
    rfq = await close_if_due(conn, await get_own(conn, actor, rfq_id), settings=settings)
    await _readable_bid(conn, rfq, bid_id)
    stored = await repo.list_opened_bid_files(conn, rfq.id, bid_id=bid_id, file_id=file_id)
    if not stored:
        raise NotFound("rfq.file_not_found", NO_FILE)
    return await _download_of(conn, rfq, stored[0], storage=storage, settings=settings, reader_vendor_id=None)


async def _readable_bid(conn: Connection, rfq: Rfq, bid_id: int) -> Bid:
    bid = await repo.get_bid_of_rfq(conn, bid_id, rfq.id)
    if bid is None or bid.status == BidStatus.WITHDRAWN or bid.current_version < 1 or _offers_sealed(rfq):
        raise NotFound("rfq.bid_not_found", "No such offer on this request, or it cannot be read yet.")
    return bid


class OfferFiles(msgspec.Struct, frozen=True, kw_only=True):
    bid_id: int
    vendor_name: str
    files: list[BidAttachment]


async def offer_files_by_vendor(conn: Connection, actor: Actor, rfq_id: int, *, settings: Settings) -> list[OfferFiles]:
    """The files of every offer the buyer may read now, by offer (nothing at all before a sealed opening)."""
    found = await offer_files(conn, actor, rfq_id, settings=settings)
    if not found:
        return []
    names = {bid.id: name for bid, name in await repo.list_bids(conn, rfq_id)}
    by_bid: dict[int, list[BidAttachment]] = {}
    for file in found:
        by_bid.setdefault(file.bid_id, []).append(file)
    return [OfferFiles(bid_id=b, vendor_name=names.get(b, ""), files=fs) for b, fs in by_bid.items()]


async def may_change_bid_files(conn: Connection, actor: Actor, rfq: Rfq) -> bool:
    """Whether the vendor may attach or remove files now (it has a live offer and its round is open)."""
    bid = await repo.get_own_bid(conn, rfq.id, vendor_id=vendor_of(actor))
    if bid is None or bid.status == BidStatus.WITHDRAWN or bid.current_version < 1:
        return False
    try:
        await bids.round_for(conn, rfq, bid)
    except RuleViolation:
        return False
    return actor.has_any(*VENDOR_ROLES)
