"""Vendor pages of files: the request's documents to download, and the files of the vendor's own offer.

The section (``vendor/rfq_files_section.html``) is part of the request page and of ``/vendor/rfqs/{id}/files``;
it behaves like the buyer's (web/buyer/rfq_files.py): plain forms redirect or render the files page with
messages (422), htmx swaps the section (200, with messages when refused). For sealed tenders the section
says that nobody but the vendor can read the offer's files before the deadline.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.response import Stream, Template

from marketplace.core import files as file_types
from marketplace.core.actor import Actor, CurrentActor
from marketplace.core.db import Connection, PathId, Tx
from marketplace.core.errors import DomainError
from marketplace.core.storage import LocalStorage, chunks_of, size_text
from marketplace.settings import Settings
from rfq import attachments, service
from rfq.models import BidAttachment, Rfq, RfqAttachment
from web.forms import FormErrors, errors_of
from web.session import redirect

AnyRequest = Request[Any, Any, Any]


class VendorFilesView(msgspec.Struct, frozen=True, kw_only=True):
    files: list[RfqAttachment]
    line_labels: dict[int, str]
    own: list[BidAttachment]
    may_change: bool
    sealed: bool
    accept: str = file_types.accept(attachments.ALLOWED_TYPES)
    types: str
    max_size: str
    errors: dict[str, str] = msgspec.field(default_factory=dict)
    summary: str | None = None


async def files_view(
    conn: Connection,
    actor: Actor,
    rfq: Rfq,
    *,
    settings: Settings,
    errors: dict[str, str] | None = None,
    summary: str | None = None,
) -> VendorFilesView:
    """The section of a request the vendor may see (``rfq`` already scoped by ``service.get_visible``)."""
    lines = [ln for ln in (await service.detail(conn, rfq)).lines if ln.removed_in is None]
    return VendorFilesView(
        files=await attachments.vendor_rfq_files(conn, actor, rfq.id),
        line_labels={ln.id: f"Line {ln.position}: {ln.description}" for ln in lines},
        own=await attachments.own_bid_files(conn, actor, rfq.id, settings=settings),
        may_change=await attachments.may_change_bid_files(conn, actor, rfq),
        sealed=rfq.rules.sealed,
        types=file_types.labels(attachments.ALLOWED_TYPES),
        max_size=size_text(settings.rfq_file_max_bytes),
        errors=errors or {},
        summary=summary,
    )


def _htmx(request: AnyRequest) -> bool:
    return request.headers.get("hx-request") == "true"


async def _section_or_page(
    request: AnyRequest,
    conn: Connection,
    actor: Actor,
    rfq_id: int,
    settings: Settings,
    *,
    exc: DomainError | FormErrors | None = None,
) -> Template:
    current = await service.get_visible(conn, actor, rfq_id)
    errors, summary = errors_of(exc) if exc is not None else ({}, None)
    view = await files_view(conn, actor, current, settings=settings, errors=errors, summary=summary)
    htmx = _htmx(request)
    # A refusal answers 422 also to htmx: the forms are marked data-swap-invalid (web/static/app.js).
    status = 200 if exc is None else (422 if htmx or not isinstance(exc, DomainError) else exc.status)
    return Template(
        template_name="vendor/rfq_files_section.html" if htmx else "vendor/rfq_files.html",
        context={"actor": actor, "rfq": current, "files": view},
        status_code=status,
        headers={"Vary": "HX-Request", "Cache-Control": "no-store"},
    )


@get("/vendor/rfqs/{rfq_id:int}/files", name="vendor_rfq_files")
async def files_page(request: AnyRequest, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId) -> Template:
    return await _section_or_page(request, conn, actor, rfq_id, state.settings)


@get("/vendor/rfqs/{rfq_id:int}/files/{attachment_id:int}", name="vendor_rfq_file")
async def download(conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, attachment_id: PathId) -> Stream:
    storage = LocalStorage(state.settings.storage_dir)
    found = await attachments.vendor_rfq_file(conn, actor, rfq_id, attachment_id, storage=storage)
    return file_types.download(found.chunks, filename=found.filename, content_type=found.content_type)


async def _done(
    request: AnyRequest, conn: Connection, actor: Actor, rfq_id: int, settings: Settings, done: str
) -> Response[Any] | Template:
    if _htmx(request):
        return await _section_or_page(request, conn, actor, rfq_id, settings)
    return redirect(f"/vendor/rfqs/{rfq_id}?done={done}#files")


@post("/vendor/rfqs/{rfq_id:int}/bid/files", request_max_body_size=attachments.MAX_UPLOAD_BODY)
async def attach(
    request: AnyRequest, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId
) -> Response[Any] | Template:
    await service.get_visible(conn, actor, rfq_id)  # a request the vendor cannot see: 404 before the body
    upload = (await request.form()).get("file")
    try:
        if not isinstance(upload, UploadFile):
            raise FormErrors({"file": "Choose a file."})
        async with conn.transaction():
            await attachments.add_bid_file(
                conn,
                actor,
                rfq_id,
                filename=upload.filename or "",
                chunks=chunks_of(upload),
                storage=LocalStorage(state.settings.storage_dir),
                settings=state.settings,
            )
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status == 404:
            raise
        return await _section_or_page(request, conn, actor, rfq_id, state.settings, exc=exc)
    return await _done(request, conn, actor, rfq_id, state.settings, "file%20attached")


@post("/vendor/rfqs/{rfq_id:int}/bid/files/{bid_attachment_id:int}/delete")
async def remove(
    request: AnyRequest, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, bid_attachment_id: PathId
) -> Response[Any] | Template:
    try:
        async with conn.transaction():
            await attachments.remove_bid_file(conn, actor, rfq_id, bid_attachment_id, settings=state.settings)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return await _section_or_page(request, conn, actor, rfq_id, state.settings, exc=exc)
    return await _done(request, conn, actor, rfq_id, state.settings, "file%20removed")


@get("/vendor/rfqs/{rfq_id:int}/bid/files/{bid_attachment_id:int}", name="vendor_rfq_bid_file")
async def own_download(
    conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, bid_attachment_id: PathId
) -> Stream:
    """A file of the vendor's own offer (decrypted for its vendor, sealed or not)."""
    found = await attachments.own_bid_file(
        conn,
        actor,
        rfq_id,
        bid_attachment_id,
        storage=LocalStorage(state.settings.storage_dir),
        settings=state.settings,
    )
    return file_types.download(found.chunks, filename=found.filename, content_type=found.content_type)


ROUTES = [files_page, download, attach, remove, own_download]
