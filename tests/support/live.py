"""A live server (granian, as in production) for end-to-end tests in a real browser."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from marketplace.settings import PREFIX, Settings
from tests.support.meili import free_port
from tests.support.services import ROOT, wait_until_healthy


def settings_environment(settings: Settings, **extra: str) -> dict[str, str]:
    """This process's environment with ``settings`` as TRADEYARD_* variables (for a subprocess), plus ``extra``."""
    env = dict(os.environ)
    for name in settings.__struct_fields__:
        env[PREFIX + name.upper()] = str(getattr(settings, name))
    env.update(extra)
    return env


@contextmanager
def live_server(settings: Settings) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = settings_environment(settings) | {"TRADEYARD_PUBLIC_BASE_URL": url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "marketplace", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_healthy(url, proc, what="the web server")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def live_worker(settings: Settings) -> Iterator[None]:
    """The job worker as a subprocess on the same database, for journeys that need background jobs."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "marketplace.worker"],
        cwd=ROOT,
        env=settings_environment(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=60)
