"""Files on the RFQ pages: the buyer attaches and deletes through forms (with and without htmx), refused files
come back with messages, vendors download the request's files and attach their own to their offer, and the
offers' files appear on the buyer's page only once they may be read."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from marketplace.core.db import Connection
from tests.support.accounts import csrf, sign_in
from tests.support.rfq import buyer_party, create_rfq, pass_deadline, published_rfq, submit, vendor_party

PDF = b"%PDF-1.7\n" + b"0" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HX = {"HX-Request": "true", "HX-Target": "files"}


@pytest.fixture
def make_client(app_factory: Callable[..., Any], tmp_path: Path) -> Callable[[], httpx.AsyncClient]:
    def make() -> httpx.AsyncClient:
        app = app_factory(storage_dir=str(tmp_path / "storage"))
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")

    return make


@pytest.fixture
async def api(make_client: Callable[[], httpx.AsyncClient]) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as c:
        yield c


async def post_file(
    client: httpx.AsyncClient, url: str, data: bytes, name: str, headers: dict[str, str] | None = None, **fields: str
) -> httpx.Response:
    return await client.post(url, files={"file": (name, data)}, data=fields, headers=csrf(client) | (headers or {}))


def file_links(html: str, prefix: str) -> dict[str, str]:
    """Link text → href of the download links under ``prefix``."""
    return {
        text: href for href, text in re.findall(rf'<a href="({re.escape(prefix)}[^"]+)" download>([^<]+)</a>', html)
    }


async def test_buyer_attaches_and_deletes_draft_files_through_the_page(
    api: httpx.AsyncClient, make_client: Callable[[], httpx.AsyncClient], conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    draft = await create_rfq(api, buyer)
    rfq_id = draft["id"]
    async with make_client() as page:
        await sign_in(page, buyer.company.emails["buyer"])
        detail = await page.get(f"/buyer/rfqs/{rfq_id}")
        assert detail.status_code == 200
        assert 'id="file-form"' in detail.text
        assert 'for="file-file"' in detail.text  # a labelled file input
        assert f"Line 2: {draft['lines'][1]['description']}" in detail.text  # files may go to a line

        added = await post_file(
            page, f"/buyer/rfqs/{rfq_id}/files", PDF, "spec.pdf", line_id=str(draft["lines"][1]["id"])
        )
        assert added.status_code == 303, added.text
        assert added.headers["location"] == f"/buyer/rfqs/{rfq_id}?done=file%20added#files"
        detail = await page.get(f"/buyer/rfqs/{rfq_id}")
        links = file_links(detail.text, f"/buyer/rfqs/{rfq_id}/files/")
        assert list(links) == ["spec.pdf"]
        got = await page.get(links["spec.pdf"])
        assert got.content == PDF
        assert got.headers["content-disposition"].startswith('attachment; filename="spec.pdf"')

        # A refused file: the files page again, with the message at the field (422).
        refused = await post_file(page, f"/buyer/rfqs/{rfq_id}/files", b"MZ\x90\x00 program", "tool.exe")
        assert refused.status_code == 422
        assert 'aria-invalid="true"' in refused.text
        assert "This file is not a PDF" in refused.text
        assert "<html" in refused.text
        missing = await page.post(f"/buyer/rfqs/{rfq_id}/files", data={"line_id": ""}, headers=csrf(page))
        assert missing.status_code == 422
        assert "Choose a file." in missing.text

        # With htmx: the section comes back alone, with the new file, or with the message (422, swapped by the
        # form's data-swap-invalid opt-in).
        swapped = await post_file(page, f"/buyer/rfqs/{rfq_id}/files", PNG, "photo.png", headers=HX)
        assert swapped.status_code == 200
        assert swapped.headers["vary"] == "HX-Request"
        assert '<section id="files"' in swapped.text
        assert "<html" not in swapped.text
        assert set(file_links(swapped.text, f"/buyer/rfqs/{rfq_id}/files/")) == {"spec.pdf", "photo.png"}
        refused_hx = await post_file(page, f"/buyer/rfqs/{rfq_id}/files", b"plain text", "notes.txt", headers=HX)
        assert refused_hx.status_code == 422
        assert "This file is not a PDF" in refused_hx.text
        assert '<section id="files"' in refused_hx.text
        assert "<html" not in refused_hx.text

        photo = file_links(swapped.text, f"/buyer/rfqs/{rfq_id}/files/")["photo.png"]
        deleted = await page.post(f"{photo}/delete", headers=csrf(page))
        assert deleted.status_code == 303
        detail = await page.get(f"/buyer/rfqs/{rfq_id}")
        assert list(file_links(detail.text, f"/buyer/rfqs/{rfq_id}/files/")) == ["spec.pdf"]


async def test_published_files_need_a_summary_and_go_to_the_vendors(
    api: httpx.AsyncClient, make_client: Callable[[], httpx.AsyncClient], conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    vendor = await vendor_party(conn, name="Drawing Reader GmbH")
    rfq = await published_rfq(api, buyer, [vendor])
    rfq_id = rfq["id"]
    async with make_client() as page, make_client() as vpage:
        await sign_in(page, buyer.company.emails["buyer"])
        detail = await page.get(f"/buyer/rfqs/{rfq_id}")
        assert 'id="file-summary"' in detail.text
        refused = await post_file(page, f"/buyer/rfqs/{rfq_id}/files", PDF, "tolerances.pdf")
        assert refused.status_code == 422
        assert 'id="e-file-summary"' in refused.text
        hx = await post_file(
            page, f"/buyer/rfqs/{rfq_id}/files", PDF, "tolerances.pdf", headers=HX, summary="Tolerance sheet"
        )
        assert hx.status_code == 204  # an amendment can move the deadline: the whole page reloads
        assert hx.headers["hx-redirect"] == f"/buyer/rfqs/{rfq_id}?done=file%20added#files"
        detail = await page.get(f"/buyer/rfqs/{rfq_id}")
        assert "amendment (revision 2)" in detail.text

        await sign_in(vpage, vendor.company.emails["sales"])
        vendor_page = await vpage.get(f"/vendor/rfqs/{rfq_id}")
        links = file_links(vendor_page.text, f"/vendor/rfqs/{rfq_id}/files/")
        assert list(links) == ["tolerances.pdf"]
        assert (await vpage.get(links["tolerances.pdf"])).content == PDF
        assert "Send your offer first" in vendor_page.text
        assert 'id="bid-file-form"' not in vendor_page.text

        # Withdrawing it is an amendment too: the vendor no longer sees it among the files, only in the
        # amendment that withdrew it.
        file_url = file_links(detail.text, f"/buyer/rfqs/{rfq_id}/files/")["tolerances.pdf"]
        withdrawn = await page.post(f"{file_url}/delete", data={"summary": "Sheet withdrawn"}, headers=csrf(page))
        assert withdrawn.status_code == 303, withdrawn.text
        after = (await vpage.get(f"/vendor/rfqs/{rfq_id}")).text
        files = re.search(r'<section id="files".*?</section>', after, re.S)
        assert files
        assert "tolerances.pdf" not in files.group(0)
        assert "File withdrawn" in after
        assert (await vpage.get(links["tolerances.pdf"])).status_code == 404


async def test_vendor_attaches_to_its_sealed_offer_and_the_buyer_sees_it_only_after_opening(
    api: httpx.AsyncClient, make_client: Callable[[], httpx.AsyncClient], conn: Connection
) -> None:
    buyer = await buyer_party(conn)
    vendor, other = await vendor_party(conn, name="Sealed Bidder AG"), await vendor_party(conn)
    tender = await published_rfq(api, buyer, [vendor, other], kind="tender")
    rfq_id = tender["id"]
    receipt = (await submit(api, vendor, tender)).json()
    async with make_client() as vpage, make_client() as page:
        await sign_in(vpage, vendor.company.emails["sales"])
        vendor_page = await vpage.get(f"/vendor/rfqs/{rfq_id}")
        assert 'id="bid-file-form"' in vendor_page.text
        assert "nobody, the buyer included, can read them" in vendor_page.text
        attached = await post_file(vpage, f"/vendor/rfqs/{rfq_id}/bid/files", PDF, "method-statement.pdf")
        assert attached.status_code == 303, attached.text
        vendor_page = await vpage.get(f"/vendor/rfqs/{rfq_id}")
        own = file_links(vendor_page.text, f"/vendor/rfqs/{rfq_id}/bid/files/")
        assert list(own) == ["method-statement.pdf"]
        assert (await vpage.get(own["method-statement.pdf"])).content == PDF
        refused = await post_file(vpage, f"/vendor/rfqs/{rfq_id}/bid/files", b"", "empty.pdf", headers=HX)
        assert refused.status_code == 422
        assert "The file is empty." in refused.text

        await sign_in(page, buyer.company.emails["admin"])
        before = await page.get(f"/buyer/rfqs/{rfq_id}")
        assert "method-statement.pdf" not in before.text
        assert "Files of sealed offers open with the offers at the deadline." in before.text
        offer_url = own["method-statement.pdf"].replace(
            f"/vendor/rfqs/{rfq_id}/bid/files/", f"/buyer/rfqs/{rfq_id}/offers/{receipt['bid_id']}/files/"
        )
        assert (await page.get(offer_url)).status_code == 404

        await pass_deadline(conn, rfq_id)
        after = await page.get(f"/buyer/rfqs/{rfq_id}")
        assert "Sealed Bidder AG" in after.text
        links = file_links(after.text, f"/buyer/rfqs/{rfq_id}/offers/")
        assert links == {"method-statement.pdf": offer_url}
        assert (await page.get(offer_url)).content == PDF
        # The vendor can no longer change its files.
        closed = await vpage.get(f"/vendor/rfqs/{rfq_id}")
        assert 'id="bid-file-form"' not in closed.text
        late = await vpage.post(f"{own['method-statement.pdf']}/delete", headers=csrf(vpage))
        assert late.status_code == 422
        assert "Offers are accepted only before" in late.text
