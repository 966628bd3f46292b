"""SQL of request files and bid files. The caller has scoped the RFQ (the buyer's own, or one the vendor
may see) and the bid (the vendor's own) before any of these run; bid statements never touch the ``rfq`` row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from marketplace.core.db import Connection
from rfq.models import RfqAttachment

# --- files of requests and lines ------------------------------------------------------------------------

RFQ_FILE_COLUMNS = """a.id, a.rfq_id, a.line_id, a.filename, a.content_type, a.size_bytes, a.sha256, a.added_in,
    a.removed_in, a.created_at"""


def rfq_file_from(row: Any) -> RfqAttachment:
    return RfqAttachment(**{k: row[k] for k in RfqAttachment.__struct_fields__})


INSERT_RFQ_FILE = f"""
WITH a AS (
    INSERT INTO rfq_attachment (rfq_id, line_id, storage_key, filename, content_type, size_bytes, sha256, uploaded_by,
                                added_in)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    RETURNING *
)
SELECT {RFQ_FILE_COLUMNS} FROM a
"""


async def insert_rfq_file(conn: Connection, rfq_id: int, **f: Any) -> RfqAttachment:
    row = await conn.fetchrow(
        INSERT_RFQ_FILE,
        rfq_id,
        f["line_id"],
        f["storage_key"],
        f["filename"],
        f["content_type"],
        f["size_bytes"],
        f["sha256"],
        f["uploaded_by"],
        f["added_in"],
    )
    return rfq_file_from(row)


# ``$2`` true: only what vendors see (files in force, of lines in force); false: every file, for the buyer.
LIST_RFQ_FILES = f"""
SELECT {RFQ_FILE_COLUMNS}, a.storage_key
FROM rfq_attachment a LEFT JOIN rfq_line l ON l.id = a.line_id
WHERE a.rfq_id = $1
  AND (NOT $2 OR (a.removed_in IS NULL AND (l.id IS NULL OR l.removed_in IS NULL)))
  AND ($3::bigint IS NULL OR a.id = $3)
ORDER BY l.position NULLS FIRST, a.id
"""


async def list_rfq_files(conn: Connection, rfq_id: int, *, in_force_only: bool) -> list[RfqAttachment]:
    return [rfq_file_from(r) for r in await conn.fetch(LIST_RFQ_FILES, rfq_id, in_force_only, None)]


async def get_rfq_file(
    conn: Connection, rfq_id: int, file_id: int, *, in_force_only: bool
) -> tuple[RfqAttachment, str] | None:
    """One file of the RFQ with its storage key, or None (another RFQ's file is not found either)."""
    row = await conn.fetchrow(LIST_RFQ_FILES, rfq_id, in_force_only, file_id)
    return (rfq_file_from(row), row["storage_key"]) if row else None


COUNT_RFQ_FILES = "SELECT count(*) FROM rfq_attachment WHERE rfq_id = $1 AND removed_in IS NULL"


async def count_rfq_files(conn: Connection, rfq_id: int) -> int:
    return int(await conn.fetchval(COUNT_RFQ_FILES, rfq_id))


DELETE_RFQ_FILE = "DELETE FROM rfq_attachment WHERE id = $1 AND rfq_id = $2 RETURNING storage_key"


async def delete_rfq_file(conn: Connection, rfq_id: int, file_id: int) -> str | None:
    """Drafts only: the row goes; returns the storage key of the bytes (None: no such file)."""
    key: str | None = await conn.fetchval(DELETE_RFQ_FILE, file_id, rfq_id)
    return key


MARK_RFQ_FILE_REMOVED = """
UPDATE rfq_attachment SET removed_in = $3 WHERE id = $1 AND rfq_id = $2 AND removed_in IS NULL RETURNING id
"""


async def mark_rfq_file_removed(conn: Connection, rfq_id: int, file_id: int, *, revision: int) -> bool:
    """After publication: the file leaves the request with revision ``revision``; its row and bytes stay."""
    return await conn.fetchval(MARK_RFQ_FILE_REMOVED, file_id, rfq_id, revision) is not None


# --- files of bids --------------------------------------------------------------------------------------


class StoredBidFile(msgspec.Struct, frozen=True, kw_only=True):
    """A bid file's row as stored: for sealed files the metadata is ``sealed_meta`` and nothing else."""

    id: int
    bid_id: int
    storage_key: str
    sealed: bool
    sealed_meta: bytes | None
    filename: str | None
    content_type: str | None
    size_bytes: int | None
    sha256: str | None
    opens_at: datetime
    created_at: datetime


BID_FILE_COLUMNS = """a.id, a.bid_id, a.storage_key, a.sealed, a.sealed_meta, a.filename, a.content_type, a.size_bytes,
    a.sha256, a.opens_at, a.created_at"""


def bid_file_from(row: Any) -> StoredBidFile:
    return StoredBidFile(**{k: row[k] for k in StoredBidFile.__struct_fields__})


# The deadline of the file's round is judged here on the referee clock (and again at commit by the
# bid_attachment_on_time trigger): no row comes back when the file is late.
INSERT_BID_FILE = """
INSERT INTO bid_attachment (bid_id, storage_key, sealed, sealed_meta, filename, content_type, size_bytes, sha256,
                            opens_at, uploaded_by)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
WHERE rfq_clock() < $9
RETURNING id
"""


async def insert_bid_file(conn: Connection, bid_id: int, **f: Any) -> int | None:
    """Store a bid file's row; None when it arrived at or after ``opens_at``."""
    value: int | None = await conn.fetchval(
        INSERT_BID_FILE,
        bid_id,
        f["storage_key"],
        f["sealed"],
        f.get("sealed_meta"),
        f.get("filename"),
        f.get("content_type"),
        f.get("size_bytes"),
        f.get("sha256"),
        f["opens_at"],
        f["uploaded_by"],
    )
    return value


LIST_OWN_BID_FILES = f"""
SELECT {BID_FILE_COLUMNS} FROM bid_attachment a
WHERE a.bid_id = $1 AND a.removed_at IS NULL AND ($2::bigint IS NULL OR a.id = $2)
ORDER BY a.id
"""


async def list_own_bid_files(conn: Connection, bid_id: int, *, file_id: int | None = None) -> list[StoredBidFile]:
    """The files of a bid for its own vendor (the caller passes the vendor's own bid)."""
    return [bid_file_from(r) for r in await conn.fetch(LIST_OWN_BID_FILES, bid_id, file_id)]


# What the buyer may read: files of offers that are not withdrawn, unsealed ones at once and sealed ones
# only from their round's deadline on the referee clock (the key itself is released only after the
# RFQ's deadline, see sealing_key_for).
LIST_OPENED_BID_FILES = f"""
SELECT {BID_FILE_COLUMNS} FROM bid_attachment a JOIN bid b ON b.id = a.bid_id
WHERE b.rfq_id = $1 AND b.status <> 'withdrawn' AND b.current_version >= 1 AND a.removed_at IS NULL
  AND (NOT a.sealed OR rfq_clock() >= a.opens_at)
  AND ($2::bigint IS NULL OR a.bid_id = $2) AND ($3::bigint IS NULL OR a.id = $3)
ORDER BY a.bid_id, a.id
"""


async def list_opened_bid_files(
    conn: Connection, rfq_id: int, *, bid_id: int | None = None, file_id: int | None = None
) -> list[StoredBidFile]:
    return [bid_file_from(r) for r in await conn.fetch(LIST_OPENED_BID_FILES, rfq_id, bid_id, file_id)]


COUNT_BID_FILES = "SELECT count(*) FROM bid_attachment WHERE bid_id = $1 AND removed_at IS NULL"


async def count_bid_files(conn: Connection, bid_id: int) -> int:
    return int(await conn.fetchval(COUNT_BID_FILES, bid_id))


# The removal must make the deadline of the bid's round now (an amendment may have moved it since the
# file came); the commit-time trigger checks the same instant.
REMOVE_BID_FILE = """
UPDATE bid_attachment SET removed_at = rfq_clock(), opens_at = $3
WHERE id = $1 AND bid_id = $2 AND removed_at IS NULL AND rfq_clock() < $3
RETURNING id
"""


async def remove_bid_file(conn: Connection, bid_id: int, file_id: int, *, deadline: datetime) -> bool:
    """Mark a file removed before ``deadline`` (referee clock); False when that has passed."""
    return await conn.fetchval(REMOVE_BID_FILE, file_id, bid_id, deadline) is not None
