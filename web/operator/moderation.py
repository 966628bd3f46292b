"""Operator page: the listing moderation queue (approve, or reject with a reason the vendor sees)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Template

from marketplace.core.actor import CurrentActor
from marketplace.core.db import PathId, Tx
from marketplace.core.errors import DomainError
from vendors import moderation
from web.session import redirect


@get("/operator/products", name="operator_products")
async def queue(conn: Tx, actor: CurrentActor) -> Template:
    items = await moderation.review_queue(conn, actor)
    reports = await moderation.open_reports(conn, actor)
    return Template(
        template_name="operator/products.html", context={"actor": actor, "items": items, "reports": reports}
    )


@post("/operator/products/{product_id:int}/decision")
async def decide(request: Request[Any, Any, Any], conn: Tx, actor: CurrentActor, product_id: PathId) -> Response[Any]:
    form = await request.form()
    approve = form.get("action") == "approve"
    reason = str(form.get("reason") or "").strip()[:2000] or None
    try:
        await moderation.moderate(conn, actor, product_id, approve=approve, reason=reason)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return redirect(f"/operator/products?problem={exc.code}")
    return redirect(f"/operator/products?decided={'approved' if approve else 'rejected'}")


@post("/operator/reports/{report_id:int}/resolution")
async def resolve(request: Request[Any, Any, Any], conn: Tx, actor: CurrentActor, report_id: PathId) -> Response[Any]:
    form = await request.form()
    take_down = form.get("action") == "take_down"
    reason = str(form.get("reason") or "").strip()[:2000] or None
    try:
        await moderation.resolve_report(conn, actor, report_id, take_down=take_down, reason=reason)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return redirect(f"/operator/products?problem={exc.code}")
    return redirect(f"/operator/products?decided={'taken down' if take_down else 'dismissed'}")


ROUTES = [queue, decide, resolve]
