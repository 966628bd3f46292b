"""CSV import (dry run, all-or-nothing, partial, idempotent re-import) and the export round trip."""

from __future__ import annotations

import httpx

from marketplace.core.db import Connection
from tests.support.accounts import bearer, make_company, make_token
from tests.support.catalog import make_screw_category


def _csv(category: str, *, bad_gtin: bool = False) -> bytes:
    gtin = "4006381333932" if bad_gtin else "4006381333931"
    rows = [
        "product_sku;title;brand;category;unit;pack_size;moq;increment;variant_sku;variant_name;gtin;prices;"
        "attr:length;attr:thread;attr:material",
        f"DIN933;Hex screw DIN 933 A2;Würth;{category};pcs;100;100;100;DIN933-M8X40;M8 x 40;{gtin};"
        "100:1850/100|1000:1600/100;40 mm;M8;A2",
        f"DIN933;Hex screw DIN 933 A2;Würth;{category};pcs;100;100;100;DIN933-M8X50;M8 x 50;;100:2100/100;50 mm;M8;A2",
        f"ISO4762;Socket cap screw ISO 4762;Bossard;{category};pcs;50;50;50;ISO4762-M6X20;M6 x 20;;"
        "50:990/100;2 cm;M6;8.8",
    ]
    return ("\n".join(rows) + "\n").encode()


async def _vendor(conn: Connection) -> tuple[dict[str, str], int]:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    return bearer(await make_token(conn, vendor)), vendor.id


async def test_dry_run_reports_rows_and_columns_without_writing(client: httpx.AsyncClient, conn: Connection) -> None:
    api, vendor_id = await _vendor(conn)
    category = await make_screw_category(conn)
    r = await client.post(
        "/api/v1/catalog/imports/csv",
        params={"dry_run": "true"},
        content=_csv(category, bad_gtin=True),
        headers={**api, "content-type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["saved"] is False
    assert report["errors"] == [{"row": 2, "column": "gtin", "reason": "The check digit should be 1."}]
    assert report["failed"] == 1
    assert report["created"] == 1  # the other product would have been created
    assert await conn.fetchval("SELECT count(*) FROM product WHERE vendor_id = $1", vendor_id) == 0

    r = await client.post("/api/v1/catalog/imports/csv", content=_csv(category, bad_gtin=True), headers=api)
    assert r.json()["saved"] is False  # all or nothing
    assert await conn.fetchval("SELECT count(*) FROM product WHERE vendor_id = $1", vendor_id) == 0
    r = await client.post(
        "/api/v1/catalog/imports/csv", params={"mode": "partial"}, content=_csv(category, bad_gtin=True), headers=api
    )
    assert r.json()["saved"] is True
    assert await conn.fetchval("SELECT array_agg(sku ORDER BY sku) FROM product WHERE vendor_id = $1", vendor_id) == [
        "ISO4762"
    ]


async def test_import_reimport_and_export_round_trip(client: httpx.AsyncClient, conn: Connection) -> None:
    api, vendor_id = await _vendor(conn)
    category = await make_screw_category(conn)
    first = (await client.post("/api/v1/catalog/imports/csv", content=_csv(category), headers=api)).json()
    assert (first["created"], first["updated"], first["unchanged"], first["errors"]) == (2, 0, 0, [])
    assert first["variants"] == 3
    again = (await client.post("/api/v1/catalog/imports/csv", content=_csv(category), headers=api)).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)

    exported = await client.get("/api/v1/catalog/export.csv", headers=api)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    text = exported.text
    assert "DIN933-M8X40;M8 x 40;;04006381333931;;100:1850/100|1000:1600/100;" in text
    versions = await conn.fetch("SELECT sku, version FROM product WHERE vendor_id = $1 ORDER BY sku", vendor_id)
    roundtrip = (await client.post("/api/v1/catalog/imports/csv", content=text.encode(), headers=api)).json()
    assert (roundtrip["created"], roundtrip["updated"], roundtrip["unchanged"], roundtrip["errors"]) == (0, 0, 2, [])
    assert await conn.fetch("SELECT sku, version FROM product WHERE vendor_id = $1 ORDER BY sku", vendor_id) == versions
    assert (await client.get("/api/v1/catalog/export.csv", headers=api)).text == text


async def test_malformed_files_get_clear_errors(client: httpx.AsyncClient, conn: Connection) -> None:
    api, _ = await _vendor(conn)
    r = await client.post("/api/v1/catalog/imports/csv", content=b"sku,title\nA,B\n", headers=api)
    assert {(e["column"], e["reason"]) for e in r.json()["errors"]} >= {("product_sku", "This column is required.")}
    r = await client.post("/api/v1/catalog/imports/csv", content=b"\xff\xfe\x00bad", headers=api)
    assert "not UTF-8" in r.json()["errors"][0]["reason"]
    body = b"product_sku,title,variant_sku,prices\nP1,Thing,P1-A,100:abc/1\n"
    r = await client.post("/api/v1/catalog/imports/csv", content=body, headers=api)
    assert r.json()["errors"][0]["row"] == 2
    assert r.json()["errors"][0]["column"] == "prices"
