"""Typeahead: p95 of ``GET /api/v1/search/suggest`` at 20 requests per second (open loop) on 100k variants.

Requests start at a fixed rate whatever the answers do, and latency counts from the planned start, so
a slow answer cannot hide the queue behind it. The queries are what people type letter by letter
(``h``, ``he``, ``hex`` … ``6204-2``). Baseline in the same run: the same three requests our service
sends (products, brand and category facet searches, recorded once per query) posted directly to
Meilisearch, concurrently as the service does, at the same rate. Target: p95 < 50 ms.
"""

from __future__ import annotations

from typing import Any

from bench import load, support
from bench.catalog import ensure_catalog
from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from search.query import SearchService

VARIANTS = 100_000
RATE = 20.0
SECONDS = 15.0
ROUNDS = 2
TARGET_P95_MS = 50.0
WORDS = ["hexagon", "6204-2RS", "bearing", "NYM-J", "gloves", "centrifuge", "ballpoint", "M8 stainless", "kugellager"]
TYPED = [word[:n] for word in WORDS for n in range(2, len(word) + 1)]


async def main() -> None:
    settings = await support.bench_settings("100k")
    variants = await ensure_catalog(settings, VARIANTS)
    await support.ensure_indexed(settings)
    token = await support.api_token(settings, "buyer@nordwerk.example", ["buyer"])
    recorded = []
    for text in TYPED:

        async def run(service: SearchService, conn: Connection, actor: Actor, text: str = text) -> Any:
            return await service.suggest(conn, actor, text)

        recorded.append(await load.capture(settings, token, run))
    direct: list[load.Sample] = []
    ours: list[load.Sample] = []
    with support.live_server(settings) as url:
        async with load.meili_client(settings, 32) as meili, load.api_client(url, token, 32) as api:
            direct_calls = [load.replay(meili, steps) for steps in recorded]
            our_calls = [load.get(api, "/api/v1/search/suggest", {"q": t}) for t in TYPED]
            for calls in (direct_calls, our_calls):
                await load.open_loop(calls, rate=RATE, seconds=1.0)  # warm-up
            for _ in range(ROUNDS):
                direct.append(await load.open_loop(direct_calls, rate=RATE, seconds=SECONDS))
                ours.append(await load.open_loop(our_calls, rate=RATE, seconds=SECONDS))
    d = load.Sample([x for s in direct for x in s.latencies], sum(s.seconds for s in direct))
    o = load.Sample([x for s in ours for x in s.latencies], sum(s.seconds for s in ours))
    d95, o95 = support.percentile(d.latencies, 95), support.percentile(o.latencies, 95)
    support.print_report(
        {
            "variants": variants,
            "rate_per_s": RATE,
            "requests_per_side": len(o.latencies),
            "direct": d.summary(),
            "ours": o.summary(),
            "p95_ratio_ours_to_direct": round(o95 / d95, 2),
            "target_p95_ms": TARGET_P95_MS,
            "meets_target": o95 * 1000 < TARGET_P95_MS,
        }
    )
