"""Restricted products: a vendor shows a product only to chosen buyer companies (search, pages and quotes obey)."""

from __future__ import annotations

import msgspec

from marketplace.core import audit
from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from marketplace.core.errors import NotFound
from marketplace.core.events import products_changed
from vendors import repository as repo
from vendors.commands import AudienceIn
from vendors.service import FieldErrors, check_role, owner_scope


class Audience(msgspec.Struct, frozen=True, kw_only=True):
    product_id: int
    buyer_ids: list[int]
    """Empty: visible to every buyer. Otherwise only these companies (and the vendor) see the product."""


async def get_audience(conn: Connection, actor: Actor, product_id: int) -> Audience:
    vendor_id = owner_scope(actor)
    if await repo.get_product(conn, product_id, vendor_id=vendor_id) is None:
        raise NotFound("product.not_found", "No such product.")
    return Audience(product_id=product_id, buyer_ids=await repo.get_audience(conn, product_id))


async def set_audience(conn: Connection, actor: Actor, product_id: int, cmd: AudienceIn) -> Audience:
    """Restrict a product to chosen buyer companies (search, product pages and quotes obey it)."""
    vendor_id = owner_scope(actor)
    if await repo.lock_product(conn, product_id, vendor_id=vendor_id) is None:
        raise NotFound("product.not_found", "No such product.")
    check_role(actor, write=True)
    wanted = sorted(set(cmd.buyer_ids))
    known = await repo.known_buyers(conn, wanted)
    errors = {
        f"buyer_ids[{n}]": "There is no buyer company with this id."
        for n, b in enumerate(cmd.buyer_ids)
        if b not in known
    }
    if errors:
        raise FieldErrors(errors)
    await repo.set_audience(conn, product_id, wanted)
    await audit.record(
        conn, "product.audience_set", actor=actor, target_type="product", target_id=product_id, buyers=len(wanted)
    )
    await products_changed(conn, [product_id])
    return Audience(product_id=product_id, buyer_ids=wanted)
