"""Product images and documents: checked by their first bytes (not their names), stored via ``Storage``."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import msgspec

from marketplace.core import files
from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from marketplace.core.errors import NotFound, RuleViolation
from marketplace.core.events import products_changed
from marketplace.core.storage import Storage, TooLarge
from vendors import repository as repo
from vendors.service import check_role, owner_scope

MAX_BYTES = {"image": 10 * 1024 * 1024, "document": 25 * 1024 * 1024}
# Content types by kind, from the platform's one table of file signatures (marketplace/core/files.py).
ALLOWED = {"image": ("image/png", "image/jpeg", "image/webp"), "document": ("application/pdf",)}


class Media(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    product_id: int
    kind: str
    title: str
    filename: str
    content_type: str
    size_bytes: int


def sniff(kind: str, head: bytes) -> str | None:
    """The content type if the first bytes match one allowed for ``kind``."""
    return files.sniff(head, ALLOWED.get(kind, ()))


def content_type_of(kind: str, head: bytes) -> str:
    """The checked content type of a file of ``kind`` from its first bytes; raises RuleViolation."""
    if kind not in MAX_BYTES:
        raise RuleViolation("media.kind", "Choose image or document.", field="kind")
    content_type = sniff(kind, head[:16])
    if content_type is None:
        raise RuleViolation("media.type", f"This file is not a {files.labels(ALLOWED[kind])} file.", field="file")
    return content_type


# BMEcat MIME_PURPOSE values that show the product; every other purpose (data_sheet, safety_data_sheet,
# others, ...) is a document, unless the file itself is an image.
IMAGE_PURPOSES = frozenset({"normal", "detail", "thumbnail", "logo"})


def kind_for(purpose: str | None, head: bytes) -> str:
    """Image or document for a file referenced from a catalog: by its purpose, else by its content."""
    if (purpose or "").strip().lower() in IMAGE_PURPOSES or sniff("image", head[:16]) is not None:
        return "image"
    return "document"


async def add_media(
    conn: Connection,
    actor: Actor,
    storage: Storage,
    product_id: int,
    *,
    kind: str,
    title: str,
    filename: str,
    chunks: AsyncIterator[bytes],
) -> Media:
    """Store an image (PNG, JPEG, WebP) or document (PDF) of one of the vendor's products."""
    vendor_id = await require_own_product(conn, actor, product_id)
    if kind not in MAX_BYTES:
        raise RuleViolation("media.kind", "Choose image or document.", field="kind")
    first = await anext(chunks, b"")
    digest = hashlib.sha256()

    async def all_chunks() -> AsyncIterator[bytes]:
        digest.update(first)
        yield first
        async for chunk in chunks:
            digest.update(chunk)
            yield chunk

    content_type = content_type_of(kind, first)
    try:
        key, size = await storage.save(f"media/{vendor_id}", all_chunks(), max_bytes=MAX_BYTES[kind])
    except TooLarge as exc:
        raise RuleViolation("media.too_large", f"The file is {exc}.", field="file") from None
    row = await conn.fetchrow(
        "INSERT INTO product_media"
        " (product_id, vendor_id, kind, title, filename, content_type, storage_key, size_bytes, sha256, position)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
        " (SELECT count(*) FROM product_media WHERE product_id = $1 AND kind = $3))"
        " RETURNING id, product_id, kind, title, filename, content_type, size_bytes",
        product_id,
        vendor_id,
        kind,
        (title.strip() or filename)[:200],
        filename[:255] or "file",
        content_type,
        key,
        size,
        digest.hexdigest(),
    )
    assert row is not None
    await products_changed(conn, [product_id])
    return Media(**row)


async def has_media_content(conn: Connection, product_id: int, sha256: str, *, vendor_id: int) -> bool:
    """Whether the product already has a file with exactly this content (re-imports attach nothing twice)."""
    found = await conn.fetchval(
        "SELECT 1 FROM product_media WHERE product_id = $1 AND vendor_id = $2 AND sha256 = $3 LIMIT 1",
        product_id,
        vendor_id,
        sha256,
    )
    return found is not None


async def require_own_product(conn: Connection, actor: Actor, product_id: int) -> int:
    """The vendor id if the product is the actor's (404 otherwise, before any other check) and they may edit it."""
    vendor_id = owner_scope(actor)
    if await repo.get_product(conn, product_id, vendor_id=vendor_id) is None:
        raise NotFound("product.not_found", "No such product.")
    check_role(actor, write=True)
    return vendor_id


async def list_media(conn: Connection, product_id: int) -> list[Media]:
    rows = await conn.fetch(
        "SELECT id, product_id, kind, title, filename, content_type, size_bytes FROM product_media"
        " WHERE product_id = $1 ORDER BY kind, position, id",
        product_id,
    )
    return [Media(**r) for r in rows]


async def public_media(conn: Connection, media_id: int) -> tuple[Media, str]:
    """A file buyers may fetch: it belongs to a live product of a verified vendor; else 404."""
    row = await conn.fetchrow(
        "SELECT m.id, m.product_id, m.kind, m.title, m.filename, m.content_type, m.size_bytes, m.storage_key"
        " FROM product_media m JOIN product p ON p.id = m.product_id JOIN company c ON c.id = p.vendor_id"
        " WHERE m.id = $1 AND p.status = 'live' AND c.status = 'verified'",
        media_id,
    )
    if row is None:
        raise NotFound("media.not_found", "No such file.")
    data = dict(row)
    key = data.pop("storage_key")
    return Media(**data), key
