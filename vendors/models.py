"""Records and enums of vendor catalogs, and the product status machine as data."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import msgspec


class ProductStatus(StrEnum):
    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    LIVE = "live"
    REJECTED = "rejected"
    ARCHIVED = "archived"


# Who moves a product where: vendors submit and archive; operators approve or reject.
VENDOR_TRANSITIONS: dict[ProductStatus, frozenset[ProductStatus]] = {
    ProductStatus.DRAFT: frozenset({ProductStatus.PENDING_REVIEW, ProductStatus.ARCHIVED}),
    ProductStatus.REJECTED: frozenset({ProductStatus.PENDING_REVIEW, ProductStatus.ARCHIVED}),
    ProductStatus.LIVE: frozenset({ProductStatus.ARCHIVED}),
    ProductStatus.PENDING_REVIEW: frozenset({ProductStatus.ARCHIVED}),
    ProductStatus.ARCHIVED: frozenset({ProductStatus.DRAFT}),
}
OPERATOR_TRANSITIONS: dict[ProductStatus, frozenset[ProductStatus]] = {
    ProductStatus.PENDING_REVIEW: frozenset({ProductStatus.LIVE, ProductStatus.REJECTED}),
    ProductStatus.LIVE: frozenset({ProductStatus.REJECTED}),  # taking down a reported listing
}


class AttributeDefinition(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    category_id: int
    code: str
    label: str
    type: str
    dimension: str | None
    display_unit: str | None
    enum_values: list[str] | None
    required: bool
    position: int


class Category(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    parent_id: int | None
    name: str
    slug: str
    classification_system: str | None
    classification_code: str | None


class Product(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    vendor_id: int
    sku: str
    title: str
    description: str
    brand: str | None
    category_id: int | None
    attributes: dict[str, Any]
    warranty: str | None
    country_of_origin: str | None
    unit: str
    pack_size: int
    moq: int
    increment: int
    currency: str
    vat_class: str
    hide_price_from_guests: bool
    status: ProductStatus
    status_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class Variant(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    product_id: int
    vendor_id: int
    sku: str
    name: str
    mpn: str | None
    gtin: str | None
    attributes: dict[str, Any]
    lead_time_days: int | None
    position: int


class Tier(msgspec.Struct, frozen=True, kw_only=True):
    min_qty: int
    unit_price_minor: int
    price_basis: int = 1


class PriceList(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    vendor_id: int
    name: str
    valid_from: date | None
    valid_to: date | None
    buyer_ids: list[int]


class Warehouse(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    vendor_id: int
    name: str
    country: str


class StockLevel(msgspec.Struct, frozen=True, kw_only=True):
    variant_id: int
    warehouse_id: int
    warehouse: str
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return max(0, self.on_hand - self.reserved)


class CatalogGroup(msgspec.Struct, frozen=True, kw_only=True):
    """A group of a vendor's own catalog tree (BMEcat CATALOG_STRUCTURE), by the file's GROUP_ID ``code``."""

    id: int
    vendor_id: int
    code: str
    name: str
    parent_code: str | None
    position: int
    category_id: int | None
    """The platform category the vendor chose for this group; None matches automatically."""


class CategoryIndex(msgspec.Struct, frozen=True, kw_only=True):
    """How imports find platform categories: by classification code, by name or slug, and each one's
    attribute names (code, label, aliases; inherited ones included) → attribute code."""

    by_code: dict[str, str]
    """Classification code → slug (the oldest category wins when several share a code)."""
    by_name: dict[str, str]
    """Lower-case name or slug → slug (the oldest wins)."""
    by_id: dict[int, str]
    names: dict[str, dict[str, str]]
    """Slug → {lower-case attribute code, label or alias → attribute code}."""
