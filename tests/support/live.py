"""A live server (granian, as in production) for end-to-end tests in a real browser."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from marketplace.settings import PREFIX, Settings
from tests.support.meili import free_port
from tests.support.services import ROOT


def settings_environment(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    for name in settings.__struct_fields__:
        env[PREFIX + name.upper()] = str(getattr(settings, name))
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
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "the web server exited during start-up"
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1) as r:  # noqa: S310 - loopback
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the web server did not answer /health within 60 s"
            time.sleep(0.05)  # polling interval while the port opens
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
