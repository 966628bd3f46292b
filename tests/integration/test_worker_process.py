"""The worker process: starts from settings, ensures the search indexes, registers its schedules, and stops
cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time

from meilisearch_python_sdk import AsyncClient

from marketplace.core.db import Database
from marketplace.settings import Settings
from search import engine
from search.rfqs import RFQ_INDEX_SETTINGS, rfq_index_uid
from tests.support.live import settings_environment
from tests.support.services import ROOT


def _start_then_terminate(env: dict[str, str]) -> tuple[int, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "marketplace.worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        started = False
        while time.monotonic() < deadline and not started:
            line = proc.stdout.readline()  # blocks until the worker logs; its own start line is the event
            assert line or proc.poll() is None, "worker exited during start-up"
            started = '"worker_started"' in line
        assert started, "the worker never logged worker_started"
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, rest


async def test_worker_starts_and_shuts_down_gracefully_on_sigterm(
    settings: Settings, committing_db: Database, search: AsyncClient
) -> None:
    await engine.delete_index(search, rfq_index_uid(settings))
    env = settings_environment(settings) | {"TRADEYARD_LOG_FORMAT": "json"}
    returncode, output = await asyncio.to_thread(_start_then_terminate, env)
    assert returncode == 0, output
    assert '"worker_stopping"' in output
    # The open-requests index is there from the start, with its settings (not created by a first job).
    applied = await engine.call(search, "GET", f"/indexes/{rfq_index_uid(settings)}/settings")
    assert sorted(applied["filterableAttributes"]) == sorted(RFQ_INDEX_SETTINGS["filterableAttributes"])
    async with committing_db.connection() as c:
        count = await c.fetchval("SELECT count(*) FROM pgqueuer_schedules WHERE entrypoint = 'core.prune_job_history'")
    assert count == 1
