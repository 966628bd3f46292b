"""Liveness (``/health``) and readiness (``/ready``) probes.

``/health`` answers 200 whenever the process serves requests. ``/ready`` checks each dependency we
need to serve traffic, with a short timeout, and answers 503 naming the ones that fail.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Response, get
from litestar.datastructures import State

from marketplace.core.db import Database

CHECK_TIMEOUT_SECONDS = 2.0


class Check(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    ms: float
    error: str | None = None


class Readiness(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    checks: dict[str, Check]


async def _timed(probe: Callable[[], Awaitable[Any]]) -> Check:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(probe(), CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return Check(ok=False, ms=_ms(started), error=f"no answer within {CHECK_TIMEOUT_SECONDS:g}s")
    except Exception as exc:  # noqa: BLE001 - any failure of a dependency means "not ready", reported, not raised
        return Check(ok=False, ms=_ms(started), error=f"{type(exc).__name__}: {exc}"[:300])
    return Check(ok=True, ms=_ms(started))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


async def check_readiness(state: State) -> Readiness:
    db: Database = state.db

    async def database() -> None:
        async with db.connection() as conn:
            await conn.fetchval("SELECT 1")

    async def search() -> None:
        health = await state.search.health()
        if health.status != "available":
            raise RuntimeError(f"status {health.status}")

    results = await asyncio.gather(_timed(database), _timed(search))
    checks = dict(zip(("database", "search"), results, strict=True))
    return Readiness(status="ok" if all(c.ok for c in results) else "unavailable", checks=checks)


@get("/health", include_in_schema=False, cache_control=None, sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", include_in_schema=False)
async def ready(state: State) -> Response[Readiness]:
    readiness = await check_readiness(state)
    return Response(
        readiness,
        status_code=200 if readiness.status == "ok" else 503,
        headers={"Cache-Control": "no-store"},
    )
