"""Every HTML page, grouped by audience (buyer/, vendor/, operator/); nothing here touches SQL."""

from __future__ import annotations

from litestar import Router

from web.home import home, status


def web_router() -> Router:
    return Router(path="/", route_handlers=[home, status], include_in_schema=False)
