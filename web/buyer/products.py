"""Buyer pages: a product with the signed-in buyer's prices, availability and the same article elsewhere."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from marketplace.core.actor import MaybeActor
from marketplace.core.db import PathId, Tx
from vendors import storefront


@get("/products/{product_id:int}", name="product")
async def product(conn: Tx, maybe_actor: MaybeActor, product_id: PathId) -> Template:
    page = await storefront.product_page(conn, maybe_actor, product_id)
    return Template(template_name="buyer/product.html", context={"page": page, "actor": maybe_actor})


ROUTES = [product]
