"""Buyer search pages: the results page with facets (one URL holds the whole state), typeahead, click tracking.

``GET /search`` serves the whole page, or only the results block to htmx (``HX-Request``), and the URL is
pushed so back/forward and shared links work. Bad parameters re-render the page with the reasons (400).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from marketplace.core.actor import Actor, MaybeActor
from marketplace.core.db import PathId, Tx
from search.api import service_of
from search.errors import BadSearch
from search.query import SearchResult, record_click
from search.request import SearchRequest, parse_request, query_params
from web.session import redirect


def _params(request: Request[Any, Any, Any]) -> dict[str, list[str]]:
    """Query parameters, with the form's per-attribute ``rmin.code``/``rmax.code`` inputs as ``range=code:a..b``."""
    params = {k: request.query_params.getall(k) for k in request.query_params}
    bounds: dict[str, list[str]] = {}
    for key in list(params):
        side, _, code = key.partition(".")
        if side in ("rmin", "rmax") and code:
            value = (params.pop(key) or [""])[-1].strip()
            pair = bounds.setdefault(code, ["", ""])
            pair[0 if side == "rmin" else 1] = value
    ranges = [f"{code}:{lo}..{hi}" for code, (lo, hi) in bounds.items() if lo or hi]
    if ranges:
        others = [r for r in params.get("range", []) if r.partition(":")[0] not in bounds]
        params["range"] = others + ranges
    return params


def link(request: SearchRequest, **changes: Any) -> str:
    """The URL of this search with some parts changed (a facet ticked, another page)."""
    if "page" not in changes:
        changes["page"] = 1
    return "/search?" + urlencode(query_params(request, prices_in_minor=False, **changes))


def toggle(request: SearchRequest, name: str, value: str, code: str | None = None) -> str:
    """The URL with one facet value ticked or unticked."""
    if name == "brand":
        values = tuple(v for v in request.brand if v != value) if value in request.brand else (*request.brand, value)
        return link(request, brand=values)
    if name == "vendor":
        ids = tuple(v for v in request.vendor if str(v) != value)
        return link(request, vendor=ids if len(ids) < len(request.vendor) else (*request.vendor, int(value)))
    if name == "country":
        countries = tuple(c for c in request.country if c != value)
        return link(request, country=countries if len(countries) < len(request.country) else (*countries, value))
    if name == "category":
        return link(request, category=int(value), attr=(), range=())
    pair = (code or "", value)
    attrs = tuple(a for a in request.attr if a != pair)
    return link(request, attr=attrs if len(attrs) < len(request.attr) else (*request.attr, pair))


@get("/search", name="search")
async def search_page(request: Request[Any, Any, Any], conn: Tx, maybe_actor: MaybeActor, state: State) -> Template:
    partial = request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == "results"
    template = "buyer/search_results.html" if partial else "buyer/search.html"
    try:
        query = parse_request(_params(request), prices_in_minor=False)
    except BadSearch as exc:
        q = (request.query_params.get("q") or "")[:200]
        context = _context(maybe_actor, None, SearchRequest(q=" ".join(q.split())), exc.errors)
        return Template(template_name=template, context=context, status_code=400)
    result = await service_of(state).search(conn, maybe_actor, query)
    # htmx pushes the canonical URL (range=length:70.., not the form's rmin/rmax fields) into the history.
    headers = {"HX-Push-Url": link(query, page=query.page)} if partial else {}
    return Template(template_name=template, context=_context(maybe_actor, result, query, {}), headers=headers)


def _context(
    actor: Actor | None, result: SearchResult | None, query: SearchRequest, errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "result": result,
        "errors": errors,
        "query": query,
        "link": link,
        "toggle": toggle,
        "query_params_of": lambda q: query_params(q, prices_in_minor=False),
        "actor_signed_in": actor is not None,
    }


@get("/search/suggest", name="search_suggest")
async def suggest(conn: Tx, maybe_actor: MaybeActor, state: State, q: FromQuery[str] = "") -> Template:
    """The typeahead list under the header's search box (an htmx fragment)."""
    suggestions = await service_of(state).suggest(conn, maybe_actor, q[:200]) if q.strip() else []
    return Template(
        template_name="buyer/suggestions.html",
        context={"suggestions": suggestions, "q": q[:200], "urlencode": urlencode},
    )


@get("/search/go/{search_id:str}/{product_id:int}", name="search_click")
async def click(conn: Tx, search_id: FromPath[str], product_id: PathId, pos: FromQuery[int] = 1) -> Response[Any]:
    """A result was opened: count the click for analytics, then go to the product."""
    try:
        sid = uuid.UUID(search_id)
    except ValueError:
        sid = None
    if sid is not None and 1 <= pos <= 10_000:
        await record_click(conn, sid, product_id, pos)
    return redirect(f"/products/{product_id}")


ROUTES = [search_page, suggest, click]
