"""BMEcat records and how they are built from one parsed element: the Structs ``read`` yields, the small
element helpers, and the per-article checks (decimals, features, prices, MIME references). The streaming
and safety side lives in ``vendors/bmecat.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, Literal

import msgspec
from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type information here

from marketplace.core.errors import RuleViolation

Transaction = Literal["T_NEW_CATALOG", "T_UPDATE_PRICES", "T_UPDATE_PRODUCTS"]
TRANSACTIONS: dict[str, Transaction] = {
    "T_NEW_CATALOG": "T_NEW_CATALOG",
    "T_UPDATE_PRICES": "T_UPDATE_PRICES",
    "T_UPDATE_PRODUCTS": "T_UPDATE_PRODUCTS",
}
ARTICLE_TAGS = frozenset({"PRODUCT", "ARTICLE"})
GROUP_MAP_TAGS = ("PRODUCT_TO_CATALOGGROUP_MAP", "ARTICLE_TO_CATALOGGROUP_MAP")
_EAN_TYPES = frozenset({"gtin", "ean"})

Element = Any  # lxml.etree._Element; lxml has no type stubs in this environment


class BmecatError(RuleViolation):
    """The document cannot be read at all: malformed XML, not BMEcat, or unsafe (entities, internal DTD)."""

    def __init__(self, detail: str, *, line: int | None = None) -> None:
        super().__init__("vendors.bmecat_invalid", f"line {line}: {detail}" if line else detail, line=line)
        self.line = line


class Header(msgspec.Struct, frozen=True, kw_only=True):
    transaction: Transaction
    catalog_id: str | None
    catalog_version: str | None
    language: str | None
    """The ``default="true"`` LANGUAGE if marked, else the first."""
    currency: str | None
    """CATALOG/CURRENCY: the currency of every price without its own PRICE_CURRENCY."""
    supplier_name: str | None


class CatalogGroup(msgspec.Struct, frozen=True, kw_only=True):
    group_id: str
    name: str
    parent_id: str | None
    """None for the ``type="root"`` group, whatever its PARENT_ID says (often ``0``)."""


class Feature(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    values: tuple[str, ...]
    unit: str | None


class Price(msgspec.Struct, frozen=True, kw_only=True):
    price_type: str
    amount: Decimal
    currency: str | None
    """PRICE_CURRENCY as written; None means the header currency."""
    tax: Decimal | None
    """A rate: ``0.19`` is 19 %."""
    lower_bound: Decimal


class Mime(msgspec.Struct, frozen=True, kw_only=True):
    mime_type: str | None
    source: str
    purpose: str | None


class Article(msgspec.Struct, frozen=True, kw_only=True):
    line: int
    """Source line of the PRODUCT/ARTICLE start tag."""
    supplier_aid: str
    mode: str | None
    short_description: str | None
    long_description: str | None
    manufacturer_name: str | None
    manufacturer_aid: str | None
    ean: str | None
    country_of_origin: str | None
    features: tuple[Feature, ...]
    feature_system: str | None = None
    """REFERENCE_FEATURE_SYSTEM_NAME, e.g. ECLASS-13.0."""
    feature_group: str | None = None
    """REFERENCE_FEATURE_GROUP_ID: the classification class the features follow (e.g. ECLASS 23110101)."""
    order_unit: str | None
    content_unit: str | None
    units_per_order_unit: Decimal | None
    price_quantity: Decimal
    quantity_min: Decimal | None
    quantity_interval: Decimal | None
    prices: tuple[Price, ...]
    mimes: tuple[Mime, ...]
    group_ids: tuple[str, ...]
    """Groups named inside the product; catalog-level maps arrive as ``GroupAssignment`` records."""


class GroupAssignment(msgspec.Struct, frozen=True, kw_only=True):
    """A catalog-level PRODUCT_TO_CATALOGGROUP_MAP (PROD_ID) or ARTICLE_TO_CATALOGGROUP_MAP (ART_ID)."""

    supplier_aid: str
    group_id: str
    mode: str | None = None
    """``new``/``delete`` in update transactions; a delete must not be applied as an assignment."""


class ArticleError(msgspec.Struct, frozen=True, kw_only=True):
    """A problem in one article (or catalog-level group map); that record is skipped, the stream goes on."""

    line: int
    supplier_aid: str | None
    field: str
    reason: str


Record = Header | CatalogGroup | Article | GroupAssignment | ArticleError

# Feeding the parser -------------------------------------------------------------------------------------

_BLOCK = 64 * 1024


def local_name(el: Element) -> str:
    tag: str = el.tag
    return tag[tag.find("}") + 1 :]


_Kids = dict[str, list[Element]]
_NO_KIDS: _Kids = {}  # shared and never written to


def _kids(el: Element | None) -> _Kids:
    """An element's child elements by local name, in document order: one pass instead of one per lookup."""
    if el is None:
        return _NO_KIDS
    kids: _Kids = {}
    for child in el:
        tag = child.tag
        if isinstance(tag, str):  # not a comment, PI or entity reference
            name = tag[tag.find("}") + 1 :]
            if (same := kids.get(name)) is None:
                kids[name] = [child]
            else:
                same.append(child)
    return kids


def _all(kids: _Kids, *names: str) -> Sequence[Element]:
    if len(names) == 1:
        return kids.get(names[0], ())
    return [child for name in names for child in kids.get(name, ())]


def _one(kids: _Kids, *names: str) -> Element | None:
    for name in names:
        if found := kids.get(name):
            return found[0]
    return None


def _text(el: Element | None) -> str | None:
    """The stripped text of an element (markup inside is flattened), None when absent or blank."""
    if el is None:
        return None
    text: str
    if len(el):
        entity = next(el.iter(etree.Entity), None)
        if entity is not None:
            raise BmecatError(
                f"entity reference {entity.text} in {local_name(el)}: entities from external DTDs are not loaded",
                line=el.sourceline,
            )
        text = "".join(el.itertext())
    else:
        text = el.text or ""
    return text.strip() or None


def _one_text(kids: _Kids, *names: str) -> str | None:
    return _text(_one(kids, *names))


_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DECIMAL_MAX_CHARS = 40


class _Problems:
    """The field errors of one record, collected so every problem is reported, not only the first."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, field: str, reason: str) -> None:
        self.items.append((field, reason))

    def decimal(self, text: str | None, field: str, *, positive: bool = False) -> Decimal | None:
        """A BMEcat decimal (``.`` separator, no exponent), None when absent; non-negative, or > 0."""
        if text is None:
            return None
        if len(text) > _DECIMAL_MAX_CHARS or not _DECIMAL.fullmatch(text):
            shown = text[:_DECIMAL_MAX_CHARS]
            if "," in text:
                self.add(field, f"{shown!r} uses a decimal comma; BMEcat requires '.'")
            else:
                self.add(field, f"{shown!r} is not a decimal number")
            return None
        value = Decimal(text)
        if positive and value <= 0:
            self.add(field, f"{text!r} must be greater than 0")
        elif value < 0:
            self.add(field, f"{text!r} must not be negative")
        return value


# Records -----------------------------------------------------------------------------------------------


def header_record(el: Element, transaction: Transaction) -> Header:
    kids = _kids(el)
    catalog = _kids(_one(kids, "CATALOG"))
    languages = _all(catalog, "LANGUAGE")
    default = [lang for lang in languages if (lang.get("default") or "").strip().lower() == "true"]
    return Header(
        transaction=transaction,
        catalog_id=_one_text(catalog, "CATALOG_ID"),
        catalog_version=_one_text(catalog, "CATALOG_VERSION"),
        language=_text((default or languages or [None])[0]),
        currency=_one_text(catalog, "CURRENCY"),
        supplier_name=_one_text(_kids(_one(kids, "SUPPLIER")), "SUPPLIER_NAME"),
    )


def group_record(el: Element, line: int) -> CatalogGroup:
    kids = _kids(el)
    group_id = _one_text(kids, "GROUP_ID")
    name = _one_text(kids, "GROUP_NAME")
    if group_id is None or name is None:
        raise BmecatError("CATALOG_STRUCTURE needs GROUP_ID and GROUP_NAME", line=line)
    parent_id = None if el.get("type") == "root" else _one_text(kids, "PARENT_ID")
    return CatalogGroup(group_id=group_id, name=name, parent_id=parent_id)


def group_assignment_records(el: Element, line: int) -> Iterator[GroupAssignment | ArticleError]:
    kids = _kids(el)
    supplier_aid = _one_text(kids, "PROD_ID", "ART_ID")
    group_id = _one_text(kids, "CATALOG_GROUP_ID")
    if supplier_aid is None:
        field = "ART_ID" if local_name(el) == "ARTICLE_TO_CATALOGGROUP_MAP" else "PROD_ID"
        yield ArticleError(line=line, supplier_aid=None, field=field, reason="missing")
    elif group_id is None:
        yield ArticleError(line=line, supplier_aid=supplier_aid, field="CATALOG_GROUP_ID", reason="missing")
    else:
        yield GroupAssignment(supplier_aid=supplier_aid, group_id=group_id, mode=el.get("mode"))


def article_record(el: Element, line: int) -> Iterator[Article | ArticleError]:
    kids = _kids(el)
    problems = _Problems()
    supplier_aid = _one_text(kids, "SUPPLIER_PID", "SUPPLIER_AID")
    if supplier_aid is None:
        problems.add("SUPPLIER_AID" if local_name(el) == "ARTICLE" else "SUPPLIER_PID", "missing")
    details = _kids(_one(kids, "PRODUCT_DETAILS", "ARTICLE_DETAILS"))
    order = _kids(_one(kids, "PRODUCT_ORDER_DETAILS", "ARTICLE_ORDER_DETAILS"))
    group_maps = _all(kids, *GROUP_MAP_TAGS)
    article = Article(
        line=line,
        supplier_aid=supplier_aid or "",
        mode=el.get("mode"),
        short_description=_one_text(details, "DESCRIPTION_SHORT"),
        long_description=_one_text(details, "DESCRIPTION_LONG"),
        manufacturer_name=_one_text(details, "MANUFACTURER_NAME"),
        manufacturer_aid=_one_text(details, "MANUFACTURER_PID", "MANUFACTURER_AID"),
        ean=_ean(details),
        country_of_origin=_one_text(_kids(_one(kids, "PRODUCT_LOGISTIC_DETAILS")), "COUNTRY_OF_ORIGIN")
        or _one_text(details, "COUNTRY_OF_ORIGIN"),
        features=_features(kids, problems),
        feature_system=_feature_reference(kids, "REFERENCE_FEATURE_SYSTEM_NAME"),
        feature_group=_feature_reference(kids, "REFERENCE_FEATURE_GROUP_ID"),
        order_unit=_one_text(order, "ORDER_UNIT"),
        content_unit=_one_text(order, "CONTENT_UNIT"),
        units_per_order_unit=problems.decimal(_one_text(order, "NO_CU_PER_OU"), "NO_CU_PER_OU", positive=True),
        price_quantity=_or_one(problems.decimal(_one_text(order, "PRICE_QUANTITY"), "PRICE_QUANTITY", positive=True)),
        quantity_min=problems.decimal(_one_text(order, "QUANTITY_MIN"), "QUANTITY_MIN", positive=True),
        quantity_interval=problems.decimal(_one_text(order, "QUANTITY_INTERVAL"), "QUANTITY_INTERVAL", positive=True),
        prices=_prices(kids, problems),
        mimes=_mimes(kids, problems),
        group_ids=tuple(
            group_id
            for group_map in group_maps
            if (group_id := _one_text(_kids(group_map), "CATALOG_GROUP_ID")) is not None
        )
        if group_maps
        else (),
    )
    if problems.items:
        for field, reason in problems.items:
            yield ArticleError(line=line, supplier_aid=supplier_aid, field=field, reason=reason)
    else:
        yield article


def _or_one(value: Decimal | None) -> Decimal:
    return Decimal(1) if value is None else value


def _ean(details: _Kids) -> str | None:
    for pid in _all(details, "INTERNATIONAL_PID"):
        if (pid.get("type") or "").strip().lower() in _EAN_TYPES and (value := _text(pid)) is not None:
            return value
    return _one_text(details, "EAN")


def _feature_reference(kids: _Kids, name: str) -> str | None:
    for block in _all(kids, "PRODUCT_FEATURES", "ARTICLE_FEATURES"):
        if (value := _one_text(_kids(block), name)) is not None:
            return value
    return None


def _features(kids: _Kids, problems: _Problems) -> tuple[Feature, ...]:
    features = []
    for block in _all(kids, "PRODUCT_FEATURES", "ARTICLE_FEATURES"):
        for feature in _all(_kids(block), "FEATURE"):
            fields = _kids(feature)
            name = _one_text(fields, "FNAME")
            if name is None:
                problems.add("FNAME", "missing")
                continue
            values = tuple(v for value in _all(fields, "FVALUE") if (v := _text(value)) is not None)
            features.append(Feature(name=name, values=values, unit=_one_text(fields, "FUNIT")))
    return tuple(features)


def _prices(kids: _Kids, problems: _Problems) -> tuple[Price, ...]:
    prices = []
    for block in _all(kids, "PRODUCT_PRICE_DETAILS", "ARTICLE_PRICE_DETAILS"):
        for price in _all(_kids(block), "PRODUCT_PRICE", "ARTICLE_PRICE"):
            fields = _kids(price)
            price_type = (price.get("price_type") or "").strip()
            if not price_type:
                problems.add(f"{local_name(price)}@price_type", "missing")
            amount_text = _one_text(fields, "PRICE_AMOUNT")
            if amount_text is None:
                problems.add("PRICE_AMOUNT", "missing")
            amount = problems.decimal(amount_text, "PRICE_AMOUNT")
            tax = problems.decimal(_one_text(fields, "TAX"), "TAX")
            lower_bound = problems.decimal(_one_text(fields, "LOWER_BOUND"), "LOWER_BOUND", positive=True)
            if price_type and amount is not None:
                prices.append(
                    Price(
                        price_type=price_type,
                        amount=amount,
                        currency=_one_text(fields, "PRICE_CURRENCY"),
                        tax=tax,
                        lower_bound=_or_one(lower_bound),
                    )
                )
    return tuple(prices)


def _mimes(kids: _Kids, problems: _Problems) -> tuple[Mime, ...]:
    mimes = []
    for mime in _all(_kids(_one(kids, "MIME_INFO")), "MIME"):
        fields = _kids(mime)
        source = _one_text(fields, "MIME_SOURCE")
        if source is None:
            problems.add("MIME_SOURCE", "missing")
            continue
        mimes.append(
            Mime(mime_type=_one_text(fields, "MIME_TYPE"), source=source, purpose=_one_text(fields, "MIME_PURPOSE"))
        )
    return tuple(mimes)
