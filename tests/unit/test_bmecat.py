"""The BMEcat reader: exact values from realistic files, defaults, line numbers, per-article errors."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.bmecat import FIXTURES, articles, catalog, errors, price_product, read_bytes, read_fixture
from vendors.bmecat import (
    Article,
    ArticleError,
    BmecatError,
    CatalogGroup,
    Feature,
    GroupAssignment,
    Header,
    Mime,
    Price,
    count_articles,
    read,
)


def test_new_catalog_yields_header_groups_articles_errors_and_assignments_in_document_order() -> None:
    records = read_fixture("new_catalog.xml")

    assert [type(r).__name__ for r in records] == [
        "Header",
        "CatalogGroup",
        "CatalogGroup",
        "CatalogGroup",
        "Article",
        "Article",
        "Article",
        "ArticleError",
        "GroupAssignment",
        "GroupAssignment",
    ]
    assert records[0] == Header(
        transaction="T_NEW_CATALOG",
        catalog_id="NT-2025",
        catalog_version="7.1",
        language="deu",  # the LANGUAGE marked default="true", not the first one
        currency="EUR",
        supplier_name="Nordtechnik Industriebedarf GmbH",
    )
    assert records[1:4] == [
        CatalogGroup(group_id="1", name="Industriebedarf", parent_id=None),  # root: PARENT_ID 0 is dropped
        CatalogGroup(group_id="10", name="Befestigungstechnik", parent_id="1"),
        CatalogGroup(group_id="20", name="Antriebs- & Elektrotechnik", parent_id="1"),
    ]
    assert records[-2:] == [
        GroupAssignment(supplier_aid="NT-933-0840-A2", group_id="10"),
        GroupAssignment(supplier_aid="NT-6204-2RS", group_id="20"),
    ]


def test_hex_bolt_is_read_exactly() -> None:
    bolt = articles(read_fixture("new_catalog.xml"))[0]

    assert bolt == Article(
        line=46,
        supplier_aid="NT-933-0840-A2",
        mode="new",
        short_description="DIN 933 M8x40 A2",
        long_description=(
            "Sechskantschraube mit Gewinde bis Kopf, DIN 933 / ISO 4017,\nnichtrostender Stahl A2-70 <blank>."
        ),
        manufacturer_name="Schraubenwerk Muster",
        manufacturer_aid="933-8-40-A2",
        ean="4012345678901",
        country_of_origin="DE",
        features=(
            Feature(name="Gewinde", values=("M8",), unit=None),
            Feature(name="Länge", values=("40",), unit="mm"),
            Feature(name="Werkstoff", values=("A2",), unit=None),
        ),
        feature_system="ECLASS-13.0",
        feature_group="23110101",
        order_unit="C62",
        content_unit="C62",
        units_per_order_unit=Decimal(1),
        price_quantity=Decimal(100),
        quantity_min=Decimal(100),
        quantity_interval=Decimal(100),
        prices=(
            Price(
                price_type="net_list",
                amount=Decimal("12.50"),
                currency="EUR",
                tax=Decimal("0.19"),
                lower_bound=Decimal(1),
            ),
            Price(
                price_type="net_list",
                amount=Decimal("11.20"),
                currency="EUR",
                tax=Decimal("0.19"),
                lower_bound=Decimal(1000),
            ),
            Price(
                price_type="net_list",
                amount=Decimal("9.80"),
                currency="EUR",
                tax=Decimal("0.19"),
                lower_bound=Decimal(5000),
            ),
        ),
        mimes=(
            Mime(mime_type="image/jpeg", source="bilder/din933_m8x40_a2.jpg", purpose="normal"),
            Mime(mime_type="application/pdf", source="datenblaetter/din933_a2.pdf", purpose="data_sheet"),
        ),
        group_ids=(),
    )
    assert all(type(p.amount) is Decimal and type(p.lower_bound) is Decimal for p in bolt.prices)
    assert str(bolt.prices[2].amount) == "9.80"  # whitespace around the number is tolerated, scale kept


def test_bearing_prices_come_from_every_price_details_block_and_defaults_apply() -> None:
    bearing = articles(read_fixture("new_catalog.xml"))[1]

    assert (bearing.line, bearing.supplier_aid, bearing.short_description) == (125, "NT-6204-2RS", "6204-2RS")
    assert bearing.ean == "4012345678918"  # INTERNATIONAL_PID type="ean"
    assert bearing.prices == (
        Price(
            price_type="net_list", amount=Decimal("4.85"), currency=None, tax=Decimal("0.19"), lower_bound=Decimal(1)
        ),
        Price(price_type="nrp", amount=Decimal("7.90"), currency="EUR", tax=Decimal("0.19"), lower_bound=Decimal(1)),
    )
    assert bearing.price_quantity == 1
    assert (bearing.content_unit, bearing.units_per_order_unit, bearing.quantity_min) == (None, None, None)
    assert (bearing.mimes, bearing.group_ids, bearing.country_of_origin) == ((), (), None)


def test_cable_features_keep_units_and_repeated_values_and_its_own_group_map() -> None:
    cable = articles(read_fixture("new_catalog.xml"))[2]

    assert cable.line == 163
    assert cable.short_description == "Mantelleitung NYM-J 3x1,5 mm² grau, 100 m Ring"
    assert cable.features == (
        Feature(name="Aderzahl", values=("3",), unit=None),
        Feature(name="Leiterquerschnitt", values=("1.5",), unit="MMK"),
        Feature(name="Ringlänge", values=("100",), unit="MTR"),
        Feature(name="Prüfzeichen", values=("VDE", "HAR"), unit=None),
    )
    assert (cable.order_unit, cable.content_unit, cable.units_per_order_unit) == ("RO", "MTR", Decimal(100))
    assert cable.group_ids == ("20",)


def test_a_decimal_comma_is_an_article_error_and_the_article_is_skipped() -> None:
    records = read_fixture("new_catalog.xml")

    assert errors(records) == [
        ArticleError(
            line=208,
            supplier_aid="NT-125-M8-A2",
            field="PRICE_AMOUNT",
            reason="'3,20' uses a decimal comma; BMEcat requires '.'",
        )
    ]
    assert "NT-125-M8-A2" not in {a.supplier_aid for a in articles(records)}


def test_count_articles_counts_every_product_including_broken_ones() -> None:
    with open(FIXTURES / "new_catalog.xml", "rb") as stream:
        assert count_articles(stream) == 4
    with open(FIXTURES / "update_prices.xml", "rb") as stream:
        assert count_articles(stream) == 2
    with open(FIXTURES / "legacy_article.xml", "rb") as stream:
        assert count_articles(stream) == 1


# Updates and BMEcat 1.2 ---------------------------------------------------------------------------------


def test_price_update_without_namespace_carries_only_prices() -> None:
    records = read_fixture("update_prices.xml")

    header = records[0]
    assert isinstance(header, Header)
    assert (header.transaction, header.catalog_version, header.currency) == ("T_UPDATE_PRICES", "7.2", "EUR")
    bolt, bearing = articles(records)
    assert len(records) == 3
    assert (bolt.line, bolt.supplier_aid, bolt.mode) == (16, "NT-933-0840-A2", "update")
    assert bolt.prices == (
        Price(price_type="net_list", amount=Decimal("12.95"), currency=None, tax=None, lower_bound=Decimal(1)),
        Price(price_type="net_list", amount=Decimal("11.60"), currency=None, tax=None, lower_bound=Decimal(1000)),
    )
    assert (bolt.short_description, bolt.features, bolt.order_unit) == (None, (), None)
    assert (bearing.line, bearing.supplier_aid) == (29, "NT-6204-2RS")
    assert bearing.prices == (
        Price(price_type="net_list", amount=Decimal("4.99"), currency="CHF", tax=None, lower_bound=Decimal(1)),
    )


def test_bmecat_12_article_in_latin1_with_an_external_doctype_is_read() -> None:
    records = read_fixture("legacy_article.xml")

    assert records[0] == Header(
        transaction="T_NEW_CATALOG",
        catalog_id="ALT-7",
        catalog_version="1.0",
        language="deu",
        currency="EUR",
        supplier_name="Müller Werkzeuge KG",
    )
    assert records[1] == CatalogGroup(group_id="W", name="Werkzeuge", parent_id=None)
    (article,) = articles(records)
    assert article == Article(
        line=23,
        supplier_aid="MW-4711",
        mode="new",
        short_description="Gabelschlüssel 13x17 mm",
        long_description=None,
        manufacturer_name="Müller",
        manufacturer_aid="GS-1317",
        ean="4006381333931",
        country_of_origin=None,
        features=(Feature(name="Schlüsselweite", values=("13", "17"), unit="mm"),),
        order_unit="C62",
        content_unit="C62",
        units_per_order_unit=Decimal(1),
        price_quantity=Decimal(1),
        quantity_min=None,
        quantity_interval=None,
        prices=(
            Price(
                price_type="net_customer",
                amount=Decimal("6.40"),
                currency="EUR",
                tax=Decimal("0.19"),
                lower_bound=Decimal(1),
            ),
        ),
        mimes=(Mime(mime_type=None, source="gs1317.jpg", purpose=None),),
        group_ids=(),
    )
    assert records[-1] == GroupAssignment(supplier_aid="MW-4711", group_id="W")


def test_group_map_mode_is_kept_so_a_delete_is_not_applied_as_an_assignment() -> None:
    data = catalog(
        '<PRODUCT_TO_CATALOGGROUP_MAP mode="delete"><PROD_ID>A</PROD_ID>'
        "<CATALOG_GROUP_ID>7</CATALOG_GROUP_ID></PRODUCT_TO_CATALOGGROUP_MAP>\n",
        transaction="T_UPDATE_PRODUCTS",
    )

    assert read_bytes(data)[1:] == [GroupAssignment(supplier_aid="A", group_id="7", mode="delete")]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_article_lines_count_every_newline_convention(newline: str) -> None:
    data = catalog(price_product("1", sku="A") + "\n\n" + price_product("2", sku="B"))

    records = read_bytes(data.decode().replace("\n", newline).encode())

    assert [(a.supplier_aid, a.line) for a in articles(records)] == [("A", 5), ("B", 8)]


def test_prefixed_namespace_elements_are_matched_by_local_name() -> None:
    data = (
        b'<bme:BMECAT xmlns:bme="http://www.bmecat.org/bmecat/2005">\n<bme:HEADER><bme:CATALOG>'
        b"<bme:CURRENCY>EUR</bme:CURRENCY></bme:CATALOG></bme:HEADER>\n<bme:T_NEW_CATALOG>\n"
        b"<bme:PRODUCT>\n<bme:SUPPLIER_PID>P-1</bme:SUPPLIER_PID>\n<bme:PRODUCT_PRICE_DETAILS>"
        b'<bme:PRODUCT_PRICE price_type="net_list"><bme:PRICE_AMOUNT>1.5</bme:PRICE_AMOUNT></bme:PRODUCT_PRICE>'
        b"</bme:PRODUCT_PRICE_DETAILS></bme:PRODUCT>\n</bme:T_NEW_CATALOG></bme:BMECAT>"
    )

    header, article = read_bytes(data)

    assert isinstance(header, Header)
    assert header.currency == "EUR"
    assert isinstance(article, Article)
    assert (article.line, article.supplier_aid, article.prices[0].amount) == (4, "P-1", Decimal("1.5"))


# Per-article errors -------------------------------------------------------------------------------------


@given(st.decimals(min_value=0, max_value=Decimal("1e9"), allow_nan=False, places=4))
def test_any_plain_decimal_amount_round_trips_exactly(amount: Decimal) -> None:
    (article,) = articles(read_bytes(catalog(price_product(f" {amount:f}\n"))))

    assert article.prices[0].amount == amount
    assert str(article.prices[0].amount) == f"{amount:f}"


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("12,50", "'12,50' uses a decimal comma; BMEcat requires '.'"),
        ("1.234,50", "'1.234,50' uses a decimal comma; BMEcat requires '.'"),
        ("1e3", "'1e3' is not a decimal number"),
        ("NaN", "'NaN' is not a decimal number"),
        ("12.50 EUR", "'12.50 EUR' is not a decimal number"),
        ("-1.00", "'-1.00' must not be negative"),
        ("", "missing"),
        ("9" * 41, f"{'9' * 40!r} is not a decimal number"),
    ],
)
def test_bad_amounts_are_article_errors(amount: str, reason: str) -> None:
    records = read_bytes(catalog(price_product(amount)))

    assert errors(records) == [ArticleError(line=5, supplier_aid="SKU-1", field="PRICE_AMOUNT", reason=reason)]
    assert articles(records) == []


def test_every_problem_of_an_article_is_reported_and_the_next_article_still_comes() -> None:
    broken = (
        "<PRODUCT><PRODUCT_ORDER_DETAILS><PRICE_QUANTITY>0</PRICE_QUANTITY></PRODUCT_ORDER_DETAILS>"
        "<PRODUCT_FEATURES><FEATURE><FVALUE>x</FVALUE></FEATURE></PRODUCT_FEATURES>"
        "<PRODUCT_PRICE_DETAILS><PRODUCT_PRICE><PRICE_AMOUNT>1</PRICE_AMOUNT><LOWER_BOUND>0.5x</LOWER_BOUND>"
        "</PRODUCT_PRICE></PRODUCT_PRICE_DETAILS><MIME_INFO><MIME><MIME_TYPE>image/png</MIME_TYPE></MIME></MIME_INFO>"
        "</PRODUCT>\n"
    )
    records = read_bytes(catalog(broken + price_product("2.00", sku="OK-2")))

    assert [(e.line, e.supplier_aid, e.field, e.reason) for e in errors(records)] == [
        (5, None, "SUPPLIER_PID", "missing"),
        (5, None, "FNAME", "missing"),
        (5, None, "PRICE_QUANTITY", "'0' must be greater than 0"),
        (5, None, "PRODUCT_PRICE@price_type", "missing"),
        (5, None, "LOWER_BOUND", "'0.5x' is not a decimal number"),
        (5, None, "MIME_SOURCE", "missing"),
    ]
    assert [(a.line, a.supplier_aid) for a in articles(records)] == [(6, "OK-2")]


# Whole-document errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message", "line"),
    [
        (catalog(price_product("1")).replace(b"</PRODUCT_PRICE_DETAILS>", b"</PRODUCT_DETAILS>"), "malformed XML", 5),
        (catalog(price_product("1"))[:-30], "malformed XML", 5),
        (b"", "malformed XML", None),
        (b"<CATALOG><HEADER/></CATALOG>", "the root element is CATALOG, not BMECAT", 1),
        (b"<BMECAT>\n<HEADER/>\n</BMECAT>", "no T_NEW_CATALOG", None),
        (b"<BMECAT>\n<T_NEW_CATALOG/>\n</BMECAT>", "T_NEW_CATALOG before HEADER", 2),
        (b"<BMECAT><HEADER/><T_NEW_CATALOG/>\n<T_UPDATE_PRICES/></BMECAT>", "a second transaction", 2),
        (
            catalog(
                "<CATALOG_GROUP_SYSTEM>\n<CATALOG_STRUCTURE><GROUP_ID>1</GROUP_ID></CATALOG_STRUCTURE>\n"
                "</CATALOG_GROUP_SYSTEM>\n"
            ),
            "CATALOG_STRUCTURE needs GROUP_ID and GROUP_NAME",
            6,
        ),
    ],
)
def test_unreadable_documents_raise_bmecat_error_with_the_line(data: bytes, message: str, line: int | None) -> None:
    with pytest.raises(BmecatError, match=message) as raised:
        read_bytes(data)

    assert raised.value.line == line
    assert raised.value.code == "vendors.bmecat_invalid"
    if line is not None:
        assert str(raised.value).startswith(f"line {line}: ")


def test_header_is_yielded_before_anything_of_a_broken_body_is_read() -> None:
    stream = read(io.BytesIO(catalog(price_product("1") + "<PRODUCT>")))

    assert isinstance(next(stream), Header)
    with pytest.raises(BmecatError, match="malformed XML"):
        list(stream)


# Unsafe XML ---------------------------------------------------------------------------------------------
