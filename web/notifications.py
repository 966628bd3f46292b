"""The notifications page: the signed-in user's in-app notifications, marked read one by one or all at once."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Template

from marketplace.core.actor import CurrentActor
from marketplace.core.db import PathId, Tx
from marketplace.core.notifications import list_for_user, mark_read
from web.session import redirect

PAGE_SIZE = 50


@get("/notifications", name="notifications")
async def notifications_page(request: Request[Any, Any, Any], conn: Tx, actor: CurrentActor) -> Template:
    items, total, unread = (
        await list_for_user(conn, user_id=actor.user_id, company_id=actor.company_id, limit=PAGE_SIZE)
        if actor.company_id is not None
        else ([], 0, 0)
    )
    return Template(
        template_name="notifications.html",
        context={"items": items, "total": total, "unread": unread},
        headers={"Vary": "HX-Request"},
    )


@post("/notifications/{notification_id:int}/read")
async def read_one(
    request: Request[Any, Any, Any], conn: Tx, actor: CurrentActor, notification_id: PathId
) -> Response[Any]:
    if actor.company_id is not None:
        await mark_read(conn, user_id=actor.user_id, company_id=actor.company_id, notification_id=notification_id)
    return redirect("/notifications", htmx=bool(request.headers.get("hx-request")))


@post("/notifications/read")
async def read_all(request: Request[Any, Any, Any], conn: Tx, actor: CurrentActor) -> Response[Any]:
    if actor.company_id is not None:
        await mark_read(conn, user_id=actor.user_id, company_id=actor.company_id)
    return redirect("/notifications", htmx=bool(request.headers.get("hx-request")))


ROUTES = [notifications_page, read_one, read_all]
