"""A private Meilisearch process for tests that stop and start search (never the shared one)."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from tests.support.services import wait_until_healthy

MASTER_KEY = "private-test-master-key-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MeiliProcess:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                os.environ["TRADEYARD_MEILI_BIN"],
                "--http-addr",
                f"127.0.0.1:{self.port}",
                "--master-key",
                MASTER_KEY,
                "--no-analytics",
                "--env",
                "development",
                "--db-path",
                str(self.data_dir / "data.ms"),
                "--dump-dir",
                str(self.data_dir / "dumps"),
                "--snapshot-dir",
                str(self.data_dir / "snapshots"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until_healthy(self.url, self.proc, what="meilisearch", limit=30)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
