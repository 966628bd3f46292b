"""Files of requests, lines and bids through the JSON API: upload, list, download, delete; limits; who may
read what; sealed tender files hold no plaintext anywhere before opening (issue 6)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from marketplace.core.db import Connection
from tests.support.accounts import make_operator, sign_in
from tests.support.rfq import (
    Party,
    buyer_party,
    create_rfq,
    freeze_clock,
    pass_deadline,
    published_rfq,
    submit,
    vendor_party,
)

PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 8
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# A distinctive string in a sealed file's bytes and another in its name: neither may appear anywhere.
MARKER = "QX7-SEALED-DRAWING-MARKER-5513"
SECRET_NAME = "ZephyrGearbox-rev9-offer.pdf"
MAX_BYTES = 64 * 1024


@pytest.fixture
def storage_dir(tmp_path: Path) -> Path:
    return tmp_path / "storage"


@pytest.fixture
async def files_client(app_factory: Callable[..., Any], storage_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its own storage directory (walked by the sealing test) and a small size limit."""
    app = app_factory(storage_dir=str(storage_dir), rfq_file_max_bytes=MAX_BYTES)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


async def upload(
    client: httpx.AsyncClient,
    url: str,
    party: Party,
    data: bytes = PDF,
    name: str = "drawing.pdf",
    label: str = "buyer",
    **fields: str,
) -> httpx.Response:
    return await client.post(url, files={"file": (name, data)}, data=fields, headers=party.auth(label))


def problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    return body


async def test_buyer_attaches_lists_downloads_and_deletes_draft_files(
    files_client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    draft = await create_rfq(files_client, buyer)
    base = f"/api/v1/rfqs/{draft['id']}/attachments"
    line = draft["lines"][1]

    whole = await upload(files_client, base, buyer, PDF, "spec.pdf")
    assert whole.status_code == 201, whole.text
    assert whole.json()["line_id"] is None
    assert whole.json()["content_type"] == "application/pdf"
    assert whole.json()["sha256"] == hashlib.sha256(PDF).hexdigest()
    # A path, quotes, control and bidi characters are cleaned from the name; the ending fits the content.
    drawing = await upload(
        files_client, base, buyer, PNG, '..\\..\\etc/"bearing"\u202e<b>.html', line_id=str(line["id"])
    )
    assert drawing.status_code == 201, drawing.text
    assert drawing.json()["line_id"] == line["id"]
    assert drawing.json()["filename"] == "_bearing__b_.html.png"
    assert drawing.json()["content_type"] == "image/png"

    listed = (await files_client.get(base, headers=buyer.auth("viewer"))).json()
    assert [(f["filename"], f["line_id"]) for f in listed] == [
        ("spec.pdf", None),
        ("_bearing__b_.html.png", line["id"]),
    ]

    got = await files_client.get(f"{base}/{drawing.json()['id']}", headers=buyer.auth("viewer"))
    assert got.status_code == 200
    assert got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith('attachment; filename="_bearing__b_.html.png"')
    assert "no-store" in got.headers["cache-control"]

    # Viewers read; they do not change files.
    assert (await upload(files_client, base, buyer, label="viewer")).status_code == 403
    gone = await files_client.delete(f"{base}/{whole.json()['id']}", headers=buyer.auth("requester"))
    assert gone.status_code == 204
    assert [f["id"] for f in (await files_client.get(base, headers=buyer.auth("buyer"))).json()] == [
        drawing.json()["id"]
    ]
    assert (await files_client.get(f"{base}/{whole.json()['id']}", headers=buyer.auth("buyer"))).status_code == 404
    # The bytes are deleted by a job once the deletion has committed.
    jobs = await conn.fetch("SELECT payload FROM pgqueuer WHERE entrypoint = 'rfq.delete_file'")
    assert len(jobs) == 1


async def test_a_line_file_follows_its_line_when_the_draft_is_edited(
    files_client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    draft = await create_rfq(files_client, buyer, lines=3)
    base = f"/api/v1/rfqs/{draft['id']}/attachments"
    second = await upload(files_client, base, buyer, line_id=str(draft["lines"][1]["id"]))
    third = await upload(files_client, base, buyer, line_id=str(draft["lines"][2]["id"]))
    body = {k: draft[k] for k in ("kind", "title", "description", "currency", "closes_at")}
    body["lines"] = [{"description": f"Edited line {i}", "quantity": 5} for i in range(2)]
    edited = await files_client.put(
        f"/api/v1/rfqs/{draft['id']}?version={draft['version']}", json=body, headers=buyer.auth("buyer")
    )
    assert edited.status_code == 200, edited.text
    new_second = edited.json()["lines"][1]["id"]
    assert new_second != draft["lines"][1]["id"]
    by_id = {f["id"]: f for f in (await files_client.get(base, headers=buyer.auth("buyer"))).json()}
    assert by_id[second.json()["id"]]["line_id"] == new_second
    assert by_id[third.json()["id"]]["line_id"] is None  # no third line any more: a file of the whole request


async def test_type_size_count_and_field_limits_answer_problem_json(
    files_client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    draft = await create_rfq(files_client, buyer)
    other = await create_rfq(files_client, buyer)
    base = f"/api/v1/rfqs/{draft['id']}/attachments"

    fake = problem(await upload(files_client, base, buyer, b"<html><script>alert(1)</script>", "x.pdf"), 422)
    assert fake["code"] == "rfq.file_type"
    assert fake["errors"] == [{"field": "file", "reason": fake["detail"]}]
    big = problem(await upload(files_client, base, buyer, PDF + b"0" * MAX_BYTES), 422)
    assert big["code"] == "rfq.file_too_large"
    assert "larger than 64 KB" in big["detail"]
    assert problem(await upload(files_client, base, buyer, b""), 422)["code"] == "rfq.file_empty"
    missing = problem(await files_client.post(base, data={"line_id": "1"}, headers=buyer.auth("buyer")), 422)
    assert missing["code"] == "rfq.file_missing"
    foreign_line = problem(await upload(files_client, base, buyer, line_id=str(other["lines"][0]["id"])), 422)
    assert foreign_line["errors"] == [{"field": "line_id", "reason": "Not a line of this request."}]
    not_a_number = problem(await upload(files_client, base, buyer, line_id="abc"), 400)
    assert not_a_number["errors"][0]["field"] == "line_id"
    # A body announced beyond what any setting allows is refused before it is read.

    async def announced_huge() -> AsyncIterator[bytes]:
        yield b"--x\r\n"

    huge = await files_client.post(
        base,
        content=announced_huge(),
        headers=buyer.auth("buyer")
        | {"content-type": "multipart/form-data; boundary=x", "content-length": str(200 * 1024 * 1024)},
    )
    assert problem(huge, 413)["code"] == "request.too_large"
    # Nothing was stored by any of these.
    assert (await files_client.get(base, headers=buyer.auth("buyer"))).json() == []

    await conn.execute(
        "INSERT INTO rfq_attachment (rfq_id, storage_key, filename, content_type, size_bytes, sha256, uploaded_by)"
        " SELECT $1, 'k' || g, 'f' || g || '.pdf', 'application/pdf', 1, 'x', $2 FROM generate_series(1, 50) g",
        draft["id"],
        buyer.company.users["buyer"],
    )
    assert problem(await upload(files_client, base, buyer), 422)["code"] == "rfq.too_many_files"


async def test_after_publication_files_come_and_go_with_amendments(
    files_client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    invited, stranger = await vendor_party(conn), await vendor_party(conn)
    rfq = await published_rfq(files_client, buyer, [invited])
    base = f"/api/v1/rfqs/{rfq['id']}/attachments"
    vendor_base = f"/api/v1/vendor/rfqs/{rfq['id']}/attachments"
    assert (await submit(files_client, invited, rfq)).status_code == 201

    no_summary = problem(await upload(files_client, base, buyer), 422)
    assert no_summary["errors"][0]["field"] == "summary"
    assert problem(await upload(files_client, base, buyer, label="requester", summary="x"), 403)
    added = await upload(files_client, base, buyer, PDF, "tolerances.pdf", summary="Tolerance sheet added")
    assert added.status_code == 201, added.text
    assert added.json()["added_in"] == 2
    amendments = (await files_client.get(f"/api/v1/rfqs/{rfq['id']}/amendments", headers=buyer.auth("buyer"))).json()
    assert amendments[-1]["revision"] == 2
    assert amendments[-1]["material"] is False
    assert amendments[-1]["changes"]["attachments"][0]["filename"] == "tolerances.pdf"
    own = (await files_client.get(f"/api/v1/vendor/rfqs/{rfq['id']}/bid", headers=invited.auth("sales"))).json()
    assert own["status"] == "submitted"  # not material: the offer stays valid

    # Invited vendors read the files in force; anyone else: 404.
    listed = (await files_client.get(vendor_base, headers=invited.auth("sales"))).json()
    assert [f["filename"] for f in listed] == ["tolerances.pdf"]
    got = await files_client.get(f"{vendor_base}/{added.json()['id']}", headers=invited.auth("catalog"))
    assert got.content == PDF
    for path in (vendor_base, f"{vendor_base}/{added.json()['id']}"):
        assert (await files_client.get(path, headers=stranger.auth("admin"))).status_code == 404

    # A material file: offers must be re-confirmed.
    material = await upload(files_client, base, buyer, PNG, "new-drawing.png", summary="New drawing", material="true")
    assert material.status_code == 201, material.text
    own = (await files_client.get(f"/api/v1/vendor/rfqs/{rfq['id']}/bid", headers=invited.auth("sales"))).json()
    assert own["status"] == "needs_reconfirmation"

    # Withdrawing a published file is an amendment too; vendors no longer see it, the buyer does.
    no_reason = await files_client.delete(f"{base}/{added.json()['id']}", headers=buyer.auth("buyer"))
    assert problem(no_reason, 422)["errors"][0]["field"] == "summary"
    removed = await files_client.delete(
        f"{base}/{added.json()['id']}", params={"summary": "Tolerance sheet withdrawn"}, headers=buyer.auth("buyer")
    )
    assert removed.status_code == 204, removed.text
    assert [f["filename"] for f in (await files_client.get(vendor_base, headers=invited.auth("sales"))).json()] == [
        "new-drawing.png"
    ]
    assert (
        await files_client.get(f"{vendor_base}/{added.json()['id']}", headers=invited.auth("sales"))
    ).status_code == 404
    buyer_view = {f["filename"]: f for f in (await files_client.get(base, headers=buyer.auth("buyer"))).json()}
    assert buyer_view["tolerances.pdf"]["removed_in"] == 4

    # After the deadline files no longer change.
    await pass_deadline(conn, rfq["id"])
    closed = problem(await upload(files_client, base, buyer, summary="late"), 422)
    assert closed["code"] == "rfq.files_locked"


async def test_public_request_files_are_for_verified_vendors(files_client: httpx.AsyncClient, conn: Connection) -> None:
    buyer = await buyer_party(conn)
    draft = await create_rfq(files_client, buyer, visibility="public")
    added = await upload(files_client, f"/api/v1/rfqs/{draft['id']}/attachments", buyer)
    verified = await vendor_party(conn)
    pending = await vendor_party(conn, status="pending")
    vendor_base = f"/api/v1/vendor/rfqs/{draft['id']}/attachments"
    assert (await files_client.get(vendor_base, headers=verified.auth("sales"))).status_code == 404  # still a draft
    r = await files_client.post(
        f"/api/v1/rfqs/{draft['id']}/transitions", json={"to": "published"}, headers=buyer.auth("buyer")
    )
    assert r.status_code == 200, r.text
    assert len((await files_client.get(vendor_base, headers=verified.auth("sales"))).json()) == 1
    assert (await files_client.get(vendor_base, headers=pending.auth("sales"))).status_code == 404
    assert (
        await files_client.get(f"{vendor_base}/{added.json()['id']}", headers=pending.auth("sales"))
    ).status_code == 404


async def test_quote_files_are_the_buyers_at_once_and_change_until_the_deadline(
    files_client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    vendor, competitor = await vendor_party(conn), await vendor_party(conn)
    rfq = await published_rfq(files_client, buyer, [vendor, competitor])
    base = f"/api/v1/vendor/rfqs/{rfq['id']}/bid/attachments"
    assert problem(await upload(files_client, base, vendor, label="sales"), 422)["code"] == "rfq.no_offer"
    receipt = (await submit(files_client, vendor, rfq)).json()
    assert (await submit(files_client, competitor, rfq)).status_code == 201
    assert problem(await upload(files_client, base, vendor, label="catalog"), 403)["code"] == "rfq.role_required"

    sheet = await upload(files_client, base, vendor, PDF, "datasheet.pdf", label="sales")
    assert sheet.status_code == 201, sheet.text
    assert sheet.json()["sealed"] is False
    offer_base = f"/api/v1/rfqs/{rfq['id']}/bids/{receipt['bid_id']}/attachments"
    listed = (await files_client.get(offer_base, headers=buyer.auth("viewer"))).json()
    assert [f["filename"] for f in listed] == ["datasheet.pdf"]
    got = await files_client.get(f"{offer_base}/{sheet.json()['id']}", headers=buyer.auth("buyer"))
    assert got.content == PDF
    assert got.headers["content-disposition"].startswith('attachment; filename="datasheet.pdf"')
    # The competitor reads neither through its own offer nor through the buyer's routes.
    assert (await files_client.get(base, headers=competitor.auth("sales"))).json() == []
    assert (await files_client.get(f"{base}/{sheet.json()['id']}", headers=competitor.auth("sales"))).status_code == 404
    assert (await files_client.get(offer_base, headers=competitor.auth("admin"))).status_code == 404
    assert (
        await files_client.delete(f"{base}/{sheet.json()['id']}", headers=competitor.auth("sales"))
    ).status_code == 404

    assert (await files_client.delete(f"{base}/{sheet.json()['id']}", headers=vendor.auth("sales"))).status_code == 204
    assert (await files_client.get(offer_base, headers=buyer.auth("buyer"))).json() == []
    kept = await upload(files_client, base, vendor, PNG, "photo.png", label="sales")
    await pass_deadline(conn, rfq["id"])
    late = problem(await upload(files_client, base, vendor, label="sales"), 422)
    assert late["code"] == "rfq.deadline_passed"
    late_removal = await files_client.delete(f"{base}/{kept.json()['id']}", headers=vendor.auth("sales"))
    assert problem(late_removal, 422)["code"] == "rfq.deadline_passed"
    assert [f["filename"] for f in (await files_client.get(offer_base, headers=buyer.auth("buyer"))).json()] == [
        "photo.png"
    ]


async def _database_text(conn: Connection) -> str:
    """Every row of every table in the schema as text (bytea shows as hex)."""
    tables = [r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    parts = []
    for table in tables:
        ident = await conn.fetchval("SELECT quote_ident($1)", table)
        parts.append(await conn.fetchval(f"SELECT coalesce(string_agg(t::text, ' '), '') FROM {ident} t") or "")
    return " ".join(parts)


def _stored_bytes(storage_dir: Path) -> list[bytes]:
    return [p.read_bytes() for p in storage_dir.rglob("*") if p.is_file()]


async def test_sealed_bid_files_hold_no_plaintext_and_open_only_at_the_deadline(
    files_client: httpx.AsyncClient, conn: Connection, storage_dir: Path, app_factory: Callable[..., Any]
) -> None:
    buyer = await buyer_party(conn)
    bidder, competitor = await vendor_party(conn), await vendor_party(conn)
    tender = await published_rfq(files_client, buyer, [bidder, competitor], kind="tender")
    receipt = (await submit(files_client, bidder, tender)).json()
    assert (await submit(files_client, competitor, tender)).status_code == 201
    content = PDF + MARKER.encode() + b"\n%%EOF\n"
    base = f"/api/v1/vendor/rfqs/{tender['id']}/bid/attachments"
    sealed = await upload(files_client, base, bidder, content, SECRET_NAME, label="sales")
    assert sealed.status_code == 201, sealed.text
    assert sealed.json()["sealed"] is True
    assert sealed.json()["filename"] == SECRET_NAME
    file_id = sealed.json()["id"]

    # The bidder reads its own file, name and bytes, before the deadline.
    own = (await files_client.get(base, headers=bidder.auth("sales"))).json()
    assert [(f["filename"], f["size_bytes"]) for f in own] == [(SECRET_NAME, len(content))]
    assert (await files_client.get(f"{base}/{file_id}", headers=bidder.auth("admin"))).content == content

    # Nobody else: not the buyer (any role), not the competitor, not an operator. A sealed offer answers
    # exactly like one that does not exist, so not even its existence shows.
    offer_base = f"/api/v1/rfqs/{tender['id']}/bids/{receipt['bid_id']}/attachments"
    for label in ("admin", "buyer", "approver", "viewer"):
        listed = problem(await files_client.get(offer_base, headers=buyer.auth(label)), 404)
        bogus = problem(
            await files_client.get(
                f"/api/v1/rfqs/{tender['id']}/bids/999999999/attachments", headers=buyer.auth(label)
            ),
            404,
        )
        assert (listed["code"], listed["detail"]) == (bogus["code"], bogus["detail"])
        assert (await files_client.get(f"{offer_base}/{file_id}", headers=buyer.auth(label))).status_code == 404
    assert (await files_client.get(base, headers=competitor.auth("sales"))).json() == []
    assert (await files_client.get(f"{base}/{file_id}", headers=competitor.auth("sales"))).status_code == 404
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_factory(storage_dir=str(storage_dir))), base_url="http://t"
    ) as operator:
        await sign_in(operator, await make_operator(conn))
        for path in (
            f"/buyer/rfqs/{tender['id']}/offers/{receipt['bid_id']}/files/{file_id}",
            f"/vendor/rfqs/{tender['id']}/bid/files/{file_id}",
            f"/buyer/rfqs/{tender['id']}",
        ):
            r = await operator.get(path)
            assert r.status_code == 404, path
            assert SECRET_NAME not in r.text

    # No plaintext at rest: not in the storage directory, not in any table, not as hex in a bytea.
    stored = _stored_bytes(storage_dir)
    assert stored
    for needle in (MARKER.encode(), SECRET_NAME.encode(), b"%PDF-"):
        assert not any(needle in blob for blob in stored)
    dump = await _database_text(conn)
    for needle in (MARKER, SECRET_NAME, "ZephyrGearbox"):
        assert needle not in dump
        assert needle.encode().hex() not in dump
    row = await conn.fetchrow(
        "SELECT filename, content_type, size_bytes, sha256 FROM bid_attachment WHERE id = $1", file_id
    )
    assert dict(row) == {"filename": None, "content_type": None, "size_bytes": None, "sha256": None}
    assert hashlib.sha256(content).hexdigest() not in dump

    # After the deadline the buyer lists and downloads the identical bytes under the bidder's name.
    await pass_deadline(conn, tender["id"])
    listed = (await files_client.get(offer_base, headers=buyer.auth("viewer"))).json()
    assert [(f["filename"], f["sha256"]) for f in listed] == [(SECRET_NAME, hashlib.sha256(content).hexdigest())]
    got = await files_client.get(f"{offer_base}/{file_id}", headers=buyer.auth("buyer"))
    assert got.status_code == 200
    assert got.content == content
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith(f'attachment; filename="{SECRET_NAME}"')
    # The competitor still reads nothing of it.
    assert (await files_client.get(f"{base}/{file_id}", headers=competitor.auth("sales"))).status_code == 404


async def test_a_sealed_file_removed_before_the_deadline_never_opens(
    files_client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    vendors = [await vendor_party(conn), await vendor_party(conn)]
    tender = await published_rfq(files_client, buyer, vendors, kind="tender")
    receipt = (await submit(files_client, vendors[0], tender)).json()
    base = f"/api/v1/vendor/rfqs/{tender['id']}/bid/attachments"
    first = (await upload(files_client, base, vendors[0], PDF, "old.pdf", label="sales")).json()
    second = (await upload(files_client, base, vendors[0], PNG, "new.png", label="sales")).json()
    assert (await files_client.delete(f"{base}/{first['id']}", headers=vendors[0].auth("sales"))).status_code == 204
    assert [f["filename"] for f in (await files_client.get(base, headers=vendors[0].auth("sales"))).json()] == [
        "new.png"
    ]
    await pass_deadline(conn, tender["id"])
    offer_base = f"/api/v1/rfqs/{tender['id']}/bids/{receipt['bid_id']}/attachments"
    assert [f["id"] for f in (await files_client.get(offer_base, headers=buyer.auth("buyer"))).json()] == [second["id"]]
    assert (await files_client.get(f"{offer_base}/{first['id']}", headers=buyer.auth("buyer"))).status_code == 404


async def test_the_deadline_is_checked_again_when_a_bid_file_commits(
    files_client: httpx.AsyncClient, conn: Connection
) -> None:
    """As for bid versions: a file stored in time whose transaction commits at the deadline is refused."""
    buyer = await buyer_party(conn)
    vendors = [await vendor_party(conn), await vendor_party(conn)]
    tender = await published_rfq(files_client, buyer, vendors, kind="tender")
    await submit(files_client, vendors[0], tender)
    base = f"/api/v1/vendor/rfqs/{tender['id']}/bid/attachments"
    assert (await upload(files_client, base, vendors[0], label="sales")).status_code == 201
    deadline = await conn.fetchval("SELECT closes_at FROM rfq WHERE id = $1", tender["id"])
    insert = """INSERT INTO bid_attachment (bid_id, storage_key, sealed, sealed_meta, opens_at, uploaded_by)
                SELECT bid_id, storage_key || '-copy', true, sealed_meta, opens_at, uploaded_by
                FROM bid_attachment WHERE bid_id = (SELECT id FROM bid WHERE rfq_id = $1 AND vendor_id = $2)"""
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        async with conn.transaction():
            await conn.execute("SET CONSTRAINTS bid_attachment_on_time DEFERRED")
            await conn.execute(insert, tender["id"], vendors[0].id)
            await freeze_clock(conn, deadline)  # the deadline instant arrives before the commit
            await conn.execute("SET CONSTRAINTS bid_attachment_on_time IMMEDIATE")
    assert caught.value.constraint_name == "bid_attachment_on_time"
    # One microsecond before the deadline, the same upload through the API is in time.
    await freeze_clock(conn, deadline - timedelta(microseconds=1))
    assert (await upload(files_client, base, vendors[0], PNG, "last.png", label="sales")).status_code == 201
    await freeze_clock(conn, deadline)
    assert problem(await upload(files_client, base, vendors[0], label="sales"), 422)["code"] == "rfq.deadline_passed"


async def test_unverified_or_other_companies_see_no_request_files(
    files_client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    rfq = await published_rfq(files_client, buyer, [])
    added = await upload(files_client, f"/api/v1/rfqs/{rfq['id']}/attachments", buyer, summary="Drawing")
    assert added.status_code == 201, added.text
    other_buyer = await buyer_party(conn)
    for path in (
        f"/api/v1/rfqs/{rfq['id']}/attachments",
        f"/api/v1/rfqs/{rfq['id']}/attachments/{added.json()['id']}",
    ):
        assert (await files_client.get(path, headers=other_buyer.auth("admin"))).status_code == 404
    r = await upload(files_client, f"/api/v1/rfqs/{rfq['id']}/attachments", other_buyer, label="admin", summary="x")
    assert problem(r, 404)["code"] == "rfq.not_found"
    uninvited = await vendor_party(conn)
    assert (
        await files_client.get(f"/api/v1/vendor/rfqs/{rfq['id']}/attachments", headers=uninvited.auth("admin"))
    ).status_code == 404


async def test_foreign_file_ids_under_ones_own_request_are_404(
    files_client: httpx.AsyncClient, conn: Connection
) -> None:
    """Ownership on every sub-resource: an id of another request's (or another offer's) file is not found,
    even under a request and an offer of one's own."""
    mine, theirs = await buyer_party(conn), await buyer_party(conn)
    vendor, rival = await vendor_party(conn), await vendor_party(conn)
    my_rfq = await published_rfq(files_client, mine, [vendor, rival])
    their_rfq = await published_rfq(files_client, theirs, [vendor])
    their_file = (
        await upload(files_client, f"/api/v1/rfqs/{their_rfq['id']}/attachments", theirs, summary="Their drawing")
    ).json()
    my_bid = (await submit(files_client, vendor, my_rfq)).json()
    rival_bid = (await submit(files_client, rival, my_rfq)).json()
    their_bid = (await submit(files_client, vendor, their_rfq)).json()
    vendor_base = f"/api/v1/vendor/rfqs/{my_rfq['id']}/bid/attachments"
    rival_file = (await upload(files_client, vendor_base, rival, label="sales")).json()
    other_offer_file = (
        await upload(files_client, f"/api/v1/vendor/rfqs/{their_rfq['id']}/bid/attachments", vendor, label="sales")
    ).json()

    mine_base = f"/api/v1/rfqs/{my_rfq['id']}"
    assert (
        await files_client.get(f"{mine_base}/attachments/{their_file['id']}", headers=mine.auth())
    ).status_code == 404
    gone = await files_client.delete(f"{mine_base}/attachments/{their_file['id']}?summary=x", headers=mine.auth())
    assert problem(gone, 404)["code"] == "rfq.file_not_found"
    # An offer of this request, with a file of another offer or of another request's offer.
    for bid_id, file_id in ((my_bid["bid_id"], rival_file["id"]), (my_bid["bid_id"], other_offer_file["id"])):
        r = await files_client.get(f"{mine_base}/bids/{bid_id}/attachments/{file_id}", headers=mine.auth())
        assert r.status_code == 404
    # Another request's offer under this request.
    assert (
        await files_client.get(f"{mine_base}/bids/{their_bid['bid_id']}/attachments", headers=mine.auth())
    ).status_code == 404
    # The vendor's own offer routes with the rival's file id.
    for method in ("GET", "DELETE"):
        r = await files_client.request(method, f"{vendor_base}/{rival_file['id']}", headers=vendor.auth("sales"))
        assert r.status_code == 404
    assert (
        await files_client.get(
            f"/api/v1/vendor/rfqs/{my_rfq['id']}/attachments/{their_file['id']}", headers=vendor.auth()
        )
    ).status_code == 404
    # The rival's file is untouched and still its own.
    assert [f["id"] for f in (await files_client.get(vendor_base, headers=rival.auth("sales"))).json()] == [
        rival_file["id"]
    ]
    assert rival_bid["bid_id"] != my_bid["bid_id"]


async def test_files_of_a_best_and_final_offer_open_at_that_rounds_deadline(
    files_client: httpx.AsyncClient, conn: Connection
) -> None:
    buyer, v1, v2 = await buyer_party(conn), await vendor_party(conn), await vendor_party(conn)
    tender = await published_rfq(files_client, buyer, [v1, v2], kind="tender")
    b1 = (await submit(files_client, v1, tender)).json()
    b2 = (await submit(files_client, v2, tender)).json()
    base = f"/api/v1/vendor/rfqs/{tender['id']}/bid/attachments"
    first = (await upload(files_client, base, v1, PDF, "first-round.pdf", label="sales")).json()
    await pass_deadline(conn, tender["id"])
    await files_client.get(f"/api/v1/rfqs/{tender['id']}", headers=buyer.auth("buyer"))  # closes it
    bafo_closes = datetime.fromisoformat(tender["closes_at"]) + timedelta(days=3)
    r = await files_client.post(
        f"/api/v1/rfqs/{tender['id']}/bafo",
        json={"bid_ids": [b1["bid_id"]], "closes_at": bafo_closes.isoformat()},
        headers=buyer.auth("buyer"),
    )
    assert r.status_code == 200, r.text
    # Only the shortlisted vendor attaches, and files of the first round stay as they were opened.
    assert problem(await upload(files_client, base, v2, label="sales"), 422)["code"] == "rfq.deadline_passed"
    final = await upload(files_client, base, v1, PNG, "final-offer.png", label="sales")
    assert final.status_code == 201, final.text
    kept = await files_client.delete(f"{base}/{first['id']}", headers=v1.auth("sales"))
    assert problem(kept, 422)["code"] == "rfq.deadline_passed"

    offer_base = f"/api/v1/rfqs/{tender['id']}/bids/{b1['bid_id']}/attachments"
    assert [f["filename"] for f in (await files_client.get(offer_base, headers=buyer.auth("buyer"))).json()] == [
        "first-round.pdf"
    ]
    hidden = await files_client.get(f"{offer_base}/{final.json()['id']}", headers=buyer.auth("buyer"))
    assert hidden.status_code == 404
    assert (
        await files_client.get(f"/api/v1/rfqs/{tender['id']}/bids/{b2['bid_id']}/attachments", headers=buyer.auth())
    ).json() == []
    await freeze_clock(conn, bafo_closes)
    assert [f["filename"] for f in (await files_client.get(offer_base, headers=buyer.auth("buyer"))).json()] == [
        "first-round.pdf",
        "final-offer.png",
    ]
    assert (await files_client.get(f"{offer_base}/{final.json()['id']}", headers=buyer.auth())).content == PNG


async def test_files_of_a_line_removed_by_an_amendment(files_client: httpx.AsyncClient, conn: Connection) -> None:
    buyer, vendor = await buyer_party(conn), await vendor_party(conn)
    draft = await create_rfq(files_client, buyer)
    first_line = draft["lines"][0]["id"]
    line_file = (
        await upload(files_client, f"/api/v1/rfqs/{draft['id']}/attachments", buyer, line_id=str(first_line))
    ).json()
    await files_client.post(
        f"/api/v1/rfqs/{draft['id']}/invitations", json={"vendor_ids": [vendor.id]}, headers=buyer.auth()
    )
    r = await files_client.post(
        f"/api/v1/rfqs/{draft['id']}/transitions", json={"to": "published"}, headers=buyer.auth("buyer")
    )
    assert r.status_code == 200, r.text
    vendor_base = f"/api/v1/vendor/rfqs/{draft['id']}/attachments"
    assert [f["id"] for f in (await files_client.get(vendor_base, headers=vendor.auth())).json()] == [line_file["id"]]
    amended = await files_client.post(
        f"/api/v1/rfqs/{draft['id']}/amendments",
        json={"summary": "Line 1 dropped", "lines": [{"action": "remove", "line_id": first_line}]},
        headers=buyer.auth("buyer"),
    )
    assert amended.status_code == 201, amended.text
    # Vendors no longer see the file of a line that is no longer asked for; the buyer can still withdraw it.
    assert (await files_client.get(vendor_base, headers=vendor.auth())).json() == []
    withdrawn = await files_client.delete(
        f"/api/v1/rfqs/{draft['id']}/attachments/{line_file['id']}",
        params={"summary": "Drawing of the dropped line withdrawn"},
        headers=buyer.auth("buyer"),
    )
    assert withdrawn.status_code == 204, withdrawn.text
