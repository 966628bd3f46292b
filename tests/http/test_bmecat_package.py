"""BMEcat packages through the API: a .zip with the XML and its media; catalog groups, the storefront
browsed by them, and groups choosing the platform category."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import msgspec
import pytest

from marketplace.app import Resources, create_app
from marketplace.core.db import Connection
from marketplace.settings import Settings
from tests.support.accounts import bearer, make_company, make_token, post_form, sign_in
from tests.support.bmecat import FIXTURES, JPEG, PDF, PNG, catalog, group_system, mime_product, package
from tests.support.catalog import make_screw_category
from tests.support.db import SharedConnectionDatabase


@pytest.fixture
def storage_dir(tmp_path: Path) -> Path:
    return tmp_path / "storage"


@pytest.fixture
async def api_client(
    settings: Settings, conn: Connection, search, storage_dir: Path
) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    s = msgspec.structs.replace(settings, storage_dir=str(storage_dir))
    app = create_app(s, resources=Resources(db=SharedConnectionDatabase(conn), search=search))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


async def _import(client: httpx.AsyncClient, api: dict[str, str], body: bytes, **params: str) -> httpx.Response:
    return await client.post(
        "/api/v1/catalog/imports/bmecat",
        content=body,
        params=params,
        headers={**api, "content-type": "application/zip"},
    )


def _nordtechnik_package(**extra: bytes) -> bytes:
    """The fixture catalog in a folder, with the photo and datasheet it names beside it."""
    return package(
        {
            "nordtechnik/catalog.xml": (FIXTURES / "new_catalog.xml").read_bytes(),
            "nordtechnik/bilder/din933_m8x40_a2.jpg": JPEG,
            "nordtechnik/datenblaetter/din933_a2.pdf": PDF,
            **extra,
        }
    )


async def _media(conn: Connection, vendor_id: int, sku: str) -> list[tuple[str, str, str]]:
    rows = await conn.fetch(
        "SELECT m.kind, m.content_type, m.filename FROM product_media m JOIN product p ON p.id = m.product_id"
        " WHERE p.vendor_id = $1 AND p.sku = $2 ORDER BY m.kind, m.id",
        vendor_id,
        sku,
    )
    return [tuple(r) for r in rows]


async def test_package_attaches_images_and_documents_once(
    api_client: httpx.AsyncClient, conn: Connection, storage_dir: Path
) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    api = bearer(await make_token(conn, vendor))
    dry = await _import(api_client, api, _nordtechnik_package(), mode="partial", dry_run="true")
    assert dry.status_code == 200, dry.text
    assert (dry.json()["created"], dry.json()["saved"]) == (3, False)
    assert _files(storage_dir) == set()  # a dry run stores no files

    r = await _import(api_client, api, _nordtechnik_package(), mode="partial")
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["created"], report["saved"]) == (3, True)
    assert [e["column"] for e in report["errors"]] == ["PRICE_AMOUNT"]  # the decimal comma, nothing about media
    assert await _media(conn, vendor.id, "NT-933-0840-A2") == [
        ("document", "application/pdf", "din933_a2.pdf"),
        ("image", "image/jpeg", "din933_m8x40_a2.jpg"),
    ]
    stored = _files(storage_dir)
    assert len(stored) == 2
    assert all(p.is_relative_to(storage_dir / "media" / str(vendor.id)) for p in stored)

    again = (await _import(api_client, api, _nordtechnik_package(), mode="partial")).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert len(await _media(conn, vendor.id, "NT-933-0840-A2")) == 2
    assert len(_files(storage_dir)) == 2

    # A new photo under the same name is new content: attached, and the product counts as changed.
    newer = _nordtechnik_package(**{"nordtechnik/bilder/din933_m8x40_a2.jpg": JPEG + b"v2"})
    changed = (await _import(api_client, api, newer, mode="partial")).json()
    assert (changed["updated"], changed["unchanged"]) == (1, 2)
    assert len(await _media(conn, vendor.id, "NT-933-0840-A2")) == 3


async def test_bad_media_are_reported_per_article_and_nothing_escapes_storage(
    api_client: httpx.AsyncClient, conn: Connection, storage_dir: Path, tmp_path: Path
) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    api = bearer(await make_token(conn, vendor))
    xml = catalog(
        mime_product("OK-1", ("img/ok.png", "normal"), ("docs/sheet.pdf", "data_sheet"))
        + mime_product("MISSING", ("img/nowhere.png", "normal"))
        + mime_product("FAKE", ("img/fake.jpg", "normal"), ("docs/fake.pdf", "safety_data_sheet"))
        + mime_product("CLIMB", ("../../evil.png", "normal"), ("img/../../evil.png", "detail"))
        + mime_product("ABSOLUTE", ("/etc/passwd", "others"), ("C:/boot.ini", "others"))
        + mime_product("URL", ("https://cdn.example.test/a.jpg", "normal"))
        + mime_product("BOMB", ("img/bomb.png", "normal"))
    )
    body = package(
        {
            "catalog.xml": xml,
            "img/ok.png": PNG,
            "docs/sheet.pdf": PDF,
            "img/fake.jpg": b"<script>alert(1)</script>",
            "docs/fake.pdf": PNG,  # an image is not a safety data sheet... but images are attached as images
            "../evil.png": PNG,  # an entry that tries to climb out: never extracted, never reachable
            "img/bomb.png": PNG + b"\x00" * (11 * 1024 * 1024),  # compresses to a few KB, unpacks past 10 MB
        }
    )
    r = await _import(api_client, api, body, mode="partial")
    assert r.status_code == 200, r.text
    report = r.json()
    problems = {(e["row"], e["column"], e["reason"]) for e in report["errors"]}
    lines = {_sku_on(line): n for n, line in enumerate(xml.decode().splitlines(), start=1) if _sku_on(line)}
    assert problems == {
        (lines["MISSING"], "MIME_SOURCE", "img/nowhere.png is not in the package"),
        (lines["FAKE"], "MIME_SOURCE", "img/fake.jpg: This file is not a PNG, JPEG or WebP file."),
        (lines["CLIMB"], "MIME_SOURCE", "'../../evil.png' is not a path inside the package"),
        (lines["CLIMB"], "MIME_SOURCE", "'img/../../evil.png' is not a path inside the package"),
        (lines["ABSOLUTE"], "MIME_SOURCE", "'/etc/passwd' is not a path inside the package"),
        (lines["ABSOLUTE"], "MIME_SOURCE", "'C:/boot.ini' is not a path inside the package"),
        (
            lines["URL"],
            "MIME_SOURCE",
            "https://cdn.example.test/a.jpg: external URLs are not fetched; put the file in the package",
        ),
        (lines["BOMB"], "MIME_SOURCE", "img/bomb.png is larger than 10 MB"),
    }
    # Partial mode: every product's data is saved; only the bad files are left out.
    assert (report["created"], report["failed"], report["saved"]) == (7, 0, True)
    assert await _media(conn, vendor.id, "OK-1") == [
        ("document", "application/pdf", "sheet.pdf"),
        ("image", "image/png", "ok.png"),
    ]
    assert await _media(conn, vendor.id, "FAKE") == [("image", "image/png", "fake.pdf")]
    assert all(p.is_relative_to(storage_dir) and p.name != "evil.png" for p in _files(tmp_path))

    # All or nothing: the same problems write nothing at all, and leave no files behind.
    other = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    before = _files(storage_dir)
    refused = (await _import(api_client, bearer(await make_token(conn, other)), body)).json()
    assert (refused["saved"], len(refused["errors"])) == (False, 8)
    assert await conn.fetchval("SELECT count(*) FROM product WHERE vendor_id = $1", other.id) == 0
    assert _files(storage_dir) == before


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def _sku_on(line: str) -> str | None:
    start = line.find("<SUPPLIER_PID>")
    return line[start + 14 : line.find("</SUPPLIER_PID>")] if start >= 0 else None


async def test_unusable_packages_are_refused_whole(api_client: httpx.AsyncClient, conn: Connection) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    api = bearer(await make_token(conn, vendor))
    many = package({f"f{i}.png": b"" for i in range(20_001)} | {"c.xml": catalog("")})
    cases = {
        b"PK\x03\x04 this is not really a zip": "not a readable zip file",
        package({"img/a.png": PNG}): "exactly one BMEcat .xml file; this one has no",
        package({"a.xml": catalog(""), "b.xml": catalog("")}): "this one has 2",
        many: "at most 20000 are allowed",
        package({"c.xml": b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><BMECAT/>"}): "entit",
    }
    for body, message in cases.items():
        r = await _import(api_client, api, body)
        assert r.status_code == 422, (message, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert message in r.json()["detail"], r.json()
    assert await conn.fetchval("SELECT count(*) FROM product WHERE vendor_id = $1", vendor.id) == 0


async def test_a_zip_entry_that_lies_about_its_size_is_refused(
    api_client: httpx.AsyncClient, conn: Connection, tmp_path: Path
) -> None:
    """The central directory says 80 bytes; the data unpacks to more. Never read past the declared size."""
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    api = bearer(await make_token(conn, vendor))
    honest = package({"c.xml": catalog(mime_product("LIAR", ("a.png", "normal"))), "a.png": PNG + b"\x00" * 4096})
    raw = bytearray(honest)
    central = raw.rfind(b"PK\x01\x02")  # the last central directory entry is a.png's
    raw[central + 24 : central + 28] = (80).to_bytes(4, "little")  # uncompressed size
    report = (await _import(api_client, api, bytes(raw), mode="partial")).json()
    assert [e["column"] for e in report["errors"]] == ["MIME_SOURCE"], report
    assert "a.png" in report["errors"][0]["reason"]
    assert await _media(conn, vendor.id, "LIAR") == []


GROUPS = group_system(("1", "Werkzeug", None), ("10", "Schrauben", "1"), ("11", "Muttern", "1"), ("2", "Büro", None))


async def test_groups_are_stored_browsable_and_choose_the_category(
    api_client: httpx.AsyncClient, conn: Connection
) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    api = bearer(await make_token(conn, vendor))
    slug = await make_screw_category(conn)
    screws = await conn.fetchrow("SELECT id, classification_code FROM category WHERE slug = $1", slug)
    # Group "11" carries the category's classification code as its name: matched automatically.
    groups = GROUPS.replace(
        "<GROUP_NAME>Muttern</GROUP_NAME>", f"<GROUP_NAME>{screws['classification_code']}</GROUP_NAME>"
    )
    xml = catalog(
        groups
        + mime_product("S-1", groups=("10",))
        + mime_product("N-1", groups=("11",))
        + mime_product("P-1")
        + "<PRODUCT_TO_CATALOGGROUP_MAP><PROD_ID>P-1</PROD_ID><CATALOG_GROUP_ID>2</CATALOG_GROUP_ID>"
        "</PRODUCT_TO_CATALOGGROUP_MAP>\n"
    )
    report = (await _import(api_client, api, xml, mode="partial")).json()
    # N-1 lands in the screws category, which requires a length it does not have.
    assert [(e["column"], e["reason"]) for e in report["errors"]] == [("attr:length", "is required in this category")]
    assert report["created"] == 2
    tree = await conn.fetch(
        "SELECT code, name, parent_code FROM vendor_catalog_group WHERE vendor_id = $1 ORDER BY code", vendor.id
    )
    assert [tuple(r) for r in tree] == [
        ("1", "Werkzeug", None),
        ("10", "Schrauben", "1"),
        ("11", screws["classification_code"], "1"),
        ("2", "Büro", None),
    ]
    members = await conn.fetch(
        "SELECT p.sku, g.code FROM product_catalog_group pg JOIN product p ON p.id = pg.product_id"
        " JOIN vendor_catalog_group g ON g.id = pg.group_id WHERE p.vendor_id = $1 ORDER BY p.sku",
        vendor.id,
    )
    assert [tuple(r) for r in members] == [("P-1", "2"), ("S-1", "10")]

    # The vendor points "Schrauben" (and so its products) at another category on the groups page.
    await sign_in(api_client, vendor.emails["admin"])
    page = await api_client.get("/vendor/catalog/groups")
    assert page.status_code == 200
    assert "Schrauben" in page.text
    assert f"Automatic: {slug}" in page.text  # group 11's automatic match
    office = await conn.fetchval(
        "INSERT INTO category (name, slug) VALUES ('Office', 'office-' || md5(random()::text)) RETURNING id"
    )
    group_10 = await conn.fetchval(
        "SELECT id FROM vendor_catalog_group WHERE vendor_id = $1 AND code = '10'", vendor.id
    )
    r = await post_form(api_client, "/vendor/catalog/groups", {f"category-{group_10}": str(office)})
    assert r.status_code == 303, r.text
    bad = await post_form(api_client, "/vendor/catalog/groups", {f"category-{group_10}": "999999999"})
    assert bad.status_code == 422
    assert "There is no such category." in bad.text
    again = (await _import(api_client, api, xml, mode="partial")).json()
    assert again["updated"] == 1  # S-1 moved to the chosen category
    assert await conn.fetchval("SELECT category_id FROM product WHERE vendor_id = $1 AND sku = 'S-1'", vendor.id) == (
        office
    )
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'catalog_group.category_chosen' AND target_id = $1",
            str(group_10),
        )
        == 1
    )

    # Buyers browse the storefront by the vendor's groups (live products only).
    await conn.execute("UPDATE product SET status = 'live' WHERE vendor_id = $1 AND sku IN ('S-1', 'P-1')", vendor.id)
    front = await api_client.get(f"/vendors/{vendor.id}")
    assert "Werkzeug" in front.text
    assert "Schrauben" in front.text
    assert "Büro" in front.text
    assert screws["classification_code"] not in front.text  # N-1 is not live: its group is not shown
    tools = await api_client.get(f"/vendors/{vendor.id}", params={"group": group_10})
    assert "Article S-1" in tools.text
    assert "Article P-1" not in tools.text
    group_1 = await conn.fetchval("SELECT id FROM vendor_catalog_group WHERE vendor_id = $1 AND code = '1'", vendor.id)
    parent = await api_client.get(f"/vendors/{vendor.id}", params={"group": group_1})
    assert "Article S-1" in parent.text  # a group shows its subgroups' products too


async def test_another_vendors_groups_are_404(api_client: httpx.AsyncClient, conn: Connection) -> None:
    owner = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    other = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    await _import(
        api_client, bearer(await make_token(conn, owner)), catalog(GROUPS + mime_product("S-1", groups=("10",)))
    )
    secret = await conn.fetchval("SELECT id FROM vendor_catalog_group WHERE vendor_id = $1 AND code = '10'", owner.id)
    await conn.execute("INSERT INTO vendor_catalog_group (vendor_id, code, name) VALUES ($1, 'x', 'Mine')", other.id)
    assert (await api_client.get(f"/vendors/{other.id}", params={"group": secret})).status_code == 404
    await sign_in(api_client, other.emails["admin"])
    r = await post_form(api_client, "/vendor/catalog/groups", {f"category-{secret}": ""})
    assert r.status_code == 404
    assert "Schrauben" not in (await api_client.get("/vendor/catalog/groups")).text
    assert await conn.fetchval("SELECT category_id FROM vendor_catalog_group WHERE id = $1", secret) is None


async def test_unknown_group_in_an_article_is_reported(api_client: httpx.AsyncClient, conn: Connection) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    api = bearer(await make_token(conn, vendor))
    report = (await _import(api_client, api, catalog(GROUPS + mime_product("S-1", groups=("99",))))).json()
    assert [(e["column"], e["reason"]) for e in report["errors"]] == [
        ("CATALOG_GROUP_ID", "group 99 is not in the catalog's CATALOG_STRUCTURE")
    ]
