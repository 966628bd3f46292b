"""``GET /api/v1/vendor/rfqs/search``: the open-requests search for verified vendors."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import QueryParameter

from marketplace.core.actor import CurrentActor
from marketplace.core.db import Tx
from marketplace.core.errors import Forbidden
from search.rfqs import search_open_rfqs
from search.settings import MAX_QUERY_LENGTH

PER_PAGE = 20


class OpenRequestOut(msgspec.Struct, frozen=True, kw_only=True):
    """Public fields of an open request: never bids, bid counts or the buyer's name."""

    id: int
    kind: str
    title: str
    description: str
    line_descriptions: list[str]
    category_ids: list[int]
    category_names: list[str]
    buyer_country: str
    closes_at: datetime


class OpenRequestsOut(msgspec.Struct, frozen=True, kw_only=True):
    hits: list[OpenRequestOut]
    estimated_total: int
    page: int


class OpenRequestsController(Controller):
    path = "/vendor/rfqs/search"
    tags = ("rfqs (vendor)",)

    @get("/", summary="Search open public requests in your categories (verified vendors)")
    async def search_requests(
        self,
        conn: Tx,
        actor: CurrentActor,
        state: State,
        q: Annotated[str, QueryParameter(max_length=MAX_QUERY_LENGTH)] = "",
        page: Annotated[int, QueryParameter(ge=1, le=50)] = 1,
    ) -> OpenRequestsOut:
        if actor.company_id is None or actor.company_kind not in ("vendor", "both"):
            raise Forbidden("rfq.vendors_only", "Open requests are searched by vendor companies.")
        if actor.company_status != "verified":
            raise Forbidden("rfq.company_not_verified", "Only verified companies take part in requests and tenders.")
        hits, total = await search_open_rfqs(
            conn,
            state.search,
            state.settings,
            vendor_id=actor.company_id,
            q=q,
            limit=PER_PAGE,
            offset=(page - 1) * PER_PAGE,
        )
        return OpenRequestsOut(
            hits=[msgspec.convert(h, OpenRequestOut, strict=False) for h in hits], estimated_total=total, page=page
        )
