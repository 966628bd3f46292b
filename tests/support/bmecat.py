"""Helpers for the BMEcat reader tests: fixtures, tiny catalogs built in code, record filters."""

from __future__ import annotations

import io
import zipfile
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


# Packages: a zip with one BMEcat XML and the media files it names ---------------------------------------

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


def package(files: dict[str, bytes]) -> bytes:
    """A zip of ``files`` (name → content), written as a supplier's PIM would (deflated)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 15, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def mime_product(sku: str, *mimes: tuple[str, str], groups: tuple[str, ...] = ()) -> str:
    """A priced PRODUCT with MIME references (source, purpose) and in-article group assignments."""
    mime_info = "".join(
        f"<MIME><MIME_SOURCE>{source}</MIME_SOURCE><MIME_PURPOSE>{purpose}</MIME_PURPOSE></MIME>"
        for source, purpose in mimes
    )
    group_maps = "".join(
        f"<PRODUCT_TO_CATALOGGROUP_MAP><CATALOG_GROUP_ID>{g}</CATALOG_GROUP_ID></PRODUCT_TO_CATALOGGROUP_MAP>"
        for g in groups
    )
    return (
        f"<PRODUCT><SUPPLIER_PID>{sku}</SUPPLIER_PID><PRODUCT_DETAILS><DESCRIPTION_SHORT>Article {sku}"
        '</DESCRIPTION_SHORT></PRODUCT_DETAILS><PRODUCT_PRICE_DETAILS><PRODUCT_PRICE price_type="net_list">'
        "<PRICE_AMOUNT>1.50</PRICE_AMOUNT></PRODUCT_PRICE></PRODUCT_PRICE_DETAILS>"
        f"{f'<MIME_INFO>{mime_info}</MIME_INFO>' if mime_info else ''}{group_maps}</PRODUCT>\n"
    )


def group_system(*groups: tuple[str, str, str | None]) -> str:
    """A CATALOG_GROUP_SYSTEM of (id, name, parent id or None for the root)."""
    return (
        "<CATALOG_GROUP_SYSTEM><GROUP_SYSTEM_ID>G</GROUP_SYSTEM_ID>"
        + "".join(
            f'<CATALOG_STRUCTURE type="{"root" if parent is None else "node"}"><GROUP_ID>{gid}</GROUP_ID>'
            f"<GROUP_NAME>{name}</GROUP_NAME><PARENT_ID>{parent or 0}</PARENT_ID></CATALOG_STRUCTURE>"
            for gid, name, parent in groups
        )
        + "</CATALOG_GROUP_SYSTEM>\n"
    )
