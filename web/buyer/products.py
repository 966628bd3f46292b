"""Buyer pages: a product with the signed-in buyer's prices, availability and the same article elsewhere."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Template

from marketplace.core.actor import CurrentActor, MaybeActor
from marketplace.core.db import PathId, Tx
from marketplace.core.errors import DomainError
from vendors import service, storefront
from web.session import redirect


@get("/products/{product_id:int}", name="product")
async def product(conn: Tx, maybe_actor: MaybeActor, product_id: PathId) -> Template:
    page = await storefront.product_page(conn, maybe_actor, product_id)
    return Template(template_name="buyer/product.html", context={"page": page, "actor": maybe_actor})


@post("/products/{product_id:int}/report")
async def report(request: Request[Any, Any, Any], conn: Tx, actor: CurrentActor, product_id: PathId) -> Response[Any]:
    """Anyone signed in can report a listing; it lands in the operators' moderation queue."""
    form = await request.form()
    try:
        await service.report_listing(conn, actor, product_id, str(form.get("reason") or "")[:2000])
    except DomainError as exc:
        if exc.status == 404:
            raise
        return redirect(f"/products/{product_id}?report=missing_reason#report")
    return redirect(f"/products/{product_id}?report=sent#report")


@get("/vendors/{vendor_id:int}", name="storefront")
async def storefront_page(conn: Tx, maybe_actor: MaybeActor, vendor_id: PathId, page: FromQuery[int] = 1) -> Template:
    """A vendor's storefront: its live products."""
    front = await storefront.vendor_storefront(conn, vendor_id, page=max(1, min(page, 10_000)))
    return Template(template_name="buyer/storefront.html", context={"front": front, "actor": maybe_actor, "page": page})


ROUTES = [product, report, storefront_page]
