"""Raw JSON calls to Meilisearch over aiohttp, encoded and decoded with msgspec.

The SDK's pydantic models cost more per search than Meilisearch itself takes, and its httpx client
several times what aiohttp costs per request (measured by ``bench/search_latency.py``; see
``search.client.SearchClient``), so the hot paths (search, facet search, documents, tasks) go through
these few functions.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import msgspec
from meilisearch_python_sdk import AsyncClient

from marketplace.core.errors import Unavailable
from search.client import SearchClient


class EngineError(Exception):
    """Meilisearch answered with an error (a bug of ours, or a missing index)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code


class TaskFailed(Exception):
    def __init__(self, message: str, code: str | None) -> None:
        super().__init__(message)
        self.code = code


def _unavailable(exc: Exception) -> Unavailable:
    return Unavailable("search.unavailable", "Search is not reachable right now; try again in a moment.")


async def call(
    client: AsyncClient, method: str, path: str, body: Any = None, *, params: dict[str, Any] | None = None
) -> Any:
    """One request; 2xx → decoded JSON, 4xx/5xx → EngineError, transport failure → Unavailable."""
    if not isinstance(client, SearchClient):
        raise TypeError("Meilisearch clients come from search.client.create_search_client")
    try:
        async with client.json_session().request(
            method, path, data=None if body is None else msgspec.json.encode(body), params=params
        ) as response:
            status = response.status
            content = await response.read()
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise _unavailable(exc) from exc
    data = msgspec.json.decode(content) if content else None
    if status >= 400:
        info = data if isinstance(data, dict) else {}
        if status >= 500 and info.get("code") is None:
            raise _unavailable(RuntimeError(content.decode(errors="replace")))
        raise EngineError(status, str(info.get("code")), str(info.get("message")))
    return data


async def wait_for(client: AsyncClient, task: dict[str, Any], *, timeout_ms: int = 120_000) -> dict[str, Any]:
    """Wait until a task is done; raise TaskFailed with Meilisearch's reason if it failed."""
    info = await client.wait_for_task(task["taskUid"], timeout_in_ms=timeout_ms, interval_in_ms=20)
    if info.status != "succeeded":
        error = info.error or {}
        raise TaskFailed(f"task {task['taskUid']} {info.status}: {error}", error.get("code"))
    return {"uid": info.uid, "status": info.status}


def quote(value: str) -> str:
    """A value inside a Meilisearch filter string: double-quoted, backslashes and quotes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


async def delete_index(client: AsyncClient, uid: str) -> None:
    """Delete an index if it exists."""
    try:
        await wait_for(client, await call(client, "DELETE", f"/indexes/{uid}"))
    except TaskFailed as exc:
        if exc.code != "index_not_found":
            raise
