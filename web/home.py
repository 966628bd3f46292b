"""Pages every visitor sees: the home page and the system status page."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.datastructures import State
from litestar.response import Template

from marketplace.core.actor import MaybeActor
from marketplace.health import check_readiness


@get("/", name="home")
async def home(maybe_actor: MaybeActor) -> Template:
    return Template(template_name="home.html", context={"actor": maybe_actor})


@get("/status", name="status")
async def status(request: Request[Any, Any, Any], state: State) -> Template:
    """Readiness for people; htmx polls it and swaps only the checks table."""
    readiness = await check_readiness(state)
    fragment = (
        request.headers.get("hx-request") == "true" and request.headers.get("hx-history-restore-request") != "true"
    )
    return Template(
        template_name="status_checks.html" if fragment else "status.html",
        context={"readiness": readiness},
        # 200 even when degraded: this is a page for people; /ready is the probe that answers 503.
        headers={"Vary": "HX-Request", "Cache-Control": "no-store"},
    )
