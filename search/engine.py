"""Raw JSON calls to Meilisearch over the SDK's HTTP client, encoded and decoded with msgspec.

The SDK's pydantic models cost more per search than Meilisearch itself takes (measured by
``bench/search_latency.py``), so the hot paths (search, facet search, documents, tasks) go through
these few functions; the SDK still owns the connection pool and headers (``search.client``).
"""

from __future__ import annotations

from typing import Any

import httpx2
import msgspec
from meilisearch_python_sdk import AsyncClient

from marketplace.core.errors import Unavailable


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
    try:
        response = await client.http_client.request(
            method,
            path,
            content=None if body is None else msgspec.json.encode(body),
            params=params,
            headers={"Content-Type": "application/json"},
        )
    except httpx2.TransportError as exc:
        raise _unavailable(exc) from exc
    data = msgspec.json.decode(response.content) if response.content else None
    if response.status_code >= 400:
        info = data if isinstance(data, dict) else {}
        if response.status_code >= 500 and info.get("code") is None:
            raise _unavailable(RuntimeError(response.text))
        raise EngineError(response.status_code, str(info.get("code")), str(info.get("message")))
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
