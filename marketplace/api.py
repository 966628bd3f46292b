"""The JSON API under ``/api/v1``: composed from each domain's ``api.py``; errors are problem+json."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Router, get
from litestar.di import Provide

from marketplace.accounts.api import AccountsController
from marketplace.core.db import Tx, database_now, provide_transaction
from marketplace.security import provide_api_actor
from rfq.api import RfqController, VendorRfqController
from search.api import SearchController
from vendors.api import CatalogController

API_VERSION = "v1"


class MetaOut(msgspec.Struct, frozen=True, kw_only=True):
    """What a machine client needs to know before talking to us."""

    api_version: str
    server_time: datetime = msgspec.field()
    """The database clock, which decides deadlines; clients should compare against it, not their own."""


@get(
    "/meta",
    summary="API version and the server's clock",
    description="`server_time` is the database clock that judges every deadline (RFQ close, tender opening).",
    tags=["meta"],
)
async def meta(conn: Tx) -> MetaOut:
    return MetaOut(api_version=API_VERSION, server_time=await database_now(conn))


def api_router() -> Router:
    return Router(
        path=f"/api/{API_VERSION}",
        route_handlers=[
            meta,
            AccountsController,
            CatalogController,
            SearchController,
            RfqController,
            VendorRfqController,
        ],
        # Machine clients authenticate with bearer tokens only (never cookies), so CSRF cannot apply here.
        dependencies={"conn": Provide(provide_transaction), "actor": Provide(provide_api_actor)},
    )
