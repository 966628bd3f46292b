"""Buyer pages: a product with the signed-in buyer's prices, availability and the same article elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromQuery
from litestar.response import Stream, Template

from marketplace.core import files
from marketplace.core.actor import CurrentActor, MaybeActor
from marketplace.core.db import PathId, Tx
from marketplace.core.errors import DomainError
from marketplace.core.storage import LocalStorage
from vendors import media, moderation, storefront
from web.session import redirect


@get("/products/{product_id:int}", name="product")
async def product(conn: Tx, maybe_actor: MaybeActor, product_id: PathId) -> Template:
    page = await storefront.product_page(conn, maybe_actor, product_id)
    files = await media.list_media(conn, product_id)
    return Template(template_name="buyer/product.html", context={"page": page, "actor": maybe_actor, "files": files})


@post("/products/{product_id:int}/report")
async def report(request: Request[Any, Any, Any], conn: Tx, actor: CurrentActor, product_id: PathId) -> Response[Any]:
    """Anyone signed in can report a listing; it lands in the operators' moderation queue."""
    form = await request.form()
    try:
        await moderation.report_listing(conn, actor, product_id, str(form.get("reason") or "")[:2000])
    except DomainError as exc:
        if exc.status == 404:
            raise
        return redirect(f"/products/{product_id}?report=missing_reason#report")
    return redirect(f"/products/{product_id}?report=sent#report")


@get("/vendors/{vendor_id:int}", name="storefront")
async def storefront_page(
    conn: Tx,
    maybe_actor: MaybeActor,
    vendor_id: PathId,
    page: FromQuery[int] = 1,
    group: FromQuery[int | None] = None,
) -> Template:
    """A vendor's storefront: its live products, browsable by the vendor's own catalog groups."""
    front = await storefront.vendor_storefront(
        conn,
        maybe_actor,
        vendor_id,
        page=max(1, min(page, 10_000)),
        group_id=group if group is None or 0 < group < 2**63 else -1,
    )
    return Template(template_name="buyer/storefront.html", context={"front": front, "actor": maybe_actor, "page": page})


@get("/media/{media_id:int}", name="media")
async def media_file(conn: Tx, state: State, media_id: PathId) -> Stream:
    """An image or document of a live product (cacheable; the content type was checked at upload)."""
    item, key = await media.public_media(conn, media_id)
    headers = (
        {"Content-Disposition": "inline", "Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
        if item.kind == "image"
        else files.download_headers(item.filename, private=False)
    )
    stream = LocalStorage(state.settings.storage_dir).open(key)

    def chunks() -> Iterator[bytes]:
        with stream:  # closed when the response is done, or abandoned
            while chunk := stream.read(256 * 1024):
                yield chunk

    return Stream(
        chunks(),
        media_type=item.content_type,
        headers=headers,
    )


ROUTES = [product, report, storefront_page, media_file]
