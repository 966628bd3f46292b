"""The products index, designed in code: every setting Meilisearch gets, and a hash that says when to rebuild.

Applied at start-up (``python -m search ensure``, run by ``./dev run`` and the worker) and by
``./dev reindex``. When the hash of these settings differs from the one stored with the live index,
the index is rebuilt into a fresh twin and swapped in; nobody edits settings by hand.

Only features Meilisearch 1.21 has are used (granular filterable attributes since 1.14,
``disableOnNumbers`` since 1.15).
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

import msgspec

PRODUCTS: Final = "products"
"""Logical name; the real index uid is ``settings.search_index_prefix + PRODUCTS``."""

PART_NUMBER_FIELDS: Final = ("part_numbers", "sku", "mpn", "gtin")
"""Matched exactly: no typo tolerance, and compacted (``6204-2RS`` → ``62042rs``) at index time."""

SEARCHABLE: Final = (
    "part_numbers",  # compacted SKU, MPN, GTIN and designations: exact, separator-free matches first
    "sku",
    "mpn",
    "gtin",
    "title",
    "variant_name",
    "brand",
    "category_names",
    "attribute_text",
    "vendor_name",
    "description",
)


def _filter(*, equality: bool = True, comparison: bool = False, facet_search: bool = False) -> dict[str, Any]:
    return {"facetSearch": facet_search, "filter": {"equality": equality, "comparison": comparison}}


FILTERABLE: Final = [
    # Visibility, added by the server to every query: equality only.
    {
        "attributePatterns": ["audience", "id", "product_id", "vendor_id", "category_ids", "currency"],
        "features": _filter(),
    },
    # Facets people tick.
    {
        "attributePatterns": ["brand", "category_names", "category_lvl0", "category_lvl1", "category_lvl2"],
        "features": _filter(facet_search=True),
    },
    {"attributePatterns": ["country_of_origin", "in_stock"], "features": _filter()},
    # Ranges: numbers compared with TO, >=, <=.
    {"attributePatterns": ["price_milli", "lead_time_days"], "features": _filter(comparison=True)},
    # Typed attributes of the category: attr.<code>; numbers in the dimension's base unit.
    {"attributePatterns": ["attr.*"], "features": _filter(comparison=True)},
]

SORTABLE: Final = ["price_milli", "lead_time_days", "created_at"]

RANKING_RULES: Final = ["words", "typo", "proximity", "attribute", "sort", "exactness"]

STOP_WORDS: Final = [
    "a", "an", "and", "for", "of", "the", "with",
    "der", "die", "das", "und", "mit", "für",
]  # fmt: skip

INDEX_SETTINGS: Final[dict[str, Any]] = {
    "searchableAttributes": list(SEARCHABLE),
    "displayedAttributes": ["*"],
    "filterableAttributes": FILTERABLE,
    "sortableAttributes": SORTABLE,
    "rankingRules": RANKING_RULES,
    "typoTolerance": {
        "enabled": True,
        "minWordSizeForTypos": {"oneTypo": 4, "twoTypos": 8},
        "disableOnAttributes": list(PART_NUMBER_FIELDS),
        "disableOnNumbers": True,
    },
    "stopWords": STOP_WORDS,
    # "M8×40" reads as "M8 × 40"; "/" and "-" are separators already.
    "separatorTokens": ["×"],
    "faceting": {"maxValuesPerFacet": 200, "sortFacetValuesBy": {"*": "count"}},
    "pagination": {"maxTotalHits": 10_000},
    "proximityPrecision": "byWord",
    "searchCutoffMs": 1500,
}
"""Everything but synonyms, which operators manage in PostgreSQL (``search.synonyms``)."""


def settings_hash() -> str:
    """A fingerprint of ``INDEX_SETTINGS``; a different one means the live index must be rebuilt."""
    canonical = msgspec.json.encode(INDEX_SETTINGS, order="sorted")
    return hashlib.sha256(canonical).hexdigest()[:16]


MAX_QUERY_LENGTH: Final = 200
MAX_PER_PAGE: Final = 100
MAX_FILTER_VALUES: Final = 40
"""The sum of all facet values and ranges one request may filter on: keeps filter strings small."""
MAX_PAGE: Final = 10_000 // MAX_PER_PAGE
