"""Generated cross-tenant test: every route that takes an object id answers 404 for another company's
object, for every role (company admins included), through pages and the JSON API alike. Operator
routes are in the walk too: for anyone who is not an operator they do not exist."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
import msgspec
from litestar import Litestar

from marketplace.core.db import Connection
from rfq.models import PROCEDURES, Kind
from tests.support.accounts import make_company, post_form, sign_in
from tests.support.rfq import buyer_party, pass_deadline, published_rfq, submit, vendor_party

ROLES = ["admin", "buyer", "approver", "requester", "viewer", "catalog_manager", "sales"]
ID_PARAM = re.compile(r"\{(\w+_id):int\}")
# Public by design: a verified vendor's storefront is meant to be seen by everyone; a search result's
# click link only counts the click and redirects to the product page, which applies the visibility rules.
PUBLIC = {"/vendors/{vendor_id:int}", "/search/go/{search_id:str}/{product_id:int}"}


def routes_with_ids(app: Litestar) -> list[tuple[str, str]]:
    return [
        (method, route.path)
        for route in app.routes
        if ID_PARAM.search(route.path) and route.path not in PUBLIC
        for method in sorted(getattr(route, "methods", []))
        if method in ("GET", "POST", "PUT", "PATCH", "DELETE")
    ]


async def _victim_objects(conn: Connection, victim_company: int, victim_user: int) -> dict[str, int]:
    address = await conn.fetchval(
        "INSERT INTO address (company_id, kind, label, recipient, line1, postal_code, city, country)"
        " VALUES ($1, 'ship_to', 'Dock', 'Goods in', 'Hafenstr. 1', '20457', 'Hamburg', 'DE') RETURNING id",
        victim_company,
    )
    invitation = await conn.fetchval(
        "INSERT INTO invitation (company_id, email, roles, token_hash, invited_by, expires_at)"
        " VALUES ($1, 'x@example.test', '{buyer}', sha256(random()::text::bytea), $2, now() + interval '1 day')"
        " RETURNING id",
        victim_company,
        victim_user,
    )
    token = await conn.fetchval(
        "INSERT INTO api_token (company_id, name, prefix, token_hash, roles, created_by, expires_at)"
        " VALUES ($1, 'victim', 'ty_victim', sha256(random()::text::bytea), '{admin}', $2, now() + interval '1 day')"
        " RETURNING id",
        victim_company,
        victim_user,
    )
    product = await conn.fetchval(
        "INSERT INTO product (vendor_id, sku, title) VALUES ($1, 'VICTIM-1', 'Secret screw') RETURNING id",
        victim_company,
    )
    variant = await conn.fetchval(
        "INSERT INTO variant (product_id, vendor_id, sku) VALUES ($1, $2, 'VICTIM-1-A') RETURNING id",
        product,
        victim_company,
    )
    price_list = await conn.fetchval(
        "INSERT INTO price_list (vendor_id, name) VALUES ($1, 'Secret contract') RETURNING id", victim_company
    )
    catalog_import = await conn.fetchval(
        "INSERT INTO catalog_import (vendor_id, created_by, format, filename, storage_key, dry_run, mode)"
        " VALUES ($1, $2, 'csv', 'Secret.csv', 'x', true, 'all') RETURNING id",
        victim_company,
        victim_user,
    )
    report = await conn.fetchval(
        "INSERT INTO listing_report (product_id, reporter_user_id, reason)"
        " VALUES ($1, $2, 'Secret reason') RETURNING id",
        product,
        victim_user,
    )
    media = await conn.fetchval(
        "INSERT INTO product_media"
        " (product_id, vendor_id, kind, title, filename, content_type, storage_key, size_bytes)"
        " VALUES ($1, $2, 'document', 'Secret plan', 'secret.pdf', 'application/pdf', 'nowhere', 1) RETURNING id",
        product,
        victim_company,
    )
    category = await conn.fetchval(
        "INSERT INTO category (name, slug) VALUES ('Secret category', 'secret-' || md5(random()::text)) RETURNING id"
    )
    synonym = await conn.fetchval("INSERT INTO search_synonym (terms) VALUES ('{secret,covert}') RETURNING id")
    failed_job = await conn.fetchval(
        "INSERT INTO pgqueuer (priority, status, entrypoint, payload, attempts)"
        " VALUES (0, 'failed', 'search.rebuild', convert_to('{}', 'UTF8'), 3) RETURNING id"
    )
    rfq = await conn.fetchval(
        "INSERT INTO rfq (buyer_id, created_by, kind, title, currency, status, rules, closes_at, questions_close_at)"
        " VALUES ($1, $2, 'rfq', 'Secret sourcing', 'EUR', 'published', $3, now() + interval '5 days',"
        " now() + interval '4 days') RETURNING id",
        victim_company,
        victim_user,
        msgspec.to_builtins(PROCEDURES[Kind.RFQ]),
    )
    bid = await conn.fetchval(
        "INSERT INTO bid (rfq_id, vendor_id, rfq_revision) VALUES ($1, $2, 1) RETURNING id", rfq, victim_company
    )
    question = await conn.fetchval(
        "INSERT INTO rfq_question (rfq_id, vendor_id, asked_by, alias, body) VALUES ($1, $2, $3, 'Bidder X', 'Secret?')"
        " RETURNING id",
        rfq,
        victim_company,
        victim_user,
    )
    attachment = await conn.fetchval(
        "INSERT INTO rfq_attachment (rfq_id, storage_key, filename, content_type, size_bytes, sha256, uploaded_by)"
        " VALUES ($1, 'nowhere', 'Secret drawing.pdf', 'application/pdf', 1, 'x', $2) RETURNING id",
        rfq,
        victim_user,
    )
    bid_attachment = await conn.fetchval(
        "INSERT INTO bid_attachment (bid_id, storage_key, filename, content_type, size_bytes, sha256, sealed, opens_at,"
        " uploaded_by) VALUES ($1, 'nowhere', 'Secret offer.pdf', 'application/pdf', 1, 'x', false,"
        " now() + interval '5 days', $2) RETURNING id",
        bid,
        victim_user,
    )
    notification = await conn.fetchval(
        "INSERT INTO notification (user_id, company_id, kind, subject, body, dedupe_key)"
        " VALUES ($1, $2, 'probe', 'Secret subject', 'Secret body', 'probe') RETURNING id",
        victim_user,
        victim_company,
    )
    return {
        "attachment_id": attachment,
        "bid_attachment_id": bid_attachment,
        "question_id": question,
        "notification_id": notification,
        "rfq_id": rfq,
        "bid_id": bid,
        "synonym_id": synonym,
        "job_id": failed_job,
        "category_id": category,
        "media_id": media,
        "report_id": report,
        "import_id": catalog_import,
        "address_id": address,
        "invitation_id": invitation,
        "token_id": token,
        "user_id": victim_user,
        "company_id": victim_company,
        "product_id": product,
        "variant_id": variant,
        "price_list_id": price_list,
    }


SOON = "2031-01-01T10:00:00+00:00"
RFQ_BODY = {"title": "Probe", "closes_at": SOON, "lines": [{"description": "x", "quantity": 1}]}
RFQ_BODIES: dict[str, object] = {
    "/api/v1/rfqs/{rfq_id:int}": RFQ_BODY,
    "/api/v1/rfqs/{rfq_id:int}/transitions": {"to": "cancelled", "reason": "probe"},
    "/api/v1/rfqs/{rfq_id:int}/invitations": {"vendor_ids": []},
    "/api/v1/rfqs/{rfq_id:int}/bids/{bid_id:int}/revision-request": {"message": "probe", "respond_by": SOON},
    "/api/v1/rfqs/{rfq_id:int}/bids/{bid_id:int}/scores": {"scores": {}},
    "/api/v1/rfqs/{rfq_id:int}/bafo": {"bid_ids": [1], "closes_at": SOON},
    "/api/v1/rfqs/{rfq_id:int}/award": {
        "justification": "probe",
        "lines": [{"line_id": 1, "bid_id": 1, "quantity": 1}],
    },
    "/api/v1/vendor/rfqs/{rfq_id:int}/invitation": {"accept": True},
    "/api/v1/rfqs/{rfq_id:int}/questions/{question_id:int}/answer": {"answer": "probe"},
    "/api/v1/rfqs/{rfq_id:int}/amendments": {"summary": "probe", "title": "Probe title"},
    "/api/v1/rfqs/{rfq_id:int}/amendments/preview": {"summary": "probe", "title": "Probe title"},
    "/api/v1/vendor/rfqs/{rfq_id:int}/questions": {"body": "probe"},
    "/api/v1/vendor/rfqs/{rfq_id:int}/bid": {
        "lines": [{"line_id": 1, "unit_price_minor": 1, "lead_time_days": 1}],
        "valid_until": "2031-02-01",
    },
}
QUERIES = {"/api/v1/rfqs/{rfq_id:int}": "?version=1"}


async def test_another_companys_objects_are_404_for_every_role(
    app_factory,
    conn: Connection,  # type: ignore[no-untyped-def]
) -> None:
    for role in ROLES:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_factory()), base_url="http://t") as client:
            await _probe_as(role, client, app_factory, conn)


async def _probe_as(role: str, client: httpx.AsyncClient, app_factory, conn: Connection) -> None:  # type: ignore[no-untyped-def]
    attacker = await make_company(conn, kind="both", people={role: [role], "admin": ["admin"]})
    victim = await make_company(conn, kind="both", people={"admin": ["admin"]})
    ids = await _victim_objects(conn, victim.id, victim.users["admin"])
    app = app_factory()
    routes = routes_with_ids(app)
    assert len(routes) >= 16, routes  # the generator really found the id routes

    await sign_in(client, attacker.emails[role])
    expires = (date.today() + timedelta(days=5)).isoformat()  # noqa: DTZ011
    admin_token = None
    if role == "admin":
        r = await post_form(client, "/company/tokens", {"name": "probe", "roles": ["admin"], "expires_on": expires})
        admin_token = re.search(r'id="token-secret">([^<]+)<', r.text).group(1)  # type: ignore[union-attr]
    else:
        secret_row = await conn.fetchval(
            "INSERT INTO api_token (company_id, name, prefix, token_hash, roles, created_by, expires_at)"
            " VALUES ($1, 'probe', 'ty_probe', sha256(('probe-' || $2::text)::bytea), $3, $4, now() + interval '1 day')"
            " RETURNING id",
            attacker.id,
            role,
            [role],
            attacker.users[role],
        )
        assert secret_row
    # Valid bodies for the id routes that take one, so only tenancy can refuse them.
    bodies = {
        "/api/v1/company/members/{user_id:int}": {"roles": ["buyer"]},
        "/api/v1/catalog/products/{product_id:int}/links": {"accessories": []},
        "/api/v1/catalog/products/{product_id:int}/audience": {"buyer_ids": []},
        "/api/v1/catalog/price-lists/{price_list_id:int}/prices": [
            {"sku": "VICTIM-1-A", "prices": [{"min_qty": 1, "unit_price_minor": 1}]}
        ],
        **RFQ_BODIES,
    }
    for method, path in routes:
        url = ID_PARAM.sub(lambda m: str(ids[m.group(1)]), path) + QUERIES.get(path, "")
        if path.startswith("/api/"):
            headers = {"authorization": f"Bearer {admin_token}"} if admin_token else {}
            if not admin_token:
                continue  # non-admin API tokens are covered by the admin case being the strongest
            r = await client.request(method, url, json=bodies.get(path), headers=headers)
        elif method == "GET":
            r = await client.get(url)
        else:
            r = await post_form(client, url, {"roles": ["buyer"]})
        assert r.status_code == 404, f"{role} {method} {url} -> {r.status_code}"
        assert "Hafenstr" not in r.text
        assert "Secret" not in r.text
        assert victim.emails["admin"] not in r.text
    # Nothing of the victim's changed.
    assert await conn.fetchval("SELECT roles FROM membership WHERE user_id = $1", victim.users["admin"]) == ["admin"]
    assert await conn.fetchval("SELECT revoked_at FROM api_token WHERE id = $1", ids["token_id"]) is None
    assert await conn.fetchval("SELECT revoked_at FROM invitation WHERE id = $1", ids["invitation_id"]) is None
    assert await conn.fetchval("SELECT is_default FROM address WHERE id = $1", ids["address_id"]) is False
    assert await conn.fetchval("SELECT count(*) FROM search_synonym WHERE id = $1", ids["synonym_id"]) == 1
    assert await conn.fetchval("SELECT status::text FROM pgqueuer WHERE id = $1", ids["job_id"]) == "failed"


async def test_another_companys_bid_in_the_buyers_own_score_and_award_forms_is_404(
    client: httpx.AsyncClient, conn: Connection
) -> None:
    """The walk above uses the victim's request and bid together; here the request is the caller's own and
    only the bid is someone else's (a guessed id in the score form, the scores API, the award form)."""
    criteria = [
        {"code": "price", "label": "Price", "weight": 80},
        {"code": "quality", "label": "Quality", "weight": 20},
    ]
    victim, attacker = await buyer_party(conn), await buyer_party(conn)
    v1, v2 = await vendor_party(conn, name="Victim Supplier"), await vendor_party(conn, name="Own Supplier")
    theirs = await published_rfq(client, victim, [v1], kind="tender", criteria=criteria)
    ours = await published_rfq(client, attacker, [v2], kind="tender", criteria=criteria)
    assert (await submit(client, v1, theirs)).status_code == 201
    assert (await submit(client, v2, ours)).status_code == 201
    await pass_deadline(conn, ours["id"])
    foreign = await conn.fetchval("SELECT id FROM bid WHERE rfq_id = $1", theirs["id"])
    await sign_in(client, attacker.company.emails["admin"])

    page = await post_form(client, f"/buyer/rfqs/{ours['id']}/compare/scores/{foreign}", {f"s-{foreign}-quality": "9"})
    assert page.status_code == 404
    api = await client.put(
        f"/api/v1/rfqs/{ours['id']}/bids/{foreign}/scores", json={"scores": {"quality": 9}}, headers=attacker.auth()
    )
    assert api.status_code == 404
    assert await conn.fetchval("SELECT count(*) FROM bid_score WHERE bid_id = $1", foreign) == 0
    # In the award form a foreign offer is no offer of this request: nothing to award, nothing revealed.
    line = ours["lines"][0]["id"]
    award = await post_form(
        client, f"/buyer/rfqs/{ours['id']}/award/review", {f"q-{line}-{foreign}": "1", "justification": "probe"}
    )
    assert award.status_code == 422
    assert "Victim Supplier" not in award.text
