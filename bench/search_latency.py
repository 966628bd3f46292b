"""Search latency and throughput through our API vs. Meilisearch queried directly, same queries, same concurrency.

Ours: ``GET /api/v1/search?q=…`` over real HTTP to ``python -m marketplace serve`` (granian, one worker)
with a buyer's API token: authentication, the multi-search our service sends, pricing the page from
PostgreSQL, the analytics row, JSON. Direct: the very requests our service sent to Meilisearch for
each query (recorded once, ``bench.load.capture``), posted straight to Meilisearch. Queries: the judged
relevance set (part numbers, typos, synonyms, attributes) on the 100k-variant bench catalog, or on 1M
variants with ``./dev bench search_latency_1m`` (its own database and index; building them takes a while).

Closed loops at concurrency 1 and 8, alternating direct/ours in rounds so that the noise of the shared
machine falls on both. Targets: p50 overhead ≤ 25 % and throughput ≥ 80 % of direct.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench import load, support
from bench.catalog import ensure_catalog
from bench.relevance_queries import QUERIES
from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from search.query import SearchService
from search.request import parse_request

VARIANTS = 100_000
CONCURRENCY = (1, 8)
ROUNDS = 3
SECONDS = 5.0
MAX_P50_OVERHEAD = 0.25
MIN_THROUGHPUT_RATIO = 0.8


def _merge(samples: list[load.Sample]) -> load.Sample:
    return load.Sample([x for s in samples for x in s.latencies], sum(s.seconds for s in samples))


async def main() -> None:
    await run(VARIANTS, "100k")


async def main_1m() -> None:
    await run(1_000_000, "1m")


async def run(target: int, suffix: str) -> None:
    settings = await support.bench_settings(suffix)
    variants = await ensure_catalog(settings, target)
    started = time.perf_counter()
    documents = await support.ensure_indexed(settings)
    index_seconds = time.perf_counter() - started  # a full rebuild when the data set is new, else seconds
    token = await support.api_token(settings, "buyer@nordwerk.example", ["buyer"])
    texts = [q.text for q in QUERIES]
    recorded = []
    for text in texts:

        async def run(service: SearchService, conn: Connection, actor: Actor, text: str = text) -> Any:
            return await service.search(conn, actor, parse_request({"q": [text]}), source="api")

        recorded.append(await load.capture(settings, token, run))

    results: dict[str, Any] = {
        "variants": variants,
        "documents": documents,
        "index_ready_s": round(index_seconds, 1),
        "queries": len(texts),
    }
    rows = []
    meets = True
    with support.live_server(settings) as url:
        for concurrency in CONCURRENCY:
            async with (
                load.meili_client(settings, concurrency) as meili,
                load.api_client(url, token, concurrency) as api,
            ):
                direct_calls = [load.replay(meili, steps) for steps in recorded]
                our_calls = [load.get(api, "/api/v1/search", {"q": t}) for t in texts]
                for calls in (direct_calls, our_calls):  # warm-up: connections, caches, JIT-free but lazy imports
                    await load.closed_loop(calls, concurrency=concurrency, seconds=1.0)
                direct: list[load.Sample] = []
                ours: list[load.Sample] = []
                for _ in range(ROUNDS):
                    direct.append(await load.closed_loop(direct_calls, concurrency=concurrency, seconds=SECONDS))
                    ours.append(await load.closed_loop(our_calls, concurrency=concurrency, seconds=SECONDS))
            d, o = _merge(direct), _merge(ours)
            d50, o50 = statistics.median(d.latencies), statistics.median(o.latencies)
            overhead = o50 / d50 - 1
            ratio = o.throughput / d.throughput
            meets = meets and overhead <= MAX_P50_OVERHEAD and ratio >= MIN_THROUGHPUT_RATIO
            rows.append(
                [f"c={concurrency}", *d.summary().values(), *o.summary().values(), f"{overhead:+.0%}", f"{ratio:.2f}"]
            )
            results[f"c{concurrency}"] = {
                "direct": d.summary(),
                "ours": o.summary(),
                "p50_overhead": round(overhead, 3),
                "throughput_ratio": round(ratio, 3),
            }
    support.print_table(
        ["", "direct p50 ms", "p95 ms", "req/s", "ours p50 ms", "p95 ms", "req/s", "p50 overhead", "throughput"],
        rows,
    )
    results |= {
        "target_max_p50_overhead": MAX_P50_OVERHEAD,
        "target_min_throughput_ratio": MIN_THROUGHPUT_RATIO,
        "meets_target": meets,
    }
    support.print_report(results)
