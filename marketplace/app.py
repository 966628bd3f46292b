"""Composition root: ``create_app(settings)`` wires every domain, page and piece of infrastructure."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router
from meilisearch_python_sdk import AsyncClient

from marketplace import __version__
from marketplace.accounts import errors as accounts_errors
from marketplace.api import api_router
from marketplace.core.actor import Actor
from marketplace.core.db import Connection, Database, create_pool
from marketplace.core.errors import ConstraintErrors
from marketplace.core.logging import configure_logging, request_id_middleware
from marketplace.health import health, ready
from marketplace.http_errors import make_exception_handlers
from marketplace.settings import Settings
from rfq import errors as rfq_errors
from search.client import create_search_client
from search.query import Price, SearchService
from vendors.storefront import buyer_prices
from vendors.units import DIMENSIONS
from web.routes import web_router
from web.templating import STATIC_DIR, template_config

# Constraint name → domain error, merged from the domains as they define them (core/errors.py).
CONSTRAINT_ERRORS: ConstraintErrors = {**accounts_errors.CONSTRAINT_ERRORS, **rfq_errors.CONSTRAINT_ERRORS}


@dataclasses.dataclass
class Resources:
    """Long-lived clients shared by all requests of one process."""

    db: Database
    search: AsyncClient


async def price_page(conn: Connection, actor: Actor | None, variant_ids: Sequence[int]) -> dict[int, Price | None]:
    """Search hits priced for this buyer by the catalog's one price function (search may not import vendors)."""
    quotes = await buyer_prices(conn, actor, variant_ids)
    return {
        vid: None
        if q is None
        else Price(
            source=q.source,
            currency=q.currency,
            unit_price_minor=q.unit_price_minor,
            price_basis=q.price_basis,
            min_qty=q.quantity,
        )
        for vid, q in quotes.items()
    }


def search_service(client: AsyncClient, settings: Settings) -> SearchService:
    return SearchService(client, settings, pricer=price_page, base_units=DIMENSIONS)


def create_app(settings: Settings | None = None, *, resources: Resources | None = None) -> Litestar:
    """Build the ASGI app. Settings come from the environment unless given (tests pass their own).

    Without ``resources`` the lifespan opens the database pool and the search client and closes them
    on shutdown; tests pass resources they own (a rolled-back connection, a per-worker index prefix).
    """
    settings = settings or Settings.from_env()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if resources is not None:
            app.state.db, app.state.search = resources.db, resources.search
            app.state.search_service = search_service(resources.search, settings)
            yield
            return
        db = Database(await create_pool(settings))
        search = create_search_client(settings)
        app.state.db, app.state.search = db, search
        app.state.search_service = search_service(search, settings)
        try:
            yield
        finally:
            await search.aclose()
            await db.close()

    state = State({"settings": settings})
    if resources is not None:
        # httpx.ASGITransport does not run the lifespan; injected resources are usable at once.
        state.db, state.search = resources.db, resources.search
        state.search_service = search_service(resources.search, settings)

    local_https = settings.public_base_url.startswith("https://")
    app = Litestar(
        route_handlers=[
            health,
            ready,
            api_router(),
            web_router(),
            create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False),
        ],
        state=state,
        lifespan=[lifespan],
        plugins=[HTMXPlugin()],
        template_config=template_config(),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="ty_csrf",
            cookie_secure=local_https,
            cookie_samesite="lax",
            header_name="x-csrftoken",
            # The JSON API authenticates with bearer tokens, never cookies, so CSRF cannot apply there.
            exclude=["/api/", "/health", "/ready"],
        ),
        exception_handlers=make_exception_handlers(CONSTRAINT_ERRORS),
        openapi_config=OpenAPIConfig(
            title="Tradeyard API",
            version=__version__,
            path="/schema",
            description="JSON API for machine clients (ERP, e-procurement). Errors are `application/problem+json`.",
            render_plugins=[
                SwaggerRenderPlugin(
                    js_url="/static/vendor/swagger-ui-bundle.js",
                    css_url="/static/vendor/swagger-ui.css",
                    standalone_preset_js_url="/static/vendor/swagger-ui-standalone-preset.js",
                    favicon='<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">',
                )
            ],
        ),
        logging_config=None,
        debug=False,
    )
    # Outermost, so that routing errors (404, 405) also carry a request id and an access-log line;
    # Litestar's own `middleware=` runs only once a route has matched.
    app.asgi_handler = request_id_middleware(app.asgi_handler)
    return app
