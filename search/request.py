"""A search request: its shape, parsing and limits (shared by the API and the pages), and its filters.

Visibility is never the client's to say: ``visibility_filter`` is computed from the caller and ANDed
with the filters built from the request, and every request value reaches Meilisearch only inside a
quoted string (``engine.quote``) or as a checked number, so no input can widen what a caller sees.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

import msgspec

from marketplace.core.actor import Actor
from search import engine
from search.documents import compact
from search.errors import BadSearch
from search.settings import MAX_FILTER_VALUES, MAX_PER_PAGE, MAX_QUERY_LENGTH

Sort = Literal["relevance", "price_asc", "price_desc", "lead_time", "newest"]
SORTS: Final[dict[str, list[str]]] = {
    "relevance": [],
    "price_asc": ["price_milli:asc"],
    "price_desc": ["price_milli:desc"],
    "lead_time": ["lead_time_days:asc"],
    "newest": ["created_at:desc"],
}
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class Range(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    min: float | None = None
    max: float | None = None


class SearchRequest(msgspec.Struct, frozen=True, kw_only=True):
    q: str = ""
    category: int | None = None
    brand: tuple[str, ...] = ()
    vendor: tuple[int, ...] = ()
    country: tuple[str, ...] = ()
    in_stock: bool = False
    max_lead_time: int | None = None
    price_min: int | None = None
    """List price per unit, in minor units of ``currency`` (facets and sorting use list prices)."""
    price_max: int | None = None
    currency: str = "EUR"
    attr: tuple[tuple[str, str], ...] = ()
    """(code, value) pairs of enum, text and yes/no attributes; values of one code are ORed."""
    range: tuple[Range, ...] = ()
    """Numeric attributes, in the dimension's base unit (mm, g, V ...)."""
    sort: Sort = "relevance"
    page: int = 1
    per_page: int = 24
    variants: bool = False
    """One hit per variant instead of one per product."""


# ------------------------------------------------------------------ parsing (shared by the API and the pages)


def _one(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = [v for v in params.get(name, ()) if v != ""]
    return values[-1] if values else None


def _int(errors: dict[str, str], name: str, raw: str | None, *, lo: int, hi: int) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        errors[name] = "must be a whole number"
        return None
    if not lo <= value <= hi:
        errors[name] = f"must be between {lo} and {hi}"
        return None
    return value


def _number(errors: dict[str, str], name: str, raw: str) -> float | None:
    text = raw.strip().replace(",", ".")
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        errors[name] = f"{raw[:20]!r} is not a number"
        return None
    if not math.isfinite(value) or abs(value) > 1e12:
        errors[name] = "is out of range"
        return None
    return value


def _money(errors: dict[str, str], name: str, raw: str | None, *, minor: bool) -> int | None:
    """Prices: minor units in the API (``1250``), decimal major units on pages (``12.50``)."""
    if raw is None:
        return None
    if minor:
        return _int(errors, name, raw, lo=0, hi=10**12)
    value = _number(errors, name, raw)
    if value is None:
        return None
    if value < 0:
        errors[name] = "must not be negative"
        return None
    return round(value * 100)


def parse_request(params: Mapping[str, Sequence[str]], *, prices_in_minor: bool = True) -> SearchRequest:
    """A bounded ``SearchRequest`` from query parameters; ``BadSearch`` (400) names every bad field.

    ``attr=code:value`` (repeatable), ``range=code:min..max`` (either side may be empty), the rest
    as named. Limits: query length, page size, deep pages and the number of filter values.
    """
    errors: dict[str, str] = {}
    q = " ".join((_one(params, "q") or "").split())
    if len(q) > MAX_QUERY_LENGTH:
        errors["q"] = f"is longer than {MAX_QUERY_LENGTH} characters"
    per_page = _int(errors, "per_page", _one(params, "per_page"), lo=1, hi=MAX_PER_PAGE) or 24
    page = _int(errors, "page", _one(params, "page"), lo=1, hi=10_000) or 1
    if "per_page" not in errors and "page" not in errors and page * per_page > 10_000:
        errors["page"] = f"only the first {10_000 // per_page} pages of {per_page} can be shown; narrow the search"
    sort = _one(params, "sort") or "relevance"
    if sort not in SORTS:
        errors["sort"] = f"must be one of: {', '.join(SORTS)}"
        sort = "relevance"
    brands = tuple(dict.fromkeys(b.strip()[:120] for b in params.get("brand", ()) if b.strip()))
    vendors: list[int] = []
    for text in params.get("vendor", ()):
        value = _int(errors, "vendor", text, lo=1, hi=2**63 - 1)
        if value is not None:
            vendors.append(value)
    countries = tuple(dict.fromkeys(c.strip().upper() for c in params.get("country", ()) if c.strip()))
    if any(not re.fullmatch(r"[A-Z]{2}", c) for c in countries):
        errors["country"] = "must be two-letter ISO country codes"
    attrs: list[tuple[str, str]] = []
    for pair in params.get("attr", ()):
        code, sep, wanted = pair.partition(":")
        if not sep or not _CODE.match(code) or not wanted.strip() or len(wanted) > 200:
            errors["attr"] = "each attr is code:value, e.g. attr=material:A2"
            continue
        attrs.append((code, wanted.strip()))
    ranges: list[Range] = []
    for raw in params.get("range", ()):
        code, sep, bounds = raw.partition(":")
        lo, dots, hi = bounds.partition("..")
        if not sep or not dots or not _CODE.match(code):
            errors["range"] = "each range is code:min..max, e.g. range=length:30..50 (either side may be empty)"
            continue
        low, high = _number(errors, "range", lo), _number(errors, "range", hi)
        if low is not None and high is not None and low > high:
            errors["range"] = f"{code}: the minimum is above the maximum"
            continue
        if low is not None or high is not None:
            ranges.append(Range(code=code, min=low, max=high))
    currency = (_one(params, "currency") or "EUR").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        errors["currency"] = "must be an ISO 4217 code such as EUR"
    price_min = _money(errors, "price_min", _one(params, "price_min"), minor=prices_in_minor)
    price_max = _money(errors, "price_max", _one(params, "price_max"), minor=prices_in_minor)
    if price_min is not None and price_max is not None and price_min > price_max:
        errors["price_max"] = "must not be below the minimum price"
    flags = {}
    for name in ("in_stock", "variants"):
        flag = _one(params, name)
        if flag is not None and flag.lower() not in ("1", "true", "on", "yes", "0", "false", "off", "no"):
            errors[name] = "must be true or false"
        flags[name] = flag is not None and flag.lower() in ("1", "true", "on", "yes")
    if len(brands) + len(vendors) + len(countries) + len(attrs) + len(ranges) > MAX_FILTER_VALUES:
        errors["filters"] = f"at most {MAX_FILTER_VALUES} filter values in one search"
    request = SearchRequest(
        q=q,
        category=_int(errors, "category", _one(params, "category"), lo=1, hi=2**63 - 1),
        brand=brands,
        vendor=tuple(dict.fromkeys(vendors)),
        country=countries,
        in_stock=flags["in_stock"],
        max_lead_time=_int(errors, "max_lead_time", _one(params, "max_lead_time"), lo=0, hi=365),
        price_min=price_min,
        price_max=price_max,
        currency=currency,
        attr=tuple(dict.fromkeys(attrs)),
        range=tuple(ranges),
        sort=sort,  # type: ignore[arg-type]
        page=page,
        per_page=per_page,
        variants=flags["variants"],
    )
    if errors:
        raise BadSearch(errors)
    return request


def query_params(request: SearchRequest, *, prices_in_minor: bool = True, **changes: Any) -> list[tuple[str, str]]:
    """The request back as query parameters (pages put them in the URL, so links and back/forward work)."""
    r = msgspec.structs.replace(request, **changes) if changes else request
    out: list[tuple[str, str]] = []
    if r.q:
        out.append(("q", r.q))
    if r.category:
        out.append(("category", str(r.category)))
    out += [("brand", b) for b in r.brand] + [("vendor", str(v)) for v in r.vendor]
    out += [("country", c) for c in r.country] + [("attr", f"{c}:{v}") for c, v in r.attr]
    for rg in r.range:
        out.append(("range", f"{rg.code}:{_num(rg.min)}..{_num(rg.max)}"))
    if r.in_stock:
        out.append(("in_stock", "1"))
    if r.max_lead_time is not None:
        out.append(("max_lead_time", str(r.max_lead_time)))
    for name in ("price_min", "price_max"):
        value = getattr(r, name)
        if value is not None:
            out.append((name, str(value) if prices_in_minor else f"{value / 100:.2f}"))
    if r.currency != "EUR":
        out.append(("currency", r.currency))
    if r.sort != "relevance":
        out.append(("sort", r.sort))
    if r.variants:
        out.append(("variants", "1"))
    if r.page != 1:
        out.append(("page", str(r.page)))
    if r.per_page != 24:
        out.append(("per_page", str(r.per_page)))
    return out


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value == int(value) else repr(value)


# ------------------------------------------------------------------ filters


def audience_of(actor: Actor | None) -> list[str]:
    """Audience tags the caller belongs to: everyone sees public; a company also its own restricted offers."""
    tags = ["public"]
    if actor is not None and actor.company_id is not None:
        tags += [f"c{actor.company_id}", f"v{actor.company_id}"]
    return tags


def visibility_filter(actor: Actor | None) -> str:
    return "audience IN [" + ", ".join(engine.quote(t) for t in audience_of(actor)) + "]"


def request_filters(request: SearchRequest, *, skip: str | None = None) -> list[str]:
    """The request's own filters (ANDed). ``skip`` leaves out one facet's filter, for its own counts."""
    out: list[str] = []

    def any_of(field: str, values: Sequence[str]) -> None:
        if values and skip != field:
            out.append(f"{field} IN [" + ", ".join(engine.quote(v) for v in values) + "]")

    if request.category:
        out.append(f"category_ids = {int(request.category)}")
    any_of("brand", request.brand)
    if request.vendor and skip != "vendor_id":
        out.append("vendor_id IN [" + ", ".join(str(int(v)) for v in request.vendor) + "]")
    any_of("country_of_origin", request.country)
    if request.in_stock:
        out.append("in_stock = true")
    if request.max_lead_time is not None:
        out.append(f"(in_stock = true OR lead_time_days <= {int(request.max_lead_time)})")
    if request.price_min is not None or request.price_max is not None:
        out.append(f"currency = {engine.quote(request.currency)}")
        if request.price_min is not None:
            out.append(f"price_milli >= {int(request.price_min) * 1000}")
        if request.price_max is not None:
            out.append(f"price_milli <= {int(request.price_max) * 1000}")
    by_code: dict[str, list[str]] = {}
    for code, value in request.attr:
        by_code.setdefault(code, []).append(value)
    for code, values in by_code.items():
        if skip == f"attr.{code}":
            continue
        terms = []
        for value in values:
            if value.lower() in ("true", "false"):
                terms.append(f"attr.{code} = {value.lower()}")
            terms.append(f"attr.{code} = {engine.quote(value)}")
        out.append("(" + " OR ".join(terms) + ")")
    for rg in request.range:
        if rg.min is not None:
            out.append(f"attr.{rg.code} >= {float(rg.min)!r}")
        if rg.max is not None:
            out.append(f"attr.{rg.code} <= {float(rg.max)!r}")
    return out


def rewrite_query(q: str) -> str:
    """Words with digits and letters (``2RS``, ``M8``, ``NU2204ECP``, ``3x1.5``) become exact phrases in
    their compacted form (as ``part_numbers`` stores them): part numbers never match by typo and do not
    depend on how the engine splits ``3x1.5``, while plain words stay typo tolerant."""
    words = q.replace('"', " ").split()
    return " ".join(f'"{compact(w)}"' if _PART.search(w) else w for w in words)


_PART = re.compile(r"(?=.*\d)(?=.*[^\W\d_])")
