"""Vendor page: the product editor (product fields, category attributes, variants with prices).

The same ``save_product`` as the API and imports. While typing, htmx posts the form to ``validate``
(debounced) and swaps in the list of problems; saving re-renders the form with messages if needed.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.params import FromQuery
from litestar.response import Template

from marketplace.core.actor import CurrentActor
from marketplace.core.db import Connection, PathId, Tx
from marketplace.core.errors import DomainError
from marketplace.core.storage import LocalStorage, chunks_of
from vendors import categories, media, service
from vendors.attributes import display
from vendors.commands import ProductIn
from vendors.csvio import format_prices, parse_prices
from web.forms import errors_of
from web.session import redirect

AnyRequest = Request[Any, Any, Any]
PRODUCT_FIELDS = (
    "sku",
    "title",
    "description",
    "brand",
    "category",
    "unit",
    "pack_size",
    "moq",
    "increment",
    "currency",
    "vat_class",
    "country_of_origin",
    "warranty",
)
VARIANT = re.compile(r"^v(\d{1,3})_(sku|name|mpn|gtin|lead_time_days|prices|attr_[a-z][a-z0-9_]*)$")


def form_to_command(form: dict[str, Any]) -> tuple[ProductIn | None, dict[str, str]]:
    """The editor's flat form (``v0_sku``, ``attr_length``, ``v1_attr_length`` ...) as a product command."""
    raw: dict[str, Any] = {k: str(form[k]).strip() for k in PRODUCT_FIELDS if str(form.get(k, "")).strip()}
    raw["hide_price_from_guests"] = form.get("hide_price_from_guests") == "on"
    raw["attributes"] = {k[5:]: str(v).strip() for k, v in form.items() if k.startswith("attr_") and str(v).strip()}
    variants: dict[int, dict[str, Any]] = {}
    errors: dict[str, str] = {}
    for key, value in form.items():
        match = VARIANT.match(key)
        if not match or not str(value).strip():
            continue
        index, field = int(match.group(1)), match.group(2)
        row = variants.setdefault(index, {"attributes": {}})
        if field.startswith("attr_"):
            row["attributes"][field[5:]] = str(value).strip()
        elif field == "prices":
            try:
                row["prices"] = [msgspec.structs.asdict(t) for t in parse_prices(str(value))]
            except ValueError as exc:
                errors[f"variants[{index}].prices"] = str(exc)
        else:
            row[field] = str(value).strip()
    raw["variants"] = [variants[i] for i in sorted(variants) if variants[i].get("sku")]
    try:
        return msgspec.convert(raw, ProductIn, strict=False), errors
    except msgspec.ValidationError as exc:
        reason, _, where = str(exc).partition(" - at `$.")
        errors[where.rstrip("`") or "form"] = reason
        return None, errors


async def _context(
    conn: Connection, actor: CurrentActor, values: dict[str, Any], category_slug: str | None
) -> dict[str, Any]:
    indices = [int(m.group(1)) for k in values if (m := VARIANT.match(k))]
    return {
        "actor": actor,
        "values": values,
        "categories": await categories.all_categories(conn),
        "definitions": await categories.definitions_for(conn, category_slug),
        "variant_rows": range(max(indices) + 2 if indices else 1),  # the filled rows and one empty row
        "errors": {},
    }


def _values_of(detail: service.ProductDetail, category_slug: str | None) -> dict[str, Any]:
    p = detail.product
    values: dict[str, Any] = {
        k: getattr(p, k) for k in PRODUCT_FIELDS if k != "category" and getattr(p, k, None) is not None
    }
    values["category"] = category_slug or ""
    values["hide_price_from_guests"] = p.hide_price_from_guests
    values.update({f"attr_{code}": display(v) for code, v in p.attributes.items()})
    for i, v in enumerate(detail.variants):
        values.update(
            {
                f"v{i}_sku": v.sku,
                f"v{i}_name": v.name,
                f"v{i}_mpn": v.mpn or "",
                f"v{i}_gtin": v.gtin or "",
                f"v{i}_lead_time_days": "" if v.lead_time_days is None else v.lead_time_days,
                f"v{i}_prices": format_prices(detail.tiers.get(v.id, [])),
            }
        )
        values.update({f"v{i}_attr_{code}": display(a) for code, a in v.attributes.items()})
    return values


@get("/vendor/catalog/products/new", name="product_new")
async def new_product(conn: Tx, actor: CurrentActor, category: FromQuery[str] = "") -> Template:
    service.vendor_of(actor, write=True)
    values = {"category": category, "unit": "pcs", "pack_size": 1, "moq": 1, "increment": 1, "currency": "EUR"}
    return Template(template_name="vendor/editor.html", context=await _context(conn, actor, values, category or None))


@get("/vendor/catalog/products/{product_id:int}", name="product_edit")
async def edit_product(conn: Tx, actor: CurrentActor, product_id: PathId) -> Template:
    detail = await service.get_product(conn, actor, product_id)
    slug = await categories.slug_of(conn, detail.product.category_id)
    values = _values_of(detail, slug)
    return Template(
        template_name="vendor/editor.html",
        context={
            **await _context(conn, actor, values, slug),
            "product": detail.product,
            "files": await media.list_media(conn, product_id),
        },
    )


async def _check(
    conn: Connection, actor: CurrentActor, form: dict[str, Any]
) -> tuple[ProductIn | None, dict[str, str]]:
    command, errors = form_to_command(form)
    if command is not None:
        _, _, problems = await service.check_product(conn, command)
        errors.update(problems)
    return command, errors


@post("/vendor/catalog/products/validate")
async def validate(request: AnyRequest, conn: Tx, actor: CurrentActor) -> Template:
    """htmx inline validation: the list of problems for the form as it is now (always 200, so htmx swaps it)."""
    service.vendor_of(actor, write=True)
    form = dict((await request.form()).items())
    _, errors = await _check(conn, actor, form)
    return Template(template_name="vendor/editor_problems.html", context={"errors": errors})


@post("/vendor/catalog/products")
async def save(request: AnyRequest, conn: Tx, actor: CurrentActor) -> Response[Any] | Template:
    form = dict((await request.form()).items())
    command, errors = await _check(conn, actor, form)
    if command is not None and not errors:
        try:
            async with conn.transaction():
                product, _ = await service.save_product(conn, actor, command, audit_source="editor")
        except DomainError as exc:
            fields, summary = errors_of(exc)
            errors = fields or {"form": summary or exc.detail}
        else:
            return redirect(f"/vendor/catalog/products/{product.id}?saved=1")
    context = await _context(conn, actor, form, str(form.get("category") or "") or None)
    return Template(template_name="vendor/editor.html", context={**context, "errors": errors}, status_code=422)


@post("/vendor/catalog/products/{product_id:int}/media", request_max_body_size=26 * 1024 * 1024)
async def upload_media(
    request: AnyRequest, conn: Tx, actor: CurrentActor, product_id: PathId, state: State
) -> Response[Any]:
    """Images (PNG, JPEG, WebP) and PDF documents from the editor page; the same checks as the API."""
    await media.require_own_product(conn, actor, product_id)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return redirect(f"/vendor/catalog/products/{product_id}?media=missing#media")

    try:
        async with conn.transaction():
            await media.add_media(
                conn,
                actor,
                LocalStorage(state.settings.storage_dir),
                product_id,
                kind=str(form.get("kind") or ""),
                title=str(form.get("title") or ""),
                filename=upload.filename or "",
                chunks=chunks_of(upload),
            )
    except DomainError as exc:
        return redirect(f"/vendor/catalog/products/{product_id}?media={exc.code}#media")
    return redirect(f"/vendor/catalog/products/{product_id}?media=saved#media")


ROUTES = [new_product, edit_product, validate, save, upload_media]
