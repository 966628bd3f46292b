"""Operator pages: the verification queue, a company's file with the decision form, user search."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Template

from marketplace.accounts import verification as service
from marketplace.accounts.commands import Decision
from marketplace.accounts.models import CompanyStatus
from marketplace.core.actor import CurrentActor
from marketplace.core.db import PathId, Tx
from marketplace.core.errors import DomainError
from web.forms import FormErrors, parse, read_form, render_form
from web.session import redirect

AnyRequest = Request[Any, Any, Any]
STATUSES = [("", "Any status")] + [(s.value, s.value.capitalize()) for s in CompanyStatus]


@get("/operator/companies", name="operator_companies")
async def companies(
    conn: Tx,
    actor: CurrentActor,
    status: FromQuery[str] = "pending",
    q: FromQuery[str] = "",
    page: FromQuery[int] = 1,
) -> Template:
    chosen = CompanyStatus(status) if status in CompanyStatus._value2member_map_ else None
    rows, total = await service.search_companies(
        conn, actor, status=chosen, query=q.strip()[:200] or None, page=max(1, min(page, 10_000))
    )
    return Template(
        template_name="operator/companies.html",
        context={
            "actor": actor,
            "companies": rows,
            "total": total,
            "status": status,
            "q": q,
            "page": page,
            "statuses": STATUSES,
            "pages": max(1, -(-total // 25)),
        },
    )


async def _file_context(conn: Tx, actor: CurrentActor, company_id: int) -> dict[str, Any]:
    return {"actor": actor, "file": await service.company_file(conn, actor, company_id)}


@get("/operator/companies/{company_id:int}", name="operator_company")
async def company(conn: Tx, actor: CurrentActor, company_id: PathId) -> Template:
    return Template(
        template_name="operator/company.html", context={**await _file_context(conn, actor, company_id), "values": {}}
    )


@post("/operator/companies/{company_id:int}/decision")
async def decide(request: AnyRequest, conn: Tx, actor: CurrentActor, company_id: PathId) -> Response[Any] | Template:
    data = await read_form(request)
    try:
        await service.decide_company(conn, actor, company_id, parse(Decision, data))
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status == 404:
            raise
        return render_form("operator/company.html", exc, values=data, **await _file_context(conn, actor, company_id))
    return redirect(f"/operator/companies/{company_id}?decided={data.get('action', '')}")


@post("/operator/companies/{company_id:int}/note")
async def note(request: AnyRequest, conn: Tx, actor: CurrentActor, company_id: PathId) -> Response[Any]:
    data = await read_form(request)
    await service.note_company(conn, actor, company_id, str(data.get("note", ""))[:4000])
    return redirect(f"/operator/companies/{company_id}?noted=1")


@get("/operator/users", name="operator_users")
async def users(conn: Tx, actor: CurrentActor, q: FromQuery[str] = "") -> Template:
    found = await service.search_users(conn, actor, q.strip()[:200])
    return Template(template_name="operator/users.html", context={"actor": actor, "users": found, "q": q})


ROUTES = [companies, company, decide, note, users]
