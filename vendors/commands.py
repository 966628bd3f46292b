"""Validated input for catalog services: the same shapes serve the JSON API, pages and imports."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec

Sku = Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=["DIN933-M8X40-A2"])]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]
Minor = Annotated[int, msgspec.Meta(ge=0, le=10**13, description="integer minor units (cents) per price basis")]
Basis = Annotated[int, msgspec.Meta(ge=1, le=10000, description="the price is for this many units", examples=[100])]


class TierIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    min_qty: Quantity
    unit_price_minor: Minor
    price_basis: Basis = 1


class VariantIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    sku: Sku
    name: Annotated[str, msgspec.Meta(max_length=200, examples=["M8 x 40"])] = ""
    mpn: Annotated[str, msgspec.Meta(max_length=80)] | None = None
    gtin: Annotated[str, msgspec.Meta(max_length=20, examples=["4006381333931"])] | None = None
    attributes: dict[str, Annotated[str, msgspec.Meta(max_length=200)]] = {}
    lead_time_days: Annotated[int, msgspec.Meta(ge=0, le=365)] | None = None
    prices: Annotated[list[TierIn], msgspec.Meta(max_length=20)] = []


class ProductIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A whole product with its variants; saving it twice changes nothing the second time."""

    sku: Sku
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=300, examples=["Hexagon head screw DIN 933, A2"])]
    description: Annotated[str, msgspec.Meta(max_length=20000)] = ""
    brand: Annotated[str, msgspec.Meta(max_length=120)] | None = None
    category: Annotated[str, msgspec.Meta(max_length=80, description="category slug", examples=["screws"])] | None = (
        None
    )
    attributes: dict[str, Annotated[str, msgspec.Meta(max_length=200)]] = {}
    warranty: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    country_of_origin: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$")] | None = None
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=10)] = "pcs"
    pack_size: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] = 1
    moq: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)] = 1
    increment: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)] = 1
    currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")] = "EUR"
    vat_class: Annotated[str, msgspec.Meta(pattern=r"^(standard|reduced|zero|exempt)$")] = "standard"
    hide_price_from_guests: bool = False
    variants: Annotated[list[VariantIn], msgspec.Meta(min_length=1, max_length=500)]


class StockIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    sku: Sku
    warehouse: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    on_hand: Annotated[int, msgspec.Meta(ge=0, le=10**9)]
    reserved: Annotated[int, msgspec.Meta(ge=0, le=10**9)] = 0


class PricesIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    sku: Sku
    prices: Annotated[list[TierIn], msgspec.Meta(min_length=1, max_length=20)]


class PriceListIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    valid_from: date | None = None
    valid_to: date | None = None
    buyer_ids: Annotated[list[int], msgspec.Meta(max_length=1000)] = []

    def __post_init__(self) -> None:
        if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
            raise ValueError("valid_from must not be after valid_to")


class WarehouseIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    country: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$")]


class AudienceIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The buyer companies that may see a product; an empty list makes it visible to everyone again."""

    buyer_ids: Annotated[list[Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]], msgspec.Meta(max_length=500)] = []


class LinksIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Accessories and replacement parts, as SKUs of the vendor's own products (replaces the lists)."""

    accessories: Annotated[list[Sku], msgspec.Meta(max_length=50)] = []
    replacements: Annotated[list[Sku], msgspec.Meta(max_length=50)] = []
