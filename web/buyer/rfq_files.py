"""Buyer pages of request files: the files section of the request page, its own page, attach, delete, download.

The section (``buyer/rfq_files_section.html``) is part of the request page and of ``/buyer/rfqs/{id}/files``;
its forms post here and call the same ``rfq.attachments`` use cases as the JSON API. Without JavaScript a
change redirects to the request page and a refused one renders the files page again with the messages
(422). With htmx the forms swap the section itself, a refused change included (422 with the messages;
the forms carry ``data-swap-invalid``, the page script's opt-in to swapping it); a change made with an
amendment, which can move the deadline shown above the section, sends the browser to the whole request
page (``HX-Redirect``).
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
from rfq import amendments, attachments, service
from rfq.attachments import OfferFiles
from rfq.commands import FileRemovalIn, RfqFileIn
from rfq.models import Line, Rfq, RfqAttachment, Status
from web.forms import FormErrors, errors_of, parse
from web.session import redirect

AnyRequest = Request[Any, Any, Any]
ACCEPT = file_types.accept(attachments.ALLOWED_TYPES)


class FilesView(msgspec.Struct, frozen=True, kw_only=True):
    """What the files section shows; ``errors``/``values`` are the section's own (never another form's)."""

    files: list[RfqAttachment]
    withdrawn: list[RfqAttachment]
    lines: list[Line]
    line_labels: dict[int, str]
    may_change: bool
    with_amendment: bool
    min_hours: int
    offers: list[OfferFiles]
    sealed: bool
    accept: str = ACCEPT
    types: str
    max_size: str
    errors: dict[str, str] = msgspec.field(default_factory=dict)
    summary: str | None = None
    values: dict[str, str] = msgspec.field(default_factory=dict)


async def files_view(
    conn: Connection,
    actor: Actor,
    rfq: Rfq,
    *,
    settings: Settings,
    errors: dict[str, str] | None = None,
    summary: str | None = None,
    values: dict[str, str] | None = None,
) -> FilesView:
    """The section of one of the buyer's requests (``rfq`` already scoped to the buyer)."""
    every = await attachments.rfq_files(conn, actor, rfq.id)
    lines = [ln for ln in (await service.detail(conn, rfq)).lines if ln.removed_in is None]
    draft = rfq.status == Status.DRAFT and actor.has_any(*service.DRAFT_ROLES)
    amend = rfq.status == Status.PUBLISHED and actor.has_any(*amendments.AMEND_ROLES)
    offers = (
        []
        if rfq.status in (Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED)
        else (await attachments.offer_files_by_vendor(conn, actor, rfq.id, settings=settings))
    )
    return FilesView(
        files=[f for f in every if f.removed_in is None],
        withdrawn=[f for f in every if f.removed_in is not None],
        lines=lines,
        line_labels={ln.id: f"Line {ln.position}: {ln.description}" for ln in lines},
        may_change=draft or amend,
        with_amendment=amend,
        min_hours=rfq.rules.min_remaining_after_amendment_hours,
        offers=offers,
        sealed=rfq.rules.sealed and rfq.status == Status.PUBLISHED,
        types=file_types.labels(attachments.ALLOWED_TYPES),
        max_size=size_text(settings.rfq_file_max_bytes),
        errors=errors or {},
        summary=summary,
        values=values or {},
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
    values: dict[str, str] | None = None,
) -> Template:
    """The section for htmx, or the whole files page; with messages (422) when a change was refused."""
    current = await service.close_if_due(conn, await service.get_own(conn, actor, rfq_id), settings=settings)
    errors, summary = errors_of(exc) if exc is not None else ({}, None)
    view = await files_view(conn, actor, current, settings=settings, errors=errors, summary=summary, values=values)
    htmx = _htmx(request)
    # A refusal answers 422 also to htmx: the forms are marked data-swap-invalid (web/static/app.js).
    status = 200 if exc is None else (422 if htmx or not isinstance(exc, DomainError) else exc.status)
    return Template(
        template_name="buyer/rfq_files_section.html" if htmx else "buyer/rfq_files.html",
        context={"actor": actor, "rfq": current, "files": view},
        status_code=status,
        headers={"Vary": "HX-Request", "Cache-Control": "no-store"},
    )


@get("/buyer/rfqs/{rfq_id:int}/files", name="buyer_rfq_files")
async def files_page(request: AnyRequest, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId) -> Template:
    return await _section_or_page(request, conn, actor, rfq_id, state.settings)


def _form_values(form: Any, names: tuple[str, ...]) -> dict[str, str]:
    return {n: v.strip() for n in names if isinstance(v := form.get(n), str)}


async def _done(
    request: AnyRequest, conn: Connection, actor: Actor, rfq_id: int, settings: Settings, *, amended: bool, done: str
) -> Response[Any] | Template:
    if _htmx(request) and not amended:
        return await _section_or_page(request, conn, actor, rfq_id, settings)
    return redirect(f"/buyer/rfqs/{rfq_id}?done={done}#files", htmx=_htmx(request))


@post("/buyer/rfqs/{rfq_id:int}/files", request_max_body_size=attachments.MAX_UPLOAD_BODY)
async def attach(
    request: AnyRequest, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId
) -> Response[Any] | Template:
    current = await service.get_own(conn, actor, rfq_id)  # another company's request: 404 before the body
    form = await request.form()
    values = _form_values(form, ("line_id", "summary", "material"))
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile):
            raise FormErrors({"file": "Choose a file."})
        cmd = parse(RfqFileIn, values)
        async with conn.transaction():
            await attachments.add_rfq_file(
                conn,
                actor,
                rfq_id,
                cmd,
                filename=upload.filename or "",
                chunks=chunks_of(upload),
                storage=LocalStorage(state.settings.storage_dir),
                settings=state.settings,
            )
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status == 404:
            raise
        return await _section_or_page(request, conn, actor, rfq_id, state.settings, exc=exc, values=values)
    amended = current.status != Status.DRAFT
    return await _done(request, conn, actor, rfq_id, state.settings, amended=amended, done="file%20added")


@post("/buyer/rfqs/{rfq_id:int}/files/{attachment_id:int}/delete")
async def remove(
    request: AnyRequest, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, attachment_id: PathId
) -> Response[Any] | Template:
    current = await service.get_own(conn, actor, rfq_id)
    form = await request.form()
    values = _form_values(form, ("summary", "material"))
    try:
        cmd = parse(FileRemovalIn, values)
        async with conn.transaction():
            await attachments.remove_rfq_file(conn, actor, rfq_id, attachment_id, cmd, settings=state.settings)
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status == 404:
            raise
        return await _section_or_page(
            request, conn, actor, rfq_id, state.settings, exc=exc, values={**values, "removing": str(attachment_id)}
        )
    amended = current.status != Status.DRAFT
    done = "file%20withdrawn" if amended else "file%20deleted"
    return await _done(request, conn, actor, rfq_id, state.settings, amended=amended, done=done)


@get("/buyer/rfqs/{rfq_id:int}/files/{attachment_id:int}", name="buyer_rfq_file")
async def download(conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, attachment_id: PathId) -> Stream:
    storage = LocalStorage(state.settings.storage_dir)
    found = await attachments.rfq_file(conn, actor, rfq_id, attachment_id, storage=storage)
    return file_types.download(found.chunks, filename=found.filename, content_type=found.content_type)


@get("/buyer/rfqs/{rfq_id:int}/offers/{bid_id:int}/files/{bid_attachment_id:int}", name="buyer_rfq_offer_file")
async def offer_download(
    conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, bid_id: PathId, bid_attachment_id: PathId
) -> Stream:
    """A file of an offer the buyer may read (sealed ones after opening, decrypted)."""
    found = await attachments.offer_file(
        conn,
        actor,
        rfq_id,
        bid_id,
        bid_attachment_id,
        storage=LocalStorage(state.settings.storage_dir),
        settings=state.settings,
    )
    return file_types.download(found.chunks, filename=found.filename, content_type=found.content_type)


ROUTES = [files_page, attach, remove, download, offer_download]
