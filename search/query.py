"""Buyer search: ask Meilisearch with the visibility filters (``search.request``), shape the answer.

The buyer's own price (contract beats list) is not in the index: the page of hits is priced from
PostgreSQL by the ``Pricer`` the composition root injects (``vendors`` computes it). Facets and sorting
use the list price, and pages say so.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, Literal, TypeVar

import msgspec
from meilisearch_python_sdk import AsyncClient

from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from marketplace.core.errors import Unavailable
from marketplace.settings import Settings
from search import documents, engine
from search.request import SORTS, SearchRequest, request_filters, rewrite_query, visibility_filter
from search.settings import MAX_QUERY_LENGTH, PRODUCTS

A = TypeVar("A")
R = TypeVar("R")

MARK_START, MARK_END = "\x02", "\x03"
"""Highlight markers Meilisearch puts around matches; pages escape the text, then turn them into <mark>."""


# ------------------------------------------------------------------ results


class Price(msgspec.Struct, frozen=True, kw_only=True):
    """What this buyer pays per price basis at the product's minimum quantity (contract or list)."""

    source: str
    currency: str
    unit_price_minor: int
    price_basis: int
    min_qty: int


Pricer = Callable[[Connection, Actor | None, Sequence[int]], Awaitable[Mapping[int, Price | None]]]
"""Prices a page of variant ids for the caller; injected by the composition root (vendors computes it)."""


class Hit(msgspec.Struct, frozen=True, kw_only=True):
    product_id: int
    variant_id: int
    title: str
    title_highlight: str
    """The title with matches between \\x02 and \\x03 (escape first, then replace them with <mark>)."""
    variant_name: str
    sku: str
    mpn: str | None
    gtin: str | None
    brand: str | None
    vendor_id: int
    vendor_name: str
    category: list[str]
    in_stock: bool
    available: int
    lead_time_days: int | None
    unit: str
    pack_size: int
    moq: int
    list_price_milli: int | None
    currency: str
    image_id: int | None
    variant_count: int | None = None
    price: Price | None = None


class FacetValue(msgspec.Struct, frozen=True, kw_only=True):
    value: str
    label: str
    count: int
    selected: bool


class Facet(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    """The query parameter it filters: brand, vendor, country, category, attr (as code:value)."""
    label: str
    code: str | None = None
    values: list[FacetValue] = []
    min: float | None = None
    max: float | None = None
    unit: str | None = None
    kind: Literal["values", "range"] = "values"


class SearchResult(msgspec.Struct, frozen=True, kw_only=True):
    search_id: str
    request: SearchRequest
    total: int
    page: int
    pages: int
    per_page: int
    hits: list[Hit]
    facets: list[Facet]
    category_path: list[tuple[int, str]]
    relaxed: bool = False
    """No hit matched every word, so these hits match fewer of them."""
    nearest_categories: list[FacetValue] = []
    price_range: tuple[int, int] | None = None
    """Lowest and highest list price per unit (minor units) among the matches, before price filters."""


class Suggestion(msgspec.Struct, frozen=True, kw_only=True):
    kind: Literal["product", "category", "brand"]
    label: str
    label_highlight: str
    url_params: list[tuple[str, str]]
    product_id: int | None = None
    detail: str = ""


HIT_FIELDS: Final = [
    "id", "product_id", "title", "variant_name", "sku", "mpn", "gtin", "brand", "vendor_id", "vendor_name",
    "category_names", "in_stock", "available", "lead_time_days", "unit", "pack_size", "moq", "price_milli",
    "currency", "image_id",
]  # fmt: skip


class AttributeInfo(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    label: str
    type: str
    dimension: str | None


ATTRIBUTE_DEFINITIONS = """
WITH RECURSIVE up AS (
    SELECT id, parent_id, 0 AS depth FROM category WHERE id = $1
    UNION ALL SELECT c.id, c.parent_id, up.depth + 1 FROM category c JOIN up ON c.id = up.parent_id WHERE up.depth < 10
)
SELECT d.code, d.label, d.type::text AS type, d.dimension
FROM attribute_definition d JOIN up ON up.id = d.category_id
ORDER BY up.depth DESC, d.position, d.code
"""
CATEGORY_PATH = """
WITH RECURSIVE up AS (
    SELECT id, parent_id, name, 0 AS depth FROM category WHERE id = $1
    UNION ALL SELECT c.id, c.parent_id, c.name, up.depth + 1 FROM category c JOIN up ON c.id = up.parent_id
    WHERE up.depth < 10
)
SELECT id, name FROM up ORDER BY depth DESC
"""
# The analytics row and the vendor names of the facet labels in one round trip.
RECORD_SEARCH_AND_NAME_VENDORS = """
WITH event AS (
    INSERT INTO search_event (search_id, company_id, query, normalized, filtered, total, source)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
)
SELECT id, legal_name FROM company WHERE id = any($8::bigint[])
"""


class SearchService:
    """Everything buyers and machine clients ask of search; one per process (``app.state.search_service``)."""

    def __init__(
        self,
        client: AsyncClient,
        settings: Settings,
        *,
        pricer: Pricer,
        base_units: Mapping[str, str],
    ) -> None:
        self.client = client
        self.uid = f"{settings.search_index_prefix}{PRODUCTS}"
        self.pricer = pricer
        self.base_units = base_units

    async def _ask(self, path: str, body: Any) -> Any:
        try:
            return await engine.call(self.client, "POST", path, body)
        except engine.EngineError as exc:
            if exc.code == "index_not_found":  # a new deployment whose first build has not finished
                raise Unavailable("search.not_ready", "Search is being set up; try again in a minute.") from exc
            raise

    async def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self._ask(f"/indexes/{self.uid}/search", body)
        return result

    async def search(
        self, conn: Connection, actor: Actor | None, request: SearchRequest, *, source: str = "page"
    ) -> SearchResult:
        definitions: list[AttributeInfo] = []
        category_path: list[tuple[int, str]] = []
        if request.category:
            definitions = [AttributeInfo(**r) for r in await conn.fetch(ATTRIBUTE_DEFINITIONS, request.category)]
            category_path = [(int(r["id"]), str(r["name"])) for r in await conn.fetch(CATEGORY_PATH, request.category)]
        depth = min(len(category_path), 2)
        visibility = visibility_filter(actor)
        facet_names = [f"category_lvl{depth}", "brand", "vendor_id", "country_of_origin", "in_stock"]
        facet_names += [f"attr.{d.code}" for d in definitions]
        q = rewrite_query(request.q)
        base = {
            "q": q,
            "matchingStrategy": "all",
            "filter": [visibility, *request_filters(request)],
            "facets": [*facet_names, "price_milli", "lead_time_days"],
            "hitsPerPage": request.per_page,
            "page": request.page,
            "attributesToHighlight": ["title"],
            "highlightPreTag": MARK_START,
            "highlightPostTag": MARK_END,
            "attributesToRetrieve": HIT_FIELDS,
        }
        if request.sort != "relevance":
            base["sort"] = SORTS[request.sort]
        if not request.variants:
            base["distinct"] = "product_id"
        # Disjunctive facets: the counts of a facet people tick ignore that facet's own selection.
        own = {"brand": "brand", "vendor_id": "vendor_id", "country_of_origin": "country_of_origin"}
        own.update({f"attr.{c}": f"attr.{c}" for c, _ in request.attr})
        queries = [base]
        extra = [name for name in own if self._selected(request, name)]
        queries += [
            {
                "q": q,
                "matchingStrategy": "all",
                "filter": [visibility, *request_filters(request, skip=name)],
                "facets": [name],
                "hitsPerPage": 0,  # page mode: facet counts respect distinct (with limit=0 they count variants)
                "distinct": "product_id",
            }
            for name in extra
        ]
        price_query = {
            "q": q,
            "matchingStrategy": "all",
            "filter": [visibility, *request_filters(msgspec.structs.replace(request, price_min=None, price_max=None))],
            "facets": ["price_milli", *(f"attr.{d.code}" for d in definitions if d.type == "number")],
            "limit": 0,
        }
        queries.append(price_query)
        # The category tree (facet labels) is read while Meilisearch answers.
        results, paths = await _meanwhile(self._multi(queries), documents.load_category_paths(conn))
        main, price_result = results[0], results[-1]
        distributions: dict[str, dict[str, int]] = dict(main.get("facetDistribution") or {})
        for name, result in zip(extra, results[1:-1], strict=True):
            distributions[name] = (result.get("facetDistribution") or {}).get(name, {})
        relaxed = False
        nearest: list[FacetValue] = []
        strict_total = int(main["totalHits"])  # analytics count a rescued search as zero-result
        if main["totalHits"] == 0 and request.q:
            loose = dict(base, matchingStrategy="frequency", facets=["category_lvl1", "category_lvl0"])
            main = await self._search(loose)
            relaxed = main["totalHits"] > 0
            cats = main.get("facetDistribution") or {}
            nearest = self._category_values(paths, {**cats.get("category_lvl0", {}), **cats.get("category_lvl1", {})})
            nearest = sorted(nearest, key=lambda v: -v.count)[:5]
            distributions = {}
        hits = [self._hit(doc) for doc in main["hits"]]
        prices = await self.pricer(conn, actor, [h.variant_id for h in hits])
        hits = [msgspec.structs.replace(h, price=prices.get(h.variant_id)) for h in hits]
        stats = (price_result.get("facetStats") or {}).get("price_milli")
        price_range = (int(stats["min"]) // 1000, -(-int(stats["max"]) // 1000)) if stats else None
        # Ranges span every matching variant (not only the one shown per product), before range filters.
        stats_all = price_result.get("facetStats") or {}
        search_id = str(uuid.uuid4())
        filtered = bool(request_filters(request))
        vendor_ids = [int(v) for v in distributions.get("vendor_id", {})] + list(request.vendor)
        vendor_names = await conn.fetch(
            RECORD_SEARCH_AND_NAME_VENDORS,
            uuid.UUID(search_id),
            actor.company_id if actor else None,
            request.q,
            request.q.lower(),
            filtered,
            strict_total,
            source,
            vendor_ids,
        )
        names = {str(r["id"]): str(r["legal_name"]) for r in vendor_names}
        facets = self._facets(request, distributions, definitions, stats_all, depth, paths, names)
        return SearchResult(
            search_id=search_id,
            request=request,
            total=int(main["totalHits"]),
            page=request.page,
            pages=int(main.get("totalPages") or 0),
            per_page=request.per_page,
            hits=hits,
            facets=facets,
            category_path=category_path,
            relaxed=relaxed,
            nearest_categories=nearest,
            price_range=price_range,
        )

    @staticmethod
    def _selected(request: SearchRequest, name: str) -> bool:
        if name == "brand":
            return bool(request.brand)
        if name == "vendor_id":
            return bool(request.vendor)
        if name == "country_of_origin":
            return bool(request.country)
        return any(f"attr.{c}" == name for c, _ in request.attr)

    async def _multi(self, queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        body = {"queries": [dict(q, indexUid=self.uid) for q in queries]}
        answer = await self._ask("/multi-search", body)
        results: list[dict[str, Any]] = answer["results"]
        return results

    @staticmethod
    def _hit(doc: Mapping[str, Any]) -> Hit:
        formatted = doc.get("_formatted") or {}
        return Hit(
            product_id=int(doc["product_id"]),
            variant_id=int(doc["id"]),
            title=doc["title"],
            title_highlight=str(formatted.get("title") or doc["title"]),
            variant_name=doc.get("variant_name") or "",
            sku=doc["sku"],
            mpn=doc.get("mpn"),
            gtin=doc.get("gtin"),
            brand=doc.get("brand"),
            vendor_id=int(doc["vendor_id"]),
            vendor_name=doc.get("vendor_name") or "",
            category=list(doc.get("category_names") or []),
            in_stock=bool(doc.get("in_stock")),
            available=int(doc.get("available") or 0),
            lead_time_days=doc.get("lead_time_days"),
            unit=doc.get("unit") or "pcs",
            pack_size=int(doc.get("pack_size") or 1),
            moq=int(doc.get("moq") or 1),
            list_price_milli=doc.get("price_milli"),
            currency=doc.get("currency") or "EUR",
            image_id=doc.get("image_id"),
        )

    @staticmethod
    def _categories_named(paths: Mapping[int, documents.CategoryPath], counts: Mapping[str, int]) -> list[FacetValue]:
        """Categories whose own name is one of these (facet search on ``category_names``), labelled by path."""
        out = [
            FacetValue(value=str(cid), label=" › ".join(p.names), count=counts[p.names[-1]], selected=False)
            for cid, p in paths.items()
            if p.names[-1] in counts
        ]
        return sorted(out, key=lambda v: (-v.count, v.label))[:5]

    @staticmethod
    def _category_values(paths: Mapping[int, documents.CategoryPath], counts: Mapping[str, int]) -> list[FacetValue]:
        """Category facet values ("Fasteners > Screws", as documents carry them) with the id to filter on."""
        if not counts:
            return []
        by_path = {" > ".join(p.names): cid for cid, p in paths.items()}
        return [
            FacetValue(value=str(by_path[p]), label=p.rsplit(" > ", 1)[-1], count=n, selected=False)
            for p, n in counts.items()
            if p in by_path
        ]

    def _facets(
        self,
        request: SearchRequest,
        dist: Mapping[str, Mapping[str, int]],
        definitions: Sequence[AttributeInfo],
        stats: Mapping[str, Mapping[str, float]],
        depth: int,
        paths: Mapping[int, documents.CategoryPath],
        vendor_names: Mapping[str, str],
    ) -> list[Facet]:
        facets: list[Facet] = []
        categories = self._category_values(paths, dist.get(f"category_lvl{depth}", {}))
        if request.category:
            categories = [c for c in categories if c.value != str(request.category)]
        if categories:
            facets.append(Facet(name="category", label="Category", values=sorted(categories, key=lambda v: -v.count)))

        def values(name: str, field: str, label: str, labels: Mapping[str, str] | None = None) -> None:
            selected = {
                "brand": set(request.brand),
                "vendor": {str(v) for v in request.vendor},
                "country": set(request.country),
            }.get(name, set())
            counts = dict(dist.get(field, {}))
            for value in selected:
                counts.setdefault(value, 0)
            if counts:
                facets.append(
                    Facet(
                        name=name,
                        label=label,
                        values=[
                            FacetValue(value=v, label=(labels or {}).get(v, v), count=n, selected=v in selected)
                            for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                        ],
                    )
                )

        values("brand", "brand", "Brand")
        values("vendor", "vendor_id", "Vendor", vendor_names)
        values("country", "country_of_origin", "Country of origin")
        chosen = {(c, v) for c, v in request.attr}
        for d in definitions:
            field = f"attr.{d.code}"
            if d.type == "number":
                s = stats.get(field)
                current = next((r for r in request.range if r.code == d.code), None)
                if s or current:
                    facets.append(
                        Facet(
                            name="range",
                            code=d.code,
                            label=d.label,
                            kind="range",
                            min=(s or {}).get("min"),
                            max=(s or {}).get("max"),
                            unit=self.base_units.get(d.dimension or "", None),
                        )
                    )
                continue
            counts = dict(dist.get(field, {}))
            for c, v in chosen:
                if c == d.code:
                    counts.setdefault(v, 0)
            if counts:
                facets.append(
                    Facet(
                        name="attr",
                        code=d.code,
                        label=d.label,
                        values=[
                            FacetValue(value=v, label=_attr_label(v), count=n, selected=(d.code, v) in chosen)
                            for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                        ],
                    )
                )
        return facets

    # -------------------------------------------------------------- typeahead

    async def suggest(self, conn: Connection, actor: Actor | None, q: str, *, limit: int = 6) -> list[Suggestion]:
        """Products, categories and brands for a partial query, in one round of parallel requests."""
        q = " ".join(q.split())[:MAX_QUERY_LENGTH]
        if not q:
            return []
        visibility = visibility_filter(actor)
        words = q.split()
        typed = " ".join([rewrite_query(" ".join(words[:-1])), words[-1].replace('"', "")]).strip()
        products_q = {
            "q": typed,
            "filter": [visibility],
            "limit": limit,
            "distinct": "product_id",
            "attributesToRetrieve": ["product_id", "title", "brand", "sku", "mpn"],
            "attributesToHighlight": ["title"],
            "highlightPreTag": MARK_START,
            "highlightPostTag": MARK_END,
        }

        def facet_search(name: str) -> Awaitable[Any]:
            body = {"facetName": name, "facetQuery": q, "filter": [visibility]}
            return self._ask(f"/indexes/{self.uid}/facet-search", body)

        (products, brands, categories), paths = await _meanwhile(
            asyncio.gather(self._search(products_q), facet_search("brand"), facet_search("category_names")),
            documents.load_category_paths(conn),
        )
        out = [
            Suggestion(
                kind="product",
                label=h["title"],
                label_highlight=str((h.get("_formatted") or {}).get("title") or h["title"]),
                url_params=[],
                product_id=int(h["product_id"]),
                detail=" · ".join(x for x in (h.get("brand"), h.get("mpn") or h.get("sku")) if x),
            )
            for h in products["hits"]
        ]
        counts = {str(h["value"]): int(h["count"]) for h in categories["facetHits"][:3]}
        out += [
            Suggestion(
                kind="category",
                label=value.label,
                label_highlight=value.label,
                url_params=[("category", value.value)],
                detail=f"{value.count} products",
            )
            for value in self._categories_named(paths, counts)
        ]
        out += [
            Suggestion(
                kind="brand",
                label=str(hit["value"]),
                label_highlight=str(hit["value"]),
                url_params=[("brand", str(hit["value"]))],
                detail=f"{hit['count']} products",
            )
            for hit in brands["facetHits"][:3]
        ]
        return out


async def _meanwhile(asking: Awaitable[A], reading: Awaitable[R]) -> tuple[A, R]:
    """``asking`` Meilisearch while ``reading`` runs one query on the request's connection. The query has
    always finished when this returns or raises, so the connection is free for the next one."""
    task = asyncio.ensure_future(reading)
    try:
        answer = await asking
    finally:
        await asyncio.wait([task])
        if not task.cancelled():
            task.exception()  # retrieved: if asking failed, its error is the one that propagates
    return answer, task.result()


def _attr_label(value: str) -> str:
    return {"true": "yes", "false": "no"}.get(value, value)


RECORD_CLICK = """
INSERT INTO search_click (search_id, product_id, position)
SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM search_event WHERE search_id = $1)
ON CONFLICT DO NOTHING
"""


async def record_click(conn: Connection, search_id: uuid.UUID, product_id: int, position: int) -> None:
    """A hit was opened from a results page (analytics: queries without clicks). Unknown searches are ignored."""
    await conn.execute(RECORD_CLICK, search_id, product_id, position)
