"""The Meilisearch client, configured once for the whole process."""

from __future__ import annotations

import aiohttp
from meilisearch_python_sdk import AsyncClient

from marketplace.settings import Settings


class SearchClient(AsyncClient):
    """The SDK client, plus the aiohttp session that ``search.engine.call`` sends our raw JSON calls on.

    The SDK's httpx client costs ~0.9 ms of CPU per request where aiohttp (C-accelerated HTTP parser)
    costs ~0.16 ms (measured against Meilisearch's ``/health`` on this machine, one keep-alive
    connection). At Meilisearch's ~20 ms per search that difference alone is a sixth of the latency
    budget of ``GET /api/v1/search`` (bench/search_latency.py), so the hot paths (search, facet search,
    documents, tasks) use aiohttp; the SDK's own methods (settings, task waits) keep its client.
    """

    def __init__(
        self,
        url: str,
        api_key: str | None,
        *,
        timeout_seconds: int,
        trace_configs: list[aiohttp.TraceConfig] | None = None,
    ) -> None:
        super().__init__(url, api_key, timeout=timeout_seconds, custom_headers={"Accept-Encoding": "identity"})
        self._base_url = url.rstrip("/")
        self._headers = {"Accept-Encoding": "identity", "Content-Type": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._trace_configs = trace_configs  # aiohttp's request hooks; the benchmarks record requests with them
        self._session: aiohttp.ClientSession | None = None

    def json_session(self) -> aiohttp.ClientSession:
        """The keep-alive session, opened on first use (it must be created inside the running loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                self._base_url,
                headers=self._headers,
                timeout=self._timeout,
                auto_decompress=False,
                skip_auto_headers=("User-Agent",),
                trace_configs=self._trace_configs,
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
        await super().aclose()


def create_search_client(
    settings: Settings, *, timeout_seconds: int = 10, trace_configs: list[aiohttp.TraceConfig] | None = None
) -> SearchClient:
    """An async client for our Meilisearch.

    ``Accept-Encoding: identity``: with gzip, Meilisearch's responses arrive in two TCP pieces and a
    kept-alive connection pays ~40 ms per search (measured, shared/research/libraries.md addendum).
    """
    return SearchClient(
        settings.meili_url, settings.meili_api_key, timeout_seconds=timeout_seconds, trace_configs=trace_configs
    )
