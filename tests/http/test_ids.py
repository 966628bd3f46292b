"""Ids from outside are bounded: out of range is a clear 400, never a database error."""

from __future__ import annotations

import httpx

from marketplace.core.db import Connection
from tests.support.accounts import make_company, post_form, sign_in


async def test_out_of_range_ids_are_400_on_pages(client: httpx.AsyncClient, conn: Connection) -> None:
    company = await make_company(conn)
    await sign_in(client, company.emails["admin"])
    for bad in ("9223372036854775808", "0"):
        r = await post_form(client, f"/company/addresses/{bad}/default", {})
        assert r.status_code == 400, bad
        assert "address_id" in r.text
