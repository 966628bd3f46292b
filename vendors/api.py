"""JSON API of catalogs for machine clients: products, prices, stock (idempotent bulk sync), quotes."""

from __future__ import annotations

import tempfile
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State, UploadFile
from litestar.params import FromQuery, JSONBody, QueryParameter

from marketplace.core.actor import CurrentActor
from marketplace.core.db import PathId, Tx
from marketplace.core.errors import RuleViolation
from marketplace.core.storage import LocalStorage, chunks_of
from vendors import audience as product_audience
from vendors import bmecat_import, imports, media, offers, service, storefront
from vendors.commands import AudienceIn, LinksIn, PriceListIn, PricesIn, ProductIn, StockIn, WarehouseIn
from vendors.models import PriceList, ProductStatus, Warehouse
from vendors.schemas import CountOut, ProductOut, SavedOut

Page = Annotated[int, QueryParameter(ge=1, le=10_000)]
Qty = Annotated[int, QueryParameter(ge=1, le=10_000_000)]


class CatalogController(Controller):
    path = "/catalog"
    tags = ("catalog",)

    @get("/products", summary="Your products (vendor)")
    async def products(
        self,
        conn: Tx,
        actor: CurrentActor,
        status: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
        page: Page = 1,
    ) -> list[ProductOut]:
        rows, _ = await service.list_products(conn, actor, status=status, query=(q or "")[:100] or None, page=page)
        return [ProductOut.from_detail(await service.get_product(conn, actor, p.id)) for p in rows]

    @get("/products/{product_id:int}", summary="One of your products with variants, prices and stock")
    async def product(self, conn: Tx, actor: CurrentActor, product_id: PathId) -> ProductOut:
        return ProductOut.from_detail(await service.get_product(conn, actor, product_id))

    @put(
        "/products",
        summary="Create or update a product by SKU (idempotent)",
        description="Sends the whole product with its variants and list prices. Sending the same data again "
        "changes nothing (`changed: false`).",
    )
    async def save_product(self, conn: Tx, actor: CurrentActor, data: JSONBody[ProductIn]) -> SavedOut:
        product, changed = await service.save_product(conn, actor, data)
        return SavedOut(
            product=ProductOut.from_detail(await service.get_product(conn, actor, product.id)), changed=changed
        )

    @post(
        "/products/{product_id:int}/submit", summary="Submit a product for review (verified vendors)", status_code=200
    )
    async def submit(self, conn: Tx, actor: CurrentActor, product_id: PathId) -> ProductOut:
        await service.change_status(conn, actor, product_id, ProductStatus.PENDING_REVIEW)
        return ProductOut.from_detail(await service.get_product(conn, actor, product_id))

    @post("/products/{product_id:int}/archive", summary="Archive a product", status_code=200)
    async def archive(self, conn: Tx, actor: CurrentActor, product_id: PathId) -> ProductOut:
        await service.change_status(conn, actor, product_id, ProductStatus.ARCHIVED)
        return ProductOut.from_detail(await service.get_product(conn, actor, product_id))

    @put("/prices", summary="Bulk list-price update by variant SKU (idempotent, all or nothing)")
    async def prices(self, conn: Tx, actor: CurrentActor, data: JSONBody[list[PricesIn]]) -> CountOut:
        return CountOut(changed=await offers.set_prices(conn, actor, data))

    @put("/stock", summary="Bulk stock update by variant SKU and warehouse (idempotent, all or nothing)")
    async def stock(self, conn: Tx, actor: CurrentActor, data: JSONBody[list[StockIn]]) -> CountOut:
        return CountOut(changed=await offers.set_stock(conn, actor, data))

    @get("/warehouses", summary="Your warehouses")
    async def warehouses(self, conn: Tx, actor: CurrentActor) -> list[Warehouse]:
        return await offers.list_warehouses(conn, actor)

    @post("/warehouses", summary="Add a warehouse")
    async def add_warehouse(self, conn: Tx, actor: CurrentActor, data: JSONBody[WarehouseIn]) -> Warehouse:
        return await offers.create_warehouse(conn, actor, data)

    @get("/price-lists", summary="Your contract price lists")
    async def price_lists(self, conn: Tx, actor: CurrentActor) -> list[PriceList]:
        return await offers.list_price_lists(conn, actor)

    @post("/price-lists", summary="Create a contract price list for buyer companies")
    async def add_price_list(self, conn: Tx, actor: CurrentActor, data: JSONBody[PriceListIn]) -> PriceList:
        return await offers.create_price_list(conn, actor, data)

    @put("/price-lists/{price_list_id:int}/prices", summary="Set contract prices of variants in a price list")
    async def contract_prices(
        self, conn: Tx, actor: CurrentActor, price_list_id: PathId, data: JSONBody[list[PricesIn]]
    ) -> None:
        await offers.set_contract_prices(conn, actor, price_list_id, data)

    @post(
        "/imports/csv",
        summary="Import a catalog CSV (body: the file, text/csv)",
        description="One row per variant, `;` or `,` separated (docs/catalog-csv.md). `dry_run=true` reports per-row "
        "errors without writing; `mode=all` writes nothing if any row fails, `mode=partial` writes the valid products.",
        status_code=200,
        request_max_body_size=64 * 1024 * 1024,
    )
    async def import_csv(
        self,
        request: Request[Any, Any, Any],
        conn: Tx,
        actor: CurrentActor,
        dry_run: FromQuery[bool] = False,
        mode: FromQuery[Literal["all", "partial"]] = "all",
    ) -> imports.ImportReport:
        return await imports.import_csv(conn, actor, await request.body(), dry_run=dry_run, mode=mode)

    @post(
        "/imports/bmecat",
        summary="Import a BMEcat 2005 file (body: the XML) or package (body: a .zip with the XML and its media)",
        description="T_NEW_CATALOG and T_UPDATE_PRODUCTS create or update products by SUPPLIER_PID; "
        "T_UPDATE_PRICES updates list prices. Streamed; entity declarations and internal DTD subsets are refused. "
        "A zip package (recognised by its first bytes) holds one .xml and the images and PDFs its MIME_SOURCE "
        "paths name; they are attached as product images or documents (docs/catalog.md).",
        status_code=200,
        request_max_body_size=512 * 1024 * 1024,
    )
    async def import_bmecat(
        self,
        request: Request[Any, Any, Any],
        conn: Tx,
        actor: CurrentActor,
        state: State,
        dry_run: FromQuery[bool] = False,
        mode: FromQuery[Literal["all", "partial"]] = "all",
    ) -> imports.ImportReport:
        # Spool the upload to disk past 8 MB; the parser streams from the file.
        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
            async for chunk in request.stream():
                spool.write(chunk)
            spool.seek(0)
            return await bmecat_import.import_bmecat(
                conn,
                actor,
                spool,  # type: ignore[arg-type]
                dry_run=dry_run,
                mode=mode,
                storage=LocalStorage(state.settings.storage_dir),
            )

    @get("/export.csv", summary="Your whole catalog as CSV, in the import format", media_type="text/csv")
    async def export_csv(self, conn: Tx, actor: CurrentActor) -> Response[str]:
        return Response(
            await imports.export_csv(conn, actor),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="catalog.csv"'},
        )

    @get("/products/{product_id:int}/audience", summary="The buyer companies a product is restricted to")
    async def audience(self, conn: Tx, actor: CurrentActor, product_id: PathId) -> product_audience.Audience:
        return await product_audience.get_audience(conn, actor, product_id)

    @put(
        "/products/{product_id:int}/audience",
        summary="Restrict a product to chosen buyer companies (empty list: visible to all)",
    )
    async def set_audience(
        self, conn: Tx, actor: CurrentActor, product_id: PathId, data: JSONBody[AudienceIn]
    ) -> product_audience.Audience:
        return await product_audience.set_audience(conn, actor, product_id, data)

    @put("/products/{product_id:int}/links", summary="Set accessories and replacement parts (by SKU)")
    async def links(
        self, conn: Tx, actor: CurrentActor, product_id: PathId, data: JSONBody[LinksIn]
    ) -> list[service.LinkedProduct]:
        return await service.set_links(conn, actor, product_id, data)

    @post(
        "/products/{product_id:int}/media",
        summary="Upload an image (PNG, JPEG, WebP; 10 MB) or document (PDF; 25 MB) of a product",
        description="Multipart form: `file`, `kind` (`image` or `document`), `title`.",
        request_max_body_size=26 * 1024 * 1024,
    )
    async def upload_media(
        self, request: Request[Any, Any, Any], conn: Tx, actor: CurrentActor, product_id: PathId, state: State
    ) -> media.Media:
        await media.require_own_product(conn, actor, product_id)
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise RuleViolation("media.file", "Send the file as multipart field `file`.", field="file")

        return await media.add_media(
            conn,
            actor,
            LocalStorage(state.settings.storage_dir),
            product_id,
            kind=str(form.get("kind") or ""),
            title=str(form.get("title") or ""),
            filename=upload.filename or "",
            chunks=chunks_of(upload),
        )

    @get("/offers/{variant_id:int}/quote", summary="The price your company pays for a quantity today")
    async def quote(self, conn: Tx, actor: CurrentActor, variant_id: PathId, quantity: Qty = 1) -> storefront.Quote:
        return await storefront.quote(conn, actor, variant_id, quantity)
