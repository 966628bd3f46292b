"""Reaching (or starting) the project's PostgreSQL and Meilisearch from the tests."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_dev_environment() -> None:
    """Fill in TRADEYARD_* variables the way ``./dev`` sets them, for a plain ``pytest`` run."""
    if all(k in os.environ for k in ("TRADEYARD_DATABASE_URL", "TRADEYARD_MEILI_URL", "TRADEYARD_MEILI_BIN")):
        return
    out = subprocess.run([str(ROOT / "dev"), "env"], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        key, _, value = line.partition("=")
        os.environ.setdefault(key, value)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1) as r:  # noqa: S310 - our own loopback URL
            return bool(r.status == 200)
    except OSError:
        return False


def wait_until_healthy(url: str, proc: subprocess.Popen[bytes], *, what: str, limit: float = 60.0) -> None:
    """Poll ``url``/health until it answers 200 (the process's readiness signal); fail if it exits or is late."""
    deadline = time.monotonic() + limit
    while not _healthy(url):
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited during start-up")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not answer /health within {limit:.0f} s")
        time.sleep(0.05)  # polling interval while the port opens, bounded by the deadline


def ensure_services() -> None:
    """Reuse running services, or start them with ``./dev services up`` (idempotent)."""
    pg_port = int(os.environ["TRADEYARD_PG_PORT"])
    if not (_port_open(pg_port) and _healthy(os.environ["TRADEYARD_MEILI_URL"])):
        subprocess.run([str(ROOT / "dev"), "services", "up"], check=True)
