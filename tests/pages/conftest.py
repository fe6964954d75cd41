"""Headless Chromium for the page tests: Debian's ``/usr/bin/chromium`` with a fake camera and
microphone, driven through Playwright."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analyzers import AUDIO_RATE
from tests.media import astronaut, blank, missing, phrase, place, resample, write_wav, write_y4m

CHROMIUM = os.environ.get("LENS_TEST_CHROMIUM", "/usr/bin/chromium")
FACE_SECONDS, BLANK_SECONDS, FPS = 6, 4, 10
BASE_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        missing(f"{CHROMIUM} is missing (apt-get install chromium); .ci/run installs it")
    return CHROMIUM


@pytest.fixture(scope="module")
def fake_media(media_dir: Path) -> tuple[Path, Path]:
    """A looping camera (face, then nobody) and microphone (phrases and 2.5 s pauses)."""
    frames = [place(astronaut())] * (FACE_SECONDS * FPS) + [blank()] * (BLANK_SECONDS * FPS)
    video = write_y4m(media_dir / "camera.y4m", frames, fps=FPS)
    speech = phrase("Thank you for having me here today", media_dir / "mic.wav")
    pause = np.zeros(int(2.5 * AUDIO_RATE), np.float32)
    clip = np.concatenate([speech, pause, speech, pause])
    audio = write_wav(media_dir / "mic48k.wav", resample(clip, AUDIO_RATE, 48_000), 48_000)
    return video, audio


Launch = Callable[..., Awaitable[Any]]


@pytest.fixture
async def launch(chromium: str, fake_media: tuple[Path, Path]) -> AsyncIterator[Launch]:
    """Launches Chromium; ``camera_allowed=False`` leaves the permission prompt to be denied,
    ``microphone`` plays another WAV file (48 kHz) in a loop."""
    from playwright.async_api import async_playwright

    video, audio = fake_media
    browsers = []
    async with async_playwright() as playwright:

        async def start(*, camera_allowed: bool = True, microphone: Path | None = None) -> Any:
            flags = [
                *BASE_FLAGS,
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
                f"--use-file-for-fake-audio-capture={microphone or audio}",
            ]
            if camera_allowed:
                flags.append("--use-fake-ui-for-media-stream")
            browser = await playwright.chromium.launch(executable_path=chromium, args=flags)
            browsers.append(browser)
            return browser

        try:
            yield start
        finally:
            for browser in browsers:
                await browser.close()


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


async def accessibility_problems(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now (WCAG 2 A and AA),
    one line each: the rule, what it says, and the first element it names."""
    if not AXE.exists():
        missing(f"{AXE} is missing (npm ci; make lint installs it)")
    await page.add_script_tag(content=AXE.read_text())
    found = await page.evaluate(
        """async () => {
             const result = await axe.run(document, {
               runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"] } });
             return result.violations
               .filter((v) => v.impact === "serious" || v.impact === "critical")
               .map((v) => `${v.id}: ${v.help} (${v.nodes[0]?.target?.join(" ")})`);
           }"""
    )
    return list(found)


WIDTHS = ((1200, 900), (390, 844))
"""A desktop and a phone: every state of a page is looked at at both."""


async def capture(page: Any, artifacts: Path, name: str) -> None:
    """The page as it is now at desktop and phone width: a screenshot of each
    (``test-artifacts/{name}-{width}.png``), and at each no sideways scrolling and no serious
    axe-core finding. The viewport is put back afterwards."""
    original = page.viewport_size
    for width, height in WIDTHS:
        await page.set_viewport_size({"width": width, "height": height})
        await page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)
        seen = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert seen[0] <= seen[1], f"{name} at {width} px scrolls sideways: {seen}"
        problems = await accessibility_problems(page)
        assert problems == [], f"{name} at {width} px, axe-core found: {problems}"
    if original:
        await page.set_viewport_size(original)
