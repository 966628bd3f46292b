"""Every HTML page, grouped by audience (buyer/, vendor/, operator/); nothing here touches SQL."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from marketplace.core.db import provide_transaction
from marketplace.security import provide_optional_web_actor, provide_web_actor
from web import auth, company, notifications
from web.buyer import products, rfq_award, rfq_compare, rfq_files, search
from web.buyer import rfq_dialogue as buyer_dialogue
from web.buyer import rfqs as buyer_rfqs
from web.home import home, status
from web.operator import audit, categories, moderation, verification
from web.operator import search as operator_search
from web.vendor import catalog, editor, offers
from web.vendor import rfq_dialogue as vendor_dialogue
from web.vendor import rfq_files as vendor_rfq_files
from web.vendor import rfqs as vendor_rfqs


def web_router() -> Router:
    return Router(
        path="/",
        route_handlers=[
            home,
            status,
            *auth.ROUTES,
            *company.ROUTES,
            *notifications.ROUTES,
            *verification.ROUTES,
            *audit.ROUTES,
            *products.ROUTES,
            *search.ROUTES,
            *rfq_compare.ROUTES,
            *rfq_award.ROUTES,
            *editor.ROUTES,
            *offers.ROUTES,
            *catalog.ROUTES,
            *moderation.ROUTES,
            *categories.ROUTES,
            *operator_search.ROUTES,
            *buyer_rfqs.ROUTES,
            *rfq_files.ROUTES,
            *vendor_rfqs.ROUTES,
            *buyer_dialogue.ROUTES,
            *vendor_dialogue.ROUTES,
            *vendor_rfq_files.ROUTES,
        ],
        dependencies={
            "conn": Provide(provide_transaction),
            "maybe_actor": Provide(provide_optional_web_actor),
            "actor": Provide(provide_web_actor),
        },
        include_in_schema=False,
    )
