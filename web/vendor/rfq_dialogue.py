"""Vendor page of the dialogue with the buyer: asking a question from the request page.

The question form posts with htmx and gets the questions section back (a refusal as 422: the form is
marked ``data-swap-invalid``, see static/app.js); without JavaScript it posts normally and the request page
comes back (the quote form keeps the live offer).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.datastructures import State
from litestar.response import Template

from marketplace.core.actor import Actor, CurrentActor
from marketplace.core.db import Connection, PathId, Tx
from marketplace.core.errors import DomainError
from rfq import questions, service
from rfq.commands import QuestionIn
from rfq.models import Rfq
from web.forms import FormErrors, parse, read_form, render_form
from web.rfq_dialogue import vendor_questions_context
from web.session import redirect
from web.vendor.rfqs import detail_context

AnyRequest = Request[Any, Any, Any]


@post("/vendor/rfqs/{rfq_id:int}/questions")
async def ask(
    request: AnyRequest, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId
) -> Response[Any] | Template:
    """A private question to the buyer, about the whole request or one line, before questions close."""
    current = await service.get_visible(conn, actor, rfq_id)
    data = await read_form(request)
    values = {k: str(data.get(k, "")) for k in ("body", "line_id")}
    htmx = request.headers.get("hx-request") == "true"
    try:
        cmd = parse(QuestionIn, values)
        async with conn.transaction():
            await questions.ask_question(conn, actor, rfq_id, cmd, settings=state.settings)
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status in (403, 404):
            raise
        status = exc.status if isinstance(exc, DomainError) else 422
        if htmx:  # 422 is what htmx swaps in for a form marked data-swap-invalid (static/app.js)
            return await _fragment(conn, actor, current, exc=exc, values=values, status_code=422)
        context = await detail_context(conn, actor, rfq_id, state.settings)
        quote = context.pop("values")
        context.pop("errors")
        return render_form("vendor/rfq_detail.html", exc, values={**quote, **values}, status_code=status, **context)
    if not htmx:
        return redirect(f"/vendor/rfqs/{rfq_id}?done=question%20sent#questions")
    return await _fragment(conn, actor, current, asked=True)


async def _fragment(
    conn: Connection,
    actor: Actor,
    rfq: Rfq,
    *,
    exc: DomainError | FormErrors | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
    asked: bool = False,
) -> Template:
    """The questions section alone, for htmx."""
    detail = await service.detail(conn, rfq)
    context: dict[str, Any] = {
        "actor": actor,
        "rfq": rfq,
        "lines": [ln for ln in detail.lines if ln.removed_in is None],
        "asked": asked,
        **await vendor_questions_context(conn, actor, rfq, detail.lines),
    }
    if exc is not None:
        return render_form("vendor/_rfq_questions.html", exc, values=values or {}, status_code=status_code, **context)
    return Template(
        template_name="vendor/_rfq_questions.html",
        context={**context, "values": {}, "errors": {}},
        headers={"Vary": "HX-Request"},
    )


ROUTES = [ask]
