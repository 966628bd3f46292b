"""Product images and documents: type checked by content, size limits, served only for live products."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import msgspec
import pytest

from marketplace.app import Resources, create_app
from marketplace.core.db import Connection
from marketplace.settings import Settings
from tests.support.accounts import bearer, make_company, make_token
from tests.support.catalog import make_screw_category, screw_product
from tests.support.db import SharedConnectionDatabase

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


@pytest.fixture
async def media_client(
    settings: Settings, conn: Connection, search, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    s = msgspec.structs.replace(settings, storage_dir=str(tmp_path))
    app = create_app(s, resources=Resources(db=SharedConnectionDatabase(conn), search=search))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


async def test_upload_check_and_serve(media_client: httpx.AsyncClient, conn: Connection) -> None:
    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    api = bearer(await make_token(conn, vendor))
    category = await make_screw_category(conn)
    pid = (await media_client.put("/api/v1/catalog/products", json=screw_product(category), headers=api)).json()[
        "product"
    ]["id"]

    async def upload(data: bytes, kind: str, name: str) -> httpx.Response:
        return await media_client.post(
            f"/api/v1/catalog/products/{pid}/media",
            files={"file": (name, data)},
            data={"kind": kind, "title": name},
            headers=api,
        )

    image = await upload(PNG, "image", "front.png")
    assert image.status_code == 201, image.text
    assert image.json()["content_type"] == "image/png"
    sheet = await upload(PDF, "document", "datasheet.pdf")
    assert sheet.json()["content_type"] == "application/pdf"
    fake = await upload(b"<script>alert(1)</script>", "image", "evil.png")
    assert fake.status_code == 422
    assert fake.json()["errors"][0]["field"] == "file"
    too_big = await upload(PDF + b"0" * (25 * 1024 * 1024), "document", "huge.pdf")
    assert too_big.status_code == 422
    assert "larger than 25 MB" in too_big.text

    image_url = f"/media/{image.json()['id']}"
    assert (await media_client.get(image_url)).status_code == 404  # the product is still a draft
    await conn.execute("UPDATE product SET status = 'live' WHERE id = $1", pid)
    served = await media_client.get(image_url)
    assert served.status_code == 200
    assert served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    page = await media_client.get(f"/products/{pid}")
    assert f'src="{image_url}"' in page.text
    assert "datasheet.pdf" in page.text

    intruder = bearer(await make_token(conn, await make_company(conn, kind="vendor", people={"admin": ["admin"]})))
    r = await media_client.post(
        f"/api/v1/catalog/products/{pid}/media",
        files={"file": ("x.png", PNG)},
        data={"kind": "image"},
        headers=intruder,
    )
    assert r.status_code == 404


async def test_editor_page_uploads_media(media_client: httpx.AsyncClient, conn: Connection) -> None:
    from tests.support.accounts import csrf, sign_in

    vendor = await make_company(conn, kind="vendor", people={"admin": ["admin"]})
    api = bearer(await make_token(conn, vendor))
    category = await make_screw_category(conn)
    product = await media_client.put("/api/v1/catalog/products", json=screw_product(category), headers=api)
    pid = product.json()["product"]["id"]
    await sign_in(media_client, vendor.emails["admin"])

    async def upload(data: bytes, kind: str) -> httpx.Response:
        return await media_client.post(
            f"/vendor/catalog/products/{pid}/media",
            files={"file": ("f", data)},
            data={"kind": kind, "title": "Front"},
            headers=csrf(media_client),
        )

    assert (await upload(b"GIF89a not allowed", "image")).headers["location"].endswith("media=media.type#media")
    assert (await upload(PNG, "image")).headers["location"].endswith("media=saved#media")
    page = await media_client.get(f"/vendor/catalog/products/{pid}")
    assert "image: Front" in page.text
