"""Shared fixtures: a real server on loopback and media made from real sources."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiohttp import web

from signaling.http.app import create_app
from signaling.http.app_keys import REGISTRY
from signaling.http.malformed import LensRunner
from signaling.settings import Settings
from tests.media import SPEECH_TEXT, read_wav, speak
from tests.processes import server_process  # noqa: F401  (a fixture for every test module)
from tests.redis_server import RedisServer
from webrtc.peer.registry import SessionRegistry

for noisy in ("aioice", "aiortc"):
    logging.getLogger(noisy).setLevel(logging.WARNING)

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@dataclass
class RunningServer:
    url: str
    app: web.Application
    runner: web.AppRunner

    @property
    def registry(self) -> SessionRegistry:
        return self.app[REGISTRY]


StartServer = Callable[..., Awaitable[RunningServer]]

# Speech recognition is its own test subject (tests/test_transcript.py, which turns it on): the
# other tests, and every server they start as a process, run without it.
os.environ.setdefault("LENS_TRANSCRIPT", "false")


@pytest.fixture
async def start_server(tmp_path: Path) -> AsyncIterator[StartServer]:
    """Starts the real app on an ephemeral loopback port, storing in a temporary data dir;
    settings override ``LENS_*``."""
    runners: list[web.AppRunner] = []

    async def start(**overrides: Any) -> RunningServer:
        app = create_app(Settings(**{"port": 0, "data_dir": tmp_path / "data", **overrides}))
        runner = LensRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return RunningServer(f"http://127.0.0.1:{port}", app, runner)

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def server(start_server: StartServer) -> RunningServer:
    return await start_server()


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    """A real ``redis-server`` on a free loopback port, in a temporary directory."""
    server = RedisServer(tmp_path / "redis")
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def speech(media_dir: Path) -> tuple[np.ndarray, int]:
    """English speech from espeak-ng: mono float32 samples and their rate."""
    return read_wav(speak(SPEECH_TEXT, media_dir / "speech.wav"))


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


TIERS = {
    "browser": ("chromium", "launch"),
    "redis": ("redis_server",),
    "slow": ("server_process",),
    "llm": ("language_model",),
}
REAL_MEDIA_MODULES = ("test_real_faces", "test_real_voices")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tiers by what a test needs, so that a developer can run one: ``browser`` (headless
    Chromium), ``redis`` (a real redis-server), ``slow`` (``server.py`` as its own process),
    ``llm`` (a real local language model)
    and ``real_media`` (recordings of people from the package registries). CI runs them all."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        for marker, needs in TIERS.items():
            if fixtures.intersection(needs):
                item.add_marker(marker)
        if item.path.stem in REAL_MEDIA_MODULES:
            item.add_marker("real_media")
