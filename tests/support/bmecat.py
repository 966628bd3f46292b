"""Helpers for the BMEcat reader tests: fixtures, tiny catalogs built in code, record filters."""

from __future__ import annotations

import io
from pathlib import Path

from vendors.bmecat import (
    Article,
    ArticleError,
    Record,
    read,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bmecat"
NS = 'xmlns="http://www.bmecat.org/bmecat/2005"'


def read_fixture(name: str) -> list[Record]:
    with open(FIXTURES / name, "rb") as stream:
        return list(read(stream))


def read_bytes(data: bytes) -> list[Record]:
    return list(read(io.BytesIO(data)))


def catalog(products: str, *, transaction: str = "T_NEW_CATALOG", prolog: str = "") -> bytes:
    """A minimal BMEcat 2005 document around the given PRODUCT elements."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}<BMECAT version="2005" {NS}>\n'
        "<HEADER><CATALOG><CATALOG_ID>C</CATALOG_ID><CURRENCY>EUR</CURRENCY></CATALOG></HEADER>\n"
        f"<{transaction}>\n{products}</{transaction}>\n</BMECAT>\n"
    ).encode()


def price_product(amount: str, *, sku: str = "SKU-1", extra: str = "") -> str:
    return (
        f"<PRODUCT><SUPPLIER_PID>{sku}</SUPPLIER_PID><PRODUCT_PRICE_DETAILS>"
        f'<PRODUCT_PRICE price_type="net_list"><PRICE_AMOUNT>{amount}</PRICE_AMOUNT>{extra}</PRODUCT_PRICE>'
        "</PRODUCT_PRICE_DETAILS></PRODUCT>\n"
    )


def articles(records: list[Record]) -> list[Article]:
    return [r for r in records if isinstance(r, Article)]


def errors(records: list[Record]) -> list[ArticleError]:
    return [r for r in records if isinstance(r, ArticleError)]


# A realistic new catalog --------------------------------------------------------------------------------
