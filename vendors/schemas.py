"""JSON API shapes of the catalog."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from vendors.models import Tier, Variant
from vendors.offers import availability
from vendors.service import ProductDetail


class VariantOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    sku: str
    name: str
    mpn: str | None
    gtin: str | None
    attributes: dict[str, Any]
    lead_time_days: int | None
    prices: list[Tier]
    availability: str


class ProductOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    sku: str
    title: str
    description: str
    brand: str | None
    category_id: int | None
    attributes: dict[str, Any]
    unit: str
    pack_size: int
    moq: int
    increment: int
    currency: str
    vat_class: str
    status: str
    status_reason: str | None
    version: int
    updated_at: datetime
    variants: list[VariantOut]

    @classmethod
    def from_detail(cls, d: ProductDetail) -> ProductOut:
        p = d.product

        def variant(v: Variant) -> VariantOut:
            stock = [s for s in d.stock if s.variant_id == v.id]
            return VariantOut(
                id=v.id,
                sku=v.sku,
                name=v.name,
                mpn=v.mpn,
                gtin=v.gtin,
                attributes=v.attributes,
                lead_time_days=v.lead_time_days,
                prices=d.tiers.get(v.id, []),
                availability=availability(stock, v.lead_time_days),
            )

        return cls(
            id=p.id,
            sku=p.sku,
            title=p.title,
            description=p.description,
            brand=p.brand,
            category_id=p.category_id,
            attributes=p.attributes,
            unit=p.unit,
            pack_size=p.pack_size,
            moq=p.moq,
            increment=p.increment,
            currency=p.currency,
            vat_class=p.vat_class,
            status=str(p.status),
            status_reason=p.status_reason,
            version=p.version,
            updated_at=p.updated_at,
            variants=[variant(v) for v in d.variants],
        )


class SavedOut(msgspec.Struct, frozen=True, kw_only=True):
    product: ProductOut
    changed: bool


class CountOut(msgspec.Struct, frozen=True, kw_only=True):
    changed: int
