"""``server.py`` as an operator runs it: a real process with its own port, data directory and
log file, which a test can signal, kill and restart."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.redis_server import free_port

ROOT = Path(__file__).resolve().parent.parent


async def healthy(
    url: str, timeout: float, process: asyncio.subprocess.Process | None = None
) -> bool:
    """Whether ``url/health`` answers 200 within ``timeout`` seconds (while ``process`` runs)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aiohttp.ClientSession() as http:
        while loop.time() < deadline:
            if process is not None and process.returncode is not None:
                return False
            try:
                async with http.get(f"{url}/health") as response:
                    if response.status == 200:
                        return True
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    return False


class ServerProcess:
    def __init__(
        self,
        directory: Path,
        *args: str,
        port: int | None = None,
        env: dict[str, str] | None = None,
        preexec: Callable[[], Any] | None = None,
    ) -> None:
        self.directory = directory
        self.args = args
        self.port = port or free_port()
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "LENS_DATA_DIR": str(directory / "data"),
            **(env or {}),
        }
        self.preexec = preexec
        self.process: asyncio.subprocess.Process | None = None
        self.log_path = directory / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, timeout: float = 60.0) -> ServerProcess:
        """Start and wait until ``/health`` answers (models load before the port opens)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "server.py",
                "--port",
                str(self.port),
                *self.args,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
                preexec_fn=self.preexec,
            )
        if await healthy(self.url, timeout, self.process):
            return self
        raise AssertionError(f"server.py {' '.join(self.args)} did not start:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def send(self, sig: signal.Signals) -> None:
        assert self.process is not None and self.process.returncode is None, "not running"
        self.process.send_signal(sig)

    async def wait(self, timeout: float) -> int:
        """The exit status, or an AssertionError with the log if it has not exited."""
        assert self.process is not None
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"server.py still running after {timeout} s:\n{self.log()}"
            ) from None

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(self.process.wait(), 20)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


@pytest.fixture
async def server_process(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Starts ``server.py`` (``*args`` on its command line, ``LENS_*`` settings as keyword
    arguments, ``name`` for its directory); every process is stopped at the end."""
    started: list[ServerProcess] = []

    async def start(
        *args: str,
        name: str = "server",
        port: int | None = None,
        preexec: Callable[[], Any] | None = None,
        **env: str,
    ) -> ServerProcess:
        process = ServerProcess(tmp_path / name, *args, port=port, env=env, preexec=preexec)
        started.append(process)
        return await process.start()

    yield start
    for process in started:
        await process.stop()
