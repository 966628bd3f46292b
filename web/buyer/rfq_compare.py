"""The buyer's comparison of offers: the side-by-side table (sortable by server-side links), scores, flags, CSV.

``GET /buyer/rfqs/{id}/compare`` serves the whole page, or only the table block to htmx (``HX-Request``
targeting ``comparison``), with the URL pushed so sorted views are real links. ``…/compare.csv`` exports
the same table. Both call ``rfq.compare.comparison`` (the service use case).

Tenders with criteria the buyer scores (not price, not lead time) get a score form per vendor, posted to
``…/compare/scores/{bid}`` (``rfq.awards.set_scores``, as ``PUT /api/v1/rfqs/{id}/bids/{bid}/scores``).
htmx swaps the re-rendered evaluation (weighted table, breakdown, chart) and the comparison table in place;
without JavaScript the page reloads. Invalid scores come back next to their field.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromQuery
from litestar.response import Template

from marketplace.core.actor import Actor, CurrentActor
from marketplace.core.db import PathId, Tx
from marketplace.core.errors import DomainError, FieldErrors, NotFound
from rfq import awards
from rfq.compare import RfqComparison, comparison
from rfq.evaluation import SORT_KEYS, SortKey
from rfq.export import comparison_csv
from rfq.models import Criterion, Kind
from rfq.rules import FORMULA_CRITERIA
from web.charts import BarChart, LabelledValue, bar_chart
from web.forms import FormErrors, read_form, render_form
from web.session import redirect
from web.templating import hundredths, money

AnyRequest = Request[Any, Any, Any]
SCORE_TEXT = re.compile(r"^-?\d{1,6}$")

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


def manual_criteria(found: RfqComparison) -> list[Criterion]:
    """The criteria the buyer scores by hand (none for plain RFQs)."""
    return [c for c in found.rfq.criteria if c.code not in FORMULA_CRITERIA] if found.scored else []


def score_key(bid_id: int, code: str) -> str:
    """The input (and error) name of one vendor's score on one criterion."""
    return f"s-{bid_id}-{code}"


def scoring_note(found: RfqComparison, actor: Actor) -> str | None:
    """Why the actor cannot score here (None: the score forms are shown)."""
    if not actor.has_any(*awards.SCORE_ROLES):
        return "Scores are entered by buyers, approvers and admins; you can read them."
    if found.rfq.status not in awards.SCORING_STATUSES:
        return f"Scoring is closed: the request is {found.rfq.status.replace('_', ' ')}."
    return None


def _page_context(found: RfqComparison, actor: Actor, **extra: Any) -> dict[str, Any]:
    chart = chart_of(found)
    manual = manual_criteria(found)
    current = {
        score_key(s.bid_id, p.code): str(p.score_hundredths // 100)
        for s in found.evaluation.scores
        for p in s.breakdown
        if p.score_hundredths is not None and any(c.code == p.code for c in manual)
    }
    return {
        "actor": actor,
        "rfq": found.rfq,
        "found": found,
        "evaluation": found.evaluation,
        "comparison": found.evaluation.comparison,
        "chart": chart[0] if chart else None,
        "chart_title": chart[1] if chart else "",
        "sort_keys": SORT_LABELS,
        "sort_link": sort_link,
        "manual_criteria": manual,
        "scoring_note": scoring_note(found, actor),
        "current_scores": current,
        "score_key": score_key,
        "saved_bid": None,
        "oob_table": False,
        "errors": {},
        "values": {},
        **extra,
    }


@get("/buyer/rfqs/{rfq_id:int}/compare", name="buyer_rfq_compare")
async def compare_page(
    request: AnyRequest,
    conn: Tx,
    actor: CurrentActor,
    state: State,
    rfq_id: PathId,
    sort: FromQuery[str] = "total",
    order: FromQuery[str] = "asc",
    scored: FromQuery[int | None] = None,
) -> Template:
    by, descending = _sort(sort), order == "desc"
    found = await comparison(conn, actor, rfq_id, settings=state.settings, sort=by, descending=descending)
    partial = request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == "comparison"
    headers = {"Vary": "HX-Request", "Cache-Control": "no-store"}
    if partial:
        headers["HX-Push-Url"] = f"/buyer/rfqs/{rfq_id}/compare?" + urlencode({"sort": by, "order": order})
    return Template(
        template_name="buyer/rfq_compare_table.html" if partial else "buyer/rfq_compare.html",
        context=_page_context(found, actor, saved_bid=scored),
        headers=headers,
    )


def score_command(data: dict[str, Any], found: RfqComparison, bid_id: int) -> dict[str, int]:
    """The posted scores of one vendor: criterion code → whole number; empty fields are left as they are.

    The range (0-100) is the service's rule (``set_scores``); here only the number is read. Raises ``FormErrors``.
    """
    manual = manual_criteria(found)
    if not manual:
        raise FormErrors({}, "This request has no criteria that you score.")
    errors: dict[str, str] = {}
    scores: dict[str, int] = {}
    for criterion in manual:
        key = score_key(bid_id, criterion.code)
        text = str(data.get(key, "")).strip()
        if not text:
            continue
        if not SCORE_TEXT.match(text):
            errors[key] = "Enter a whole number from 0 to 100."
            continue
        scores[criterion.code] = int(text)
    if not scores and not errors:
        errors[score_key(bid_id, manual[0].code)] = "Enter at least one score."
    if errors:
        raise FormErrors(errors)
    return scores


@post("/buyer/rfqs/{rfq_id:int}/compare/scores/{bid_id:int}", name="buyer_rfq_scores")
async def save_scores(
    request: AnyRequest, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, bid_id: PathId
) -> Response[Any] | Template:
    """One vendor's scores on the manual criteria; htmx gets the evaluation (and the table) re-rendered."""
    data = await read_form(request)
    by, order = _sort(str(data.get("sort", "total"))), "desc" if data.get("order") == "desc" else "asc"
    htmx = request.headers.get("hx-request") == "true"

    async def load() -> RfqComparison:
        return await comparison(conn, actor, rfq_id, settings=state.settings, sort=by, descending=order == "desc")

    found = await load()
    if bid_id not in {v.bid_id for v in found.evaluation.comparison.vendors}:
        raise NotFound("rfq.bid_not_found", "No such offer on this request.")
    try:
        scores = score_command(data, found, bid_id)
        async with conn.transaction():
            await awards.set_scores(conn, actor, rfq_id, bid_id, scores, settings=state.settings)
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and (exc.status == 404 or (htmx and exc.status != 422)):
            raise  # htmx shows other errors in the flash area (errors/fragment.html)
        if isinstance(exc, FieldErrors):
            exc = FormErrors({score_key(bid_id, k.removeprefix("scores.")): v for k, v in exc.errors.items()})
        context = _page_context(await load(), actor, oob_table=htmx)
        context.pop("errors"), context.pop("values")
        template = "buyer/rfq_compare_scores.html" if htmx else "buyer/rfq_compare.html"
        return render_form(template, exc, values=data, **context)
    if not htmx:
        query = urlencode({"sort": by, "order": order, "scored": bid_id})
        return redirect(f"/buyer/rfqs/{rfq_id}/compare?{query}#score-form-{bid_id}")
    return Template(
        template_name="buyer/rfq_compare_scores.html",
        context=_page_context(await load(), actor, saved_bid=bid_id, oob_table=True),
        headers={"Vary": "HX-Request", "Cache-Control": "no-store"},
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


ROUTES = [compare_page, save_scores, compare_csv]
