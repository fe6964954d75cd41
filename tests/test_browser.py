"""The demo page in real headless Chromium (Debian's ``/usr/bin/chromium``) with a fake camera
playing the astronaut photo and a fake microphone playing espeak-ng speech."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import RunningServer
from tests.media import astronaut, missing, place, resample, write_wav, write_y4m

CHROMIUM = os.environ.get("LENS_TEST_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def fake_media(media_dir: Path, speech: tuple[np.ndarray, int]) -> tuple[Path, Path]:
    samples, rate = speech
    video = write_y4m(media_dir / "face.y4m", [place(astronaut())] * 15)
    audio = write_wav(media_dir / "speech48k.wav", resample(samples, rate, 48_000), 48_000)
    return video, audio


@pytest.fixture(scope="module")
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        missing(f"{CHROMIUM} is missing (apt-get install chromium); .ci/run installs it")
    return CHROMIUM


@pytest.fixture
async def browser(chromium: str, fake_media: tuple[Path, Path]) -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    video, audio = fake_media
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=chromium,
            args=[
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
                f"--use-file-for-fake-audio-capture={audio}",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def test_demo_page_shows_live_face_and_speech(
    server: RunningServer, browser: object, artifacts: Path
) -> None:
    page = await browser.new_page(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console_errors.append(str(e)))
    await page.goto(server.url)
    await page.get_by_role("button", name="Start session").click()
    status = page.get_by_role("status")
    await status.filter(has_text="Connected").wait_for(timeout=20_000)
    await page.locator('#face[data-value="yes"]').wait_for(timeout=20_000)
    await page.locator('#speech[data-value="speaking"]').wait_for(timeout=20_000)
    assert await page.locator("#faces").inner_text() == "1"
    await page.locator('#eye-contact[data-value="yes"]').wait_for(timeout=10_000)
    await page.locator("#expression", has_text="happy").wait_for(timeout=10_000)
    await page.locator("#dominant-expression", has_text="happy").wait_for(timeout=10_000)
    assert (await page.locator("#head-pose").inner_text()).count("°") == 3
    await page.locator("#speaking-rate", has_text="wpm").wait_for(timeout=15_000)
    assert (await page.locator("#pitch").inner_text()).endswith("Hz")
    assert int(await page.locator("#frames").inner_text()) > 0
    await page.screenshot(path=str(artifacts / "demo-live.png"), full_page=True)
    assert len(server.registry) == 1

    await page.get_by_role("button", name="End session").click()
    await status.filter(has_text="Session ended").wait_for(timeout=10_000)
    link = page.get_by_role("link", name="Open your report")
    await link.wait_for(timeout=5_000)
    report_url = await link.get_attribute("href")
    assert report_url is not None and report_url.endswith("/report?format=html")
    report_page = await browser.new_page()  # type: ignore[attr-defined]
    await report_page.goto(server.url + report_url)
    await report_page.get_by_role("heading", name="Interview report").wait_for()
    assert await report_page.locator("svg").count() >= 5
    await report_page.screenshot(path=str(artifacts / "report.png"), full_page=True)
    for _ in range(100):
        if len(server.registry) == 0:
            break
        await page.wait_for_timeout(50)
    assert len(server.registry) == 0
    assert console_errors == []
