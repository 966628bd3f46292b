"""Search maintenance: ``python -m search ensure|reindex|reconcile`` (``./dev reindex``, ``./dev reconcile``).

Each command covers both indexes: products, and the open requests (``search/rfqs.py``).

- ``ensure``: apply the index design from code; rebuild when an index is missing or its settings changed.
- ``reindex``: build fresh indexes from PostgreSQL and swap them in (no moment of empty results).
- ``reconcile``: compare PostgreSQL and the indexes (counts, checksum of ids and fingerprints) and repair.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from marketplace.core.db import Database, create_pool
from marketplace.settings import Settings, SettingsError
from search import indexer, rfqs
from search.client import create_search_client


async def _run(command: str, settings: Settings, *, repair: bool) -> int:
    db = Database(await create_pool(settings))
    client = create_search_client(settings, timeout_seconds=120)
    started = time.perf_counter()
    try:
        if command == "ensure":
            rebuilt = await indexer.ensure_index(db, client, settings)
            print("search index rebuilt" if rebuilt else "search index up to date")
            rebuilt = await rfqs.ensure_rfq_index(db, client, settings)
            print("open-requests index rebuilt" if rebuilt else "open-requests index up to date")
        elif command == "reindex":

            def progress(done: int) -> None:
                print(f"\r  {done:,} documents", end="", flush=True)

            total = await indexer.rebuild(db, client, settings, progress=progress)
            print(f"\rsearch index rebuilt: {total:,} documents in {time.perf_counter() - started:.1f} s")
            total = await rfqs.rebuild_rfq_index(db, client, settings)
            print(f"open-requests index rebuilt: {total:,} documents")
        else:
            drifts = {
                "products": await indexer.reconcile(db, client, settings, repair=repair),
                "open requests": await rfqs.reconcile_rfqs(db, client, settings, repair=repair),
            }
            for name, drift in drifts.items():
                print(
                    f"{name}: database {drift.database_count:,} documents (checksum {drift.database_checksum}), "
                    f"index {drift.index_count:,} (checksum {drift.index_checksum}); "
                    f"missing {drift.missing}, extra {drift.extra}, outdated {drift.outdated}"
                    + ("; repaired" if drift.repaired else "")
                )
            return 0 if all(d.in_sync or d.repaired for d in drifts.values()) else 1
    finally:
        await client.aclose()
        await db.close()
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m search", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["ensure", "reindex", "reconcile"])
    parser.add_argument("--check", action="store_true", help="reconcile: report drift without repairing it")
    args = parser.parse_args()
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"tradeyard: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    raise SystemExit(asyncio.run(_run(args.command, settings, repair=not args.check)))


if __name__ == "__main__":
    main()
