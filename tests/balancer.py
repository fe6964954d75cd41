"""A real HAProxy (from Debian) running ``deploy/haproxy.cfg`` in front of test nodes."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from tests.media import require_tool
from tests.processes import healthy
from tests.redis_server import free_port

CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "haproxy.cfg"


class HaProxy:
    def __init__(self, directory: Path, node1: int, node2: int) -> None:
        self.binary = require_tool("haproxy")
        self.directory = directory
        self.port = free_port()
        self.env = {
            **os.environ,
            "LENS_LB_BIND": f"127.0.0.1:{self.port}",
            "LENS_NODE1": f"127.0.0.1:{node1}",
            "LENS_NODE2": f"127.0.0.1:{node2}",
        }
        self._process: asyncio.subprocess.Process | None = None
        self.log_path = directory / "haproxy.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> HaProxy:
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            # -db: in the foreground, no daemon.
            self._process = await asyncio.create_subprocess_exec(
                self.binary, "-db", "-f", str(CONFIG), env=self.env, stdout=log, stderr=log
            )
        if await healthy(self.url, 10, self._process):
            return self
        raise AssertionError(f"haproxy did not start:\n{self.log_path.read_text()[-3000:]}")

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            await self._process.wait()
