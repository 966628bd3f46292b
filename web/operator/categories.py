"""Operator page: the category tree with typed attribute definitions."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Template

from marketplace.core.actor import CurrentActor
from marketplace.core.db import PathId, Tx
from marketplace.core.errors import DomainError
from vendors import categories
from web.forms import FormErrors, parse, read_form, render_form
from web.session import redirect


async def _context(conn: Tx, actor: CurrentActor) -> dict[str, Any]:
    return {"actor": actor, "tree": await categories.tree(conn, actor)}


@get("/operator/categories", name="operator_categories")
async def page(conn: Tx, actor: CurrentActor) -> Template:
    return Template(template_name="operator/categories.html", context={**await _context(conn, actor), "values": {}})


@post("/operator/categories")
async def add_category(request: Request[Any, Any, Any], conn: Tx, actor: CurrentActor) -> Response[Any] | Template:
    data = await read_form(request)
    try:
        await categories.add_category(conn, actor, parse(categories.CategoryIn, data))
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status == 404:
            raise
        return render_form("operator/categories.html", exc, values=data, **await _context(conn, actor))
    return redirect("/operator/categories?added=category")


@post("/operator/categories/{category_id:int}/attributes")
async def add_attribute(
    request: Request[Any, Any, Any], conn: Tx, actor: CurrentActor, category_id: PathId
) -> Response[Any] | Template:
    data = await read_form(request)
    data["required"] = data.get("required") == "on"
    if isinstance(data.get("enum_values"), str):
        data["enum_values"] = [v for v in (x.strip() for x in data["enum_values"].split(",")) if v] or ""
    try:
        await categories.add_attribute(conn, actor, category_id, parse(categories.AttributeIn, data))
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status == 404:
            raise
        return render_form(
            "operator/categories.html", exc, values={}, failed_category=category_id, **await _context(conn, actor)
        )
    return redirect("/operator/categories?added=attribute")


ROUTES = [page, add_category, add_attribute]
