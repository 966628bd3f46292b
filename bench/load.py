"""Load generation for the HTTP benchmarks: what our service sends to Meilisearch, closed and open loops.

``capture`` runs our ``SearchService`` once per query with a client that records every request it sends
to Meilisearch, so the direct baseline replays exactly the same bodies (same filters, facets, distinct,
highlighting) in the same order; requests the service sends concurrently are replayed concurrently.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
import httpx
import msgspec

from bench import support
from marketplace.accounts.auth import Client, actor_from_api_token
from marketplace.app import search_service
from marketplace.core.actor import Actor
from marketplace.core.db import Connection, connect
from marketplace.settings import Settings
from search.client import create_search_client
from search.query import SearchService


class Recorded(msgspec.Struct, frozen=True):
    path: str
    body: bytes


Step = list[Recorded]
"""Requests the service sent together (concurrently); a call is a list of steps run one after another."""


async def capture(
    settings: Settings, token: str, run: Callable[[SearchService, Connection, Actor], Awaitable[Any]]
) -> list[Step]:
    """The requests our service sends to Meilisearch for one call of ``run``, grouped into concurrent steps."""
    sent: list[tuple[float, Recorded]] = []
    started: dict[int, tuple[float, str]] = {}

    async def start(session: Any, context: Any, params: aiohttp.TraceRequestStartParams) -> None:
        started[id(context)] = (time.perf_counter(), params.url.path)

    async def body(session: Any, context: Any, params: aiohttp.TraceRequestChunkSentParams) -> None:
        at, path = started.pop(id(context))
        sent.append((at, Recorded(path, bytes(params.chunk))))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(start)
    trace.on_request_chunk_sent.append(body)
    client = create_search_client(settings, trace_configs=[trace])
    conn = await connect(settings.database_url)
    try:
        tx = conn.transaction()
        await tx.start()
        try:
            actor = await actor_from_api_token(conn, token, Client(ip=None, user_agent=None))
            assert actor is not None
            await run(search_service(client, settings), conn, actor)
        finally:
            await tx.rollback()
    finally:
        await conn.close()
        await client.aclose()
    if not sent or started:
        raise RuntimeError("requests to Meilisearch were not recorded (only bodied requests are replayed)")
    # Requests sent within a millisecond of each other were started together (asyncio.gather).
    steps: list[Step] = []
    last = -1.0
    for at, request in sorted(sent, key=lambda s: s[0]):
        if steps and at - last < 0.001:
            steps[-1].append(request)
        else:
            steps.append([request])
        last = at
    return steps


def meili_client(settings: Settings, connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=settings.meili_url,
        headers={
            "Authorization": f"Bearer {settings.meili_api_key}",
            "Content-Type": "application/json",
            "Accept-Encoding": "identity",  # as search.client does (shared/research/libraries.md addendum)
        },
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        timeout=30,
    )


def api_client(base_url: str, token: str, connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"},
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        timeout=30,
    )


def replay(client: httpx.AsyncClient, steps: Sequence[Step]) -> Callable[[], Awaitable[None]]:
    """One call's requests, sent directly to Meilisearch as our service sent them."""

    async def send(r: Recorded) -> None:
        response = await client.post(r.path, content=r.body)
        response.raise_for_status()
        response.read()

    async def call() -> None:
        for step in steps:
            if len(step) == 1:
                await send(step[0])
            else:
                await asyncio.gather(*(send(r) for r in step))

    return call


def get(client: httpx.AsyncClient, path: str, params: dict[str, str]) -> Callable[[], Awaitable[None]]:
    async def call() -> None:
        response = await client.get(path, params=params)
        response.raise_for_status()
        response.read()

    return call


Call = Callable[[], Awaitable[None]]


class Sample(msgspec.Struct, frozen=True):
    latencies: list[float]
    seconds: float

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds

    def summary(self) -> dict[str, float]:
        return {
            "p50_ms": support.ms(support.percentile(self.latencies, 50)),
            "p95_ms": support.ms(support.percentile(self.latencies, 95)),
            "per_s": round(self.throughput, 1),
        }


async def closed_loop(calls: Sequence[Call], *, concurrency: int, seconds: float) -> Sample:
    """``concurrency`` clients, each sending its next call as soon as the last one answered."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        n = offset
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await calls[n % len(calls)]()
            latencies.append(time.perf_counter() - started)
            n += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(i * 7) for i in range(concurrency)))
    return Sample(latencies, time.perf_counter() - started)


async def open_loop(calls: Sequence[Call], *, rate: float, seconds: float) -> Sample:
    """Calls started at a fixed rate whatever the answers do; latency counts from the planned start."""
    latencies: list[float] = []
    count = int(rate * seconds)
    started = time.perf_counter()

    async def one(n: int) -> None:
        planned = started + n / rate
        await asyncio.sleep(max(0.0, planned - time.perf_counter()))
        await calls[n % len(calls)]()
        latencies.append(time.perf_counter() - planned)

    await asyncio.gather(*(one(n) for n in range(count)))
    return Sample(latencies, time.perf_counter() - started)
