"""The HTML shell, static assets (served locally, pinned) and the OpenAPI documents."""

from __future__ import annotations

import re

import httpx


async def test_home_page_uses_the_base_layout_with_local_assets(client: httpx.AsyncClient) -> None:
    r = await client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<a class="skip-link" href="#main">' in html
    assert 'name="viewport"' in html
    # CSRF token for htmx on <body>, matching the cookie Litestar set.
    token = re.search(r'hx-headers=\'\{"x-csrftoken": "([^"]+)"\}\'', html)
    assert token is not None
    assert "ty_csrf" in r.cookies
    # Every script and stylesheet is ours, nothing from a CDN.
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(s.startswith(("/", "#")) for s in sources), sources


async def test_vendored_assets_are_the_pinned_versions(client: httpx.AsyncClient) -> None:
    htmx = await client.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200
    assert 'version:"2.0.11"' in htmx.text.replace(" ", "")
    pico = await client.get("/static/vendor/pico.min.css")
    assert pico.status_code == 200
    assert "Pico CSS" in pico.text
    assert "v2.1.1" in pico.text
    for name in (
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "swagger-ui-standalone-preset.js",
        "../app.css",
        "../app.js",
    ):
        assert (await client.get(f"/static/vendor/{name}")).status_code == 200, name


async def test_status_page_and_its_htmx_fragment(client: httpx.AsyncClient) -> None:
    page = await client.get("/status")
    assert page.status_code == 200
    assert "<h1>System status</h1>" in page.text
    assert "All systems working" in page.text
    assert page.headers["vary"] == "HX-Request"
    fragment = await client.get("/status", headers={"hx-request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert '<table id="checks">' in fragment.text
    restore = await client.get("/status", headers={"hx-request": "true", "hx-history-restore-request": "true"})
    assert "<html" in restore.text


async def test_openapi_documents_the_api_only(client: httpx.AsyncClient) -> None:
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/v1/meta" in paths
    assert all(p.startswith("/api/v1/") for p in paths), sorted(paths)


async def test_swagger_ui_loads_nothing_from_outside(client: httpx.AsyncClient) -> None:
    r = await client.get("/schema/swagger")
    assert r.status_code == 200
    assert "/static/vendor/swagger-ui-bundle.js" in r.text
    assert not re.search(r'(?:src|href)="https?://', r.text), "swagger page must not load from a CDN"


async def test_api_meta_tells_the_database_clock(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/meta")
    assert r.status_code == 200
    body = r.json()
    assert body["api_version"] == "v1"
    assert body["server_time"].endswith("Z")


async def test_openapi_documents_accounts_api_with_examples_and_problem_errors(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/schema/openapi.json")).json()
    for path in ("/api/v1/me", "/api/v1/company", "/api/v1/company/addresses", "/api/v1/company/members/{user_id}"):
        assert path in spec["paths"], path
    schemas = spec["components"]["schemas"]
    change = next(v for k, v in schemas.items() if k.endswith("ChangeMember"))
    assert change["properties"]["roles"]["examples"] == [["buyer", "approver"]]
    address = next(v for k, v in schemas.items() if k.endswith("AddAddress"))
    assert address["properties"]["city"]["examples"] == ["Stuttgart"]
