"""``/api/v1/notifications``: the signed-in user's in-app notifications in the current company."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.params import QueryParameter

from marketplace.core.actor import CurrentActor
from marketplace.core.db import PathId, Tx
from marketplace.core.notifications import Notification, list_for_user, mark_read

PAGE_SIZE = 50


class NotificationsOut(msgspec.Struct, frozen=True, kw_only=True):
    items: list[Notification]
    total: int
    unread: int
    page: int


class NotificationController(Controller):
    path = "/notifications"
    tags = ("notifications",)

    @get("/", summary="Your notifications, newest first, with the unread count")
    async def list_notifications(
        self, conn: Tx, actor: CurrentActor, page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1
    ) -> NotificationsOut:
        if actor.company_id is None:
            return NotificationsOut(items=[], total=0, unread=0, page=page)
        items, total, unread = await list_for_user(
            conn, user_id=actor.user_id, company_id=actor.company_id, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        return NotificationsOut(items=items, total=total, unread=unread, page=page)

    @post("/{notification_id:int}/read", summary="Mark one notification read", status_code=204)
    async def read_one(self, conn: Tx, actor: CurrentActor, notification_id: PathId) -> None:
        if actor.company_id is not None:
            await mark_read(conn, user_id=actor.user_id, company_id=actor.company_id, notification_id=notification_id)

    @post("/read", summary="Mark all your notifications read", status_code=204)
    async def read_all(self, conn: Tx, actor: CurrentActor) -> None:
        if actor.company_id is not None:
            await mark_read(conn, user_id=actor.user_id, company_id=actor.company_id)
