"""JSON search API for machine clients: ``GET /api/v1/search`` and ``GET /api/v1/search/suggest``.

Parameters are declared as plain strings for the OpenAPI document and parsed by the same
``request.parse_request`` as the pages, so limits and messages are the same everywhere (400 with the field).
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import FromQuery, QueryParameter

from marketplace.core.actor import CurrentActor
from marketplace.core.db import Tx, provide_statements
from search.errors import BadSearch
from search.query import SearchResult, SearchService, Suggestion
from search.request import parse_request
from search.settings import MAX_FILTER_VALUES, MAX_PER_PAGE, MAX_QUERY_LENGTH

Text = Annotated[str | None, QueryParameter(description="Free text, part numbers (any separators) or both.")]
Many = Annotated[list[str] | None, QueryParameter()]

DESCRIPTION = f"""
Typo-tolerant search over live products of verified vendors, as your company may see them (restricted
products appear only to their buyers). SKU, MPN and GTIN match exactly and regardless of separators
and case (`6204-2RS`, `6204 2rs` and `62042RS` are the same). One hit per product unless `variants=true`.

Filters: `category` (id, includes sub-categories), `brand`, `vendor`, `country` (repeatable), `in_stock`,
`max_lead_time` (days), `price_min`/`price_max` (list price per unit in minor units of `currency`),
`attr=code:value` (repeatable; values of one code are ORed), `range=code:min..max` (numeric attributes in
the base unit of their dimension: mm, g, V, ...). Sort: `relevance`, `price_asc`, `price_desc`,
`lead_time`, `newest`.

Limits (400 with the field): `q` up to {MAX_QUERY_LENGTH} characters, `per_page` up to {MAX_PER_PAGE},
`page × per_page` up to 10,000, and {MAX_FILTER_VALUES} filter values in all.

Each hit's `price` is what your company pays (contract price if any) at the product's minimum quantity,
computed from the database; facets, the price filter and sorting use list prices. In `title_highlight`
the matched words are enclosed in U+0002 and U+0003.
"""


def service_of(state: State) -> SearchService:
    service = state.search_service
    assert isinstance(service, SearchService)
    return service


class SearchController(Controller):
    path = "/search"
    tags = ("search",)
    # No request transaction: every statement here is self-contained (see provide_statements).
    dependencies = {"conn": Provide(provide_statements)}  # noqa: RUF012 (Litestar's declared class attribute)

    @get("/", summary="Search the catalog", description=DESCRIPTION)
    async def search(
        self,
        request: Request[object, object, State],
        conn: Tx,
        actor: CurrentActor,
        state: State,
        q: Text = None,
        category: FromQuery[str | None] = None,
        brand: Many = None,
        vendor: Many = None,
        country: Many = None,
        in_stock: FromQuery[str | None] = None,
        max_lead_time: FromQuery[str | None] = None,
        price_min: FromQuery[str | None] = None,
        price_max: FromQuery[str | None] = None,
        currency: FromQuery[str | None] = None,
        attr: Many = None,
        range: Many = None,
        sort: FromQuery[str | None] = None,
        page: FromQuery[str | None] = None,
        per_page: FromQuery[str | None] = None,
        variants: FromQuery[str | None] = None,
    ) -> SearchResult:
        params = {k: request.query_params.getall(k) for k in request.query_params}
        return await service_of(state).search(conn, actor, parse_request(params), source="api")

    @get("/suggest", summary="Typeahead: products, categories and brands for a partial query")
    async def suggest(self, conn: Tx, actor: CurrentActor, state: State, q: Text = None) -> list[Suggestion]:
        if q is not None and len(q) > MAX_QUERY_LENGTH:
            raise BadSearch({"q": f"is longer than {MAX_QUERY_LENGTH} characters"})
        return await service_of(state).suggest(conn, actor, q or "")
