"""A recording the person already has, analysed from the demo page in real headless Chromium:
the file is sent, the server's own progress shows while it decodes and transcribes, and the
report opens in place, kept with the person's sessions. A file that is not media gets its
reason and a next step. Screenshots at desktop and phone width land in ``test-artifacts/``."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from tests.conftest import StartServer
from tests.pages.conftest import Launch, accessibility_problems, capture
from tests.pages.test_browser import open_page, shows
from tests.webrtc.test_offline import recording  # noqa: F401 (a fixture)


@pytest.mark.parametrize(
    ("width", "height", "name"), [(1200, 1000, "desktop"), (390, 844, "phone")]
)
async def test_a_person_uploads_a_recording_and_reads_its_report(
    start_server: StartServer,
    launch: Launch,
    recording: tuple[Path, float],  # noqa: F811 (the fixture imported above)
    artifacts: Path,
    width: int,
    height: int,
    name: str,
) -> None:
    server = await start_server(transcript=True)
    page, errors = await open_page(
        await launch(), server.url, viewport={"width": width, "height": height}
    )
    await page.get_by_text("Or analyse a recording you already have").click()
    limits = page.locator("#upload-limits")
    await shows(limits.filter(has_text="MB and"), "the upload's limits", 5_000)
    path, _ = recording
    await page.get_by_label("A video or audio file of you speaking").set_input_files(str(path))
    await page.get_by_role("button", name="Analyse it").click()
    status = page.locator("#upload-status")
    # The server's own figures, as it decodes: "Watching and listening: 0:08 of 0:20".
    await shows(status.filter(has_text="Watching and listening"), "the server's progress", 20_000)
    assert " of 0:20" in await status.inner_text(), await status.inner_text()
    shown = await page.locator("#upload-progress").evaluate("p => p.value")
    assert 0 < shown < 1, f"the bar part-filled while it works, got {shown}"
    await page.screenshot(path=str(artifacts / f"upload-progress-{name}.png"), full_page=True)
    assert await accessibility_problems(page) == [], "the page while a recording is analysed"
    await shows(status.filter(has_text="Done"), "the analysis done", 60_000)
    frame = page.frame_locator("#report-frame")
    await frame.get_by_role("heading", name="Your session").wait_for(timeout=20_000)
    assert await frame.locator("svg.chart").count() >= 5, "the report's charts in place"
    assert await page.locator("#ending-title").text_content() == "Your recording"
    await page.screenshot(path=str(artifacts / f"upload-report-{name}.png"), full_page=True)
    assert await accessibility_problems(page) == [], "the page with the recording's report"
    own = page.get_by_role("link", name="Open your report on a page of its own")
    report_url = server.url + (await own.get_attribute("href") or "")
    # Kept with the person's sessions: their progress counts it.
    await page.get_by_role("link", name="Your progress over your sessions").click()
    await page.get_by_role("heading", name="Your progress", exact=True).wait_for()
    assert "1 practice session with a report" in await page.content()
    # And theirs to erase, from the bottom of the report: asked twice, then gone.
    await page.goto(report_url)
    await page.get_by_role("button", name="Delete this session").click()
    assert await page.evaluate("document.activeElement.id") == "erase-keep", "the safe choice"
    await page.get_by_role("button", name="Yes, delete it for good").click()
    await shows(page.get_by_text("This session is deleted"), "the session deleted", 10_000)
    await page.screenshot(path=str(artifacts / f"report-deleted-{name}.png"))
    assert await accessibility_problems(page) == [], "the page after deleting"
    async with aiohttp.ClientSession() as http:
        sessions = f"{server.url}/api/sessions?limit=100"
        async with http.get(sessions) as r:
            assert (await r.json())["total"] == 0, "erased on the server"
    assert errors == [], errors


async def test_a_file_that_is_not_media_gets_a_reason_and_a_next_step(
    start_server: StartServer, launch: Launch, artifacts: Path, tmp_path: Path
) -> None:
    server = await start_server()
    page, errors = await open_page(await launch(), server.url)
    junk = tmp_path / "notes.mp4"
    junk.write_bytes(b"these are not frames" * 100)
    await page.get_by_text("Or analyse a recording you already have").click()
    await page.get_by_label("A video or audio file of you speaking").set_input_files(str(junk))
    await page.get_by_role("button", name="Analyse it").click()
    status = page.locator('#upload-status[data-state="failed"]')
    await shows(status, "the failure", 20_000)
    said = await status.inner_text()
    assert "could not be analysed" in said and "Try another file" in said, said
    assert await page.get_by_role("button", name="Analyse it").is_enabled(), "can try again"
    await capture(page, artifacts, "upload-failed")
    assert errors == [], errors
