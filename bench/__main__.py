"""``./dev bench [NAME ...]``: run benchmarks, each printing its ratio against a baseline measured in the same run."""

from __future__ import annotations

import argparse
import asyncio

from bench import enqueue, freshness, imports, reindex, relevance, rfq_compare, search_latency, typeahead

BENCHMARKS = {
    "enqueue": enqueue.main,
    "imports": imports.main,
    "relevance": relevance.main,
    "reindex": reindex.main,
    "search_latency": search_latency.main,
    "typeahead": typeahead.main,
    "freshness": freshness.main,
    "rfq_compare": rfq_compare.main,
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="./dev bench")
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(BENCHMARKS)})")
    args = parser.parse_args()
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    for name in args.names or list(BENCHMARKS):
        print(f"== {name}")
        asyncio.run(BENCHMARKS[name]())


if __name__ == "__main__":
    main()
