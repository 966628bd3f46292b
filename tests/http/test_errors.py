"""Errors: problem+json for the JSON API, pages for people, request ids everywhere, no 500 leaks."""

from __future__ import annotations

import httpx
import msgspec
from litestar import Litestar, get, post
from litestar.params import JSONBody

from marketplace.app import create_app
from marketplace.core.db import Connection
from marketplace.core.errors import Conflict, NotFound
from tests.support.accounts import bearer, make_company, make_token


async def test_unknown_api_path_is_problem_json_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 404
    assert body["code"] == "resource.not_found"
    assert body["instance"] == "/api/v1/no-such-thing"
    assert body["request_id"] == r.headers["x-request-id"]


async def test_wrong_method_on_api_is_problem_json_405(client: httpx.AsyncClient) -> None:
    r = await client.delete("/api/v1/meta")
    assert r.status_code == 405
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "request.method_not_allowed"


async def test_unknown_page_is_an_html_page_for_people(client: httpx.AsyncClient) -> None:
    r = await client.get("/no-such-page", headers={"accept": "text/html"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in r.text
    assert r.headers["x-request-id"] in r.text  # the reference a person can quote to support


async def test_htmx_request_gets_an_error_fragment_not_a_page(client: httpx.AsyncClient) -> None:
    r = await client.get("/no-such-page", headers={"hx-request": "true"})
    assert r.status_code == 404
    assert "<html" not in r.text
    assert 'role="alert"' in r.text


async def test_sane_incoming_request_id_is_kept_and_insane_one_replaced(client: httpx.AsyncClient) -> None:
    r = await client.get("/health", headers={"x-request-id": "erp-sync-0001"})
    assert r.headers["x-request-id"] == "erp-sync-0001"
    r = await client.get("/health", headers={"x-request-id": "<script>"})
    assert r.headers["x-request-id"] != "<script>"
    assert len(r.headers["x-request-id"]) == 32


class Quantity(msgspec.Struct, forbid_unknown_fields=True):
    quantity: int


def _app_with_probe_routes(app: Litestar) -> Litestar:
    """The real app plus routes that raise what services raise, to see how the app answers."""

    @post("/api/v1/probe/validate")
    async def validate(data: JSONBody[Quantity]) -> dict[str, int]:
        return {"quantity": data.quantity}

    @get("/api/v1/probe/conflict")
    async def conflict() -> None:
        raise Conflict("order.already_submitted", "This order was already submitted.", field="status")

    @get("/api/v1/probe/missing")
    async def missing() -> None:
        raise NotFound("order.not_found", "No such order.")

    @get("/api/v1/probe/crash")
    async def crash() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    @get("/probe/crash-page")
    async def crash_page() -> None:
        raise RuntimeError("secret internals")

    for handler in (validate, conflict, missing, crash, crash_page):
        app.register(handler)
    return app


async def test_domain_errors_and_validation_as_problem_json(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = _app_with_probe_routes(app_factory())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.post("/api/v1/probe/validate", json={"quantity": "many"})
        assert r.status_code == 400
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "request.validation_failed"
        assert {"field": "quantity", "reason": "Expected `int`, got `str`"} in r.json()["errors"]

        r = await c.post("/api/v1/probe/validate", content=b"{not json")
        assert r.status_code == 400
        assert r.headers["content-type"] == "application/problem+json"

        r = await c.get("/api/v1/probe/conflict")
        assert r.status_code == 409
        assert r.json()["code"] == "order.already_submitted"
        assert r.json()["errors"] == [{"field": "status", "reason": "This order was already submitted."}]

        r = await c.get("/api/v1/probe/missing")
        assert (r.status_code, r.json()["code"]) == (404, "order.not_found")


async def test_unexpected_error_is_500_without_internals(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = _app_with_probe_routes(app_factory())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/api/v1/probe/crash")
        assert r.status_code == 500
        assert r.headers["content-type"] == "application/problem+json"
        assert "hunter2" not in r.text
        assert r.json()["code"] == "server.error"

        r = await c.get("/probe/crash-page", headers={"accept": "text/html"})
        assert r.status_code == 500
        assert "secret internals" not in r.text
        assert "Something went wrong" in r.text


def test_create_app_reads_settings_from_the_environment_only_when_called(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Importing the app reads nothing; create_app() without settings reads (and validates) the env."""
    import pytest

    from marketplace.settings import SettingsError

    monkeypatch.setenv("TRADEYARD_DB_POOL_MAX", "lots")
    with pytest.raises(SettingsError, match="TRADEYARD_DB_POOL_MAX"):
        create_app()


async def test_text_postgresql_cannot_store_is_a_422_not_a_500(client: httpx.AsyncClient, conn: Connection) -> None:
    company = await make_company(conn, people={"admin": ["admin"]})
    api = bearer(await make_token(conn, company))
    address = {
        "kind": "bill_to",
        "label": "HQ",
        "recipient": "Accounts\x00payable",
        "line1": "Hafenstr. 1",
        "postal_code": "20457",
        "city": "Hamburg",
        "country": "DE",
    }
    r = await client.post("/api/v1/company/addresses", json=address, headers=api)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "request.invalid_text"
    assert await conn.fetchval("SELECT count(*) FROM address WHERE company_id = $1", company.id) == 0
