"""Use case: the buyer's comparison of the offers (the evaluation in ``rfq.evaluation``, fed from the database).

Kept apart from ``rfq.service`` only so that the evaluation branch merges without touching it; it may
move there as ``service.comparison`` unchanged.
"""

from __future__ import annotations

import msgspec

from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from marketplace.settings import Settings
from rfq import repository as repo
from rfq import rules
from rfq.bids import opened_bids
from rfq.evaluation import Evaluation, SortKey, evaluate
from rfq.models import Rfq, Status
from rfq.service import close_if_due, get_own

SEALED_STATUSES = frozenset({Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED, Status.PUBLISHED})


class RfqComparison(msgspec.Struct, frozen=True, kw_only=True):
    """What the comparison page and its CSV show."""

    rfq: Rfq
    evaluation: Evaluation
    sealed: bool
    """A sealed tender before its deadline: there is nothing to compare yet (and nothing is revealed)."""
    scored: bool
    """The RFQ has criteria the buyer scores by hand (the page offers scoring)."""


async def comparison(
    conn: Connection,
    actor: Actor,
    rfq_id: int,
    *,
    settings: Settings,
    sort: SortKey = "total",
    descending: bool = False,
) -> RfqComparison:
    """The side-by-side comparison of the offers the buyer may read now, with scores and flags.

    Any member of the buyer company sees it (as the offers themselves); sealed tenders show nothing
    before the deadline. Applies a passed deadline first, as every reader does. Raises ``NotFound``.
    """
    rfq = await close_if_due(conn, await get_own(conn, actor, rfq_id), settings=settings)
    sealed = rfq.rules.sealed and rfq.status in SEALED_STATUSES
    lines = await repo.list_lines(conn, rfq.id)
    bids = [] if sealed else await opened_bids(conn, rfq, settings=settings)
    scored = any(c.code not in rules.FORMULA_CRITERIA for c in rfq.criteria)
    manual = await repo.list_scores(conn, rfq.id) if scored and bids else {}
    today = rules.buyer_today(rfq.buyer_time_zone, await repo.clock(conn))
    result = evaluate(rfq, lines, bids, today=today, manual_scores=manual, sort=sort, descending=descending)
    return RfqComparison(rfq=rfq, evaluation=result, sealed=sealed, scored=scored)
