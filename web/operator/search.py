"""Operator pages for search: synonyms, search analytics, and the indexing state with its repairs."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromQuery
from litestar.response import Template

from marketplace.core.actor import CurrentActor
from marketplace.core.db import PathId, Tx
from marketplace.core.errors import DomainError
from search import analytics, operations, synonyms
from web.charts import DayPoint, daily_chart
from web.forms import FormErrors, read_form, render_form
from web.session import redirect

AnyRequest = Request[Any, Any, Any]
MAX_TERMS_INPUT = 2000
"""Characters in the terms field; far more than 20 terms of 60 characters need."""

# ------------------------------------------------------------------ synonyms


async def _synonyms_context(conn: Tx, actor: CurrentActor) -> dict[str, Any]:
    return {"actor": actor, "synonyms": await synonyms.operator_synonyms(conn, actor)}


def _split_terms(raw: object) -> list[str]:
    text = ",".join(raw) if isinstance(raw, list) else str(raw or "")
    if len(text) > MAX_TERMS_INPUT:
        raise FormErrors({"terms": f"Too long; at most {MAX_TERMS_INPUT} characters."})
    return text.split(",")


@get("/operator/search/synonyms", name="operator_search_synonyms")
async def synonyms_page(conn: Tx, actor: CurrentActor) -> Template:
    return Template(
        template_name="operator/search_synonyms.html", context={**await _synonyms_context(conn, actor), "values": {}}
    )


@post("/operator/search/synonyms")
async def add_synonym(request: AnyRequest, conn: Tx, actor: CurrentActor) -> Response[Any] | Template:
    data = await read_form(request)
    try:
        await synonyms.add_synonym(conn, actor, _split_terms(data.get("terms")), one_way=data.get("one_way") == "on")
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status == 404:
            raise
        values = {"terms": str(data.get("terms", ""))[:MAX_TERMS_INPUT], "one_way": data.get("one_way") == "on"}
        return render_form("operator/search_synonyms.html", exc, values=values, **await _synonyms_context(conn, actor))
    return redirect("/operator/search/synonyms?done=added")


@post("/operator/search/synonyms/{synonym_id:int}/delete")
async def delete_synonym(conn: Tx, actor: CurrentActor, synonym_id: PathId) -> Response[Any]:
    await synonyms.delete_synonym(conn, actor, synonym_id)
    return redirect("/operator/search/synonyms?done=deleted")


# ------------------------------------------------------------------ analytics


@get("/operator/search/analytics", name="operator_search_analytics")
async def analytics_page(conn: Tx, actor: CurrentActor, days: FromQuery[str] = "30") -> Template:
    period = int(days) if days.isdigit() and len(days) <= 3 else 0
    report = await analytics.search_analytics(conn, actor, days=period)
    chart = daily_chart([DayPoint(day=d.day, count=d.searches, share=d.zero_share) for d in report.per_day])
    return Template(
        template_name="operator/search_analytics.html",
        context={"actor": actor, "report": report, "chart": chart, "periods": analytics.PERIODS},
    )


# ------------------------------------------------------------------ indexing state


async def _indexing_page(
    conn: Tx, actor: CurrentActor, state: State, *, status_code: int = 200, **extra: Any
) -> Template:
    status = await operations.indexing_status(conn, actor, state.search, state.settings)
    return Template(
        template_name="operator/search_indexing.html",
        context={"actor": actor, "status": status, "drift": None, "drift_problem": None, **extra},
        status_code=status_code,
    )


@get("/operator/search/indexing", name="operator_search_indexing")
async def indexing_page(conn: Tx, actor: CurrentActor, state: State) -> Template:
    return await _indexing_page(conn, actor, state)


@post("/operator/search/indexing/rebuild")
async def rebuild(conn: Tx, actor: CurrentActor) -> Response[Any]:
    queued = await operations.request_rebuild(conn, actor)
    return redirect(f"/operator/search/indexing?rebuild={'queued' if queued else 'pending'}")


@post("/operator/search/indexing/drift")
async def check_drift(conn: Tx, actor: CurrentActor, state: State) -> Template:
    """Runs inside the request on purpose (demo-size catalogs); the result is shown, nothing is repaired."""
    try:
        drift = await operations.check_drift(conn, actor, state.search, state.settings)
    except DomainError as exc:
        if exc.status == 404 and exc.code == "resource.not_found":
            raise
        return await _indexing_page(conn, actor, state, drift_problem=exc.detail)
    return await _indexing_page(conn, actor, state, drift=drift)


@post("/operator/search/indexing/jobs/{job_id:int}/retry")
async def retry_job(conn: Tx, actor: CurrentActor, job_id: PathId) -> Response[Any]:
    await operations.retry_failed_job(conn, actor, job_id)
    return redirect(f"/operator/search/indexing?retried={job_id}")


ROUTES = [
    synonyms_page,
    add_synonym,
    delete_synonym,
    analytics_page,
    indexing_page,
    rebuild,
    check_drift,
    retry_job,
]
