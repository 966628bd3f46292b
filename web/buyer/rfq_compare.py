"""The buyer's comparison of offers: the side-by-side table (sortable by server-side links), scores, flags, CSV.

``GET /buyer/rfqs/{id}/compare`` serves the whole page, or only the table block to htmx (``HX-Request``
targeting ``comparison``), with the URL pushed so sorted views are real links. ``…/compare.csv`` exports
the same table. Both call ``rfq.compare.comparison`` (the service use case).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.params import FromQuery
from litestar.response import Template

from marketplace.core.actor import CurrentActor
from marketplace.core.db import PathId, Tx
from rfq.compare import RfqComparison, comparison
from rfq.evaluation import SORT_KEYS, SortKey
from rfq.export import comparison_csv
from rfq.models import Kind
from web.charts import BarChart, LabelledValue, bar_chart
from web.templating import hundredths, money

SORT_LABELS: dict[SortKey, str] = {
    "total": "Total landed cost",
    "vendor": "Vendor",
    "lead_time": "Longest lead time",
    "score": "Score",
}


def _sort(value: str) -> SortKey:
    return next((key for key in SORT_KEYS if key == value), "total")


def sort_link(rfq_id: int, key: SortKey, *, current: SortKey, descending: bool) -> str:
    """The comparison sorted by ``key``; the current key's link flips the direction."""
    flip = key == current and not descending
    return f"/buyer/rfqs/{rfq_id}/compare?" + urlencode({"sort": key, "order": "desc" if flip else "asc"})


def _points(value: int) -> str:
    """An axis label in points from hundredths: whole points without decimals."""
    return f"{value // 100}" if value % 100 == 0 else hundredths(value)


def chart_of(found: RfqComparison) -> tuple[BarChart, str] | None:
    """Tenders with ranked offers: the weighted score per vendor; otherwise the total landed cost."""
    evaluation = found.evaluation
    vendors = evaluation.comparison.vendors
    if not vendors:
        return None
    if found.rfq.kind == Kind.TENDER and any(s.rank is not None for s in evaluation.scores):
        ranked = [s for s in evaluation.scores if s.rank is not None and s.total_hundredths is not None]
        items = [
            LabelledValue(
                label=s.vendor_name,
                value=s.total_hundredths or 0,
                text=f"{hundredths(s.total_hundredths)} points",
                highlight=s.rank == 1,
            )
            for s in ranked
        ]
        return bar_chart(items, tick_label=_points), "Weighted score per vendor (ranked offers)"
    cheapest = min((v.landed_total_minor for v in vendors if v.competes), default=None)
    currency = found.rfq.currency
    items = [
        LabelledValue(
            label=v.vendor_name + ("" if v.complete else f" ({v.lines_covered} lines)"),
            value=v.landed_total_minor,
            text=money(v.landed_total_minor, currency),
            highlight=v.competes and v.landed_total_minor == cheapest,
        )
        for v in vendors
    ]
    return bar_chart(items, tick_label=lambda m: money(m, currency)), "Total landed cost per vendor"


@get("/buyer/rfqs/{rfq_id:int}/compare", name="buyer_rfq_compare")
async def compare_page(
    request: Request[Any, Any, Any],
    conn: Tx,
    actor: CurrentActor,
    state: State,
    rfq_id: PathId,
    sort: FromQuery[str] = "total",
    order: FromQuery[str] = "asc",
) -> Template:
    by, descending = _sort(sort), order == "desc"
    found = await comparison(conn, actor, rfq_id, settings=state.settings, sort=by, descending=descending)
    partial = request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == "comparison"
    headers = {"Vary": "HX-Request", "Cache-Control": "no-store"}
    if partial:
        headers["HX-Push-Url"] = f"/buyer/rfqs/{rfq_id}/compare?" + urlencode({"sort": by, "order": order})
    chart = chart_of(found)
    return Template(
        template_name="buyer/rfq_compare_table.html" if partial else "buyer/rfq_compare.html",
        context={
            "actor": actor,
            "rfq": found.rfq,
            "found": found,
            "evaluation": found.evaluation,
            "comparison": found.evaluation.comparison,
            "chart": chart[0] if chart else None,
            "chart_title": chart[1] if chart else "",
            "sort_keys": SORT_LABELS,
            "sort_link": sort_link,
        },
        headers=headers,
    )


@get("/buyer/rfqs/{rfq_id:int}/compare.csv", name="buyer_rfq_compare_csv")
async def compare_csv(
    conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, sort: FromQuery[str] = "total"
) -> Response[str]:
    """The comparison as CSV (UTF-8 with a byte order mark, so spreadsheet programs read the accents)."""
    found = await comparison(conn, actor, rfq_id, settings=state.settings, sort=_sort(sort))
    return Response(
        "\ufeff" + comparison_csv(found.evaluation.comparison),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="rfq-{rfq_id}-comparison.csv"',
            "Cache-Control": "no-store",
        },
    )


ROUTES = [compare_page, compare_csv]
