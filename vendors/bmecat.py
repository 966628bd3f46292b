"""Streaming, safe BMEcat reader (2005, and 1.2 ``ARTICLE`` files): pure parsing, no I/O beyond the stream.

``read`` turns a catalog into a stream of records: the ``Header`` first, then catalog groups, articles,
catalog-level group assignments and per-article errors, in document order. Memory stays flat whatever the
file size: each record's subtree is dropped as soon as it is turned into a Struct.

Records (the Structs) and how each is built from its element live in ``vendors/bmecat_records.py``; this
module is the streaming and safety side.

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
from collections.abc import Iterator
from typing import BinaryIO

import msgspec
from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type information here

from vendors.bmecat_records import (
    ARTICLE_TAGS,
    GROUP_MAP_TAGS,
    TRANSACTIONS,
    Article,
    ArticleError,
    BmecatError,
    CatalogGroup,
    Element,
    Feature,
    GroupAssignment,
    Header,
    Mime,
    Price,
    Record,
    Transaction,
    article_record,
    group_assignment_records,
    group_record,
    header_record,
    local_name,
)

__all__ = [
    "Article",
    "ArticleError",
    "BmecatError",
    "CatalogGroup",
    "Feature",
    "GroupAssignment",
    "Header",
    "Mime",
    "Outline",
    "Price",
    "Record",
    "count_articles",
    "outline",
    "read",
]

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


def _check_prolog(root: Element, feed: _Feed) -> None:
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
    if local_name(root) != "BMECAT":
        raise BmecatError(f"the root element is {local_name(root)}, not BMECAT", line=line)


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

    def __iter__(self) -> Iterator[tuple[str, Element]]:
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

    def line_of(self, el: Element) -> int:
        """The start-tag line of a PRODUCT/ARTICLE element that just started."""
        if self._feed.counts_lines:
            return self._feed.record_line
        line: int = el.sourceline or 0  # exact only below line 65,535
        return line


def _release(el: Element) -> None:
    """Drop a processed element and its already processed earlier siblings, so the tree stays small."""
    el.clear()
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


# Reading -----------------------------------------------------------------------------------------------


def read(stream: BinaryIO) -> Iterator[Record]:
    """Stream a BMEcat document as records, the Header first; raises BmecatError if it cannot be read."""
    for record in _records(stream, skip_articles=False):
        if not isinstance(record, int):
            yield record


class Outline(msgspec.Struct, frozen=True, kw_only=True):
    """What a first, cheap pass over a document learns: how many articles, the group tree and the
    catalog-level group assignments (which come after the articles, so an import needs them first)."""

    articles: int
    groups: list[CatalogGroup]
    assignments: list[GroupAssignment]


def outline(stream: BinaryIO) -> Outline:
    """Read the group structure and count the articles without building them; raises BmecatError like ``read``."""
    articles = 0
    groups: list[CatalogGroup] = []
    assignments: list[GroupAssignment] = []
    for record in _records(stream, skip_articles=True):
        if isinstance(record, int):
            articles += 1
        elif isinstance(record, CatalogGroup):
            groups.append(record)
        elif isinstance(record, GroupAssignment):
            assignments.append(record)
    return Outline(articles=articles, groups=groups, assignments=assignments)


def _records(stream: BinaryIO, *, skip_articles: bool) -> Iterator[Record | int]:
    """The records of ``read``; with ``skip_articles`` each article is only its line number (an int)."""
    events = _Events(stream)
    path: list[str] = []  # local names of the open elements down to the record being read
    header: Element | None = None
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
                if name in ARTICLE_TAGS:
                    if skip_articles:
                        yield record_line
                    else:
                        yield from article_record(el, record_line)
                elif name == "CATALOG_STRUCTURE":
                    yield group_record(el, record_line)
                else:
                    yield from group_assignment_records(el, record_line)
                _release(el)
            continue
        if event == "end":
            path.pop()
            _release(el)
            continue
        name = local_name(el)
        path.append(name)
        if len(path) == 2 and name in TRANSACTIONS:
            if transaction is not None:
                raise BmecatError(f"a second transaction {name} after {transaction}", line=el.sourceline)
            if header is None:
                raise BmecatError(f"{name} before HEADER", line=el.sourceline)
            transaction = TRANSACTIONS[name]
            yield header_record(header, transaction)
            _release(header)
        elif _is_record(path):
            in_record = True
            size = 0
            record_line = events.line_of(el) if name in ARTICLE_TAGS else el.sourceline
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
                in_transaction = local_name(el) in TRANSACTIONS
            elif depth == 3 and in_transaction and local_name(el) in ARTICLE_TAGS:
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
    if path[1] not in TRANSACTIONS:
        return False
    if depth == 3:
        return name in ARTICLE_TAGS or name in GROUP_MAP_TAGS
    return depth == 4 and name == "CATALOG_STRUCTURE" and path[2] == "CATALOG_GROUP_SYSTEM"


# Element helpers ---------------------------------------------------------------------------------------
