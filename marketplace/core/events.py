"""Outbox messages that cross domains: a domain enqueues them, another domain's worker handles them.

They live in the core because domains never import each other (or ``search``): the catalog says
"these products changed", and the search indexer (issue 5) reads the current rows when it runs.
"""

from __future__ import annotations

from collections.abc import Iterable

from marketplace.core.db import Connection
from marketplace.core.jobs import Job, enqueue, enqueue_many


class ProductsChanged(Job, frozen=True, tag="search.products_changed"):
    product_ids: list[int]


async def products_changed(conn: Connection, product_ids: Iterable[int]) -> None:
    """Tell the indexer, inside the caller's transaction; one pending job per product absorbs bursts.

    One statement for any number of products (imports change thousands at a time)."""
    ids = sorted(set(product_ids))
    await enqueue_many(conn, [(ProductsChanged(product_ids=[pid]), f"product:{pid}") for pid in ids])


class VendorChanged(Job, frozen=True, tag="search.vendor_changed"):
    """A vendor's status or name changed: every document of its products must be rebuilt or removed."""

    vendor_id: int


async def vendor_changed(conn: Connection, vendor_id: int) -> None:
    await enqueue(conn, VendorChanged(vendor_id=vendor_id), dedupe_key=f"vendor:{vendor_id}")


class RfqChanged(Job, frozen=True, tag="search.rfq_changed"):
    """An RFQ's public face changed (published, amended, closed, cancelled): the open-requests index
    refreshes its document. Never sent for bid activity, which must not show outside (sealing)."""

    rfq_id: int


async def rfq_changed(conn: Connection, rfq_id: int) -> None:
    await enqueue(conn, RfqChanged(rfq_id=rfq_id), dedupe_key=f"rfq:{rfq_id}")
