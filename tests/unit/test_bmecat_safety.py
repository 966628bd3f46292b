"""The BMEcat reader refuses hostile XML (entity expansion, external entities, oversized records) and
streams huge files in flat memory."""

from __future__ import annotations

import io
import os
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree  # type: ignore[import-untyped]

from tests.support.bmecat import FIXTURES, NS, articles, catalog, price_product, read_bytes
from vendors.bmecat import (
    Article,
    BmecatError,
    _Events,
    count_articles,
    read,
)


class CountingReader(io.BytesIO):
    """Counts the bytes the reader pulled from the stream."""

    consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.consumed += len(data)
        return data


def test_billion_laughs_is_refused_before_any_entity_is_referenced() -> None:
    laughs = (FIXTURES / "billion_laughs.xml").read_bytes()
    # Ten megabytes of references after the root start tag: the reader must stop long before them.
    stream = CountingReader(laughs.replace(b"<HEADER>", b"<HEADER>" + b"&lol9;" * 1_750_000, 1))

    with pytest.raises(BmecatError, match="declares entities") as raised:
        list(read(stream))

    assert raised.value.line == 14
    assert stream.consumed <= 64 * 1024  # one read block: the body was never fed to the parser
    assert "lollol" not in str(raised.value)
    with open(FIXTURES / "billion_laughs.xml", "rb") as fixture, pytest.raises(BmecatError, match="declares entities"):
        count_articles(fixture)


def test_the_parser_is_handed_nothing_past_the_root_start_tag_before_the_prolog_is_checked() -> None:
    # White-box on purpose: this is what guarantees no entity reference ever reaches libxml2.
    laughs = (FIXTURES / "billion_laughs.xml").read_bytes().replace(b"<HEADER>", b"&lol9;<HEADER>", 1)
    events = _Events(io.BytesIO(laughs))

    with pytest.raises(BmecatError, match="declares entities"):
        list(events)

    handed = bytes(events._feed.prolog)
    assert handed == laughs[: len(handed)]
    assert handed.endswith(b'<BMECAT version="2005" xmlns="http://www.bmecat.org/bmecat/2005">')


def test_xxe_fixture_is_refused_and_never_reads_the_file() -> None:
    with open(FIXTURES / "xxe.xml", "rb") as stream, pytest.raises(BmecatError, match="declares entities") as raised:
        list(read(stream))

    assert "root:" not in repr(raised.value.args)


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE BMECAT [<!ENTITY secret SYSTEM "{url}">]>',
        '<!DOCTYPE BMECAT SYSTEM "bmecat_2005.dtd" [<!ENTITY secret SYSTEM "{url}">]>',
        '<!DOCTYPE BMECAT [<!ENTITY % ext SYSTEM "{url}"> %ext;]>',
    ],
    ids=["general-entity", "entity-beside-external-dtd", "parameter-entity"],
)
def test_external_entities_are_refused_while_a_permissive_parser_would_leak_the_file(
    tmp_path: Path, doctype: str
) -> None:
    secret = "TRADEYARD-SENTINEL-5f3a"
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_text(f'<!ENTITY secret "{secret}">' if "%" in doctype else secret)
    data = catalog(
        price_product("1", extra="<PRICE_CURRENCY>&secret;</PRICE_CURRENCY>"),
        prolog=doctype.format(url=sentinel.as_uri()) + "\n",
    )
    # The control: an ordinary lxml parse of the same bytes does read the file.
    permissive = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=True)
    assert secret in etree.tostring(etree.fromstring(data, permissive)).decode()

    with pytest.raises(BmecatError, match="declares entities") as raised:
        read_bytes(data)

    assert secret not in repr((raised.value.args, raised.value.data))


@pytest.mark.parametrize(
    "prolog",
    [
        "<!DOCTYPE BMECAT []>",
        '<!DOCTYPE BMECAT SYSTEM "bmecat_2005.dtd" [ ]>',
        "<!DOCTYPE BMECAT [<!ELEMENT BMECAT ANY>]>",
        '<!DOCTYPE BMECAT [<!-- "> --><!ATTLIST BMECAT version CDATA "2005">]>',
    ],
)
def test_any_internal_dtd_subset_is_refused(prolog: str) -> None:
    with pytest.raises(BmecatError, match="internal subset"):
        read_bytes(catalog(price_product("1"), prolog=prolog))


def test_internal_subset_is_refused_in_utf16_too() -> None:
    data = catalog(price_product("1"), prolog="<!DOCTYPE BMECAT []>").decode()
    data = data.replace('encoding="UTF-8"', 'encoding="UTF-16"')

    with pytest.raises(BmecatError, match="internal subset"):
        read_bytes(data.encode("utf-16"))
    # Without the subset the same UTF-16 document reads fine.
    assert len(articles(read_bytes(data.replace("<!DOCTYPE BMECAT []>", "").encode("utf-16")))) == 1


def test_an_external_doctype_is_accepted_but_never_loaded(tmp_path: Path) -> None:
    dtd = tmp_path / "bmecat.dtd"
    dtd.write_text('<!ENTITY brand "TRADEYARD-SENTINEL-DTD">')
    data = catalog(
        price_product("1", extra="<PRICE_CURRENCY>&brand;</PRICE_CURRENCY>"),
        prolog=f'<!DOCTYPE BMECAT SYSTEM "{dtd.as_uri()}">\n',
    )
    permissive = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=True)
    assert "TRADEYARD-SENTINEL-DTD" in etree.tostring(etree.fromstring(data, permissive)).decode()

    # Unresolved, the reference cannot silently become an empty value either.
    with pytest.raises(BmecatError, match="entity reference &brand; in PRICE_CURRENCY") as raised:
        read_bytes(data)
    assert "TRADEYARD-SENTINEL-DTD" not in repr(raised.value.args)
    assert len(articles(read_bytes(data.replace(b"&brand;", b"EUR")))) == 1


def test_a_prolog_without_a_root_element_is_cut_off() -> None:
    data = b"<?xml version='1.0'?>\n" + b"<!-- padding -->\n" * 5000 + b"<BMECAT/>"

    with pytest.raises(BmecatError, match="no root element within the first 64 KiB"):
        read_bytes(data)


def test_a_product_too_big_to_hold_in_memory_is_refused() -> None:
    feature = "<FEATURE><FNAME>n</FNAME><FVALUE>v</FVALUE></FEATURE>"
    huge = f"<PRODUCT><SUPPLIER_PID>X</SUPPLIER_PID><PRODUCT_FEATURES>{feature * 17_000}</PRODUCT_FEATURES></PRODUCT>"

    with pytest.raises(BmecatError, match="PRODUCT has more than 50000 elements") as raised:
        read_bytes(catalog(huge))
    assert raised.value.line == 5


# Streaming ----------------------------------------------------------------------------------------------

BIG_PRODUCT = """    <PRODUCT mode="new">
      <SUPPLIER_PID>SKU-{i:06d}</SUPPLIER_PID>
      <PRODUCT_DETAILS><DESCRIPTION_SHORT>Sechskantschraube DIN 933 Nr. {i}</DESCRIPTION_SHORT>
        <DESCRIPTION_LONG>{filler}</DESCRIPTION_LONG></PRODUCT_DETAILS>
      <PRODUCT_PRICE_DETAILS><PRODUCT_PRICE price_type="net_list"><PRICE_AMOUNT>{i}.{cents:02d}</PRICE_AMOUNT>
      </PRODUCT_PRICE></PRODUCT_PRICE_DETAILS>
    </PRODUCT>
"""


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_twenty_thousand_products_stream_in_flat_memory_with_exact_lines(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    expected_lines = []
    filler = "Gewinde bis Kopf, nichtrostender Stahl. " * 12  # text the parser would keep if it kept the tree
    with open(path, "w", encoding="utf-8") as out:
        head = f'<?xml version="1.0" encoding="UTF-8"?>\n<BMECAT version="2005" {NS}>\n'
        head += "<HEADER><CATALOG><CURRENCY>EUR</CURRENCY></CATALOG></HEADER>\n<T_NEW_CATALOG>\n"
        out.write(head)
        line = head.count("\n") + 1
        for i in range(20_000):
            product = BIG_PRODUCT.format(i=i, cents=i % 100, filler=filler)
            out.write(product)
            expected_lines.append(line)
            line += product.count("\n")
        out.write("  </T_NEW_CATALOG>\n</BMECAT>\n")
    assert path.stat().st_size > 12_000_000
    assert line > 65_535 * 2  # past the point where libxml2's own element line numbers stop being exact

    seen_lines = []
    last_amount = None
    baseline = resident_bytes()
    peak_resident = baseline
    tracemalloc.start()
    try:
        with open(path, "rb") as stream:
            for record in read(stream):
                if isinstance(record, Article):
                    seen_lines.append(record.line)
                    last_amount = record.prices[0].amount
                    if len(seen_lines) % 500 == 0:
                        peak_resident = max(peak_resident, resident_bytes())
        _, peak_traced = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(seen_lines) == 20_000
    assert seen_lines == expected_lines
    assert last_amount == Decimal("19999.99")
    assert peak_traced < 30 * 1024 * 1024
    # libxml2's tree lives outside Python's allocator, so tracemalloc cannot see a tree that is never cleared.
    assert peak_resident - baseline < 30 * 1024 * 1024
    with open(path, "rb") as stream:
        assert count_articles(stream) == 20_000
