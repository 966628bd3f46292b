"""Streaming, safe BMEcat reader (2005, and 1.2 ``ARTICLE`` files): pure parsing, no I/O beyond the stream.

``read`` turns a catalog into a stream of records: the ``Header`` first, then catalog groups, articles,
catalog-level group assignments and per-article errors, in document order. Memory stays flat whatever the
file size: each record's subtree is dropped as soon as it is turned into a Struct.

Safety: the parser never resolves entities, never loads a DTD and never touches the network, and a document
that declares entities or carries an internal DTD subset is rejected before its body is parsed (the input is
fed to the parser byte by byte until the root element starts, so no entity reference is ever seen).

Line numbers: libxml2 stores element lines in 16 bits, so past line 65,535 an element's ``sourceline`` is
wrong. The reader therefore counts lines itself while feeding the parser, cutting the input right before
every ``PRODUCT``/``ARTICLE`` start tag, so the line of the chunk that produced a start event is exact
(for UTF-8 and 8-bit encodings; UTF-16/32 input falls back to libxml2's count).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, BinaryIO, Literal

import msgspec
from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type information here

from marketplace.core.errors import RuleViolation

__all__ = [
    "Article",
    "ArticleError",
    "BmecatError",
    "CatalogGroup",
    "Feature",
    "GroupAssignment",
    "Header",
    "Mime",
    "Price",
    "Record",
    "count_articles",
    "read",
]

Transaction = Literal["T_NEW_CATALOG", "T_UPDATE_PRICES", "T_UPDATE_PRODUCTS"]
_TRANSACTIONS: dict[str, Transaction] = {
    "T_NEW_CATALOG": "T_NEW_CATALOG",
    "T_UPDATE_PRICES": "T_UPDATE_PRICES",
    "T_UPDATE_PRODUCTS": "T_UPDATE_PRODUCTS",
}
_ARTICLES = frozenset({"PRODUCT", "ARTICLE"})
_GROUP_MAPS = ("PRODUCT_TO_CATALOGGROUP_MAP", "ARTICLE_TO_CATALOGGROUP_MAP")
_EAN_TYPES = frozenset({"gtin", "ean"})

_Element = Any  # lxml.etree._Element; lxml has no type stubs in this environment


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
_LOOKAHEAD = 128  # enough to see a whole "<prefix:PRODUCT " at a cut
_PROLOG_LIMIT = 64 * 1024
_RECORD_ELEMENT_LIMIT = 50_000  # a real product has well under a thousand
_RECORD_START = re.compile(rb"<(?:[A-Za-z_][\w.\-]{0,63}:)?(?:PRODUCT|ARTICLE)[\s/>]")


class _Feed:
    """The file-like object lxml reads: one byte at a time until the root element starts, then in chunks
    cut right before each PRODUCT/ARTICLE start tag, counting lines on the way."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._buf = b""
        self._pos = 0
        self._eof = False
        self._line = 1
        self._after_cr = False
        self.in_prolog = True
        self.prolog = bytearray()
        self.counts_lines = False
        self.record_line = 0
        """The line of the last PRODUCT/ARTICLE start tag handed to the parser."""

    def read(self, size: int = -1) -> bytes:
        want = 1 if self.in_prolog else (size if size > 0 else _BLOCK)
        while len(self._buf) - self._pos < want + _LOOKAHEAD and not self._eof:
            self._fill()
        start = self._pos
        end = min(start + want, len(self._buf))
        if start >= end:
            return b""
        if self.in_prolog:
            if len(self.prolog) >= _PROLOG_LIMIT:
                raise BmecatError(f"no root element within the first {_PROLOG_LIMIT // 1024} KiB")
            self.prolog += self._buf[start:end]
        else:
            if _RECORD_START.match(self._buf, start):
                self.record_line = self._line
            cut = _RECORD_START.search(self._buf, start + 1, end + _LOOKAHEAD)
            if cut is not None and cut.start() < end:
                end = cut.start()
        chunk = self._buf[start:end]
        self._pos = end
        # Lines end in LF, CRLF or a lone CR, as XML counts them; a CRLF may straddle two chunks.
        self._line += chunk.count(b"\n") + chunk.count(b"\r") - chunk.count(b"\r\n")
        if self._after_cr and chunk.startswith(b"\n"):
            self._line -= 1
        self._after_cr = chunk.endswith(b"\r")
        return chunk

    def end_prolog(self) -> None:
        self.in_prolog = False
        # Our line count looks for ASCII newlines and tags: right for UTF-8 and the 8-bit encodings only.
        self.counts_lines = b"\x00" not in self.prolog

    def _fill(self) -> None:
        data = self._raw.read(_BLOCK)
        if not data:
            self._eof = True
            return
        self._buf = self._buf[self._pos :] + data
        self._pos = 0


_COMMENT_OR_PI = re.compile(r"<!--.*?-->|<\?.*?\?>", re.DOTALL)
_LITERAL = r"""(?:"[^"]*"|'[^']*')"""
_EXTERNAL_DOCTYPE = re.compile(
    rf"<!DOCTYPE\s+[^\s\[>]+(?:\s+(?:SYSTEM\s+{_LITERAL}|PUBLIC\s+{_LITERAL}\s+{_LITERAL}))?\s*>"
)


def _prolog_text(prolog: bytes) -> str:
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if prolog.startswith(bom):
            return prolog.decode(codec, errors="replace")
    if prolog.startswith(b"\x00<"):
        return prolog.decode("utf-16-be", errors="replace")
    if prolog.startswith(b"<\x00"):
        return prolog.decode("utf-16-le", errors="replace")
    # Every other encoding an XML file may declare without a BOM keeps ASCII markup as ASCII bytes.
    return prolog.decode("latin-1")


def _check_prolog(root: _Element, feed: _Feed) -> None:
    """Reject a non-BMEcat root, any entity declaration and any internal DTD subset, before the body."""
    line: int = root.sourceline
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and dtd.entities():
        raise BmecatError("the DOCTYPE declares entities (XML bomb or external entity); refused", line=line)
    if dtd is not None and dtd.elements():
        raise BmecatError("a DOCTYPE with an internal subset is not allowed", line=line)
    text = _COMMENT_OR_PI.sub("", _prolog_text(bytes(feed.prolog)))
    if "<!ENTITY" in text:
        raise BmecatError("entity declarations are not allowed", line=line)
    doctype = text.find("<!DOCTYPE")
    if (dtd is not None or doctype >= 0) and (doctype < 0 or not _EXTERNAL_DOCTYPE.match(text, doctype)):
        raise BmecatError("a DOCTYPE with an internal subset is not allowed", line=line)
    if _local(root) != "BMECAT":
        raise BmecatError(f"the root element is {_local(root)}, not BMECAT", line=line)


class _Events:
    """(event, element) pairs from a safe, streaming iterparse; syntax errors become ``BmecatError``."""

    def __init__(self, stream: BinaryIO) -> None:
        self._feed = _Feed(stream)
        self._parser = etree.iterparse(
            self._feed,
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            dtd_validation=False,
            attribute_defaults=False,
            remove_comments=True,
            remove_pis=True,
        )

    def __iter__(self) -> Iterator[tuple[str, _Element]]:
        parser = iter(self._parser)
        try:
            first = next(parser, None)
            if first is None:
                return
            _check_prolog(first[1], self._feed)
            self._feed.end_prolog()
            yield first
            yield from parser  # a syntax error raised in there still lands in the except below
        except etree.XMLSyntaxError as exc:
            raise BmecatError(f"malformed XML: {' '.join(exc.msg.split())}", line=exc.lineno or None) from exc

    def line_of(self, el: _Element) -> int:
        """The start-tag line of a PRODUCT/ARTICLE element that just started."""
        if self._feed.counts_lines:
            return self._feed.record_line
        line: int = el.sourceline or 0  # exact only below line 65,535
        return line


def _local(el: _Element) -> str:
    tag: str = el.tag
    return tag[tag.find("}") + 1 :]


def _release(el: _Element) -> None:
    """Drop a processed element and its already processed earlier siblings, so the tree stays small."""
    el.clear()
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


# Reading -----------------------------------------------------------------------------------------------


def read(stream: BinaryIO) -> Iterator[Record]:
    """Stream a BMEcat document as records, the Header first; raises BmecatError if it cannot be read."""
    events = _Events(stream)
    path: list[str] = []  # local names of the open elements down to the record being read
    header: _Element | None = None
    transaction: Transaction | None = None
    in_record = False
    inner = 0  # open elements inside the record
    size = 0  # elements inside the record so far: one record is held in memory whole, so it has a limit
    record_line = 0
    for event, el in events:
        if in_record:
            # Keep the record's subtree untouched until its end tag; no per-element work meanwhile.
            if event == "start":
                inner += 1
                size += 1
                if size > _RECORD_ELEMENT_LIMIT:
                    raise BmecatError(f"{path[-1]} has more than {_RECORD_ELEMENT_LIMIT} elements", line=record_line)
            elif inner:
                inner -= 1
            else:
                in_record = False
                name = path.pop()
                if name == "HEADER":
                    header = el  # released once the transaction element names the Header's kind
                    continue
                if name in _ARTICLES:
                    yield from _article(el, record_line)
                elif name == "CATALOG_STRUCTURE":
                    yield _group(el, record_line)
                else:
                    yield from _group_assignment(el, record_line)
                _release(el)
            continue
        if event == "end":
            path.pop()
            _release(el)
            continue
        name = _local(el)
        path.append(name)
        if len(path) == 2 and name in _TRANSACTIONS:
            if transaction is not None:
                raise BmecatError(f"a second transaction {name} after {transaction}", line=el.sourceline)
            if header is None:
                raise BmecatError(f"{name} before HEADER", line=el.sourceline)
            transaction = _TRANSACTIONS[name]
            yield _header(header, transaction)
            _release(header)
        elif _is_record(path):
            in_record = True
            size = 0
            record_line = events.line_of(el) if name in _ARTICLES else el.sourceline
    if transaction is None:
        raise BmecatError("no T_NEW_CATALOG, T_UPDATE_PRICES or T_UPDATE_PRODUCTS element")


def count_articles(stream: BinaryIO) -> int:
    """Count the PRODUCT/ARTICLE elements of a transaction, streaming; raises BmecatError like ``read``."""
    count = 0
    depth = 0
    in_transaction = False
    for event, el in _Events(stream):
        if event == "start":
            depth += 1
            if depth == 2:
                in_transaction = _local(el) in _TRANSACTIONS
            elif depth == 3 and in_transaction and _local(el) in _ARTICLES:
                count += 1
        else:
            depth -= 1
            _release(el)
    return count


def _is_record(path: list[str]) -> bool:
    depth, name = len(path), path[-1]
    if depth < 2:
        return False
    if depth == 2:
        return name == "HEADER"
    if path[1] not in _TRANSACTIONS:
        return False
    if depth == 3:
        return name in _ARTICLES or name in _GROUP_MAPS
    return depth == 4 and name == "CATALOG_STRUCTURE" and path[2] == "CATALOG_GROUP_SYSTEM"


# Element helpers ---------------------------------------------------------------------------------------

_Kids = dict[str, list[_Element]]
_NO_KIDS: _Kids = {}  # shared and never written to


def _kids(el: _Element | None) -> _Kids:
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


def _all(kids: _Kids, *names: str) -> Sequence[_Element]:
    if len(names) == 1:
        return kids.get(names[0], ())
    return [child for name in names for child in kids.get(name, ())]


def _one(kids: _Kids, *names: str) -> _Element | None:
    for name in names:
        if found := kids.get(name):
            return found[0]
    return None


def _text(el: _Element | None) -> str | None:
    """The stripped text of an element (markup inside is flattened), None when absent or blank."""
    if el is None:
        return None
    text: str
    if len(el):
        entity = next(el.iter(etree.Entity), None)
        if entity is not None:
            raise BmecatError(
                f"entity reference {entity.text} in {_local(el)}: entities from external DTDs are not loaded",
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


def _header(el: _Element, transaction: Transaction) -> Header:
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


def _group(el: _Element, line: int) -> CatalogGroup:
    kids = _kids(el)
    group_id = _one_text(kids, "GROUP_ID")
    name = _one_text(kids, "GROUP_NAME")
    if group_id is None or name is None:
        raise BmecatError("CATALOG_STRUCTURE needs GROUP_ID and GROUP_NAME", line=line)
    parent_id = None if el.get("type") == "root" else _one_text(kids, "PARENT_ID")
    return CatalogGroup(group_id=group_id, name=name, parent_id=parent_id)


def _group_assignment(el: _Element, line: int) -> Iterator[GroupAssignment | ArticleError]:
    kids = _kids(el)
    supplier_aid = _one_text(kids, "PROD_ID", "ART_ID")
    group_id = _one_text(kids, "CATALOG_GROUP_ID")
    if supplier_aid is None:
        field = "ART_ID" if _local(el) == "ARTICLE_TO_CATALOGGROUP_MAP" else "PROD_ID"
        yield ArticleError(line=line, supplier_aid=None, field=field, reason="missing")
    elif group_id is None:
        yield ArticleError(line=line, supplier_aid=supplier_aid, field="CATALOG_GROUP_ID", reason="missing")
    else:
        yield GroupAssignment(supplier_aid=supplier_aid, group_id=group_id, mode=el.get("mode"))


def _article(el: _Element, line: int) -> Iterator[Article | ArticleError]:
    kids = _kids(el)
    problems = _Problems()
    supplier_aid = _one_text(kids, "SUPPLIER_PID", "SUPPLIER_AID")
    if supplier_aid is None:
        problems.add("SUPPLIER_AID" if _local(el) == "ARTICLE" else "SUPPLIER_PID", "missing")
    details = _kids(_one(kids, "PRODUCT_DETAILS", "ARTICLE_DETAILS"))
    order = _kids(_one(kids, "PRODUCT_ORDER_DETAILS", "ARTICLE_ORDER_DETAILS"))
    group_maps = _all(kids, *_GROUP_MAPS)
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
                problems.add(f"{_local(price)}@price_type", "missing")
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
