"""Search analytics for operators: what people search, what finds nothing, what finds things nobody opens.

Read from ``search_event`` (one row per search, written by ``SearchService.search``) and ``search_click``
(written by the buyer results page). A period is the last N calendar days in UTC including today, by the
database clock, so the lists and the chart count the same searches. Typeahead requests are not searches
here (they are prefixes typed on the way to one).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

import msgspec

from marketplace.core.actor import Actor, require_operator
from marketplace.core.db import Connection
from search.errors import BadSearch

PERIODS: Final = (7, 30, 90)
"""The periods operators choose from, in days."""
LIST_LIMIT: Final = 25

# Constant SQL fragments shared by the queries below ($1 is the period in days).
_SINCE = "(date_trunc('day', now() AT TIME ZONE 'UTC') - make_interval(days => $1 - 1)) AT TIME ZONE 'UTC'"
_EVENTS = f"""
SELECT e.search_id, e.at, e.total, e.filtered, e.source,
       regexp_replace(btrim(e.normalized), '[[:space:]]+', ' ', 'g') AS q
FROM search_event e
WHERE e.at >= {_SINCE} AND e.source <> 'typeahead'
"""


class PeriodTotals(msgspec.Struct, frozen=True, kw_only=True):
    since: datetime
    searches: int
    zero_results: int
    page_searches_with_results: int
    clicked: int


class TopQuery(msgspec.Struct, frozen=True, kw_only=True):
    query: str
    searches: int
    zero_results: int
    last_at: datetime


class ZeroResultQuery(msgspec.Struct, frozen=True, kw_only=True):
    query: str
    searches: int
    filtered: int
    """Of those, searches with filters: the filters may be what found nothing."""
    last_at: datetime


class UnclickedQuery(msgspec.Struct, frozen=True, kw_only=True):
    query: str
    searches: int
    """Searches on the results page that found something."""
    unclicked: int
    """Of those, searches after which nobody opened a result."""
    last_at: datetime


class DayCount(msgspec.Struct, frozen=True, kw_only=True):
    day: date
    searches: int
    zero_results: int

    @property
    def zero_share(self) -> float | None:
        """Share of searches that found nothing (None on a day without searches)."""
        return self.zero_results / self.searches if self.searches else None


class SearchAnalytics(msgspec.Struct, frozen=True, kw_only=True):
    days: int
    totals: PeriodTotals
    top: list[TopQuery]
    zero_results: list[ZeroResultQuery]
    unclicked: list[UnclickedQuery]
    per_day: list[DayCount]


PERIOD_TOTALS = f"""
SELECT {_SINCE} AS since,
       count(*) AS searches,
       count(*) FILTER (WHERE ev.total = 0) AS zero_results,
       count(*) FILTER (WHERE ev.source = 'page' AND ev.total > 0) AS page_searches_with_results,
       count(*) FILTER (WHERE ev.source = 'page' AND ev.total > 0
                        AND EXISTS (SELECT 1 FROM search_click c WHERE c.search_id = ev.search_id)) AS clicked
FROM ({_EVENTS}) ev
"""


async def get_period_totals(conn: Connection, *, days: int) -> PeriodTotals:
    row = await conn.fetchrow(PERIOD_TOTALS, days)
    assert row is not None  # an aggregate always returns a row
    return PeriodTotals(**row)


LIST_TOP_QUERIES = f"""
SELECT ev.q AS query, count(*) AS searches, count(*) FILTER (WHERE ev.total = 0) AS zero_results,
       max(ev.at) AS last_at
FROM ({_EVENTS}) ev
WHERE ev.q <> ''
GROUP BY ev.q
ORDER BY searches DESC, query
LIMIT $2
"""


async def list_top_queries(conn: Connection, *, days: int, limit: int = LIST_LIMIT) -> list[TopQuery]:
    return [TopQuery(**r) for r in await conn.fetch(LIST_TOP_QUERIES, days, limit)]


LIST_ZERO_RESULT_QUERIES = f"""
SELECT ev.q AS query, count(*) AS searches, count(*) FILTER (WHERE ev.filtered) AS filtered,
       max(ev.at) AS last_at
FROM ({_EVENTS}) ev
WHERE ev.q <> '' AND ev.total = 0
GROUP BY ev.q
ORDER BY searches DESC, query
LIMIT $2
"""


async def list_zero_result_queries(conn: Connection, *, days: int, limit: int = LIST_LIMIT) -> list[ZeroResultQuery]:
    return [ZeroResultQuery(**r) for r in await conn.fetch(LIST_ZERO_RESULT_QUERIES, days, limit)]


# Only searches on the results page count: machine clients (source 'api') never click.
LIST_UNCLICKED_QUERIES = f"""
SELECT ev.q AS query, count(*) AS searches, count(*) FILTER (WHERE c.search_id IS NULL) AS unclicked,
       max(ev.at) FILTER (WHERE c.search_id IS NULL) AS last_at
FROM ({_EVENTS}) ev
LEFT JOIN LATERAL (SELECT search_id FROM search_click WHERE search_id = ev.search_id LIMIT 1) c ON true
WHERE ev.q <> '' AND ev.total > 0 AND ev.source = 'page'
GROUP BY ev.q
HAVING count(*) FILTER (WHERE c.search_id IS NULL) > 0
ORDER BY unclicked DESC, query
LIMIT $2
"""


async def list_unclicked_queries(conn: Connection, *, days: int, limit: int = LIST_LIMIT) -> list[UnclickedQuery]:
    return [UnclickedQuery(**r) for r in await conn.fetch(LIST_UNCLICKED_QUERIES, days, limit)]


LIST_DAILY_COUNTS = f"""
WITH per_day AS (
    SELECT (ev.at AT TIME ZONE 'UTC')::date AS day, count(*) AS searches,
           count(*) FILTER (WHERE ev.total = 0) AS zero_results
    FROM ({_EVENTS}) ev
    GROUP BY 1
)
SELECT d.day::date AS day, coalesce(p.searches, 0) AS searches, coalesce(p.zero_results, 0) AS zero_results
FROM generate_series({_SINCE} AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', interval '1 day') AS d (day)
LEFT JOIN per_day p ON p.day = d.day::date
ORDER BY d.day
"""


async def list_daily_counts(conn: Connection, *, days: int) -> list[DayCount]:
    """One row per UTC day of the period, days without searches included."""
    return [DayCount(**r) for r in await conn.fetch(LIST_DAILY_COUNTS, days)]


async def search_analytics(conn: Connection, actor: Actor, *, days: int) -> SearchAnalytics:
    """The analytics page's numbers for the last ``days`` days; raises NotFound, BadSearch (period)."""
    require_operator(actor)
    if days not in PERIODS:
        raise BadSearch({"days": f"choose one of {', '.join(map(str, PERIODS))}"})
    return SearchAnalytics(
        days=days,
        totals=await get_period_totals(conn, days=days),
        top=await list_top_queries(conn, days=days),
        zero_results=await list_zero_result_queries(conn, days=days),
        unclicked=await list_unclicked_queries(conn, days=days),
        per_day=await list_daily_counts(conn, days=days),
    )
